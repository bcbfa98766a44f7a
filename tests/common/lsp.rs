//! A small, synchronous LSP client for integration tests.
//!
//! It drives a real server process over stdio using only `std` and `serde_json`:
//!
//! * a *reader* thread decodes `Content-Length` framed messages from the server's stdout,
//!   answers server→client requests on the spot (so the server never stalls waiting for the
//!   test) and forwards every message to the test thread over a channel;
//! * a *writer* thread owns the server's stdin, so writes from the test and automatic
//!   answers never interleave and never block the test;
//! * a *stderr* thread captures the server's stderr so failures can show it.
//!
//! Everything waits with a timeout (default [`DEFAULT_TIMEOUT`]) and panics with a message that
//! includes the tail of the server's stderr, so a broken server fails a test instead of hanging.
//!
//! Conventions:
//! * Notifications are queued in arrival order. [`LspClient::wait_notification`] and
//!   [`LspClient::drain_notifications`] remove what they return; their predicates and results
//!   are the notification's `params` (`Value::Null` if absent).
//! * Server→client requests are answered automatically (see [`Reply`]), logged in
//!   [`LspClient::server_requests`] and queued for [`LspClient::wait_server_request`], which
//!   returns the whole request message.
//! * `params` equal to `Value::Null` are omitted from outgoing requests and notifications. Use
//!   [`LspClient::send_raw`] with [`frame`] to send anything else.
//! * Set `LAYERWISE_LSP_TRACE=1` to print all traffic to stderr.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Default timeout for every wait.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of the server's stderr is shown in panic messages.
const STDERR_TAIL_BYTES: usize = 4096;
/// Stderr beyond this size is discarded from the front.
const STDERR_CAP_BYTES: usize = 8 << 20;
/// Refuse absurd `Content-Length` values from the server instead of allocating them.
const MAX_MESSAGE_BYTES: usize = 256 << 20;
/// How many recent incoming messages are summarised in panic messages.
const RECENT_MESSAGES: usize = 12;

/// How to answer one server→client request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Use the built-in answer (see [`LspClient::set_server_request_handler`]).
    Default,
    /// Reply with this `result`.
    Result(Value),
    /// Reply with this `error` object (`{"code": .., "message": ..}`).
    Error(Value),
    /// Never reply (to test how the server copes with a silent client).
    Ignore,
}

type ConfigFn = Box<dyn Fn(&Value) -> Value + Send>;
type RequestHandler = Box<dyn Fn(&str, &Value) -> Reply + Send>;

/// State shared with the reader thread, which answers server→client requests.
struct Responder {
    /// Maps one `workspace/configuration` item (`{"scopeUri"?, "section"?}`) to its value.
    configuration: ConfigFn,
    handler: Option<RequestHandler>,
}

impl Responder {
    fn reply(&self, method: &str, params: &Value) -> Reply {
        if let Some(handler) = &self.handler {
            let reply = handler(method, params);
            if reply != Reply::Default {
                return reply;
            }
        }
        match method {
            "workspace/configuration" => {
                let items = params.get("items").and_then(Value::as_array);
                let values = items
                    .map(|items| {
                        items
                            .iter()
                            .map(|item| (self.configuration)(item))
                            .collect()
                    })
                    .unwrap_or_default();
                Reply::Result(Value::Array(values))
            }
            // `client/registerCapability`, `client/unregisterCapability`,
            // `window/workDoneProgress/create`, `window/showMessageRequest`, anything else.
            _ => Reply::Result(Value::Null),
        }
    }
}

enum Incoming {
    Message(Value),
    ProtocolError(String),
    Eof,
}

enum Outgoing {
    Bytes(Vec<u8>),
    Close,
}

/// Frames a message body: `Content-Length: N\r\n\r\n` followed by the body.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Reads one framed message body. `Ok(None)` means clean end of stream between messages.
///
/// Header lines must end in `\r\n`; headers other than `Content-Length` (case-insensitive) are
/// ignored. Partial reads are fine: this only relies on `BufRead`/`read_exact`.
pub fn read_frame<R: BufRead>(reader: &mut R) -> Result<Option<Vec<u8>>, String> {
    let mut content_length: Option<usize> = None;
    let mut line = Vec::new();
    let mut first_line = true;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("I/O error while reading headers: {e}"))?;
        if n == 0 && first_line {
            return Ok(None);
        }
        first_line = false;
        if !line.ends_with(b"\n") {
            return Err(format!(
                "end of stream inside headers (partial line {:?})",
                String::from_utf8_lossy(&line)
            ));
        }
        if !line.ends_with(b"\r\n") {
            return Err(format!(
                "header line not terminated by \\r\\n: {:?}",
                String::from_utf8_lossy(&line)
            ));
        }
        let text = &line[..line.len() - 2];
        if text.is_empty() {
            break;
        }
        let text = std::str::from_utf8(text)
            .map_err(|_| format!("non-UTF-8 header line {:?}", String::from_utf8_lossy(text)))?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| format!("malformed header line {text:?}"))?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            if content_length.is_some() {
                return Err("duplicate Content-Length header".to_string());
            }
            let len: usize = value
                .trim()
                .parse()
                .map_err(|_| format!("bad Content-Length value {:?}", value.trim()))?;
            if len > MAX_MESSAGE_BYTES {
                return Err(format!("Content-Length {len} is unreasonably large"));
            }
            content_length = Some(len);
        }
    }
    let len = content_length.ok_or("message headers without Content-Length")?;
    let mut body = vec![0; len];
    reader
        .read_exact(&mut body)
        .map_err(|e| format!("failed to read {len}-byte message body: {e}"))?;
    Ok(Some(body))
}

fn trace_enabled() -> bool {
    std::env::var_os("LAYERWISE_LSP_TRACE").is_some_and(|v| !v.is_empty() && v != "0")
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in a test thread must not hide the server's output behind a PoisonError.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn reader_loop(
    stdout: ChildStdout,
    tx: Sender<Incoming>,
    out_tx: Sender<Outgoing>,
    responder: Arc<Mutex<Responder>>,
    trace: bool,
) {
    let mut reader = BufReader::new(stdout);
    loop {
        let body = match read_frame(&mut reader) {
            Ok(Some(body)) => body,
            Ok(None) => {
                let _ = tx.send(Incoming::Eof);
                return;
            }
            Err(e) => {
                let _ = tx.send(Incoming::ProtocolError(e));
                return;
            }
        };
        let msg: Value = match serde_json::from_slice(&body) {
            Ok(msg) => msg,
            Err(e) => {
                let _ = tx.send(Incoming::ProtocolError(format!(
                    "message body is not JSON ({e}): {:?}",
                    String::from_utf8_lossy(&body)
                )));
                return;
            }
        };
        if trace {
            eprintln!("[lsp] <-- {msg}");
        }
        if let (Some(method), Some(id)) = (msg.get("method").and_then(Value::as_str), msg.get("id"))
        {
            let params = msg.get("params").cloned().unwrap_or(Value::Null);
            let reply = lock(&responder).reply(method, &params);
            let answer = match reply {
                Reply::Result(result) => {
                    Some(json!({"jsonrpc": "2.0", "id": id, "result": result}))
                }
                Reply::Error(error) => Some(json!({"jsonrpc": "2.0", "id": id, "error": error})),
                Reply::Ignore | Reply::Default => None,
            };
            if let Some(answer) = answer {
                if trace {
                    eprintln!("[lsp] --> (auto) {answer}");
                }
                let _ = out_tx.send(Outgoing::Bytes(frame(answer.to_string().as_bytes())));
            }
        }
        if tx.send(Incoming::Message(msg)).is_err() {
            return;
        }
    }
}

fn writer_loop(mut stdin: ChildStdin, rx: Receiver<Outgoing>, error: Arc<Mutex<Option<String>>>) {
    for cmd in rx {
        match cmd {
            Outgoing::Bytes(bytes) => {
                if let Err(e) = stdin.write_all(&bytes).and_then(|()| stdin.flush()) {
                    *lock(&error) = Some(format!("writing to server stdin failed: {e}"));
                    return;
                }
            }
            Outgoing::Close => return,
        }
    }
}

fn stderr_loop(mut stderr: impl Read, buffer: Arc<Mutex<Vec<u8>>>) {
    let mut chunk = [0u8; 8192];
    loop {
        match stderr.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let mut buffer = lock(&buffer);
                buffer.extend_from_slice(&chunk[..n]);
                if buffer.len() > STDERR_CAP_BYTES {
                    let excess = buffer.len() - STDERR_CAP_BYTES;
                    buffer.drain(..excess);
                }
            }
        }
    }
}

fn id_key(id: &Value) -> String {
    id.to_string()
}

fn summarize(msg: &Value) -> String {
    let method = msg.get("method").and_then(Value::as_str);
    let id = msg.get("id");
    match (method, id) {
        (Some(m), Some(id)) => format!("request {m} (id {id})"),
        (Some(m), None) => format!("notification {m}"),
        (None, Some(id)) if msg.get("error").is_some() => format!("error response (id {id})"),
        (None, Some(id)) => format!("response (id {id})"),
        (None, None) => "malformed message".to_string(),
    }
}

/// A running language server plus the client side of the connection.
pub struct LspClient {
    child: Child,
    out_tx: Sender<Outgoing>,
    rx: Receiver<Incoming>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_thread: Option<JoinHandle<()>>,
    write_error: Arc<Mutex<Option<String>>>,
    responder: Arc<Mutex<Responder>>,
    timeout: Duration,
    next_id: i64,
    /// Methods of the requests we sent, by id key, for error messages.
    sent_methods: HashMap<String, String>,
    /// Responses not yet claimed, by id key.
    responses: HashMap<String, Value>,
    /// Unclaimed responses with `"id": null`, oldest first.
    null_id_responses: VecDeque<Value>,
    /// Ids of all responses received so far (to catch duplicate responses).
    response_ids: HashSet<String>,
    notifications: VecDeque<Value>,
    server_requests: VecDeque<Value>,
    server_request_log: Vec<Value>,
    recent: VecDeque<String>,
    eof: bool,
    failed: bool,
    trace: bool,
}

impl LspClient {
    /// Spawns `cmd args...` with piped stdio. Panics if the process cannot be started.
    pub fn spawn(cmd: &Path, args: &[&str]) -> LspClient {
        Self::spawn_with(Command::new(cmd).args(args))
    }

    /// Like [`LspClient::spawn`] for a prepared command (environment, working directory, ...).
    /// Its stdin, stdout and stderr are replaced by pipes.
    pub fn spawn_with(command: &mut Command) -> LspClient {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("failed to spawn language server {command:?}: {e}"));
        let stdin = child.stdin.take().expect("child stdin is piped");
        let stdout = child.stdout.take().expect("child stdout is piped");
        let stderr_pipe = child.stderr.take().expect("child stderr is piped");
        let trace = trace_enabled();

        let responder = Arc::new(Mutex::new(Responder {
            configuration: Box::new(|_| Value::Null),
            handler: None,
        }));
        let write_error = Arc::new(Mutex::new(None));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (out_tx, out_rx) = mpsc::channel();
        let (tx, rx) = mpsc::channel();

        let error = Arc::clone(&write_error);
        thread::Builder::new()
            .name("lsp-client-writer".into())
            .spawn(move || writer_loop(stdin, out_rx, error))
            .expect("spawn writer thread");
        let auto_tx = out_tx.clone();
        let shared = Arc::clone(&responder);
        thread::Builder::new()
            .name("lsp-client-reader".into())
            .spawn(move || reader_loop(stdout, tx, auto_tx, shared, trace))
            .expect("spawn reader thread");
        let buffer = Arc::clone(&stderr);
        let stderr_thread = thread::Builder::new()
            .name("lsp-client-stderr".into())
            .spawn(move || stderr_loop(stderr_pipe, buffer))
            .expect("spawn stderr thread");

        LspClient {
            child,
            out_tx,
            rx,
            stderr,
            stderr_thread: Some(stderr_thread),
            write_error,
            responder,
            timeout: DEFAULT_TIMEOUT,
            next_id: 1,
            sent_methods: HashMap::new(),
            responses: HashMap::new(),
            null_id_responses: VecDeque::new(),
            response_ids: HashSet::new(),
            notifications: VecDeque::new(),
            server_requests: VecDeque::new(),
            server_request_log: Vec::new(),
            recent: VecDeque::new(),
            eof: false,
            failed: false,
            trace,
        }
    }

    // ----- configuration ------------------------------------------------------------------

    /// Timeout used by every wait from now on.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Answer every item of every later `workspace/configuration` request with `value`
    /// (the result is `[value, value, ...]`, one per item). The default is `null` per item.
    pub fn set_configuration(&mut self, value: Value) {
        lock(&self.responder).configuration = Box::new(move |_| value.clone());
    }

    /// Answer each `workspace/configuration` item (`{"scopeUri"?, "section"?}`) with `f(item)`.
    pub fn set_configuration_fn(&mut self, f: impl Fn(&Value) -> Value + Send + 'static) {
        lock(&self.responder).configuration = Box::new(f);
    }

    /// Override answers to server→client requests: `f(method, params)`. Return
    /// [`Reply::Default`] to fall back to the built-in answers: `workspace/configuration` →
    /// configured values, everything else (`client/registerCapability`,
    /// `window/workDoneProgress/create`, ...) → `null`.
    pub fn set_server_request_handler(
        &mut self,
        f: impl Fn(&str, &Value) -> Reply + Send + 'static,
    ) {
        lock(&self.responder).handler = Some(Box::new(f));
    }

    // ----- sending ------------------------------------------------------------------------

    /// Writes raw bytes to the server's stdin (no framing added). Never blocks; write errors
    /// (e.g. the server has exited) are reported by later panics, or see [`Self::write_error`].
    pub fn send_raw(&mut self, bytes: &[u8]) {
        // If the writer thread is gone the server's stdin is closed; waits will report it.
        let _ = self.out_tx.send(Outgoing::Bytes(bytes.to_vec()));
    }

    /// Frames and sends one JSON message as is.
    pub fn send_message(&mut self, msg: &Value) {
        if self.trace {
            eprintln!("[lsp] --> {msg}");
        }
        self.send_raw(&frame(msg.to_string().as_bytes()));
    }

    /// Closes the server's stdin (the server sees end of input after pending writes).
    pub fn close_stdin(&mut self) {
        let _ = self.out_tx.send(Outgoing::Close);
    }

    /// The first error writing to the server's stdin, if any.
    pub fn write_error(&self) -> Option<String> {
        lock(&self.write_error).clone()
    }

    /// Sends a notification. `Value::Null` params are omitted.
    pub fn notify(&mut self, method: &str, params: Value) {
        let mut msg = json!({"jsonrpc": "2.0", "method": method});
        if !params.is_null() {
            msg["params"] = params;
        }
        self.send_message(&msg);
    }

    /// Sends a request with a fresh integer id and returns the id. `Value::Null` params are
    /// omitted.
    pub fn send_request_no_wait(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if !params.is_null() {
            msg["params"] = params;
        }
        self.sent_methods
            .insert(id_key(&json!(id)), method.to_string());
        self.send_message(&msg);
        id
    }

    /// Sends a request and waits for its response: `Ok(result)` or `Err(error object)`.
    #[track_caller]
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.send_request_no_wait(method, params);
        self.wait_response(id)
    }

    /// Sends a request that must succeed and returns its result.
    #[track_caller]
    pub fn request_ok(&mut self, method: &str, params: Value) -> Value {
        match self.request(method, params) {
            Ok(result) => result,
            Err(error) => self.fail(&format!("request {method} failed with error {error}")),
        }
    }

    /// Sends `cancelRequest` for `id`.
    pub fn cancel(&mut self, id: i64) {
        self.notify("$/cancelRequest", json!({"id": id}));
    }

    // ----- receiving ----------------------------------------------------------------------

    /// Waits for the response to request `id`: `Ok(result)` or `Err(error object)`.
    #[track_caller]
    pub fn wait_response(&mut self, id: i64) -> Result<Value, Value> {
        let msg = self.wait_response_message(&json!(id));
        match (msg.get("result"), msg.get("error")) {
            (Some(result), None) => Ok(result.clone()),
            (None, Some(error)) => Err(error.clone()),
            _ => self.fail(&format!(
                "response must have exactly one of `result` and `error`: {msg}"
            )),
        }
    }

    /// Waits for the whole response message with this id (any JSON id, including `null` for
    /// errors the server could not attribute to a request) and removes it from the queue.
    #[track_caller]
    pub fn wait_response_message(&mut self, id: &Value) -> Value {
        if id.is_null() {
            return self.wait_for("a response with id null", |client| {
                client.null_id_responses.pop_front()
            });
        }
        let key = id_key(id);
        let what = match self.sent_methods.get(&key) {
            Some(method) => format!("the response to request {method} (id {id})"),
            None => format!("a response with id {id}"),
        };
        self.wait_for(&what, |client| client.responses.remove(&key))
    }

    /// Waits for a notification `method` whose params satisfy `predicate`; removes it from the
    /// queue and returns its params. Earlier non-matching notifications stay queued.
    #[track_caller]
    pub fn wait_notification(&mut self, method: &str, predicate: impl Fn(&Value) -> bool) -> Value {
        let what = format!("notification {method} matching the predicate");
        self.wait_for(&what, |client| {
            take_first(&mut client.notifications, method, &predicate)
                .map(|msg| msg.get("params").cloned().unwrap_or(Value::Null))
        })
    }

    /// Waits for `textDocument/publishDiagnostics` for `uri` (and `version`, if given) and
    /// returns its params.
    #[track_caller]
    pub fn wait_diagnostics(&mut self, uri: &str, version: Option<i64>) -> Value {
        self.wait_notification("textDocument/publishDiagnostics", |params| {
            params["uri"] == uri
                && version.is_none_or(|version| params.get("version") == Some(&json!(version)))
        })
    }

    /// Removes and returns the params of all `method` notifications that have arrived so far.
    #[track_caller]
    pub fn drain_notifications(&mut self, method: &str) -> Vec<Value> {
        self.pump_available();
        let mut taken = Vec::new();
        self.notifications.retain(|msg| {
            if msg["method"] == method {
                taken.push(msg.get("params").cloned().unwrap_or(Value::Null));
                false
            } else {
                true
            }
        });
        taken
    }

    /// All notifications received and not yet claimed (whole messages), oldest first.
    #[track_caller]
    pub fn pending_notifications(&mut self) -> Vec<Value> {
        self.pump_available();
        self.notifications.iter().cloned().collect()
    }

    /// Waits for `within` and panics if a `method` notification whose params satisfy
    /// `predicate` arrives (or has already arrived, unclaimed).
    #[track_caller]
    pub fn expect_no_notification(
        &mut self,
        method: &str,
        predicate: impl Fn(&Value) -> bool,
        within: Duration,
    ) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(msg) = take_first(&mut self.notifications, method, &predicate) {
                self.fail(&format!("unexpected notification {method}: {msg}"));
            }
            let now = Instant::now();
            if now >= deadline || self.eof {
                return;
            }
            match self.rx.recv_timeout(deadline - now) {
                Ok(incoming) => self.handle(incoming),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.eof = true,
            }
        }
    }

    /// Waits for a server→client request `method` whose params satisfy `predicate`, removes it
    /// from the queue and returns the whole request message. (It has already been answered.)
    #[track_caller]
    pub fn wait_server_request(
        &mut self,
        method: &str,
        predicate: impl Fn(&Value) -> bool,
    ) -> Value {
        let what = format!("server request {method} matching the predicate");
        self.wait_for(&what, |client| {
            take_first(&mut client.server_requests, method, &predicate)
        })
    }

    /// Removes and returns all unclaimed server→client requests `method` received so far.
    #[track_caller]
    pub fn drain_server_requests(&mut self, method: &str) -> Vec<Value> {
        self.pump_available();
        let mut taken = Vec::new();
        self.server_requests.retain(|msg| {
            if msg["method"] == method {
                taken.push(msg.clone());
                false
            } else {
                true
            }
        });
        taken
    }

    /// Every server→client request received so far (whole messages, oldest first), including
    /// claimed ones.
    #[track_caller]
    pub fn server_requests(&mut self) -> Vec<Value> {
        self.pump_available();
        self.server_request_log.clone()
    }

    // ----- lifecycle ----------------------------------------------------------------------

    /// `initialize` with `processId`, `rootUri: null`, `clientInfo` and `capabilities`, then
    /// `initialized`. Returns the `InitializeResult`; panics on an error response.
    #[track_caller]
    pub fn initialize(&mut self, capabilities: Value) -> Value {
        self.initialize_with_params(json!({
            "processId": std::process::id(),
            "rootUri": null,
            "clientInfo": {"name": "layerwise-test-client", "version": "0"},
            "capabilities": capabilities,
        }))
    }

    /// `initialize` with exactly these params, then `initialized`. Returns the result.
    #[track_caller]
    pub fn initialize_with_params(&mut self, params: Value) -> Value {
        let result = self.request_ok("initialize", params);
        self.notify("initialized", json!({}));
        result
    }

    /// `shutdown` (must succeed), `exit`, close stdin, then wait for the process to end.
    #[track_caller]
    pub fn shutdown_and_exit(mut self) -> ExitStatus {
        let result = self.request_ok("shutdown", Value::Null);
        if !result.is_null() {
            self.fail(&format!("shutdown must return null, got {result}"));
        }
        self.notify("exit", Value::Null);
        self.close_stdin();
        self.wait_exit()
    }

    /// Waits (with the timeout) for the server process to exit; kills it and panics on timeout.
    #[track_caller]
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    let timeout = self.timeout;
                    self.fail(&format!(
                        "server did not exit within {timeout:?} (killed it)"
                    ));
                }
                Err(e) => self.fail(&format!("waiting for the server process failed: {e}")),
            }
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's exit status, if it has exited.
    pub fn try_exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Whether the server has closed its stdout (as far as this client has seen).
    pub fn saw_eof(&self) -> bool {
        self.eof
    }

    /// Everything the server wrote to stderr so far (lossy UTF-8).
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&lock(&self.stderr)).into_owned()
    }

    /// Whether the server's stderr comes to hold `needle` within a few seconds: stderr is read
    /// by another thread, so a line the server wrote before its last answer may still be on
    /// its way.
    pub fn stderr_gets(&self, needle: &str) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            if self.stderr().contains(needle) {
                return true;
            }
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// The last ~4 KB of the server's stderr.
    pub fn stderr_tail(&self) -> String {
        let buffer = lock(&self.stderr);
        let start = buffer.len().saturating_sub(STDERR_TAIL_BYTES);
        String::from_utf8_lossy(&buffer[start..]).into_owned()
    }

    // ----- document helpers ---------------------------------------------------------------

    /// `textDocument/didOpen` with `languageId: "dockerfile"`.
    pub fn did_open(&mut self, uri: &str, text: &str, version: i64) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {
                "uri": uri, "languageId": "dockerfile", "version": version, "text": text,
            }}),
        );
    }

    /// `textDocument/didChange`. `changes` is the `contentChanges` array; a single change
    /// object is wrapped in an array. See [`full_change`] and [`range_change`].
    pub fn did_change(&mut self, uri: &str, version: i64, changes: Value) {
        let changes = match changes {
            Value::Array(_) => changes,
            other => Value::Array(vec![other]),
        };
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": changes,
            }),
        );
    }

    /// `textDocument/didClose`.
    pub fn did_close(&mut self, uri: &str) {
        self.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
    }

    // ----- internals ----------------------------------------------------------------------

    /// Processes incoming messages until `check` yields a value; panics on timeout or when
    /// the server closes its output first.
    #[track_caller]
    fn wait_for<T>(&mut self, what: &str, mut check: impl FnMut(&mut Self) -> Option<T>) -> T {
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(value) = check(self) {
                return value;
            }
            if self.eof {
                self.fail(&format!(
                    "the server closed its output while waiting for {what}"
                ));
            }
            let now = Instant::now();
            if now >= deadline {
                let timeout = self.timeout;
                self.fail(&format!("timed out after {timeout:?} waiting for {what}"));
            }
            match self.rx.recv_timeout(deadline - now) {
                Ok(incoming) => self.handle(incoming),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.eof = true,
            }
        }
    }

    /// Processes everything that has already arrived, without waiting.
    #[track_caller]
    fn pump_available(&mut self) {
        loop {
            match self.rx.try_recv() {
                Ok(incoming) => self.handle(incoming),
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    self.eof = true;
                    return;
                }
            }
        }
    }

    #[track_caller]
    fn handle(&mut self, incoming: Incoming) {
        let msg = match incoming {
            Incoming::Message(msg) => msg,
            Incoming::Eof => {
                self.eof = true;
                return;
            }
            Incoming::ProtocolError(e) => {
                self.eof = true;
                self.fail(&format!("protocol violation in server output: {e}"));
            }
        };
        if self.recent.len() == RECENT_MESSAGES {
            self.recent.pop_front();
        }
        self.recent.push_back(summarize(&msg));
        if msg.get("jsonrpc") != Some(&json!("2.0")) {
            self.fail(&format!("message without \"jsonrpc\": \"2.0\": {msg}"));
        }
        let has_method = msg.get("method").is_some();
        let id = msg.get("id").cloned();
        match (has_method, id) {
            (true, Some(_)) => {
                self.server_request_log.push(msg.clone());
                self.server_requests.push_back(msg);
            }
            (true, None) => self.notifications.push_back(msg),
            (false, Some(id)) => {
                if id.is_null() {
                    // Errors the server could not attribute to a request; may repeat.
                    self.null_id_responses.push_back(msg);
                    return;
                }
                let key = id_key(&id);
                if !self.response_ids.insert(key.clone()) {
                    self.fail(&format!("second response for id {id}: {msg}"));
                }
                self.responses.insert(key, msg);
            }
            (false, None) => self.fail(&format!(
                "message is neither request, response nor notification: {msg}"
            )),
        }
    }

    /// Panics with `message` plus diagnostics: exit status, queued messages, recent traffic and
    /// the tail of the server's stderr.
    #[track_caller]
    fn fail(&mut self, message: &str) -> ! {
        self.failed = true;
        let mut status = self.child.try_wait().ok().flatten();
        if status.is_none() && self.eof {
            // The server closed its output; it is most likely exiting. Wait briefly for it.
            let deadline = Instant::now() + Duration::from_secs(1);
            while status.is_none() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(5));
                status = self.child.try_wait().ok().flatten();
            }
        }
        if status.is_some() {
            // Give the stderr thread a moment to collect the last output of the dead server.
            let deadline = Instant::now() + Duration::from_millis(500);
            while self
                .stderr_thread
                .as_ref()
                .is_some_and(|thread| !thread.is_finished())
                && Instant::now() < deadline
            {
                thread::sleep(Duration::from_millis(5));
            }
        }
        let mut report = format!("LSP test client: {message}\n");
        match status {
            Some(status) => report.push_str(&format!("server process: exited, {status}\n")),
            None => report.push_str("server process: still running\n"),
        }
        if let Some(e) = self.write_error() {
            report.push_str(&format!("write error: {e}\n"));
        }
        let queued: Vec<String> = self.notifications.iter().map(summarize).collect();
        if !queued.is_empty() {
            report.push_str(&format!("unclaimed notifications: {}\n", queued.join(", ")));
        }
        if !self.responses.is_empty() || !self.null_id_responses.is_empty() {
            let mut ids: Vec<&str> = self.responses.keys().map(String::as_str).collect();
            ids.extend(self.null_id_responses.iter().map(|_| "null"));
            report.push_str(&format!("unclaimed responses for ids: {ids:?}\n"));
        }
        let recent: Vec<&String> = self.recent.iter().collect();
        report.push_str(&format!("last messages from server: {recent:?}\n"));
        let tail = self.stderr_tail();
        report.push_str(&format!(
            "--- server stderr (last {STDERR_TAIL_BYTES} bytes) ---\n{tail}\n--- end of server stderr ---"
        ));
        panic!("{report}");
    }
}

fn take_first(
    queue: &mut VecDeque<Value>,
    method: &str,
    predicate: &impl Fn(&Value) -> bool,
) -> Option<Value> {
    let position = queue.iter().position(|msg| {
        msg["method"] == method && predicate(msg.get("params").unwrap_or(&Value::Null))
    })?;
    queue.remove(position)
}

impl Drop for LspClient {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // A failing assertion in the test itself would otherwise never show the server's
        // stderr; panics raised by this client already include it.
        if thread::panicking() && !self.failed {
            eprintln!(
                "--- server stderr (last {STDERR_TAIL_BYTES} bytes) ---\n{}\n--- end of server stderr ---",
                self.stderr_tail()
            );
        }
    }
}

/// A full-document `contentChanges` array: `[{"text": text}]`.
pub fn full_change(text: &str) -> Value {
    json!([{ "text": text }])
}

/// One incremental change replacing `start..end` (`(line, UTF-16 character)` pairs) by `text`.
pub fn range_change(start: (u32, u32), end: (u32, u32), text: &str) -> Value {
    json!({
        "range": {
            "start": {"line": start.0, "character": start.1},
            "end": {"line": end.0, "character": end.1},
        },
        "text": text,
    })
}

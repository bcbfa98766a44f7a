//! The framing between stdio and `tower-lsp-server`'s loop, tolerant of hostile input.
//!
//! `tower-lsp-server` stops serving at the first message it cannot decode: a body that is not
//! JSON or not a JSON-RPC message, a header it does not accept (more than two headers, a charset
//! other than UTF-8, a bad `Content-Length`), because tokio-util's `FramedRead` ends the stream
//! after a decoder error. One stray byte from a client would end the session. So the server never
//! reads stdin itself:
//!
//! * [`pump_input`] cuts stdin into messages on its own. A well-formed JSON-RPC message is handed
//!   on, re-framed with just its `Content-Length`. Anything else is answered with a JSON-RPC
//!   error (`-32700` parse error: not JSON, not UTF-8, a broken header, a wrong
//!   `Content-Length`, bytes between messages; `-32600` invalid request: JSON that is not a
//!   JSON-RPC message, with its `id` when it has a usable one) and logged to stderr, and reading
//!   resynchronises on the next `Content-Length` header. A `Content-Length` that is too large is
//!   noticed as soon as the next header shows up inside the promised body (a header line ending in
//!   CR LF can never occur inside JSON), so the message after it is not lost. Bodies above
//!   [`MAX_MESSAGE_BYTES`] are skipped without being held in memory.
//! * [`pump_output`] owns stdout and writes whole frames only: the server's, and the error
//!   responses of the input pump, so the two never interleave.

use std::io;

use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tower_lsp_server::jsonrpc::{Request, Response};

use super::outbox::Queue;

/// Messages larger than this are refused (and skipped without being buffered).
pub const MAX_MESSAGE_BYTES: usize = 512 << 20;

/// A `Content-Length` line longer than this is not recognised across two reads.
const HEADER_LINE_BYTES: usize = 256;

/// Header blocks larger than this are garbage.
const MAX_HEADER_BYTES: usize = 8 << 10;

/// The size of the pipes between the pumps and the server loop.
const PIPE_BYTES: usize = 1 << 16;

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;

/// Serves `service` on stdin/stdout through the tolerant pumps; returns when the server loop ends
/// (after `exit`, or at the end of the input) and everything it wrote has been sent. What waits
/// in `queue` (the backend's notifications, frames written beside the router, the input pump's
/// error responses) is written between the server loop's frames.
pub async fn serve(
    service: tower_lsp_server::LspService<super::server::Backend>,
    socket: tower_lsp_server::ClientSocket,
    queue: Queue,
) {
    let (server_in, pump_in) = tokio::io::duplex(PIPE_BYTES);
    let (server_out, pump_out) = tokio::io::duplex(PIPE_BYTES);
    let service = super::direct::Direct::new(service, queue.clone());
    // The input pump may sit in a read of stdin forever (clients need not close it after `exit`):
    // it is not awaited; the runtime is shut down in the background afterwards.
    tokio::spawn(pump_input(super::stdio::stdin(), pump_in, queue.clone()));
    let output = pump_output(pump_out, queue, super::stdio::stdout());
    let server = async move {
        tower_lsp_server::Server::new(server_in, server_out, socket)
            .serve(service)
            .await;
    };
    let ((), result) = tokio::join!(server, output);
    if let Err(e) = result {
        super::log(format_args!("writing to stdout failed: {e}"));
    }
}

/// Frames `body` with its `Content-Length`.
#[must_use]
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// A JSON-RPC error response.
fn error_response(id: &Value, code: i64, message: &str) -> Vec<u8> {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code, "message": message},
    });
    frame(body.to_string().as_bytes())
}

/// What one message of the input is.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// A JSON-RPC request, notification or response `tower-lsp-server` accepts.
    Message,
    /// Not a message: the error response to send.
    Error {
        id: Value,
        code: i64,
        reason: String,
    },
}

/// Judges one message body.
#[must_use]
pub fn judge(body: &[u8]) -> Verdict {
    // `tower-lsp-server` decodes an untagged `Response | Request`; try the likelier one first
    let looks_like_request = body.windows(8).any(|w| w == b"\"method\"");
    let request = || serde_json::from_slice::<Request>(body).ok().map(Some);
    let response = || serde_json::from_slice::<Response>(body).ok().map(|_| None);
    let order: [&dyn Fn() -> Option<Option<Request>>; 2] = if looks_like_request {
        [&request, &response]
    } else {
        [&response, &request]
    };
    if let Some(accepted) = order.iter().find_map(|accepts| accepts()) {
        // the specification: a `$/` request the server does not know is MethodNotFound;
        // `tower-lsp-server` drops every `$/` message (its only ones are notifications)
        let unknown_dollar = accepted
            .filter(|r| r.method().starts_with("$/"))
            .and_then(|r| serde_json::to_value(r.id()?).ok());
        return unknown_dollar.map_or(Verdict::Message, |id| Verdict::Error {
            id,
            code: METHOD_NOT_FOUND,
            reason: "Method not found".into(),
        });
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => {
            // JSON-RPC: the id of an invalid request when it can be read, else null
            let id = match value.get("id") {
                Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
                _ => Value::Null,
            };
            Verdict::Error {
                id,
                code: INVALID_REQUEST,
                reason: "Invalid request: not a JSON-RPC 2.0 message".into(),
            }
        }
        Err(e) => Verdict::Error {
            id: Value::Null,
            code: PARSE_ERROR,
            reason: format!("Parse error: {e}"),
        },
    }
}

/// The body with every `\\u` escape of a lone UTF-16 surrogate (which JSON parsers refuse, and
/// some editors send for a broken character) turned into `\\ufffd`, the replacement character,
/// so that the message is kept rather than refused; `None` when there is none.
fn repair_lone_surrogates(body: &[u8]) -> Option<Vec<u8>> {
    fn unit(bytes: &[u8]) -> Option<u16> {
        let hex = bytes.get(..4)?;
        u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    }
    let high = |u: u16| (0xD800..0xDC00).contains(&u);
    let low = |u: u16| (0xDC00..0xE000).contains(&u);
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'\\', &body[i..]) {
        let at = i + at;
        if body.get(at + 1) != Some(&b'u') {
            // another escape (`\\\\` included): skip its two bytes
            i = at + 2;
            continue;
        }
        let Some(u) = unit(&body[at + 2..]) else {
            i = at + 2;
            continue;
        };
        let paired = high(u)
            && body.get(at + 6..at + 8) == Some(b"\\u")
            && unit(&body[at + 8..]).is_some_and(low);
        if paired {
            i = at + 12;
        } else if high(u) || low(u) {
            let out = out.get_or_insert_with(|| Vec::with_capacity(body.len()));
            out.extend_from_slice(&body[copied..at]);
            out.extend_from_slice(b"\\ufffd");
            copied = at + 6;
            i = at + 6;
        } else {
            i = at + 6;
        }
    }
    let mut out = out?;
    out.extend_from_slice(&body[copied..]);
    Some(out)
}

/// A short, escaped excerpt of bytes for the log.
fn excerpt(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(80)];
    let more = if bytes.len() > shown.len() { "..." } else { "" };
    format!("{:?}{more}", String::from_utf8_lossy(shown))
}

/// The position of the first `Content-Length: <digits> CR LF` at or after `from`
/// (case-insensitive, blanks allowed around the colon).
fn find_header(buf: &[u8], from: usize) -> Option<usize> {
    const NAME: &[u8] = b"content-length";
    let mut at = from;
    while at < buf.len() {
        let start = at + memchr::memchr2(b'c', b'C', &buf[at..])?;
        if buf
            .get(start..start + NAME.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(NAME))
            && header_value(&buf[start..]).is_some()
        {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

/// For bytes starting with `Content-Length`, the value and the length of the whole line
/// including its CR LF, when the line is complete and well-formed.
fn header_value(line: &[u8]) -> Option<(usize, usize)> {
    let mut i = "content-length".len();
    let blank = |b: u8| b == b' ' || b == b'\t';
    while line.get(i).copied().is_some_and(blank) {
        i += 1;
    }
    if line.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    while line.get(i).copied().is_some_and(blank) {
        i += 1;
    }
    let digits = line[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let value = std::str::from_utf8(&line[i..i + digits]).ok()?.parse().ok();
    i += digits;
    while line.get(i).copied().is_some_and(blank) {
        i += 1;
    }
    if line.get(i..i + 2) != Some(b"\r\n") {
        return None;
    }
    // a number too large for usize is still a header; it is refused as too large
    Some((value.unwrap_or(usize::MAX), i + 2))
}

/// The offset just after the first `CR LF CR LF` at or after `from`.
fn header_end(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| from + i + 4)
}

/// Reads messages from `input`, hands the well-formed ones to `server` and queues an error
/// response in `errors` for everything else (waiting, like requests, while the output is behind). Returns at the end of the input (closing `server`,
/// so the server loop sees the end too) or when the server stops reading.
pub async fn pump_input<R, W>(mut input: R, mut server: W, errors: Queue)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut reader = Reader {
        buf: Vec::with_capacity(1 << 16),
        eof: false,
    };
    loop {
        let item = match reader.next(&mut input).await {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(e) => {
                super::log(format_args!("reading stdin failed: {e}"));
                break;
            }
        };
        match item {
            Item::Message(body) => {
                let framed = frame(&body);
                drop(body);
                if server.write_all(&framed).await.is_err() || server.flush().await.is_err() {
                    // the server loop has ended (after `exit`)
                    break;
                }
            }
            Item::Error { id, code, reason } => {
                super::log(format_args!("answered with error {code}: {reason}"));
                errors.push_frame(error_response(&id, code, &reason)).await;
            }
        }
    }
    let _ = server.shutdown().await;
}

/// One thing read from the input.
enum Item {
    /// A well-formed JSON-RPC message (its body).
    Message(Vec<u8>),
    /// Bytes that are not a message: the error response to send.
    Error {
        id: Value,
        code: i64,
        reason: String,
    },
}

/// A parse error about bytes that are not a message.
fn bad(reason: String) -> Item {
    Item::Error {
        id: Value::Null,
        code: PARSE_ERROR,
        reason: format!("Parse error: {reason}"),
    }
}

/// Cuts a byte stream into message bodies, resynchronising after garbage.
struct Reader {
    buf: Vec<u8>,
    eof: bool,
}

impl Reader {
    /// Reads more input into the buffer; `false` at the end of the input.
    async fn fill<R: AsyncRead + Unpin>(&mut self, input: &mut R) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        // straight into the buffer's spare room: no 64 KiB to zero and copy per message
        self.buf.reserve(1 << 16);
        let n = input.read_buf(&mut self.buf).await?;
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        Ok(true)
    }

    /// The next body or bad stretch of input; `None` at the end.
    async fn next<R: AsyncRead + Unpin>(&mut self, input: &mut R) -> io::Result<Option<Item>> {
        loop {
            // 1. the start of the next header block
            let Some(found) = find_header(&self.buf, 0) else {
                if self.eof {
                    let junk = std::mem::take(&mut self.buf);
                    return Ok(non_blank(&junk).then(|| {
                        bad(format!("junk at the end of the input: {}", excerpt(&junk)))
                    }));
                }
                // keep a tail that may be the start of a header cut by the read
                if self.buf.len() > MAX_HEADER_BYTES {
                    let keep = self.buf.split_off(self.buf.len() - 64);
                    let junk = std::mem::replace(&mut self.buf, keep);
                    if non_blank(&junk) {
                        return Ok(Some(bad(format!(
                            "bytes that are not a message: {}",
                            excerpt(&junk)
                        ))));
                    }
                }
                self.fill(input).await?;
                continue;
            };
            let start = header_block_start(&self.buf, found);
            // where this block's `Content-Length` line is once the junk before it is gone
            let own = found - start;
            if start > 0 {
                let junk: Vec<u8> = self.buf.drain(..start).collect();
                if non_blank(&junk) {
                    return Ok(Some(bad(format!(
                        "bytes that are not a message: {}",
                        excerpt(&junk)
                    ))));
                }
            }
            // 2. the whole header block
            let Some(body_start) = header_end(&self.buf, 0) else {
                if self.buf.len() > MAX_HEADER_BYTES {
                    let junk: Vec<u8> = self.buf.drain(..1).collect();
                    return Ok(Some(bad(format!(
                        "a header block without an end: {}",
                        excerpt(&junk)
                    ))));
                }
                if !self.fill(input).await? {
                    let junk = std::mem::take(&mut self.buf);
                    return Ok(Some(bad(format!(
                        "the input ends inside a header: {}",
                        excerpt(&junk)
                    ))));
                }
                continue;
            };
            // a header line that never ended, followed by the next message's header (a block of
            // well-formed lines may repeat `Content-Length`: `content_length` judges that)
            if let Some(next) = find_header(&self.buf, own + 1)
                .filter(|&next| next < body_start && !well_formed_block(&self.buf[..body_start]))
            {
                let junk: Vec<u8> = self.buf.drain(..next).collect();
                return Ok(Some(bad(format!(
                    "an unfinished header block: {}",
                    excerpt(&junk)
                ))));
            }
            let Some(length) = content_length(&self.buf[..body_start]) else {
                let junk: Vec<u8> = self.buf.drain(..body_start).collect();
                return Ok(Some(bad(format!(
                    "a malformed header block: {}",
                    excerpt(&junk)
                ))));
            };
            // 3. the body
            if length > MAX_MESSAGE_BYTES {
                self.buf.drain(..body_start);
                self.skip(input, length).await?;
                return Ok(Some(bad(format!(
                    "a message of {length} bytes is above the limit of {MAX_MESSAGE_BYTES}"
                ))));
            }
            // where the search for a header inside the body goes on (only new bytes are searched,
            // with an overlap for a header line cut by a read)
            let mut scanned = body_start;
            loop {
                let available = self.buf.len() - body_start;
                // a header inside the promised body: the length was too large
                let header = find_header(&self.buf, scanned);
                scanned = self
                    .buf
                    .len()
                    .saturating_sub(HEADER_LINE_BYTES)
                    .max(body_start);
                if let Some(next) = header.filter(|&next| next < body_start + length) {
                    let cut: Vec<u8> = self.buf.drain(..next).collect();
                    return Ok(Some(bad(format!(
                        "Content-Length {length} runs into the next message; the body was {}",
                        excerpt(&cut[body_start..])
                    ))));
                }
                if available >= length {
                    let body = &self.buf[body_start..body_start + length];
                    let repaired = repair_lone_surrogates(body);
                    let item = match judge(repaired.as_deref().unwrap_or(body)) {
                        Verdict::Message => {
                            Item::Message(repaired.unwrap_or_else(|| body.to_vec()))
                        }
                        Verdict::Error { id, code, reason } => {
                            // a body cut short by a too small Content-Length ends with the start
                            // of the next message: read on from a header name inside it
                            let reason = format!("{reason}: {}", excerpt(body));
                            let resume = find_ignore_case(body, b"content-length");
                            if let Some(at) = resume {
                                self.buf.drain(..body_start + at);
                                return Ok(Some(Item::Error { id, code, reason }));
                            }
                            Item::Error { id, code, reason }
                        }
                    };
                    self.buf.drain(..body_start + length);
                    // after a huge message, give its room back (kept, it would stay unused)
                    if self.buf.capacity() > 4 << 20 && self.buf.len() < 1 << 20 {
                        self.buf.shrink_to(1 << 20);
                    }
                    return Ok(Some(item));
                }
                if !self.fill(input).await? {
                    let junk = std::mem::take(&mut self.buf);
                    return Ok(Some(bad(format!(
                        "the input ends {} bytes into a {length}-byte body",
                        junk.len() - body_start
                    ))));
                }
            }
        }
    }

    /// Drops the next `n` bytes of input without keeping them, or until the next header shows up
    /// (a header line cannot occur inside JSON, so one means the length was wrong).
    async fn skip<R: AsyncRead + Unpin>(&mut self, input: &mut R, mut n: usize) -> io::Result<()> {
        loop {
            if let Some(next) = find_header(&self.buf, 0).filter(|&next| next < n) {
                self.buf.drain(..next);
                return Ok(());
            }
            // keep a tail that may be the start of a header cut by the read
            let take = n.min(self.buf.len().saturating_sub(64));
            self.buf.drain(..take);
            n -= take;
            if n == 0 {
                return Ok(());
            }
            if !self.fill(input).await? {
                let take = n.min(self.buf.len());
                self.buf.drain(..take);
                return Ok(());
            }
        }
    }
}

/// The first position of `needle` in `haystack`, ignoring ASCII case.
fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether bytes are more than blanks and line breaks (stray line breaks between messages are
/// dropped silently).
fn non_blank(bytes: &[u8]) -> bool {
    bytes.iter().any(|b| !b.is_ascii_whitespace())
}

/// Where the header block holding the `Content-Length` line at `at` starts: earlier lines of the
/// form `Name: value CR LF` (such as `Content-Type`) belong to it.
fn header_block_start(buf: &[u8], at: usize) -> usize {
    let mut start = at;
    while start >= 2 && &buf[start - 2..start] == b"\r\n" {
        let line_start = buf[..start - 2]
            .windows(2)
            .rposition(|w| w == b"\r\n")
            .map_or(0, |i| i + 2);
        let line = &buf[line_start..start - 2];
        let is_header = line.iter().position(|&b| b == b':').is_some_and(|colon| {
            colon > 0
                && line[..colon]
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        });
        if !is_header {
            break;
        }
        start = line_start;
    }
    start
}

/// Whether every line of a complete header block is a `Name: value` header.
fn well_formed_block(block: &[u8]) -> bool {
    let Some(lines) = block.strip_suffix(b"\r\n\r\n") else {
        return false;
    };
    lines.split(|&b| b == b'\n').all(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        line.iter().position(|&b| b == b':').is_some_and(|colon| {
            colon > 0
                && line[..colon]
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        })
    })
}

/// The `Content-Length` of a complete header block (ending in the empty line); `None` when a line
/// is not a header or the length is missing, repeated with different values, or not a number.
fn content_length(block: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(block).ok()?;
    let mut length = None;
    for line in text.strip_suffix("\r\n\r\n")?.split("\r\n") {
        let (name, value) = line.split_once(':')?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim();
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // too large for usize: refused as too large, like any length above the limit
            let value: usize = value.parse().unwrap_or(usize::MAX);
            if length.is_some_and(|l| l != value) {
                return None;
            }
            length = Some(value);
        }
    }
    length
}

/// Writes whole frames to `out`: those the server writes to `server` and what waits in `queue`.
/// Returns when the server's side is closed and everything it wrote was sent. When `out` fails
/// (the client went away), what the server writes is read and dropped, so the server never
/// blocks on a full pipe, and the first error is returned at the end.
///
/// Only what is ready is taken from the queue each round, and nothing is serialized before it
/// is written: while a write to a slow client waits, newer diagnostics replace the waiting ones.
pub async fn pump_output<R, W>(mut server: R, queue: Queue, out: W) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut out = Output { out, failed: None };
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        // send every complete frame the server has written
        while let Some(end) = complete_frame(&buf) {
            out.write(&buf[..end]).await;
            buf.drain(..end);
        }
        // then what waited in the queue when this round started (newer entries wait a round,
        // so the server's responses are not starved by a stream of diagnostics)
        for _ in 0..queue.len() {
            let Some(frame) = queue.pop() else { break };
            out.write(&frame).await;
        }
        out.flush().await;
        if !queue.is_empty() {
            // more came while writing: look at the server's side without waiting, then go on
            tokio::select! {
                biased;
                read = server.read(&mut chunk) => {
                    if !take(read?, &chunk, &mut buf, &mut out, &queue).await {
                        return out.failed.map_or(Ok(()), Err);
                    }
                }
                () = std::future::ready(()) => {}
            }
            continue;
        }
        tokio::select! {
            read = server.read(&mut chunk) => {
                if !take(read?, &chunk, &mut buf, &mut out, &queue).await {
                    return out.failed.map_or(Ok(()), Err);
                }
            }
            () = queue.ready() => {}
        }
    }
}

/// Keeps the `n` bytes the server wrote into `chunk`; at the end of the server's side (`n == 0`)
/// sends what is left and returns `false`.
async fn take<W: AsyncWrite + Unpin>(
    n: usize,
    chunk: &[u8],
    buf: &mut Vec<u8>,
    out: &mut Output<W>,
    queue: &Queue,
) -> bool {
    if n > 0 {
        buf.extend_from_slice(&chunk[..n]);
        return true;
    }
    // the server loop has ended: send what is left
    out.write(buf).await;
    while let Some(frame) = queue.pop() {
        out.write(&frame).await;
    }
    out.flush().await;
    false
}

/// The client's side: after the first failed write, later writes are dropped.
struct Output<W> {
    out: W,
    failed: Option<io::Error>,
}

impl<W: AsyncWrite + Unpin> Output<W> {
    async fn write(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            if let Err(e) = self.out.write_all(bytes).await {
                self.failed = Some(e);
            }
        }
    }

    async fn flush(&mut self) {
        if self.failed.is_none() {
            if let Err(e) = self.out.flush().await {
                self.failed = Some(e);
            }
        }
    }
}

/// The length of the complete frame at the start of `buf`, if it is all there.
fn complete_frame(buf: &[u8]) -> Option<usize> {
    let body_start = header_end(buf, 0)?;
    let length = content_length(&buf[..body_start])?;
    let end = body_start.checked_add(length)?;
    (buf.len() >= end).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the input pump over `input`; returns (bytes handed to the server, error responses).
    fn pump(input: &[u8]) -> (Vec<u8>, Vec<Value>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        runtime.block_on(async {
            let (server_side, pump_side) = tokio::io::duplex(1 << 20);
            let queue = Queue::default();
            pump_input(input, pump_side, queue.clone()).await;
            let mut forwarded = Vec::new();
            let mut server_side = server_side;
            server_side
                .read_to_end(&mut forwarded)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let mut errors = Vec::new();
            while let Some(e) = queue.pop() {
                let start = header_end(&e, 0).unwrap_or(0);
                errors.push(serde_json::from_slice(&e[start..]).unwrap_or(Value::Null));
            }
            (forwarded, errors)
        })
    }

    const PING: &[u8] = br#"{"jsonrpc":"2.0","id":7,"method":"x"}"#;

    fn codes(errors: &[Value]) -> Vec<i64> {
        errors
            .iter()
            .map(|e| e["error"]["code"].as_i64().unwrap_or(0))
            .collect()
    }

    #[test]
    fn good_messages_pass_re_framed() {
        let mut input = format!(
            "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: {}\r\nX-Other: 1\r\n\r\n",
            PING.len()
        )
        .into_bytes();
        input.extend_from_slice(PING);
        input.extend_from_slice(&frame(PING));
        let (forwarded, errors) = pump(&input);
        assert_eq!(errors, Vec::<Value>::new());
        assert_eq!(forwarded, [frame(PING), frame(PING)].concat());
    }

    #[test]
    fn bad_bodies_get_errors_and_the_next_message_passes() {
        let cases: &[(&[u8], i64, Value)] = &[
            (
                b"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":",
                PARSE_ERROR,
                Value::Null,
            ),
            (b"[1,2,3]", INVALID_REQUEST, Value::Null),
            (br#"{"id":8,"method":"x"}"#, INVALID_REQUEST, json!(8)),
            (
                br#"{"jsonrpc":"2.0","id":"a","method":5}"#,
                INVALID_REQUEST,
                json!("a"),
            ),
            (
                b"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\"}",
                PARSE_ERROR,
                Value::Null,
            ),
            (b"", PARSE_ERROR, Value::Null),
        ];
        for (body, code, id) in cases {
            let input = [frame(body), frame(PING)].concat();
            let (forwarded, errors) = pump(&input);
            assert_eq!(
                codes(&errors),
                [*code],
                "{:?}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(errors[0]["id"], *id);
            assert_eq!(
                forwarded,
                frame(PING),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn wrong_lengths_and_garbage_resynchronise() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "too short",
                [b"Content-Length: 5\r\n\r\n".as_slice(), PING, &frame(PING)].concat(),
            ),
            (
                "too long",
                [
                    b"Content-Length: 500\r\n\r\n".as_slice(),
                    PING,
                    &frame(PING),
                ]
                .concat(),
            ),
            (
                "garbage header",
                [b"Garbage\r\n\r\n".as_slice(), &frame(PING)].concat(),
            ),
            (
                "not a number",
                [b"Content-Length: abc\r\n\r\n{}".as_slice(), &frame(PING)].concat(),
            ),
            ("junk before", [b"hello".as_slice(), &frame(PING)].concat()),
            (
                "no header end",
                [b"Content-Length: 12\r\n{}".as_slice(), &frame(PING)].concat(),
            ),
            (
                "duplicate lengths",
                [
                    b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}".as_slice(),
                    &frame(PING),
                ]
                .concat(),
            ),
        ];
        for (name, input) in cases {
            let (forwarded, errors) = pump(&input);
            assert!(!errors.is_empty(), "{name}: no error");
            assert!(
                codes(&errors).iter().all(|&c| c == PARSE_ERROR),
                "{name}: {errors:?}"
            );
            assert_eq!(forwarded, frame(PING), "{name}");
        }
        // the same `Content-Length` twice is one length
        let (forwarded, errors) = pump(
            &[
                format!(
                    "Content-Length: {0}\r\nContent-Length: {0}\r\n\r\n",
                    PING.len()
                )
                .into_bytes(),
                PING.to_vec(),
            ]
            .concat(),
        );
        assert_eq!((forwarded, errors), (frame(PING), vec![]));
        // blank lines between messages are not worth an error
        let (forwarded, errors) = pump(&[frame(PING), b"\r\n\n".to_vec(), frame(PING)].concat());
        assert_eq!(
            (forwarded, errors),
            ([frame(PING), frame(PING)].concat(), vec![])
        );
    }

    #[test]
    fn lone_surrogate_escapes_become_replacement_characters() {
        let repaired = |body: &str| {
            repair_lone_surrogates(body.as_bytes())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        assert_eq!(
            repaired(r#"{"t":"a\udc80b\ud800"}"#).as_deref(),
            Some(r#"{"t":"a\ufffdb\ufffd"}"#)
        );
        // pairs, other escapes and an escaped backslash before `u` stay
        for body in [r#"{"t":"\ud83d\ude00"}"#, r#"{"t":"\\udc80 \n \u0041"}"#] {
            assert_eq!(repaired(body), None, "{body}");
        }
        // the message is then handed on
        let body = br#"{"jsonrpc":"2.0","id":7,"method":"x","params":{"t":"\udc80"}}"#;
        let (forwarded, errors) = pump(&frame(body));
        assert_eq!(errors, Vec::<Value>::new());
        assert_eq!(
            forwarded,
            frame(br#"{"jsonrpc":"2.0","id":7,"method":"x","params":{"t":"\ufffd"}}"#)
        );
    }

    #[test]
    fn unknown_dollar_requests_are_method_not_found() {
        let request = br#"{"jsonrpc":"2.0","id":4,"method":"$/unknown"}"#;
        let notification = br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#;
        let (forwarded, errors) = pump(&[frame(request), frame(notification)].concat());
        assert_eq!(codes(&errors), [METHOD_NOT_FOUND]);
        assert_eq!(errors[0]["id"], 4);
        assert_eq!(forwarded, frame(notification));
    }

    #[test]
    fn huge_lengths_are_skipped_without_buffering() {
        let input = [
            format!("Content-Length: {}\r\n\r\n", MAX_MESSAGE_BYTES + 1).into_bytes(),
            b"{}".to_vec(),
        ]
        .concat();
        let (forwarded, errors) = pump(&input);
        assert_eq!(codes(&errors), [PARSE_ERROR]);
        assert!(forwarded.is_empty());
        // the next message, inside the promised body, is found
        let input = [
            b"Content-Length: 99999999999999999999999999\r\n\r\n{}".to_vec(),
            frame(PING),
        ]
        .concat();
        let (forwarded, errors) = pump(&input);
        assert_eq!(codes(&errors), [PARSE_ERROR]);
        assert_eq!(forwarded, frame(PING));
    }

    #[test]
    fn the_end_of_the_input_inside_a_message_is_reported() {
        for input in [
            &b"Content-Length: 10\r\n\r\n{"[..],
            b"Content-Length: 10\r\n",
        ] {
            let (forwarded, errors) = pump(input);
            assert_eq!(codes(&errors), [PARSE_ERROR]);
            assert!(forwarded.is_empty());
        }
        let (forwarded, errors) = pump(b"");
        assert!(forwarded.is_empty() && errors.is_empty());
    }

    /// A writer that always fails, like a closed stdout.
    struct Broken;

    impl AsyncWrite for Broken {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &[u8],
        ) -> std::task::Poll<io::Result<usize>> {
            std::task::Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[test]
    fn a_closed_output_never_blocks_the_server() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let result = runtime.block_on(async {
            // far more than the pipe holds
            let (mut server, pump_side) = tokio::io::duplex(1024);
            let rx = Queue::default();
            let writer = async move {
                for _ in 0..1000 {
                    server
                        .write_all(&frame(PING))
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            };
            let (result, ()) = tokio::join!(pump_output(pump_side, rx, Broken), writer);
            result
        });
        assert_eq!(result.map_err(|e| e.kind()), Err(io::ErrorKind::BrokenPipe));
    }

    #[test]
    fn output_frames_are_whole() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let out = runtime.block_on(async {
            let (mut server, pump_side) = tokio::io::duplex(1 << 20);
            let rx = Queue::default();
            let message = frame(PING);
            // half a frame, then an error response, then the rest
            server
                .write_all(&message[..10])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            rx.push_frame(error_response(&Value::Null, PARSE_ERROR, "x"))
                .await;
            let mut out = Vec::new();
            let writer = async {
                tokio::task::yield_now().await;
                server
                    .write_all(&message[10..])
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                drop(server);
            };
            let (result, ()) = tokio::join!(pump_output(pump_side, rx, &mut out), writer);
            result.unwrap_or_else(|e| panic!("{e}"));
            out
        });
        let error = error_response(&Value::Null, PARSE_ERROR, "x");
        let ping = frame(PING);
        assert!(
            out == [error.clone(), ping.clone()].concat() || out == [ping, error].concat(),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
    }
}

//! The ordered queue of everything the server sends on its own.
//!
//! Handlers push diagnostics and messages synchronously (no `.await`, so no reordering between
//! concurrent handlers) into a [`Queue`] that the output pump (`transport.rs`) empties as fast
//! as the client reads. Until a document's diagnostics are written, a newer set replaces them in
//! place: only the newest set per document ever waits, so a slow client gets the newest
//! diagnostics next, and one that never reads cannot grow the queue. Whole frames written beside
//! the router (document symbols, the input pump's error responses) wait in the same queue within
//! a byte budget; past it their producers wait, which stops the reading of further requests.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tower_lsp_server::ls_types::{Diagnostic, MessageType, ShowMessageParams, Uri};
use tower_lsp_server::Client;

/// One notification for the client.
#[derive(Debug)]
pub enum Outgoing {
    /// `textDocument/publishDiagnostics`.
    Diagnostics {
        uri: Uri,
        version: Option<i32>,
        diagnostics: Vec<Diagnostic>,
    },
    /// `window/showMessage`.
    Message { kind: MessageType, text: String },
}

/// The bytes of whole frames (responses written beside the router, error responses of the input
/// pump) that may wait for the output at once; past it, their producers wait (and with them the
/// reading of requests), so a client that does not read cannot grow the server.
pub const FRAME_BUDGET_BYTES: usize = 16 << 20;

/// At most this many `window/showMessage` wait; later ones are dropped (and logged).
const MAX_WAITING_MESSAGES: usize = 64;

/// What the output writes besides the server loop's responses: the server's notifications and
/// whole frames, in push order, bounded. A document's diagnostics that have not been written yet
/// are replaced in place by a newer set (each set replaces the previous one anyway), so however
/// slowly the client reads, at most one set per document waits, and the newest is written next.
#[derive(Debug, Clone, Default)]
pub struct Queue {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
    /// Woken on every push.
    ready: Notify,
    /// Bytes of frames that may wait ([`FRAME_BUDGET_BYTES`]).
    budget: Arc<Semaphore>,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            ready: Notify::new(),
            budget: Arc::new(Semaphore::new(FRAME_BUDGET_BYTES)),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    entries: VecDeque<Entry>,
    /// The sequence number of `entries[0]`.
    first: u64,
    /// The sequence number of each document's waiting diagnostics.
    diagnostics: HashMap<Uri, u64>,
    messages: usize,
}

#[derive(Debug)]
enum Entry {
    Notification(Outgoing),
    /// A frame, holding its share of the budget until written.
    Frame(Vec<u8>, Option<OwnedSemaphorePermit>),
}

impl Queue {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a notification; never blocks. Diagnostics replace the document's waiting ones.
    pub fn push(&self, item: Outgoing) {
        {
            let mut state = self.state();
            let state = &mut *state;
            match &item {
                Outgoing::Diagnostics { uri, .. } => {
                    if let Some(&seq) = state.diagnostics.get(uri) {
                        if let Some(Ok(at)) = seq.checked_sub(state.first).map(usize::try_from) {
                            if let Some(entry) = state.entries.get_mut(at) {
                                *entry = Entry::Notification(item);
                                return;
                            }
                        }
                    }
                    let seq = state.first + state.entries.len() as u64;
                    state.diagnostics.insert(uri.clone(), seq);
                }
                Outgoing::Message { text, .. } => {
                    if state.messages >= MAX_WAITING_MESSAGES {
                        super::log(format_args!(
                            "the client is not reading; dropped a message: {text}"
                        ));
                        return;
                    }
                    state.messages += 1;
                }
            }
            state.entries.push_back(Entry::Notification(item));
        }
        self.inner.ready.notify_one();
    }

    /// Queues a whole frame, first waiting while [`FRAME_BUDGET_BYTES`] of frames wait already
    /// (a larger frame waits until the queue holds no other frame).
    pub async fn push_frame(&self, frame: Vec<u8>) {
        let share = u32::try_from(frame.len().clamp(1, FRAME_BUDGET_BYTES)).unwrap_or(u32::MAX);
        let permit = Arc::clone(&self.inner.budget)
            .acquire_many_owned(share)
            .await
            .ok();
        self.state().entries.push_back(Entry::Frame(frame, permit));
        self.inner.ready.notify_one();
    }

    /// How many entries wait.
    pub fn len(&self) -> usize {
        self.state().entries.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next frame to write, if any (notifications are serialized here, one at a time).
    pub fn pop(&self) -> Option<Vec<u8>> {
        loop {
            let entry = {
                let mut state = self.state();
                let entry = state.entries.pop_front()?;
                let seq = state.first;
                state.first += 1;
                match &entry {
                    Entry::Notification(Outgoing::Diagnostics { uri, .. }) => {
                        if state.diagnostics.get(uri) == Some(&seq) {
                            state.diagnostics.remove(uri);
                        }
                    }
                    Entry::Notification(Outgoing::Message { .. }) => state.messages -= 1,
                    Entry::Frame(..) => {}
                }
                entry
            };
            // the budget is given back once the frame has left the queue
            let bytes = match entry {
                Entry::Frame(bytes, _permit) => Some(bytes),
                Entry::Notification(item) => frame(item),
            };
            if bytes.is_some() {
                return bytes;
            }
        }
    }

    /// Waits until something was pushed since the last call (returns at once if so).
    pub async fn ready(&self) {
        self.inner.ready.notified().await;
    }
}

/// The sending end of the queue.
#[derive(Debug, Clone)]
pub struct Outbox {
    sink: OutboxSink,
}

/// Where the queue goes: the output's [`Queue`] (each message serialized once, from our types to
/// bytes, when it is written), or, without such an output, `client`'s notifications (which first
/// turn every message into a `serde_json::Value` tree).
#[derive(Debug, Clone)]
enum OutboxSink {
    Queue(Queue),
    Client(UnboundedSender<Outgoing>),
}

impl Outbox {
    /// An outbox writing to `queue` when given; else a task sending through `client` (started on
    /// the current tokio runtime).
    pub fn spawn(client: Client, queue: Option<Queue>) -> Self {
        if let Some(queue) = queue {
            return Self {
                sink: OutboxSink::Queue(queue),
            };
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
        tokio::spawn(async move {
            let mut batch = Vec::new();
            while let Some(first) = rx.recv().await {
                batch.push(first);
                while let Ok(next) = rx.try_recv() {
                    batch.push(next);
                }
                for item in coalesce(std::mem::take(&mut batch)) {
                    send(&client, item).await;
                }
            }
        });
        Self {
            sink: OutboxSink::Client(tx),
        }
    }

    /// Queues `item`; never blocks. Lost only when the server is going away.
    pub fn push(&self, item: Outgoing) {
        match &self.sink {
            OutboxSink::Queue(queue) => queue.push(item),
            OutboxSink::Client(tx) => {
                if tx.send(item).is_err() {
                    super::log("the outgoing queue is closed; dropped a notification");
                }
            }
        }
    }
}

async fn send(client: &Client, item: Outgoing) {
    match item {
        Outgoing::Diagnostics {
            uri,
            version,
            diagnostics,
        } => client.publish_diagnostics(uri, diagnostics, version).await,
        Outgoing::Message { kind, text } => client.show_message(kind, text).await,
    }
}

/// A JSON-RPC notification, as `tower-lsp-server` would write it.
#[derive(Serialize)]
struct Notification<P> {
    jsonrpc: &'static str,
    method: &'static str,
    params: P,
}

/// The framed JSON-RPC notification of `item`.
fn frame(item: Outgoing) -> Option<Vec<u8>> {
    let body = match item {
        Outgoing::Diagnostics {
            uri,
            version,
            diagnostics,
        } => {
            let mut body = Vec::new();
            super::json::publish_diagnostics(&uri, version, &diagnostics, &mut body);
            Ok(body)
        }
        Outgoing::Message { kind, text } => serde_json::to_vec(&Notification {
            jsonrpc: "2.0",
            method: "window/showMessage",
            params: ShowMessageParams {
                typ: kind,
                message: text,
            },
        }),
    };
    match body {
        Ok(body) => Some(super::transport::frame(&body)),
        Err(e) => {
            super::log(format_args!("cannot serialize a notification: {e}"));
            None
        }
    }
}

/// Drops every diagnostics set that a later set for the same document replaces; keeps the order
/// of what remains.
fn coalesce(batch: Vec<Outgoing>) -> Vec<Outgoing> {
    let mut kept: Vec<Outgoing> = Vec::with_capacity(batch.len());
    for item in batch {
        if let Outgoing::Diagnostics { uri, .. } = &item {
            kept.retain(|old| !matches!(old, Outgoing::Diagnostics { uri: u, .. } if u == uri));
        }
        kept.push(item);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::{coalesce, Outgoing, Queue};
    use tower_lsp_server::ls_types::{MessageType, Uri};

    fn diags(uri: &str, version: i32) -> Outgoing {
        Outgoing::Diagnostics {
            uri: uri.parse::<Uri>().unwrap_or_else(|e| panic!("{uri}: {e}")),
            version: Some(version),
            diagnostics: Vec::new(),
        }
    }

    fn summary(items: &[Outgoing]) -> Vec<String> {
        items
            .iter()
            .map(|item| match item {
                Outgoing::Diagnostics { uri, version, .. } => {
                    format!("{}@{}", uri.as_str(), version.unwrap_or(-1))
                }
                Outgoing::Message { text, .. } => text.clone(),
            })
            .collect()
    }

    #[test]
    fn keeps_only_the_newest_diagnostics_per_document() {
        let batch = vec![
            diags("file:///a", 1),
            diags("file:///b", 1),
            Outgoing::Message {
                kind: MessageType::ERROR,
                text: "m".into(),
            },
            diags("file:///a", 2),
        ];
        assert_eq!(
            summary(&coalesce(batch)),
            ["file:///b@1", "m", "file:///a@2"]
        );
    }

    /// The uri and version of a popped publishDiagnostics frame, or the message text.
    fn popped(queue: &Queue) -> Option<String> {
        let frame = queue.pop()?;
        let text = String::from_utf8_lossy(&frame).into_owned();
        let body: serde_json::Value =
            serde_json::from_str(text.split_once("\r\n\r\n").map_or("", |(_, b)| b))
                .unwrap_or_default();
        let params = &body["params"];
        Some(match params["uri"].as_str() {
            Some(uri) => format!("{uri}@{}", params["version"]),
            None => params["message"].as_str().unwrap_or("?").to_string(),
        })
    }

    #[test]
    fn the_queue_holds_only_the_newest_diagnostics_of_each_document_in_place() {
        let queue = Queue::default();
        queue.push(diags("file:///a", 1));
        queue.push(diags("file:///b", 1));
        queue.push(Outgoing::Message {
            kind: MessageType::ERROR,
            text: "m".into(),
        });
        for version in 2..1000 {
            queue.push(diags("file:///a", version));
        }
        assert_eq!(queue.len(), 3);
        assert_eq!(popped(&queue).as_deref(), Some("file:///a@999"));
        // once written, a newer set waits again, behind what was queued before it
        queue.push(diags("file:///a", 1000));
        assert_eq!(popped(&queue).as_deref(), Some("file:///b@1"));
        assert_eq!(popped(&queue).as_deref(), Some("m"));
        assert_eq!(popped(&queue).as_deref(), Some("file:///a@1000"));
        assert_eq!(popped(&queue), None);
    }

    #[test]
    fn waiting_messages_are_bounded() {
        let queue = Queue::default();
        for i in 0..10_000 {
            queue.push(Outgoing::Message {
                kind: MessageType::WARNING,
                text: format!("m{i}"),
            });
        }
        assert_eq!(queue.len(), super::MAX_WAITING_MESSAGES);
    }
}

//! The ordered queue of everything the server sends on its own.
//!
//! Handlers push diagnostics and messages synchronously (no `.await`, so no reordering between
//! concurrent handlers); one task sends them to the client in push order. When the client reads
//! slower than we analyse, queued diagnostics for the same document are coalesced: only the
//! newest set is sent, since each set replaces the previous one anyway.

use serde::Serialize;
use tokio::sync::mpsc::{self, UnboundedSender};
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

/// The sending end of the queue.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: UnboundedSender<Outgoing>,
}

/// Where the queue goes: whole frames written straight to the output (each message serialized
/// once, from our types to bytes), or, without such an output, `client`'s notifications (which
/// first turn every message into a `serde_json::Value` tree).
enum Sink {
    Frames(UnboundedSender<Vec<u8>>),
    Client(Client),
}

impl Outbox {
    /// Starts the sending task on the current tokio runtime; it writes to `frames` when given,
    /// else through `client`.
    pub fn spawn(client: Client, frames: Option<UnboundedSender<Vec<u8>>>) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
        let sink = match frames {
            Some(frames) => Sink::Frames(frames),
            None => Sink::Client(client),
        };
        tokio::spawn(async move {
            let mut batch = Vec::new();
            while let Some(first) = rx.recv().await {
                batch.push(first);
                while let Ok(next) = rx.try_recv() {
                    batch.push(next);
                }
                for item in coalesce(std::mem::take(&mut batch)) {
                    match &sink {
                        Sink::Frames(frames) => {
                            if let Some(frame) = frame(item) {
                                if frames.send(frame).is_err() {
                                    super::log("the output is closed; dropped a notification");
                                }
                            }
                        }
                        Sink::Client(client) => send(client, item).await,
                    }
                }
            }
        });
        Self { tx }
    }

    /// Queues `item`; never blocks. Lost only when the server is going away.
    pub fn push(&self, item: Outgoing) {
        if self.tx.send(item).is_err() {
            super::log("the outgoing queue is closed; dropped a notification");
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
    use super::{coalesce, Outgoing};
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
}

//! Requests answered beside `tower-lsp-server`'s router, their responses serialized straight into
//! frames.
//!
//! `tower-lsp-server` turns every response into a `serde_json::Value` tree before encoding it
//! (an `IndexMap` per object: the `preserve_order` feature the CLI's JSON needs is crate-wide).
//! For `textDocument/documentSymbol` on a large file that tree is most of the request's time and
//! the server's peak memory: tens of thousands of maps for a response the client reads once.
//! [`Direct`] is a `tower::Service` around [`LspService`] that answers that request itself, from
//! the same documents as the [`Backend`], and writes the response frame to the output the
//! notifications take. Every other message, and this one whenever it is not plainly answerable
//! (before `initialize` has succeeded, after `shutdown`, with parameters that do not parse), goes
//! to the `LspService`, which gives the standard answers and errors.
//!
//! Ordering: `tower-lsp-server` calls the service for each message in the order received and
//! runs the futures in that order; the answer is computed when its future first runs, so it sees
//! every edit sent before it, as a handler would.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use serde::Deserialize;

use tower::Service;
use tower_lsp_server::jsonrpc::{Id, Request, Response};
use tower_lsp_server::ls_types::DocumentSymbolParams;
use tower_lsp_server::{ExitedError, LspService};

use super::outbox::Queue;
use super::server::{guarded, not_open, Backend, Shared};
use super::symbols;

type Answer = Result<Option<Response>, ExitedError>;
type BoxedAnswer = Pin<Box<dyn Future<Output = Answer> + Send>>;

/// Where the server is in the LSP lifecycle, as far as the fast paths care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before a successful `initialize` (requests get `ServerNotInitialized` from the router).
    Starting,
    /// An `initialize` is being answered: another one is refused (the router would answer it
    /// too, and the session would switch to its position encoding).
    Initializing,
    Running,
    /// After `shutdown` (requests get `InvalidRequest` from the router).
    Stopping,
}

/// The service the server loop runs: `LspService` with some requests answered directly.
pub struct Direct {
    inner: LspService<Backend>,
    shared: Arc<Shared>,
    frames: Queue,
    /// Shared with the future of a pending `initialize`, which sets it to `Running`.
    phase: Arc<std::sync::Mutex<Phase>>,
}

impl Direct {
    /// Wraps `inner`; direct answers are written, as whole frames, to `frames`.
    pub fn new(inner: LspService<Backend>, frames: Queue) -> Self {
        Self {
            shared: inner.inner().shared(),
            inner,
            frames,
            phase: Arc::new(std::sync::Mutex::new(Phase::Starting)),
        }
    }

    fn phase(&self) -> Phase {
        *self
            .phase
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Service<Request> for Direct {
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = BoxedAnswer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ExitedError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> BoxedAnswer {
        match (request.method(), self.phase()) {
            ("initialize", Phase::Starting) => {
                // the router's rule: running once an `initialize` answered without an error
                *self
                    .phase
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Phase::Initializing;
                let phase = Arc::clone(&self.phase);
                let answer = self.inner.call(request);
                Box::pin(async move {
                    let answer = answer.await;
                    let next = if matches!(&answer, Ok(Some(response)) if response.is_ok()) {
                        Phase::Running
                    } else {
                        Phase::Starting
                    };
                    *phase
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = next;
                    answer
                })
            }
            ("initialize", Phase::Initializing) => {
                let id = request.id().cloned();
                Box::pin(async move {
                    // a notification gets no answer
                    Ok(id.map(|id| {
                        Response::from_error(
                            id,
                            tower_lsp_server::jsonrpc::Error {
                                code: tower_lsp_server::jsonrpc::ErrorCode::InvalidRequest,
                                message: "initialize was already sent; only the first one counts"
                                    .into(),
                                data: None,
                            },
                        )
                    }))
                })
            }
            ("shutdown", Phase::Running) => {
                *self
                    .phase
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Phase::Stopping;
                self.inner.call(request)
            }
            // clients without nested symbols get them flat from the router
            ("textDocument/documentSymbol", Phase::Running)
                if self.shared.hierarchical_symbols() =>
            {
                let parsed = request.id().cloned().zip(
                    request
                        .params()
                        .and_then(|params| DocumentSymbolParams::deserialize(params).ok()),
                );
                match parsed {
                    Some((id, params)) => {
                        let (shared, frames) = (Arc::clone(&self.shared), self.frames.clone());
                        Box::pin(async move {
                            Ok(document_symbols(&shared, &frames, id, &params).await)
                        })
                    }
                    None => self.inner.call(request),
                }
            }
            _ => self.inner.call(request),
        }
    }
}

/// Answers `textDocument/documentSymbol`: the response frame goes to `frames` (and `None` to the
/// server loop), waiting while the output is behind; an error is returned as a response for the
/// loop to write.
async fn document_symbols(
    shared: &Shared,
    frames: &Queue,
    id: Id,
    params: &DocumentSymbolParams,
) -> Option<Response> {
    let framed = guarded("documentSymbol", || {
        let enc = shared.encoding();
        let uri = &params.text_document.uri;
        let documents = shared.documents();
        let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
        let outline = symbols::outline(doc, enc);
        Ok(response_frame(&id, |out| {
            symbols::write_json(&outline, out)
        }))
    });
    match framed {
        Ok(frame) => {
            frames.push_frame(frame).await;
            None
        }
        Err(error) => Some(Response::from_error(id, error)),
    }
}

/// The framed JSON-RPC response whose result `write_result` writes (as JSON).
fn response_frame(id: &Id, write_result: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut body = br#"{"jsonrpc":"2.0","result":"#.to_vec();
    write_result(&mut body);
    body.extend_from_slice(br#","id":"#);
    // an `Id` is a number, a string or null: it always serializes, and a `Vec` takes it
    let _ = serde_json::to_writer(&mut body, id);
    body.push(b'}');
    super::transport::frame(&body)
}

#[cfg(test)]
mod tests {
    use super::response_frame;
    use tower_lsp_server::jsonrpc::{Id, Response};

    /// The response in a frame, after checking its header.
    fn unframe(frame: &[u8]) -> Response {
        let text = std::str::from_utf8(frame).unwrap_or_default();
        let (header, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert_eq!(header, format!("Content-Length: {}", body.len()));
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{body}: {e}"))
    }

    #[test]
    fn a_response_frame_is_what_the_router_would_send() {
        let result = serde_json::json!([{"name": "FROM x", "kind": 2}]);
        let write = |out: &mut Vec<u8>| out.extend_from_slice(result.to_string().as_bytes());
        let frame = response_frame(&Id::Number(7), write);
        assert_eq!(
            unframe(&frame),
            Response::from_ok(Id::Number(7), result.clone())
        );
        let id = Id::String("a\"b".into());
        let frame = response_frame(&id, |out| out.extend_from_slice(b"[]"));
        assert_eq!(
            unframe(&frame),
            Response::from_ok(id, serde_json::json!([]))
        );
    }
}

//! `textDocument/prepareRename` and `textDocument/rename` for stage and variable names: the
//! edits of [`crate::ide::rename`] as a `WorkspaceEdit`, or its reason for refusing as the error
//! message the editor shows.

use std::collections::HashMap;

use tower_lsp_server::jsonrpc::{Error, ErrorCode};
use tower_lsp_server::ls_types::{self as ls, PrepareRenameResponse, TextEdit, Uri, WorkspaceEdit};

use super::convert;
use super::document::Document;
use crate::ide::rename;
use crate::text::Encoding;

/// LSP's `RequestFailed`: the request was valid but could not be carried out.
const REQUEST_FAILED: i64 = -32803;

/// The range of the name at `position` with the name as placeholder, or `None` when there is no
/// stage or declared variable there.
pub fn prepare(
    doc: &Document,
    position: ls::Position,
    enc: Encoding,
) -> Option<PrepareRenameResponse> {
    let offset = convert::offset(&doc.text, position, enc);
    let span = rename::prepare(doc.names(), offset)?;
    Some(PrepareRenameResponse::RangeWithPlaceholder {
        range: convert::range(&doc.text, span, enc),
        placeholder: span.of(doc.text.text()).to_string(),
    })
}

/// The edit renaming the name at `position` to `new_name`.
///
/// # Errors
/// `RequestFailed` with the reason when the rename is refused.
pub fn rename(
    uri: &Uri,
    doc: &Document,
    position: ls::Position,
    new_name: &str,
    enc: Encoding,
) -> Result<WorkspaceEdit, Error> {
    let offset = convert::offset(&doc.text, position, enc);
    let edits = rename::rename(doc.tree(), doc.names(), doc.text.text(), offset, new_name)
        .map_err(|reason| Error {
            code: ErrorCode::ServerError(REQUEST_FAILED),
            message: format!("layerwise: cannot rename: {reason}").into(),
            data: None,
        })?;
    let edits = edits
        .into_iter()
        .map(|(span, text)| TextEdit::new(convert::range(&doc.text, span, enc), text))
        .collect();
    Ok(WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    })
}

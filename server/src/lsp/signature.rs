//! `textDocument/signatureHelp`: the forms of the instruction under the cursor from
//! [`crate::ide::signature`], its active form and parameter.

use tower_lsp_server::ls_types::{
    self as ls, Documentation, MarkupContent, MarkupKind, ParameterInformation, ParameterLabel,
    SignatureHelp, SignatureInformation,
};

use super::convert;
use super::document::Document;
use crate::ide::signature;
use crate::text::Encoding;

/// The characters after which clients ask for signature help.
pub const TRIGGERS: [&str; 2] = [" ", "="];

/// The signature help at `position`.
pub fn signature_help(
    doc: &Document,
    position: ls::Position,
    enc: Encoding,
) -> Option<SignatureHelp> {
    let offset = convert::offset(&doc.text, position, enc);
    let help = signature::help(doc.tree(), doc.text.text(), offset)?;
    let signatures = help
        .signatures
        .into_iter()
        .map(|s| SignatureInformation {
            parameters: Some(
                s.parameters
                    .iter()
                    .map(|&(start, end)| ParameterInformation {
                        // labels are ASCII: byte offsets are UTF-16 offsets
                        label: ParameterLabel::LabelOffsets([
                            u32::try_from(start).unwrap_or(0),
                            u32::try_from(end).unwrap_or(0),
                        ]),
                        documentation: None,
                    })
                    .collect(),
            ),
            label: s.label,
            documentation: Some(Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: help.summary.to_string(),
            })),
            active_parameter: None,
        })
        .collect();
    Some(SignatureHelp {
        signatures,
        active_signature: u32::try_from(help.active_signature).ok(),
        active_parameter: u32::try_from(help.active_parameter).ok(),
    })
}

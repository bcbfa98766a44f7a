//! `workspace/symbol`: the stages and the ARG/ENV names of every open Dockerfile whose name
//! matches the query. A name matches when the query's characters appear in it in order, case
//! ignored (what editors' symbol pickers expect: `bld` finds `build`); an empty query matches
//! everything. The answer is capped at [`LIMIT`] symbols, stages first in each document.

use std::collections::HashMap;

use tower_lsp_server::ls_types::{Location, SymbolInformation, SymbolKind, Uri};

use super::convert;
use super::document::Document;
use crate::syntax::instruction::Args;
use crate::syntax::Keyword;
use crate::text::Encoding;

/// The most symbols one answer holds.
pub const LIMIT: usize = 1000;

/// The symbols of the open `documents` matching `query`, documents in URI order.
pub fn search(
    documents: &HashMap<Uri, Document>,
    query: &str,
    enc: Encoding,
) -> Vec<SymbolInformation> {
    let mut uris: Vec<&Uri> = documents.keys().collect();
    uris.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    let mut out = Vec::new();
    for uri in uris {
        let doc = &documents[uri];
        let tree = doc.tree();
        let text = doc.text.text();
        let mut stage: Option<String> = None;
        for located in &tree.instructions {
            let mut found: Vec<(String, SymbolKind, crate::syntax::Span)> = Vec::new();
            match (&located.keyword, &located.args) {
                (Keyword::From, Args::From { image, alias }) => {
                    let (name, span) = match alias {
                        Some(alias) => (alias.value.clone(), located.abs(alias.span)),
                        None => (image.value.clone(), located.abs(image.span)),
                    };
                    found.push((name.clone(), SymbolKind::MODULE, span));
                    stage = Some(name);
                }
                (Keyword::Arg | Keyword::Env, Args::KeyValues(kvs)) => {
                    for kv in kvs {
                        let span = located.abs(kv.span);
                        let key = crate::syntax::Span::new(span.start, span.start + kv.key.len());
                        let span = if key.of(text) == kv.key { key } else { span };
                        found.push((kv.key.clone(), SymbolKind::VARIABLE, span));
                    }
                }
                _ => {}
            }
            for (name, kind, span) in found {
                if !matches(&name, query) {
                    continue;
                }
                let container = if kind == SymbolKind::MODULE {
                    None
                } else {
                    stage.clone()
                };
                #[allow(deprecated)]
                out.push(SymbolInformation {
                    name,
                    kind,
                    tags: None,
                    deprecated: None,
                    location: Location::new(uri.clone(), convert::range(&doc.text, span, enc)),
                    container_name: container,
                });
                if out.len() >= LIMIT {
                    return out;
                }
            }
        }
    }
    out
}

/// Whether the characters of `query` appear in `name` in order, case ignored.
fn matches(name: &str, query: &str) -> bool {
    let mut name = name.chars().flat_map(char::to_lowercase);
    query
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace())
        .all(|q| name.any(|c| c == q))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn queries_match_in_order_case_ignored() {
        assert!(matches("build", ""));
        assert!(matches("build", "bld"));
        assert!(matches("BUILD_DIR", "build dir"));
        assert!(!matches("build", "dlb"));
        assert!(!matches("app", "apps"));
    }
}

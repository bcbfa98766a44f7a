//! Document symbols: one per build stage, with one child per instruction of the stage.
//!
//! Instructions before the first `FROM` (global `ARG`s) are top-level symbols of their own.

use tower_lsp_server::ls_types::{DocumentSymbol, SymbolKind};

use super::convert;
use super::document::Document;
use crate::model::Model;
use crate::syntax::instruction::Args;
use crate::syntax::{Keyword, Located, Span};
use crate::text::Encoding;

/// How many characters of an instruction's arguments its symbol shows.
const DETAIL_CHARS: usize = 60;

/// The symbols of `doc` (empty when it is not analysed).
pub fn symbols(doc: &Document, enc: Encoding) -> Vec<DocumentSymbol> {
    let tree = &doc.tree;
    let model = Model::build(tree);
    let text = doc.text.text();
    let mut out: Vec<DocumentSymbol> = tree
        .instructions
        .iter()
        .enumerate()
        .filter(|&(i, _)| model.stage_of.get(i).copied().flatten().is_none())
        .map(|(_, located)| instruction_symbol(doc, located, enc))
        .collect();
    for stage in &model.stages {
        let Some(from) = tree.instructions.get(stage.from) else {
            continue;
        };
        let children: Vec<DocumentSymbol> = stage
            .body
            .clone()
            .filter_map(|i| tree.instructions.get(i))
            .map(|located| instruction_symbol(doc, located, enc))
            .collect();
        let last = stage
            .body
            .clone()
            .last()
            .and_then(|i| tree.instructions.get(i))
            .unwrap_or(from);
        let span = from.span().cover(last.span());
        #[allow(deprecated)]
        out.push(DocumentSymbol {
            name: stage_name(from, text),
            detail: Some(format!("stage {}", stage.index)),
            kind: SymbolKind::MODULE,
            tags: None,
            deprecated: None,
            range: convert::range(&doc.text, span, enc),
            selection_range: convert::range(&doc.text, from.keyword_span(), enc),
            children: Some(children),
        });
    }
    out.sort_by_key(|symbol| (symbol.range.start.line, symbol.range.start.character));
    out
}

/// `FROM image AS alias`, as written.
fn stage_name(from: &Located, text: &str) -> String {
    match &from.args {
        Args::From { image, alias } => {
            let image = from.abs(image.span).of(text);
            match alias {
                Some(alias) => format!("FROM {image} AS {}", from.abs(alias.span).of(text)),
                None => format!("FROM {image}"),
            }
        }
        _ => "FROM".to_string(),
    }
}

/// The symbol of one instruction: its keyword, and the start of its arguments as detail.
fn instruction_symbol(doc: &Document, located: &Located, enc: Encoding) -> DocumentSymbol {
    let name = match located.keyword {
        Keyword::Unknown if !located.keyword_text.is_empty() => located.keyword_text.clone(),
        keyword => keyword.name().to_string(),
    };
    let detail = detail(
        located.abs(located.args_span),
        doc.text.text(),
        doc.tree.split.escape,
    );
    #[allow(deprecated)]
    DocumentSymbol {
        name,
        detail: (!detail.is_empty()).then_some(detail),
        kind: kind(located.keyword),
        tags: None,
        deprecated: None,
        range: convert::range(&doc.text, located.span(), enc),
        selection_range: convert::range(&doc.text, located.keyword_span(), enc),
        children: None,
    }
}

/// The first [`DETAIL_CHARS`] characters of the arguments, on one line: line continuations
/// (`escape` at the end of a line) removed and runs of blanks collapsed.
fn detail(args: Span, text: &str, escape: char) -> String {
    let joined = args
        .of(text)
        .lines()
        .map(|line| {
            let line = line.trim();
            line.strip_suffix(escape).unwrap_or(line)
        })
        .collect::<Vec<_>>()
        .join(" ");
    let collapsed = joined.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed
        .chars()
        .take(DETAIL_CHARS)
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// A symbol kind that suggests what an instruction does.
fn kind(keyword: Keyword) -> SymbolKind {
    match keyword {
        Keyword::Run
        | Keyword::Cmd
        | Keyword::Entrypoint
        | Keyword::Healthcheck
        | Keyword::Shell => SymbolKind::FUNCTION,
        Keyword::Env | Keyword::Arg => SymbolKind::VARIABLE,
        Keyword::Label | Keyword::Maintainer => SymbolKind::PROPERTY,
        Keyword::Copy | Keyword::Add | Keyword::Volume | Keyword::Workdir => SymbolKind::FILE,
        Keyword::Expose => SymbolKind::NUMBER,
        _ => SymbolKind::KEY,
    }
}

#[cfg(test)]
mod tests {
    use super::detail;
    use crate::syntax::Span;

    #[test]
    fn details_are_one_short_line() {
        let text = "a  b \\\n   c";
        assert_eq!(detail(Span::new(0, text.len()), text, '\\'), "a b c");
        let text = "a `\r\n  b";
        assert_eq!(detail(Span::new(0, text.len()), text, '`'), "a b");
        let long = "x".repeat(100);
        assert_eq!(detail(Span::new(0, 100), &long, '\\').len(), 60);
    }
}

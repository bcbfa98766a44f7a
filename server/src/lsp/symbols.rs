//! Document symbols: one per build stage, with one child per instruction of the stage.
//!
//! Instructions before the first `FROM` (global `ARG`s) are top-level symbols of their own.

use tower_lsp_server::ls_types::{self as ls, DocumentSymbol, SymbolKind};

use super::convert;
use super::document::Document;
use crate::model::Model;
use crate::syntax::instruction::Args;
use crate::syntax::{Keyword, Located, Span};
use crate::text::Encoding;

/// How many characters of an instruction's arguments its symbol shows.
const DETAIL_CHARS: usize = 60;

/// A symbol before its byte spans are LSP ranges.
struct Pending {
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    range: Span,
    selection: Span,
    children: Option<Vec<Pending>>,
}

/// The symbols of `doc` (empty when it is not analysed).
pub fn symbols(doc: &Document, enc: Encoding) -> Vec<DocumentSymbol> {
    let tree = doc.tree();
    let model = Model::build(tree);
    let text = doc.text.text();
    let escape = tree.split.escape;
    let mut out: Vec<Pending> = tree
        .instructions
        .iter()
        .enumerate()
        .filter(|&(i, _)| model.stage_of.get(i).copied().flatten().is_none())
        .map(|(_, located)| instruction_symbol(text, escape, located))
        .collect();
    for stage in &model.stages {
        let Some(from) = tree.instructions.get(stage.from) else {
            continue;
        };
        let children: Vec<Pending> = stage
            .body
            .clone()
            .filter_map(|i| tree.instructions.get(i))
            .map(|located| instruction_symbol(text, escape, located))
            .collect();
        let last = stage
            .body
            .clone()
            .last()
            .and_then(|i| tree.instructions.get(i))
            .unwrap_or(from);
        out.push(Pending {
            name: stage_name(from, text),
            detail: Some(format!("stage {}", stage.index)),
            kind: SymbolKind::MODULE,
            range: from.span().cover(last.span()),
            selection: from.keyword_span(),
            children: Some(children),
        });
    }
    // every range in one pass over the text
    let mut offsets = Vec::new();
    collect_offsets(&out, &mut offsets);
    let mut positions = doc.text.positions(&offsets, enc).into_iter();
    let mut out = finish(out, &mut positions);
    out.sort_by_key(|symbol| (symbol.range.start.line, symbol.range.start.character));
    out
}

fn collect_offsets(symbols: &[Pending], out: &mut Vec<usize>) {
    for s in symbols {
        out.extend([
            s.range.start,
            s.range.end,
            s.selection.start,
            s.selection.end,
        ]);
        if let Some(children) = &s.children {
            collect_offsets(children, out);
        }
    }
}

/// The symbols, their ranges taken from `positions` in the order of [`collect_offsets`].
fn finish(
    symbols: Vec<Pending>,
    positions: &mut impl Iterator<Item = crate::text::Position>,
) -> Vec<DocumentSymbol> {
    fn range(positions: &mut impl Iterator<Item = crate::text::Position>) -> ls::Range {
        let mut next = || convert::to_lsp_position(positions.next().unwrap_or_default());
        let start = next();
        ls::Range::new(start, next())
    }
    symbols
        .into_iter()
        .map(|s| {
            let (range, selection_range) = (range(positions), range(positions));
            #[allow(deprecated)]
            DocumentSymbol {
                name: s.name,
                detail: s.detail,
                kind: s.kind,
                tags: None,
                deprecated: None,
                range,
                selection_range,
                children: s.children.map(|children| finish(children, positions)),
            }
        })
        .collect()
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
fn instruction_symbol(text: &str, escape: char, located: &Located) -> Pending {
    let name = match located.keyword {
        Keyword::Unknown if !located.keyword_text.is_empty() => located.keyword_text.clone(),
        keyword => keyword.name().to_string(),
    };
    let detail = detail(located.abs(located.args_span), text, escape);
    Pending {
        name,
        detail: (!detail.is_empty()).then_some(detail),
        kind: kind(located.keyword),
        range: located.span(),
        selection: located.keyword_span(),
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

//! Document symbols: one per build stage, with one child per instruction of the stage.
//!
//! Parser directives (`# syntax=`, `# escape=`, `# check=`) and instructions before the first
//! `FROM` (global `ARG`s) are top-level symbols of their own. An instruction's detail starts
//! with its flags, so `COPY --from=build` shows where the files come from. A client without
//! `hierarchicalDocumentSymbolSupport` gets the same symbols flat ([`flat`]), each instruction
//! with its stage as container.
//! [`outline`] works the symbols out once; they become either `ls_types` values ([`to_lsp`], for
//! the handler behind `tower-lsp-server`'s router) or JSON written straight into a buffer
//! ([`write_json`], for the direct answer of `direct.rs`, which skips the `serde_json::Value`
//! tree the router builds). A unit test holds the two to the same JSON.

use std::borrow::Cow;

use tower_lsp_server::ls_types::{self as ls, DocumentSymbol, SymbolInformation, SymbolKind, Uri};

use super::convert::to_lsp_position;
use super::document::Document;
use super::json;
use crate::syntax::instruction::Args;
use crate::syntax::{Keyword, Located};
use crate::text::{Encoding, Position};

/// How many characters of an instruction's arguments its symbol shows.
const DETAIL_CHARS: usize = 60;

/// One symbol, its positions in the negotiated encoding; borrows from the document.
#[derive(Debug)]
pub struct Symbol<'d> {
    head: Head<'d>,
    range: [Position; 2],
    selection: [Position; 2],
    /// A stage's instructions; `None` for an instruction.
    children: Option<Vec<Symbol<'d>>>,
}

/// What a symbol says besides where it is.
#[derive(Debug)]
enum Head<'d> {
    /// An instruction's, kept with its parse (owned when it could not be kept).
    Instruction(Cow<'d, Shown>),
    /// A stage's.
    Stage { name: String, detail: String },
    /// A parser directive's.
    Directive { name: String },
}

/// What an instruction's symbol says: worked out once per parse and kept with it
/// (`Instruction::shown`), so that a request after a keystroke redoes only the instructions the
/// keystroke changed.
#[derive(Debug, Clone)]
struct Shown {
    /// The escape character it was worked out with.
    escape: char,
    name: Cow<'static, str>,
    /// Empty: none.
    detail: String,
    kind: SymbolKind,
    /// `"name":...,"detail":...,"kind":...`, as [`write_json`] writes them.
    json: Box<[u8]>,
}

impl Head<'_> {
    fn name(&self) -> &str {
        match self {
            Head::Instruction(shown) => &shown.name,
            Head::Stage { name, .. } | Head::Directive { name } => name,
        }
    }

    fn detail(&self) -> &str {
        match self {
            Head::Instruction(shown) => &shown.detail,
            Head::Stage { detail, .. } => detail,
            Head::Directive { .. } => "parser directive",
        }
    }

    fn kind(&self) -> SymbolKind {
        match self {
            Head::Instruction(shown) => shown.kind,
            Head::Stage { .. } => SymbolKind::MODULE,
            Head::Directive { .. } => SymbolKind::KEY,
        }
    }
}

/// The symbols of `doc`, in the order of the text.
pub fn outline(doc: &Document, enc: Encoding) -> Vec<Symbol<'_>> {
    let tree = doc.tree();
    let text = doc.text.text();
    let escape = tree.split.escape;
    // per instruction, in text order (so already sorted for the one pass over the text): its
    // start, its keyword's start and end, its end
    let offsets: Vec<usize> = tree
        .instructions
        .iter()
        .flat_map(|located| {
            let (span, keyword) = (located.span(), located.keyword_span());
            [span.start, keyword.start, keyword.end, span.end]
        })
        .collect();
    let positions = doc.text.positions(&offsets, enc);
    let at = |k: usize| positions.get(k).copied().unwrap_or_default();
    let mut out: Vec<Symbol<'_>> = tree
        .split
        .directives
        .iter()
        .map(|d| {
            let at = |offset| doc.text.position(offset, enc);
            Symbol {
                head: Head::Directive {
                    name: d.span.of(text).trim().to_string(),
                },
                range: [at(d.span.start), at(d.span.end)],
                selection: [at(d.name_span.start), at(d.name_span.end)],
                children: None,
            }
        })
        .collect();
    let mut stages = 0;
    for (i, located) in tree.instructions.iter().enumerate() {
        let (range, selection) = ([at(4 * i), at(4 * i + 3)], [at(4 * i + 1), at(4 * i + 2)]);
        if located.keyword == Keyword::From {
            out.push(Symbol {
                head: Head::Stage {
                    name: stage_name(located, text),
                    detail: format!("stage {stages}"),
                },
                range,
                selection,
                children: Some(Vec::new()),
            });
            stages += 1;
            continue;
        }
        let symbol = Symbol {
            head: Head::Instruction(shown(text, escape, located)),
            range,
            selection,
            children: None,
        };
        match out.last_mut() {
            Some(Symbol {
                range,
                children: Some(children),
                ..
            }) => {
                range[1] = symbol.range[1];
                children.push(symbol);
            }
            _ => out.push(symbol),
        }
    }
    out
}

/// The symbols of `doc` as `ls_types` values.
pub fn symbols(doc: &Document, enc: Encoding) -> Vec<DocumentSymbol> {
    to_lsp(&outline(doc, enc))
}

fn to_lsp_range([start, end]: [Position; 2]) -> ls::Range {
    ls::Range::new(to_lsp_position(start), to_lsp_position(end))
}

/// `symbols` as `ls_types` values.
pub fn to_lsp(symbols: &[Symbol<'_>]) -> Vec<DocumentSymbol> {
    let range = to_lsp_range;
    symbols
        .iter()
        .map(|s| {
            let detail = s.head.detail();
            #[allow(deprecated)]
            DocumentSymbol {
                name: s.head.name().to_string(),
                detail: (!detail.is_empty()).then(|| detail.to_string()),
                kind: s.head.kind(),
                tags: None,
                deprecated: None,
                range: range(s.range),
                selection_range: range(s.selection),
                children: s.children.as_deref().map(to_lsp),
            }
        })
        .collect()
}

/// `symbols` flat, as clients without hierarchical document symbols take them: each stage, then
/// its instructions with the stage's name as their container.
pub fn flat(uri: &Uri, symbols: &[Symbol<'_>]) -> Vec<SymbolInformation> {
    let mut out = Vec::with_capacity(symbols.len());
    for s in symbols {
        out.push(information(uri, s, None));
        for child in s.children.as_deref().unwrap_or_default() {
            out.push(information(uri, child, Some(s.head.name())));
        }
    }
    out
}

fn information(uri: &Uri, s: &Symbol<'_>, container: Option<&str>) -> SymbolInformation {
    #[allow(deprecated)]
    SymbolInformation {
        name: s.head.name().to_string(),
        kind: s.head.kind(),
        tags: None,
        deprecated: None,
        location: ls::Location::new(uri.clone(), to_lsp_range(s.range)),
        container_name: container.map(str::to_string),
    }
}

/// Appends `symbols` to `out` as the JSON array of `DocumentSymbol`s that serializing
/// [`to_lsp`]'s values gives, without building them.
pub fn write_json(symbols: &[Symbol<'_>], out: &mut Vec<u8>) {
    out.reserve(symbols.len() * 200);
    out.push(b'[');
    for (k, s) in symbols.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.push(b'{');
        match &s.head {
            Head::Instruction(shown) => out.extend_from_slice(&shown.json),
            head => json_head(head.name(), head.detail(), head.kind(), out),
        }
        out.extend_from_slice(b",\"range\":");
        json::range(to_lsp_range(s.range), out);
        out.extend_from_slice(b",\"selectionRange\":");
        json::range(to_lsp_range(s.selection), out);
        if let Some(children) = &s.children {
            out.extend_from_slice(b",\"children\":");
            write_json(children, out);
        }
        out.push(b'}');
    }
    out.push(b']');
}

/// `"name":...,"detail":...,"kind":...` (no detail when it is empty).
fn json_head(name: &str, detail: &str, kind: SymbolKind, out: &mut Vec<u8>) {
    out.extend_from_slice(b"\"name\":");
    json::string(name, out);
    if !detail.is_empty() {
        out.extend_from_slice(b",\"detail\":");
        json::string(detail, out);
    }
    out.extend_from_slice(b",\"kind\":");
    json::serde_value(&kind, out);
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

/// What the symbol of an instruction says: its keyword, and the start of its flags and
/// arguments as detail. Kept with the parse (worked out again only when the escape character changed).
fn shown<'d>(text: &str, escape: char, located: &'d Located) -> Cow<'d, Shown> {
    let make = || {
        let name = match located.keyword {
            Keyword::Unknown if !located.keyword_text.is_empty() => {
                Cow::Owned(located.keyword_text.clone())
            }
            keyword => Cow::Borrowed(keyword.name()),
        };
        // the flags too: `COPY --from=build /out /app` says where the files come from
        let args = located.abs(located.args_span);
        let shown = located
            .flags
            .first()
            .map_or(args, |flag| located.abs(flag.span).cover(args));
        let detail = detail(shown.of(text), escape);
        let kind = kind(located.keyword);
        let mut json = Vec::with_capacity(name.len() + detail.len() + 32);
        json_head(&name, &detail, kind, &mut json);
        Shown {
            escape,
            name,
            detail,
            kind,
            json: json.into_boxed_slice(),
        }
    };
    match located.shown.get_or_init(make) {
        Some(shown) if shown.escape == escape => Cow::Borrowed(shown),
        // another escape character since it was kept
        _ => Cow::Owned(make()),
    }
}

/// The first [`DETAIL_CHARS`] characters of the arguments `args`, on one line: line
/// continuations (`escape` at the end of a line) removed and runs of blanks collapsed. Reads only
/// as much of `args` as it shows.
fn detail(args: &str, escape: char) -> String {
    let mut out = String::with_capacity(DETAIL_CHARS + 4);
    let mut chars = 0;
    let words = args.lines().flat_map(|line| {
        let line = line.trim();
        line.strip_suffix(escape).unwrap_or(line).split_whitespace()
    });
    for word in words {
        if chars >= DETAIL_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars >= DETAIL_CHARS {
                break;
            }
            out.push(c);
            chars += 1;
        }
    }
    out.truncate(out.trim_end().len());
    out
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
    use super::{detail, outline, to_lsp, write_json};
    use crate::lsp::document::Document;
    use crate::rules::Config;
    use crate::text::Encoding;
    use tower_lsp_server::ls_types::Uri;

    /// The direct JSON and the `ls_types` values say the same, in every encoding, on text with
    /// what JSON must escape, non-ASCII, CR LF, an unknown instruction and a heredoc.
    #[test]
    fn written_json_is_the_serialized_lsp_symbols() {
        let text = "# syntax=docker/dockerfile:1\r\nARG A=\"x\\\\y\"\r\n\
                    FROM alpine AS b\u{e9}\r\nRUN echo \"\u{1F600}\" \\\r\n  \t&& true\r\n\
                    COPY <<EOF /x\r\nhi\r\nEOF\r\nFORM x\r\n\r\nFROM b\u{e9}\r\nCMD [\"a\\\\\"]";
        let uri: Uri = "untitled:symbols".parse().unwrap_or_else(|e| panic!("{e}"));
        let mut doc = Document::open(&uri, text.to_string(), 1);
        let _ = doc.analyse(&uri, &Config::default(), Encoding::Utf16, &mut Vec::new());
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            let mut written = Vec::new();
            write_json(&outline(&doc, enc), &mut written);
            let written: serde_json::Value = serde_json::from_slice(&written)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&written)));
            let typed =
                serde_json::to_value(to_lsp(&outline(&doc, enc))).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(written, typed);
            assert_eq!(typed.as_array().map(Vec::len), Some(4), "{typed}");
            assert_eq!(typed[0]["name"], "# syntax=docker/dockerfile:1");
        }
    }

    #[test]
    fn details_are_one_short_line() {
        assert_eq!(detail("a  b \\\n   c", '\\'), "a b c");
        assert_eq!(detail("a `\r\n  b", '`'), "a b");
        assert_eq!(detail(&"x".repeat(100), '\\').len(), 60);
        assert_eq!(
            detail(&format!("{} y", "x".repeat(59)), '\\'),
            "x".repeat(59)
        );
        assert_eq!(
            detail(&format!("{} é", "x".repeat(58)), '\\')
                .chars()
                .count(),
            60
        );
        assert_eq!(detail(" \\\n \\\n", '\\'), "");
    }
}

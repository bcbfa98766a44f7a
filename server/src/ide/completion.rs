//! Completion at a byte offset: what may be written there, and the bytes it replaces.
//!
//! - at the start of an instruction: the instruction keywords as snippets (after `ONBUILD`, all
//!   but `FROM`, `MAINTAINER` and `ONBUILD`);
//! - on a `--` word among an instruction's flags: the flags it takes and has not used yet (the
//!   repeatable `--mount` and `--exclude` always);
//! - after `--name=`: the flag's values; stage names for `--from=`; for `--mount=` the keys of
//!   the mount type and their values, stage names for `from=`, and for a cache's `target=` the
//!   cache folders of the package managers the RUN runs;
//! - after `FROM`: the stages declared before, then official images; after the image, `AS`;
//! - after `$` or `${`: the variables in scope with their values, then the predefined build
//!   arguments;
//! - on a comment line at the top: the parser directives, their values, the check names after
//!   `# check=skip=`.
//!
//! Work: the text of the current line, plus one pass over the instructions before the cursor
//! when names in scope are asked for ([`super::names::in_scope`]).

use super::names::{declared_value, NameIndex};
use super::reference::{self, FlagDoc};
use super::{effective, instruction_at, line_start};
use crate::syntax::instruction::{Args, Keyword};
use crate::syntax::{Span, SyntaxTree};

/// What kind of thing an item completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Keyword,
    Flag,
    Value,
    Stage,
    Variable,
    Directive,
    Image,
}

/// One completion item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    pub kind: Kind,
    pub detail: Option<String>,
    pub documentation: Option<String>,
    /// What replaces [`Self::replace`]: a snippet when [`Self::snippet`].
    pub insert: String,
    pub snippet: bool,
    pub replace: Span,
    /// Orders items of one answer (compared as strings).
    pub sort: String,
}

/// The completion items at `offset` of `text` (whose tree is `tree`). `snippets`: whether the
/// client takes snippets; without, items insert plain text.
#[must_use]
pub fn complete(
    tree: &SyntaxTree,
    index: &NameIndex,
    text: &str,
    offset: usize,
    snippets: bool,
) -> Vec<Item> {
    let offset = super::floor_boundary(text, offset);
    let start = line_start(text, offset);
    let before = &text[start..offset];
    let word_start = start
        + before
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(at, c)| at + c.len_utf8());
    let mut items = match instruction_at(tree, offset) {
        None if before.trim_start().starts_with('#') => directives(tree, text, start, offset),
        None if word_start == start + leading_blanks(before) => {
            keywords(Span::new(word_start, offset), false, snippets)
        }
        None => Vec::new(),
        Some(i) => inside(tree, index, text, i, word_start, offset, snippets),
    };
    if !snippets {
        for item in &mut items {
            if item.snippet {
                item.insert = plain(&item.insert);
                item.snippet = false;
            }
        }
    }
    items
}

fn leading_blanks(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// Completion inside instruction `i`, the word being typed at `word_start..offset`.
fn inside(
    tree: &SyntaxTree,
    index: &NameIndex,
    text: &str,
    i: usize,
    word_start: usize,
    offset: usize,
    snippets: bool,
) -> Vec<Item> {
    let located = &tree.instructions[i];
    let replace = Span::new(word_start, offset);
    let keyword = located.keyword_span();
    if offset <= keyword.end {
        if word_start > keyword.start {
            return Vec::new();
        }
        // with arguments after it, the keyword is replaced whole and nothing else is inserted
        let rest = text[keyword.end..].split(['\n', '\r']).next().unwrap_or("");
        if rest.trim().is_empty() {
            return keywords(Span::new(keyword.start, offset), false, snippets);
        }
        let mut items = keywords(keyword, false, false);
        for item in &mut items {
            item.insert = item.label.clone();
        }
        return items;
    }
    // in a heredoc body: nothing
    if located.heredocs.iter().any(|h| {
        located
            .abs(h.body)
            .cover(located.abs(h.terminator))
            .contains(offset)
    }) {
        return Vec::new();
    }
    let instr = effective(located);
    if located.keyword == Keyword::Onbuild {
        match &located.args {
            Args::Onbuild(inner) => {
                let trigger = located.abs(inner.keyword_span);
                if word_start <= trigger.start && offset <= trigger.end {
                    return keywords(Span::new(trigger.start, offset), true, snippets);
                }
            }
            _ => {
                let first = text[keyword.end..word_start].trim().is_empty();
                return if first {
                    keywords(replace, true, snippets)
                } else {
                    Vec::new()
                };
            }
        }
    }
    let word = &text[word_start..offset];
    if let Some(dollar) = word.rfind('$') {
        let name_start = word_start + dollar + 1;
        let braced = text[name_start..offset].starts_with('{');
        let name_start = name_start + usize::from(braced);
        let partial = &text[name_start..offset];
        if partial
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            let close = braced && !text[offset..].starts_with('}');
            return variables(tree, index, text, i, Span::new(name_start, offset), close);
        }
        return Vec::new();
    }
    // still among the flags: nothing but flags and blanks between the keyword and the word
    let args = located.abs(instr.args_span);
    let among_flags = args.is_empty() || args.start >= word_start;
    if among_flags && word.starts_with('-') {
        if let Some((name, value_start)) = word
            .strip_prefix("--")
            .and_then(|w| w.find('=').map(|eq| (&w[..eq], word_start + 2 + eq + 1)))
        {
            return flag_values(tree, index, text, i, name, value_start, offset);
        }
        return flags(instr, located.offset, replace, snippets);
    }
    if instr.keyword == Keyword::From && located.keyword != Keyword::Onbuild {
        return from_words(tree, index, text, i, replace);
    }
    if instr.keyword == Keyword::Healthcheck && among_flags {
        return ["CMD", "NONE"]
            .into_iter()
            .enumerate()
            .map(|(k, word)| Item {
                label: word.to_string(),
                kind: Kind::Keyword,
                detail: None,
                documentation: None,
                insert: format!("{word} "),
                snippet: false,
                replace,
                sort: format!("{k}"),
            })
            .collect();
    }
    Vec::new()
}

/// The instruction keywords (`trigger`: as an ONBUILD trigger).
fn keywords(replace: Span, trigger: bool, snippets: bool) -> Vec<Item> {
    reference::INSTRUCTIONS
        .iter()
        .filter(|doc| {
            !trigger
                || !matches!(
                    doc.keyword,
                    Keyword::From | Keyword::Maintainer | Keyword::Onbuild
                )
        })
        .enumerate()
        .map(|(k, doc)| Item {
            label: doc.keyword.name().to_string(),
            kind: Kind::Keyword,
            detail: Some(signature_line(doc)),
            documentation: Some(doc.summary.to_string()),
            insert: if snippets {
                format!("{}$0", doc.snippet)
            } else {
                format!("{} ", doc.keyword.name())
            },
            snippet: snippets,
            replace,
            sort: format!("{k:02}"),
        })
        .collect()
}

/// `COPY [--from=<stage>] ... <src>... <dest>`: the first form of an instruction.
#[must_use]
pub fn signature_line(doc: &reference::InstructionDoc) -> String {
    let params = doc.forms.first().map(|f| f.join(" ")).unwrap_or_default();
    format!("{} {params}", doc.keyword.name())
}

/// The flags of `instr` not yet given (the repeatable ones always).
fn flags(
    instr: &crate::syntax::Instruction,
    base: usize,
    replace: Span,
    snippets: bool,
) -> Vec<Item> {
    reference::flags(instr.keyword)
        .iter()
        .filter(|doc| {
            doc.repeatable
                || !instr
                    .flags
                    .iter()
                    .any(|f| f.name == doc.name && !f.span.shift(base).contains(replace.start))
        })
        .enumerate()
        .map(|(k, doc)| flag_item(doc, replace, snippets, k))
        .collect()
}

fn flag_item(doc: &FlagDoc, replace: Span, snippets: bool, k: usize) -> Item {
    let label = format!("--{}", doc.name);
    Item {
        insert: if snippets && !doc.snippet.is_empty() {
            format!("{label}{}", doc.snippet)
        } else if doc.snippet.is_empty() {
            label.clone()
        } else {
            format!("{label}=")
        },
        snippet: snippets && !doc.snippet.is_empty(),
        label,
        kind: Kind::Flag,
        detail: None,
        documentation: Some(doc.summary.to_string()),
        replace,
        sort: format!("{k:02}"),
    }
}

fn value_item(label: &str, kind: Kind, replace: Span, k: usize) -> Item {
    Item {
        label: label.to_string(),
        kind,
        detail: None,
        documentation: None,
        insert: label.to_string(),
        snippet: false,
        replace,
        sort: format!("{k:02}"),
    }
}

/// Values after `--name=` (the value typed so far starts at `value_start`).
fn flag_values(
    tree: &SyntaxTree,
    index: &NameIndex,
    text: &str,
    i: usize,
    name: &str,
    value_start: usize,
    offset: usize,
) -> Vec<Item> {
    let keyword = effective(&tree.instructions[i]).keyword;
    let replace = Span::new(value_start, offset);
    match (keyword, name) {
        (Keyword::Copy | Keyword::Add, "from") => stage_items(tree, index, text, i, replace),
        (Keyword::Run, "mount") => mount_values(tree, index, text, i, value_start, offset),
        _ => reference::flag_doc(keyword, name)
            .map(|doc| doc.values)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(k, v)| value_item(v, Kind::Value, replace, k))
            .collect(),
    }
}

/// The stages declared before instruction `i`.
fn stage_items(
    tree: &SyntaxTree,
    index: &NameIndex,
    text: &str,
    i: usize,
    replace: Span,
) -> Vec<Item> {
    index
        .in_scope(tree, text, i)
        .stages
        .into_iter()
        .enumerate()
        .map(|(k, (name, from))| {
            let image = match &tree.instructions[from].args {
                Args::From { image, .. } => image.value.clone(),
                _ => String::new(),
            };
            Item {
                detail: Some(format!(
                    "stage on line {} (FROM {image})",
                    tree.instructions[from].line + 1
                )),
                ..value_item(&name, Kind::Stage, replace, k)
            }
        })
        .collect()
}

/// Inside `--mount=`: keys, and the values of the key being typed.
fn mount_values(
    tree: &SyntaxTree,
    index: &NameIndex,
    text: &str,
    i: usize,
    value_start: usize,
    offset: usize,
) -> Vec<Item> {
    let typed = &text[value_start..offset];
    let part_start = value_start + typed.rfind(',').map_or(0, |at| at + 1);
    let part = &text[part_start..offset];
    // the whole mount value (also what follows the cursor) tells the type
    let rest_end = text[offset..]
        .find(char::is_whitespace)
        .map_or(text.len(), |at| offset + at);
    let whole = &text[value_start..rest_end];
    let mount_type = whole
        .split(',')
        .find_map(|p| p.strip_prefix("type="))
        .unwrap_or("bind");
    if let Some((key, _)) = part.split_once('=') {
        let replace = Span::new(part_start + key.len() + 1, offset);
        return match key {
            "from" => stage_items(tree, index, text, i, replace),
            "target" | "dst" | "destination" if mount_type == "cache" => {
                cache_targets(tree, i, replace)
            }
            _ => reference::mount_key_values(key)
                .iter()
                .enumerate()
                .map(|(k, v)| Item {
                    documentation: reference::MOUNT_TYPES
                        .iter()
                        .find(|t| key == "type" && t.name == *v)
                        .map(|t| t.summary.to_string()),
                    ..value_item(v, Kind::Value, replace, k)
                })
                .collect(),
        };
    }
    let replace = Span::new(part_start, offset);
    let used: Vec<&str> = whole
        .split(',')
        .filter_map(|p| p.split_once('=').map(|(k, _)| k))
        .collect();
    let keys = reference::MOUNT_TYPES
        .iter()
        .find(|t| t.name == mount_type)
        .map_or(&[][..], |t| t.keys);
    std::iter::once("type")
        .chain(keys.iter().copied())
        .filter(|key| !used.contains(key))
        .enumerate()
        .map(|(k, key)| Item {
            insert: format!("{key}="),
            documentation: Some(reference::mount_key_doc(key).to_string()),
            ..value_item(key, Kind::Value, replace, k)
        })
        .collect()
}

/// Cache folders for the package managers instruction `i` runs (all of them when it runs none
/// of the known ones yet).
fn cache_targets(tree: &SyntaxTree, i: usize, replace: Span) -> Vec<Item> {
    let instr = &tree.instructions[i];
    let programs: Vec<&str> = instr
        .commands()
        .flat_map(|c| c.words.first())
        .map(|w| w.value.rsplit('/').next().unwrap_or(&w.value))
        .collect();
    let mut targets: Vec<(&str, &str)> = reference::CACHE_TARGETS
        .iter()
        .filter(|(program, _)| programs.contains(program))
        .copied()
        .collect();
    if targets.is_empty() {
        targets = reference::CACHE_TARGETS.to_vec();
    }
    let mut seen = Vec::new();
    targets.retain(|(_, path)| {
        let new = !seen.contains(path);
        seen.push(*path);
        new
    });
    targets
        .into_iter()
        .enumerate()
        .map(|(k, (program, path))| Item {
            detail: Some(format!("{program} cache")),
            ..value_item(path, Kind::Value, replace, k)
        })
        .collect()
}

/// After `FROM` (and its flags): earlier stages and official images for the image word, `AS`
/// after it.
fn from_words(
    tree: &SyntaxTree,
    index: &NameIndex,
    text: &str,
    i: usize,
    replace: Span,
) -> Vec<Item> {
    let located = &tree.instructions[i];
    if let Args::From { image, alias } = &located.args {
        let image = located.abs(image.span);
        if image.end < replace.start {
            let between = &text[image.end..replace.start];
            return if alias.is_none() && between.trim().is_empty() {
                vec![Item {
                    insert: "AS ".to_string(),
                    documentation: Some(
                        "Names the stage, for `FROM <name>` and `COPY --from=<name>`.".to_string(),
                    ),
                    ..value_item("AS", Kind::Keyword, replace, 0)
                }]
            } else {
                Vec::new()
            };
        }
    }
    let mut items = stage_items(tree, index, text, i, replace);
    let n = items.len();
    items.extend(
        reference::OFFICIAL_IMAGES
            .iter()
            .enumerate()
            .map(|(k, image)| Item {
                detail: Some("official image".to_string()),
                ..value_item(image, Kind::Image, replace, n + k)
            }),
    );
    items
}

/// The variables in scope at instruction `i`, then the predefined build arguments. `close`: add
/// the `}` of `${`.
fn variables(
    tree: &SyntaxTree,
    index: &NameIndex,
    text: &str,
    i: usize,
    replace: Span,
    close: bool,
) -> Vec<Item> {
    let scope = index.in_scope(tree, text, i);
    let suffix = if close { "}" } else { "" };
    let mut items: Vec<Item> = scope
        .variables
        .iter()
        .enumerate()
        .map(|(k, (name, decl))| {
            let line = tree.instructions[decl.instruction].line + 1;
            let declared = tree.instructions[decl.instruction].keyword.name();
            let detail = match declared_value(tree, *decl) {
                Some(value) => format!("{name}={value}"),
                None => format!("{declared} {name} (no default)"),
            };
            Item {
                detail: Some(detail),
                documentation: Some(format!("Declared by the {declared} on line {line}.")),
                insert: format!("{name}{suffix}"),
                ..value_item(name, Kind::Variable, replace, k)
            }
        })
        .collect();
    let n = items.len();
    items.extend(
        reference::PREDEFINED_ARGS
            .iter()
            .filter(|arg| !scope.variables.iter().any(|(name, _)| name == arg.name))
            .enumerate()
            .map(|(k, arg)| Item {
                detail: Some("predefined build argument".to_string()),
                documentation: Some(if arg.platform {
                    format!(
                        "{} In a stage, declare it first with `ARG {}`.",
                        arg.summary, arg.name
                    )
                } else {
                    arg.summary.to_string()
                }),
                insert: format!("{}{suffix}", arg.name),
                ..value_item(arg.name, Kind::Variable, replace, n + k)
            }),
    );
    items
}

/// Parser directives on a comment line at the top (every line above it a directive).
fn directives(tree: &SyntaxTree, text: &str, start: usize, offset: usize) -> Vec<Item> {
    let lines_before = text[..start].bytes().filter(|&b| b == b'\n').count();
    let directives_before = tree
        .split
        .directives
        .iter()
        .filter(|d| d.span.start < start)
        .count();
    let first_instruction = tree.instructions.first().map_or(usize::MAX, |l| l.offset);
    if lines_before != directives_before || start > first_instruction {
        return Vec::new();
    }
    let line = &text[start..offset];
    let hash = start + line.find('#').unwrap_or(0) + 1;
    let after = &text[hash..offset];
    let name_start = hash + leading_blanks(after);
    let Some(eq) = text[name_start..offset].find('=') else {
        let replace = Span::new(name_start, offset);
        return reference::DIRECTIVES
            .iter()
            .enumerate()
            .map(|(k, (name, doc, _))| Item {
                insert: format!("{name}="),
                documentation: Some((*doc).to_string()),
                ..value_item(name, Kind::Directive, replace, k)
            })
            .collect();
    };
    let name = text[name_start..name_start + eq]
        .trim()
        .to_ascii_lowercase();
    let value_start = name_start + eq + 1;
    let value = &text[value_start..offset];
    if name == "check" {
        if let Some(skip) = value.find("skip=") {
            let list_start = value_start + skip + 5;
            let typed = &text[list_start..offset];
            let item_start = list_start + typed.rfind(',').map_or(0, |at| at + 1);
            let replace = Span::new(item_start, offset);
            return std::iter::once("all")
                .chain(reference::CHECKS.iter().copied())
                .enumerate()
                .map(|(k, check)| value_item(check, Kind::Value, replace, k))
                .collect();
        }
    }
    let replace = Span::new(value_start + leading_blanks(value), offset);
    reference::DIRECTIVES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, values)| {
            values
                .iter()
                .enumerate()
                .map(|(k, v)| value_item(v, Kind::Value, replace, k))
                .collect()
        })
        .unwrap_or_default()
}

/// A snippet as plain text: placeholders become their default text, choices their first
/// choice, tab stops disappear.
#[must_use]
pub fn plain(snippet: &str) -> String {
    let mut out = String::with_capacity(snippet.len());
    let mut chars = snippet.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                let mut inner = String::new();
                let mut depth = 1;
                for n in chars.by_ref() {
                    match n {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    inner.push(n);
                }
                let body = inner.trim_start_matches(|c: char| c.is_ascii_digit());
                if let Some(default) = body.strip_prefix(':') {
                    out.push_str(default);
                } else if let Some(choices) = body.strip_prefix('|') {
                    out.push_str(choices.split([',', '|']).next().unwrap_or(""));
                }
            }
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{complete, plain, Item};
    use crate::syntax::parse;

    /// The labels offered where `$0` is, and the text each replaces.
    fn labels(fixture: &str) -> (Vec<String>, Vec<Item>) {
        let offset = fixture.find("$0").unwrap_or(fixture.len());
        let text = fixture.replacen("$0", "", 1);
        let tree = parse(&text);
        let items = complete(
            &tree,
            &crate::ide::names::NameIndex::build(&tree, &text),
            &text,
            offset,
            true,
        );
        (items.iter().map(|i| i.label.clone()).collect(), items)
    }

    fn check(fixture: &str, expected: &[&str]) {
        let (found, _) = labels(fixture);
        assert_eq!(found, expected, "{fixture}");
    }

    #[test]
    fn keywords_at_the_start_and_after_onbuild() {
        let (found, items) = labels("FROM a\nCO$0");
        assert_eq!(found.len(), 18);
        assert_eq!(items[8].insert, "COPY ${1:src} ${2:dest}$0");
        let (found, _) = labels("FROM a\nONBUILD $0");
        assert_eq!(found.len(), 15);
        assert!(!found
            .iter()
            .any(|k| k == "FROM" || k == "ONBUILD" || k == "MAINTAINER"));
    }

    #[test]
    fn a_keyword_before_arguments_is_replaced_whole() {
        let (_, items) = labels("FROM a\nco$0PY x y");
        assert_eq!(items[8].insert, "COPY");
        assert!(!items[8].snippet);
        assert_eq!(items[8].replace, crate::syntax::Span::new(7, 11));
    }

    #[test]
    fn flags_per_instruction() {
        check(
            "FROM a\nCOPY --$0",
            &[
                "--from",
                "--chown",
                "--chmod",
                "--link",
                "--parents",
                "--exclude",
            ],
        );
        check(
            "FROM a\nCOPY --from=x --$0",
            &["--chown", "--chmod", "--link", "--parents", "--exclude"],
        );
        check(
            "FROM a\nADD --$0",
            &[
                "--chown",
                "--chmod",
                "--link",
                "--parents",
                "--exclude",
                "--checksum",
                "--keep-git-dir",
                "--unpack",
            ],
        );
        check(
            "FROM a\nRUN --$0",
            &["--mount", "--network", "--security", "--device"],
        );
        check("FROM --$0", &["--platform"]);
        check(
            "FROM a\nHEALTHCHECK --$0",
            &[
                "--interval",
                "--timeout",
                "--start-period",
                "--start-interval",
                "--retries",
            ],
        );
        check("FROM a\nCOPY src --$0", &[]);
        check("FROM a\nRUN --network=$0", &["default", "none", "host"]);
        check("FROM a\nRUN --security=$0", &["insecure", "sandbox"]);
    }

    #[test]
    fn stages_defined_before() {
        check(
            "FROM a AS one\nFROM b AS two\nCOPY --from=$0\nFROM c AS three\n",
            &["one"],
        );
        // (not `two`, the stage the COPY is in: BuildKit rejects that as a circular dependency)
        // an unnamed stage holding the COPY leaves the named ones before it
        check("FROM a AS one\nFROM b\nADD --from=$0 x y\n", &["one"]);
        check(
            "FROM a AS deps\nFROM b AS run\nRUN --mount=type=bind,from=$0",
            &["deps"],
        );
        let (found, _) = labels("FROM a AS one\nFROM $0");
        assert_eq!(found[0], "one");
        assert!(found.contains(&"python".to_string()));
        check("FROM a AS one\nFROM one $0", &["AS"]);
        check(
            "FROM a AS deps\nFROM b\nRUN --mount=type=cache,from=$0",
            &["deps"],
        );
    }

    #[test]
    fn mount_keys_and_values() {
        check(
            "FROM a\nRUN --mount=type=$0",
            &["bind", "cache", "tmpfs", "secret", "ssh"],
        );
        check("FROM a\nRUN --mount=type=tmpfs,$0", &["target", "size"]);
        check(
            "FROM a\nRUN --mount=type=cache,target=$0 pip install x",
            &["/root/.cache/pip"],
        );
        check(
            "FROM a\nRUN --mount=type=cache,sharing=$0",
            &["shared", "private", "locked"],
        );
    }

    #[test]
    fn variables_in_scope() {
        let (found, items) = labels("ARG G=1\nFROM a\nARG V=2\nENV E=3\nRUN echo ${$0");
        assert_eq!(&found[..2], ["E", "V"]);
        assert_eq!(items[0].insert, "E}");
        assert_eq!(items[1].detail.as_deref(), Some("V=2"));
        assert!(found.contains(&"TARGETPLATFORM".to_string()));
        assert!(found.contains(&"HTTP_PROXY".to_string()));
        assert!(!found.contains(&"G".to_string()));
        let (found, _) = labels("ARG G=1\nFROM a:$$0\n");
        assert_eq!(found[0], "G");
    }

    #[test]
    fn directives_at_the_top() {
        check("# $0", &["syntax", "escape", "check"]);
        check(
            "# syntax=docker/dockerfile:1\n# esc$0",
            &["syntax", "escape", "check"],
        );
        check("FROM a\n# $0", &[]);
        let (found, _) = labels("# check=skip=JSONArgsRecommended,$0");
        assert!(found.contains(&"StageNameCasing".to_string()));
    }

    #[test]
    fn snippets_become_plain_text() {
        assert_eq!(plain("COPY ${1:src} ${2:dest}$0"), "COPY src dest");
        assert_eq!(plain("--network=${1|default,none|}"), "--network=default");
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for text in [
            "",
            "\u{e9}",
            "FROM",
            "RUN --mount=",
            "COPY --from=\n",
            "# check=",
            "ONBUILD",
            "RUN <<EOF\n$",
        ] {
            let tree = parse(text);
            for offset in 0..=text.len() + 2 {
                let _ = complete(
                    &tree,
                    &crate::ide::names::NameIndex::build(&tree, text),
                    text,
                    offset,
                    false,
                );
            }
        }
    }
}

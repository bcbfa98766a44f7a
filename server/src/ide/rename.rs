//! Renaming a stage or a variable: which bytes change, or why the rename is refused.
//!
//! A rename changes every occurrence of the symbol under the cursor ([`super::names`]) and
//! nothing else, and only when the file then still means what it meant:
//! - a stage name must be valid (a lower-case letter, then `a-z`, `0-9`, `.`, `_`, `-`), not
//!   reserved (`scratch`, `context`), not the name of another stage, and not a name an image
//!   reference already uses after the stage (`FROM new`, `--from=new` would start to point at
//!   the stage);
//! - a variable name must be valid (`[A-Za-z_][A-Za-z0-9_]*`), not declared or written as
//!   `$NEW` anywhere in the file, not a predefined build argument nor an environment variable
//!   images rely on (`PATH`, `HOME`...);
//! - a variable written where the rename cannot follow it (an exec-form array run by a shell,
//!   an `ONBUILD` trigger) makes the rename refuse rather than miss it.

use super::names::{self, NameIndex, Occurrence, Symbol};
use super::reference::PREDEFINED_ARGS;
use crate::syntax::instruction::{Args, Form, Keyword};
use crate::syntax::{Span, SyntaxTree};

/// Environment variables whose name an image or a shell gives a meaning to.
const RESERVED_ENV: &[&str] = &[
    "PATH", "HOME", "HOSTNAME", "USER", "SHELL", "PWD", "TERM", "LANG", "LC_ALL", "TZ",
];

/// The span of the name `prepareRename` offers at `offset`: a stage or variable name that has a
/// declaration in the file.
#[must_use]
pub fn prepare(index: &NameIndex, offset: usize) -> Option<Span> {
    names::at(index.occurrences(), offset).map(|o| o.span)
}

/// The edits that rename the symbol at `offset` to `new_name` (byte spans and their new text).
///
/// # Errors
/// Why the rename is refused (invalid or clashing name, an occurrence it cannot follow).
pub fn rename(
    tree: &SyntaxTree,
    index: &NameIndex,
    text: &str,
    offset: usize,
    new_name: &str,
) -> Result<Vec<(Span, String)>, String> {
    let occurrences = index.occurrences();
    let Some(target) = names::at(occurrences, offset) else {
        return Err("there is no stage or variable name here to rename".to_string());
    };
    let symbol = target.symbol;
    let old = target.span.of(text).to_string();
    match symbol {
        Symbol::Stage { from } => check_stage(tree, text, occurrences, from, new_name)?,
        Symbol::Variable(_) => check_variable(tree, text, &old, new_name)?,
    }
    let edits = occurrences
        .iter()
        .filter(|o| o.symbol == symbol)
        .map(|o| (o.span, new_name.to_string()))
        .collect();
    Ok(edits)
}

fn check_stage(
    tree: &SyntaxTree,
    text: &str,
    occurrences: &[Occurrence],
    from: usize,
    new_name: &str,
) -> Result<(), String> {
    if !names::valid_stage_name(new_name) {
        return Err(format!(
            "`{new_name}` is not a valid stage name: start with a lower-case letter and use only a-z, 0-9, `.`, `_` and `-`"
        ));
    }
    if matches!(new_name, "scratch" | "context") {
        return Err(format!(
            "`{new_name}` is reserved: BuildKit does not accept it as a stage name"
        ));
    }
    for (i, located) in tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::From || i == from {
            continue;
        }
        if let Args::From {
            alias: Some(alias), ..
        } = &located.args
        {
            if alias.value.eq_ignore_ascii_case(new_name) {
                return Err(format!(
                    "a stage is already called `{new_name}` (line {})",
                    located.line + 1
                ));
            }
        }
    }
    // an image reference spelled like the new name would start to mean the stage
    let declared_at = tree.instructions[from].offset;
    for located in tree.instructions.iter().filter(|l| l.offset > declared_at) {
        let mut refs: Vec<(&str, Span)> = Vec::new();
        if let Args::From { image, .. } = &located.args {
            refs.push((&image.value, located.abs(image.span)));
        }
        for flag in &located.flags {
            if let (Some(value), "from") = (flag.value.as_deref(), flag.name.as_str()) {
                refs.push((value, located.abs(flag.span)));
            }
            if let (Some(value), "mount") = (flag.value.as_deref(), flag.name.as_str()) {
                if let Some(from) = crate::model::mount_from(value) {
                    refs.push((from, located.abs(flag.span)));
                }
            }
        }
        for (value, span) in refs {
            let is_use = occurrences.iter().any(|o| span.cover(o.span) == span);
            if value.eq_ignore_ascii_case(new_name) && !is_use {
                return Err(format!(
                    "line {} refers to an image `{value}`, which would then mean the renamed stage",
                    line_of(text, span.start)
                ));
            }
        }
    }
    Ok(())
}

fn check_variable(tree: &SyntaxTree, text: &str, old: &str, new_name: &str) -> Result<(), String> {
    if !names::valid_variable_name(new_name) {
        return Err(format!(
            "`{new_name}` is not a valid variable name: start with a letter or `_` and use only letters, digits and `_`"
        ));
    }
    if new_name == old {
        return Ok(());
    }
    if PREDEFINED_ARGS.iter().any(|a| a.name == new_name) || RESERVED_ENV.contains(&new_name) {
        return Err(format!(
            "`{new_name}` already has a meaning in builds or images; choose another name"
        ));
    }
    for located in &tree.instructions {
        if let (Keyword::Arg | Keyword::Env, Args::KeyValues(kvs)) =
            (located.keyword, &located.args)
        {
            if kvs.iter().any(|kv| kv.key == new_name) {
                return Err(format!(
                    "`{new_name}` is already declared (line {})",
                    located.line + 1
                ));
            }
        }
    }
    if let Some(at) = written_as_variable(text, Span::new(0, text.len()), new_name) {
        return Err(format!(
            "`${new_name}` is already used (line {}); renaming to it would merge two variables",
            line_of(text, at)
        ));
    }
    // places a rename cannot follow: exec-form arrays (a shell may expand them), ONBUILD
    for located in &tree.instructions {
        let blind = match (&located.args, located.form()) {
            (Args::Onbuild(_), _) => Some(located.span()),
            (_, Some(Form::Exec { span, .. })) => Some(located.abs(*span)),
            _ => None,
        };
        if let Some(at) = blind.and_then(|span| written_as_variable(text, span, old)) {
            return Err(format!(
                "`${old}` on line {} is in an exec-form array or an ONBUILD trigger, which a rename cannot follow; rename it by hand",
                line_of(text, at)
            ));
        }
    }
    Ok(())
}

/// Where `$name` or `${name` is written in `span` of `text` (the name not followed by more
/// name characters).
fn written_as_variable(text: &str, span: Span, name: &str) -> Option<usize> {
    let region = span.of(text);
    let mut state = names::Quotes::default();
    names::variable_uses(region, false, '\u{0}', &mut state)
        .into_iter()
        .find(|&(at, len)| &region[at..at + len] == name)
        .map(|(at, _)| span.start + at)
}

/// The 1-based line of byte `at`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::rename;
    use crate::syntax::parse;

    /// The text after renaming what `┃` is on to `new`, or the refusal.
    fn check(fixture: &str, new: &str) -> Result<String, String> {
        let offset = fixture.find('┃').unwrap_or(0);
        let text = fixture.replacen('┃', "", 1);
        let tree = parse(&text);
        let mut edits = rename(
            &tree,
            &crate::ide::names::NameIndex::build(&tree, &text),
            &text,
            offset,
            new,
        )?;
        edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
        let mut out = text;
        for (span, new) in edits {
            out.replace_range(span.start..span.end, &new);
        }
        Ok(out)
    }

    #[test]
    fn stages_are_renamed_everywhere_they_are_used() {
        assert_eq!(
            check(
                "FROM a AS bu┃ild\nCOPY --chown=1 --from=build /x /y\nCOPY --from=build --link /x /y\nRUN --mount=from=build,target=/c true\nFROM build\nONBUILD COPY --from=build /a /b\n",
                "compile"
            )
            .as_deref(),
            Ok("FROM a AS compile\nCOPY --chown=1 --from=compile /x /y\nCOPY --from=compile --link /x /y\nRUN --mount=from=compile,target=/c true\nFROM compile\nONBUILD COPY --from=build /a /b\n")
        );
    }

    #[test]
    fn stage_names_are_checked() {
        let text = "FROM a AS ┃one\nFROM b AS two\nFROM debian\nCOPY --from=one /a /b\n";
        assert!(check(text, "Two")
            .unwrap_err()
            .contains("not a valid stage name"));
        assert!(check(text, "two").unwrap_err().contains("already called"));
        assert!(check(text, "scratch").unwrap_err().contains("reserved"));
        assert!(check(text, "debian").unwrap_err().contains("line 3"));
        assert!(check(text, "ok-2.x").is_ok());
    }

    #[test]
    fn variables_follow_their_scope() {
        assert_eq!(
            check(
                "ARG V┃ER=1\nFROM a:$VER\nARG VER\nRUN echo $VER ${VER:-x}\nFROM b\nRUN echo $VER\n",
                "VERSION"
            )
            .as_deref(),
            Ok("ARG VERSION=1\nFROM a:$VERSION\nARG VERSION\nRUN echo $VERSION ${VERSION:-x}\nFROM b\nRUN echo $VER\n")
        );
    }

    #[test]
    fn variable_names_are_checked() {
        let text = "FROM a\nENV ┃A=1 B=2\nRUN echo $A $C\n";
        assert!(check(text, "1x").is_err());
        assert!(check(text, "B").unwrap_err().contains("already declared"));
        assert!(check(text, "C").unwrap_err().contains("already used"));
        assert!(check(text, "PATH").is_err());
        assert!(check(text, "TARGETARCH").is_err());
        assert!(
            check("FROM a\nENV ┃A=1\nCMD [\"sh\", \"-c\", \"echo $A\"]\n", "Z")
                .unwrap_err()
                .contains("by hand")
        );
        assert!(check("FROM a\nENV A=1\n┃\n", "Z").is_err());
    }
}

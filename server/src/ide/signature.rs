//! Signature help: the forms of the instruction under the cursor ([`super::reference`]), which
//! form is being written (exec form once the arguments start with `[`), and which parameter the
//! cursor is on (the flag it is typing, else the argument by its position).

use super::reference::{self, InstructionDoc};
use super::{effective, instruction_at};
use crate::syntax::instruction::Keyword;
use crate::syntax::{Span, SyntaxTree};

/// One form of an instruction: its label and each parameter's byte range in the label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub label: String,
    pub parameters: Vec<(usize, usize)>,
}

/// What signature help shows at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Help {
    pub summary: &'static str,
    pub signatures: Vec<Signature>,
    pub active_signature: usize,
    pub active_parameter: usize,
}

/// The signature help at `offset`, or `None` outside an instruction's arguments.
#[must_use]
pub fn help(tree: &SyntaxTree, text: &str, offset: usize) -> Option<Help> {
    let offset = super::floor_boundary(text, offset);
    let i = instruction_at(tree, offset)?;
    let located = &tree.instructions[i];
    let instr = effective(located);
    if instr.keyword == Keyword::Unknown || offset <= located.abs(instr.keyword_span).end {
        return None;
    }
    if located
        .heredocs
        .iter()
        .any(|h| located.abs(h.body).start <= offset)
    {
        return None;
    }
    let doc: &InstructionDoc = reference::instruction(instr.keyword)?;
    let signatures: Vec<Signature> = doc.forms.iter().map(|form| signature(doc, form)).collect();
    let args = located.abs(instr.args_span);
    let exec = args.of(text).starts_with('[');
    let active_signature = if exec {
        doc.forms
            .iter()
            .position(|f| f.iter().any(|p| p.contains('[') && !p.starts_with("[--")))
            .unwrap_or(0)
    } else {
        doc.forms
            .iter()
            .position(|f| !f.iter().any(|p| p.starts_with("[\"")))
            .unwrap_or(0)
    };
    let form = doc.forms.get(active_signature).copied().unwrap_or_default();
    let flag = instr
        .flags
        .iter()
        .find(|f| {
            let span = located.abs(f.span);
            span.start <= offset && offset <= span.end
        })
        .map(|f| f.name.as_str());
    let first_arg = form.iter().position(|p| !p.starts_with("[--")).unwrap_or(0);
    let active_parameter = match flag {
        Some(name) => form
            .iter()
            .position(|p| p.starts_with(&format!("[--{name}")))
            .unwrap_or(0),
        None if offset < args.start || args.is_empty() && offset <= args.start => {
            // between the keyword and the arguments: still among the flags
            if form.first().is_some_and(|p| p.starts_with("[--")) && text[..offset].ends_with('-') {
                0
            } else {
                first_arg
            }
        }
        None => {
            let before = Span::new(args.start, offset.max(args.start)).of(text);
            let index = if exec {
                // JSON elements: the commas before the cursor
                before.matches(',').count()
            } else {
                let words = before.split_whitespace().count();
                let typing = !before.ends_with(char::is_whitespace) && !before.is_empty();
                words.saturating_sub(usize::from(typing))
            };
            let params = form.len() - first_arg;
            let k = match instr.keyword {
                // sources, then the destination
                Keyword::Copy | Keyword::Add => usize::from(index > 0),
                _ => index,
            };
            first_arg + k.min(params.saturating_sub(1))
        }
    };
    Some(Help {
        summary: doc.summary,
        signatures,
        active_signature,
        active_parameter,
    })
}

fn signature(doc: &InstructionDoc, form: &[&str]) -> Signature {
    let mut label = doc.keyword.name().to_string();
    let mut parameters = Vec::with_capacity(form.len());
    for p in form {
        label.push(' ');
        parameters.push((label.len(), label.len() + p.len()));
        label.push_str(p);
    }
    Signature { label, parameters }
}

#[cfg(test)]
mod tests {
    use super::help;
    use crate::syntax::parse;

    /// The active parameter's text at `┃`.
    fn check(fixture: &str, expected: Option<&str>) {
        let offset = fixture.find('┃').unwrap_or(0);
        let text = fixture.replacen('┃', "", 1);
        let found = help(&parse(&text), &text, offset).map(|h| {
            let signature = &h.signatures[h.active_signature];
            let (start, end) = signature.parameters[h.active_parameter];
            signature.label[start..end].to_string()
        });
        assert_eq!(found.as_deref(), expected, "{fixture}");
    }

    #[test]
    fn the_active_parameter() {
        check(
            "FROM a\nCOPY --chown=1 --from=b┃ x y",
            Some("[--from=<stage>]"),
        );
        check("FROM a\nCOPY ┃", Some("<src>..."));
        check("FROM a\nCOPY a ┃", Some("<dest>"));
        check("FROM a\nCOPY a b c┃", Some("<dest>"));
        check("FROM a\nCOPY [┃", Some("[\"<src>\",..."));
        check("FROM a\nCOPY [\"a b\", ┃", Some("\"<dest>\"]"));
        check("FROM ┃", Some("<image>[:<tag>|@<digest>]"));
        check("FROM a A┃", Some("[AS <name>]"));
        check(
            "FROM a\nRUN --mount=type=cache┃ x",
            Some("[--mount=<mount>]"),
        );
        check("FROM a\nRUN apt-get ┃", Some("<command>"));
        check(
            "FROM a\nCMD [\"a\"┃",
            Some("[\"<executable>\", \"<arg>\"...]"),
        );
        check(
            "FROM a\nHEALTHCHECK --retries=3┃ CMD x",
            Some("[--retries=<n>]"),
        );
        check("FRO┃M a", None);
        check("", None);
        check("FROM a\nRUN <<EOF\n┃x\nEOF\n", None);
    }
}

use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Form, Instruction, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds a `RUN` directly after another `RUN` in the same stage (only blank or comment lines
    /// between), both with identical flags (`--mount`, `--network`...), where each chains at
    /// most two shell commands (counting `&&`, `||`, `;`, `|` and heredoc script lines). This is
    /// hadolint DL3059's logic: long RUNs and RUNs with different mounts are left alone.
    ///
    /// ## Why is this bad?
    /// Each `RUN` is a layer with its own overhead, and files deleted in a later layer still
    /// take space in the earlier one.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN npm install
    /// RUN npm install -g nodemon
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN npm install && npm install -g nodemon
    /// ```
    ///
    /// Equivalent: hadolint DL3059.
    pub struct ConsecutiveRun {
        id: "consecutive-run",
        severity: Info,
        summary: "Consecutive small RUN instructions that could be one layer",
        hadolint: ["DL3059"],
        buildkit: [],
        per_stage: check_stage,
    }
}

/// How many shell commands a RUN chains.
fn command_count(instr: &Instruction) -> usize {
    let inline = match instr.form() {
        Some(Form::Exec { .. }) => 1,
        Some(Form::Shell(s)) => s.script.commands.len(),
        None => 0,
    };
    let heredoc: usize = instr
        .heredocs
        .iter()
        .map(|h| h.script.as_ref().map_or(1, |s| s.commands.len()))
        .sum();
    inline + heredoc
}

fn flags(instr: &Instruction) -> Vec<(String, Option<String>)> {
    let mut f: Vec<_> = instr
        .flags
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect();
    f.sort();
    f
}

fn check_stage(cx: &Analysis<'_>, s: usize, out: &mut Vec<Diagnostic>) {
    let stage = &cx.model.stages[s];
    for i in stage.body.clone().skip(1) {
        let (prev, cur) = (cx.instr(i - 1), cx.instr(i));
        if prev.keyword != Keyword::Run || cur.keyword != Keyword::Run {
            continue;
        }
        if flags(prev) != flags(cur) || command_count(prev) > 2 || command_count(cur) > 2 {
            continue;
        }
        let prev_line = cx.line_of(prev.offset) + 1;
        out.push(
            Diagnostic::new(
                &META,
                cur.keyword_span(),
                format!("this RUN directly follows the RUN on line {prev_line}; each RUN adds a layer, so join them with `&&`"),
            )
            .related(prev.keyword_span(), "the previous RUN")
            .with_fix(
                crate::rules::fixes::quick::merge_runs(cx, i - 1, i)
                    .map(|edits| crate::rules::Fix::safe("Join with the previous RUN", edits)),
            ),
        );
    }
}

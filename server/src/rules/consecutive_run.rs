use super::{declare_rule, Analysis, Diagnostic, Severity};
use crate::model::commands::{args, install_step, pkg_command, program, Ecosystem};
use crate::model::is_broad_copy;
use crate::model::purpose::{self, Kind};
use crate::syntax::instruction::{Form, Instruction, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds a `RUN` directly after another `RUN` in the same stage (only blank or comment lines
    /// between), both with identical flags (`--mount`, `--network`...), where each chains at
    /// most two shell commands (counting `&&`, `||`, `;`, `|` and heredoc script lines). This is
    /// hadolint DL3059's logic: long RUNs and RUNs with different mounts are left alone, and so
    /// is a build step right after a dependency install from manifests copied alone
    /// (`COPY go.mod go.sum ./`, `RUN go mod download`, `RUN go build`): that layer boundary is
    /// what keeps the install cached. In a stage that does not ship (a builder used
    /// through `COPY --from`), or in an image built for development or tests, the finding is
    /// only a hint and the join is not offered: its layer count costs only build time.
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
    /// ## Fix safety
    /// Each `RUN` starts a fresh shell in the WORKDIR, so the join is offered only when the
    /// first RUN leaves nothing in its shell that the second would inherit: no `cd`, `export`,
    /// `source`/`.`, `set`, `umask`, `ulimit`, `pushd`, `alias`, `trap`, `shopt`, function, or
    /// variable the second RUN reads, at the top level (a `cd` inside `( ... )` is fine), and no
    /// `exit` or `exec` that would skip it. A second RUN that is a list (`a; b`, `a || b`) is
    /// wrapped in `{ ...; }` so that a failure of the first still fails the build. Heredoc
    /// scripts, exec form, a `SHELL` instruction, or commands with `#` are not joined, and the
    /// message says why.
    ///
    /// Equivalent: hadolint DL3059.
    pub struct ConsecutiveRun {
        id: "consecutive-run",
        severity: Info,
        summary: "Consecutive small RUN instructions that could be one layer",
        hadolint: ["DL3059"],
        buildkit: [],
        fix: Safe,
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

/// The ecosystems whose dependencies a RUN installs from manifests (`npm ci`, `go mod
/// download`...).
fn installed_ecosystems(instr: &Instruction) -> Vec<Ecosystem> {
    instr
        .commands()
        .filter_map(|c| install_step(c).map(|s| s.ecosystem))
        .collect()
}

/// Whether a RUN installs anything besides building on dependencies already installed for
/// `done` (`go build` after `go mod download`): dependencies, system packages, or a tool by
/// name (`npm install -g nodemon`, `pip install gunicorn`, `gem install bundler`).
fn installs_anything(instr: &Instruction, done: &[Ecosystem]) -> bool {
    instr.commands().any(|c| {
        install_step(c).is_some_and(|s| !done.contains(&s.ecosystem))
            || pkg_command(c).is_some()
            || matches!(
                (program(c), args(c).first().map(|w| w.value.as_str())),
                (
                    Some(
                        "npm"
                            | "yarn"
                            | "pnpm"
                            | "bun"
                            | "gem"
                            | "cargo"
                            | "go"
                            | "composer"
                            | "poetry"
                            | "pdm"
                            | "pipenv"
                            | "uv"
                            | "bundle"
                            | "dotnet"
                    ),
                    Some("install" | "i" | "add" | "get" | "require")
                )
            )
            || (program(c).is_some_and(|p| p.starts_with("pip") || p == "uv")
                && args(c).iter().any(|w| w.value == "install"))
    })
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
    // layers that never reach a shipped application image: a builder's, or those of a dev or
    // test image (judged only for the built stage itself, whose purpose its own text decides)
    let tooling = stage.is_final && {
        let purpose = purpose::of_stage(cx.tree, cx.model, s, cx.path, cx.context);
        matches!(purpose.kind, Kind::DevEnvironment | Kind::Test)
    };
    for i in stage.body.clone().skip(1) {
        let (prev, cur) = (cx.instr(i - 1), cx.instr(i));
        if prev.keyword != Keyword::Run || cur.keyword != Keyword::Run {
            continue;
        }
        if flags(prev) != flags(cur) || command_count(prev) > 2 || command_count(cur) > 2 {
            continue;
        }
        // after manifests copied alone, a dependency install is the cache boundary the layout
        // is built for: joining the build into it would re-run the install on every source edit
        let installed = installed_ecosystems(prev);
        if !installed.is_empty()
            && !installs_anything(cur, &installed)
            && !stage
                .body
                .clone()
                .take_while(|&j| j < i)
                .any(|j| is_broad_copy(cx.instr(j)))
        {
            continue;
        }
        let prev_line = cx.line_of(prev.offset) + 1;
        // a stage that only hands files to others (`COPY --from`) ships none of its layers:
        // the finding stays (hadolint's), but rewriting the builder is not worth a risk
        let merged = if stage.shipped && !tooling {
            crate::rules::fixes::quick::merge_runs(cx, i - 1, i)
        } else if tooling {
            Err(
                "this image is for development or tests, where its layer count matters little"
                    .into(),
            )
        } else {
            Err("this stage's layers do not ship, only what `COPY --from` takes from it".into())
        };
        let why_not = match &merged {
            Ok(_) => String::new(),
            Err(reason) => format!(" (no automatic fix: {reason})"),
        };
        let mut d = Diagnostic::new(
            &META,
            cur.keyword_span(),
            format!("this RUN directly follows the RUN on line {prev_line}; each RUN adds a layer, so join them with `&&`{why_not}"),
        );
        if !stage.shipped || tooling {
            // the layers do not ship: say it as a hint only
            d.severity = Severity::Hint;
        }
        out.push(
            d.related(prev.keyword_span(), "the previous RUN").with_fix(
                merged
                    .ok()
                    .map(|edits| crate::rules::Fix::safe("Join with the previous RUN", edits)),
            ),
        );
    }
}

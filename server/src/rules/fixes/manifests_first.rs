//! Fix for `cache-busting-copy`: copy the dependency manifests first.
//!
//! ```text
//! FROM python:3.12-slim            FROM python:3.12-slim
//! COPY . /app                      WORKDIR /app
//! WORKDIR /app               ->    COPY requirements.txt ./
//! RUN pip install -r req...        RUN pip install -r req...
//! CMD ["python", "app.py"]         COPY . /app
//!                                  CMD ["python", "app.py"]
//! ```
//!
//! The broad COPY moves to just after the last install it was invalidating; before each install
//! a `COPY` of the manifests that install reads is inserted, resolved to where the install looks
//! for them (its WORKDIR, or the path named on its command line). When the last install's RUN
//! goes on to build from the source (`RUN npm ci && npm run build`), the RUN is split after the
//! install and the broad COPY goes in between, unless the part before leaves shell state the
//! part after needs (`export`, `cd`...) or the RUN goes on with `||` or `;`. The moved COPY keeps its resolved destination: a
//! relative one under a later `WORKDIR`, or a variable that a later `ENV`/`ARG` changes, is
//! written as the absolute path it had (`COPY . .` in `/srv` -> `COPY . /srv/`). Manifests keep
//! their paths (`requirements/base.txt` goes to `requirements/`, one COPY per folder), and the
//! files a requirements file includes (`-r`, `-c`) are followed and copied too.
//!
//! Not offered (`Err` with the reason) when the move cannot be proven safe: an instruction in
//! between may read or write the copied tree (an unknown command, a COPY into the same folder, a
//! VOLUME), the manifests are not in the context or not under the copied folder, a requirements
//! file includes a file that is not in the context or installs a local path, the context holds
//! a `node_modules` (`.venv`, `vendor`...) that .dockerignore does not exclude (copied after the
//! install it would replace the installed one), the install reads its manifests from another
//! folder (`npm --prefix backend ci`), the context is
//! unknown, or the install is also the build and its ecosystem has no dependency-only step that
//! can be shown to download what the build does (`dependency_step.rs`: `go build` gets a
//! `go mod download` before the source, `cargo build` a `cargo fetch`...).

use super::{
    after_line, block_start, eol, indentation, instruction_lines, instruction_text, line_start,
    word_escaped,
};
use crate::model::commands::{pip_args, Ecosystem, InstallStep};
use crate::model::join_path;
use crate::rules::{Analysis, Edit, Fix};
use crate::syntax::instruction::{Args, Form, Keyword};
use crate::syntax::shell::{Command, Joiner};
use crate::syntax::{Located, Span};

/// An install the broad copy invalidates: the instruction index and the command.
pub struct Install<'a> {
    pub instr: usize,
    pub cmd: &'a Command,
    pub step: InstallStep,
}

pub const TITLE: &str = "Copy dependency manifests first";

/// Build the fix for the broad copy at instruction `copy` and the installs after it.
///
/// # Errors
/// The reason the rewrite cannot be proven safe, for the diagnostic.
pub fn build(cx: &Analysis<'_>, copy: usize, installs: &[Install<'_>]) -> Result<Fix, String> {
    super::parses(cx)?;
    // Installs that only need manifests move before the copy; a project build of an ecosystem
    // whose dependencies are now installed first (`go build` after `go mod download`) stays
    // after it, and so does everything after that build.
    // An install that is also the build (`go build`, `cargo build`, `mvn package`) gets a
    // dependency-only step before the broad copy (`go mod download`, see `dependency_step.rs`),
    // and the broad copy lands just before its RUN.
    let mut planned: Vec<Ecosystem> = Vec::new();
    let mut included = 0;
    let mut source_build: Option<&Install<'_>> = None;
    for install in installs {
        if needs_source(install).is_some() {
            if !planned.contains(&install.step.ecosystem) {
                source_build = Some(install);
            }
            break;
        }
        planned.push(install.step.ecosystem);
        included += 1;
    }
    let installs = &installs[..included];
    let mut build_at = source_build.map(|b| b.instr);
    if let Some(b) = source_build {
        if installs.iter().any(|i| i.instr >= b.instr) {
            return Err(format!(
                "the RUN on line {} installs and builds in one; copy the manifests and run the install in a RUN of its own first",
                line(cx, b.instr)
            ));
        }
    }
    if installs.is_empty() && build_at.is_none() {
        return Err("no install follows".into());
    }
    if cx.context.root().is_none() {
        return Err("the build context is unknown (the file is not saved in a folder)".into());
    }
    let c = cx.instr(copy);
    let Args::Copy { sources, dest, .. } = &c.args else {
        return Err("the COPY has no destination".into());
    };
    if sources.len() != 1 {
        return Err("the COPY copies more than the context root".into());
    }
    if !c.heredocs.is_empty() {
        return Err("the COPY has a heredoc".into());
    }
    let dest_value = cx
        .model
        .expand_at(cx.tree, copy, &dest.value)
        .ok_or("the COPY's destination uses a variable with no known value")?;
    let root = join_path(&workdir(cx, copy), &unix(&dest_value));
    // Before the build, the same tool may already work on the source (`go mod tidy`, `go get
    // -d ./...`, `go mod vendor` before `go build`): the dependency-only step and the broad
    // copy go before the first of those (found by a blind evaluation).
    if let Some(b) = source_build {
        let tool = b.cmd.program();
        let from = installs
            .iter()
            .map(|i| i.instr + 1)
            .max()
            .unwrap_or(copy + 1);
        let first_use = (from..b.instr).find(|&k| {
            let l = cx.instr(k);
            l.keyword == Keyword::Run
                && l.commands()
                    .any(|cmd| cmd.program() == tool && reads_tree(cmd, &root))
        });
        if let Some(k) = first_use {
            if let Some(j) = (k..b.instr).find(|&j| {
                matches!(
                    cx.instr(j).keyword,
                    Keyword::Env | Keyword::Arg | Keyword::Workdir | Keyword::User | Keyword::Shell
                )
            }) {
                return Err(format!(
                    "the {} on line {} changes the state the build runs in, after `{}` on line {} works on the source",
                    cx.instr(j).keyword.name(),
                    line(cx, j),
                    tool.unwrap_or(""),
                    line(cx, k)
                ));
            }
            build_at = Some(k);
        }
    }
    // `RUN chmod +x mvnw` just before the build: the wrapper is one of the manifests, so the
    // dependency-only step makes it executable first, and the broad copy goes before the
    // chmod, whose work it would undo (`COPY . .` brings the context's file mode back)
    let mut prep: Vec<usize> = Vec::new();
    if let Some(mut at) = build_at.filter(|_| source_build.is_some()) {
        while at > copy + 1 && wrapper_chmod(cx, at - 1).is_some() {
            at -= 1;
            prep.insert(0, at);
        }
        build_at = Some(at);
    }
    let last = match (build_at, installs.iter().map(|i| i.instr).max()) {
        (Some(b), _) => b - 1,
        (None, Some(last)) => last,
        (None, None) => return Err("no install follows".into()),
    };

    // Everything between the copy and the last install must not touch the copied tree.
    let mut split: Option<(usize, &Command)> = None;
    let mut into_folder: Vec<usize> = Vec::new();
    // COPYs of manifests that put them where the broad copy did: the installs after them have
    // those already
    let mut covered: Vec<usize> = Vec::new();
    for k in copy + 1..=last {
        let l = cx.instr(k);
        match l.keyword {
            Keyword::Workdir
            | Keyword::Env
            | Keyword::Arg
            | Keyword::Label
            | Keyword::Expose
            | Keyword::User
            | Keyword::Stopsignal
            | Keyword::Shell
            | Keyword::Healthcheck
            | Keyword::Cmd
            | Keyword::Entrypoint => {}
            Keyword::Copy | Keyword::Add => {
                let Args::Copy { dest, .. } = &l.args else {
                    return Err(format!("line {} cannot be read", line(cx, k)));
                };
                let other = cx
                    .model
                    .expand_at(cx.tree, k, &dest.value)
                    .map(|d| join_path(&workdir(cx, k), &unix(&d)));
                let overlaps = other
                    .as_deref()
                    .is_none_or(|o| within(o, &root) || within(&root, o));
                if overlaps && same_as_broad(cx, k, c, &root, false) {
                    covered.push(k);
                } else if overlaps {
                    // `COPY requirements.txt /usr/src/app` after `COPY . /usr/src/app` copies
                    // into the folder the broad copy made; before it, a trailing `/` says so
                    if !matches!(&l.args, Args::Copy { json: true, .. })
                        && other.as_deref() == Some(root.trim_end_matches('/'))
                        && same_as_broad(cx, k, c, &root, true)
                    {
                        into_folder.push(k);
                        covered.push(k);
                        continue;
                    }
                    return Err(format!(
                        "the {} on line {} writes into the copied folder",
                        l.keyword.name(),
                        line(cx, k)
                    ));
                }
            }
            Keyword::Run => {
                let own: Vec<&Command> = installs
                    .iter()
                    .filter(|i| i.instr == k)
                    .map(|i| i.cmd)
                    .collect();
                let cmds: Vec<&Command> = l.commands().collect();
                if !l.heredocs.is_empty() && !own.is_empty() {
                    return Err(format!(
                        "the RUN on line {} is a heredoc script",
                        line(cx, k)
                    ));
                }
                if matches!(l.form(), Some(Form::Exec { .. })) {
                    return Err(format!("the RUN on line {} is in exec form", line(cx, k)));
                }
                for (n, cmd) in cmds.iter().enumerate() {
                    if own.iter().any(|o| o.span == cmd.span)
                        || !reads_tree(cmd, &root)
                        || cd_into_install_folder(cx, k, n, &cmds, installs)
                    {
                        continue;
                    }
                    let after_installs = own.iter().all(|o| {
                        cmds.iter()
                            .position(|c| c.span == o.span)
                            .is_some_and(|p| p < n)
                    });
                    if k == last
                        && build_at.is_none()
                        && after_installs
                        && n > 0
                        && cmd.joiner == Joiner::And
                    {
                        split = Some((k, cmd));
                        break;
                    }
                    if cmd.program() == Some("cd") {
                        return Err(format!(
                            "`cd` on line {} goes into a folder that only the broad copy makes",
                            line(cx, k)
                        ));
                    }
                    return Err(format!(
                        "`{}` on line {} may read the copied files",
                        short(cmd.words.first().map_or("", |w| w.value.as_str())),
                        line(cx, k)
                    ));
                }
            }
            other => {
                return Err(format!(
                    "the {} on line {} cannot be moved past safely",
                    other.name(),
                    line(cx, k)
                ))
            }
        }
    }

    // The broad COPY lands after `last` and the manifest COPYs before each install: each must
    // copy to where it did and with the owner it had. A relative destination resolves against
    // the WORKDIR of its new place and a variable against the ENV and ARG there.
    for f in c
        .flags
        .iter()
        .filter(|f| matches!(f.name.as_str(), "chown" | "chmod"))
    {
        let Some(value) = f.value.as_deref().filter(|v| v.contains('$')) else {
            continue;
        };
        let here = cx.model.expand_at(cx.tree, copy, value);
        if here.is_none()
            || installs
                .iter()
                .map(|i| i.instr)
                .chain(build_at)
                .any(|k| cx.model.expand_at(cx.tree, k, value) != here)
        {
            return Err(format!(
                "the COPY's `--{}` uses a variable whose value is unknown or differs where the COPY would go",
                f.name
            ));
        }
    }
    let moved_dest = {
        let relative =
            !dest_value.starts_with('/') && !crate::model::is_windows_absolute(&dest_value);
        let anchor = build_at.unwrap_or(last);
        let same = if dest.value.contains('$') {
            cx.model.expand_at(cx.tree, anchor, &dest.value).as_deref() == Some(dest_value.as_str())
        } else {
            true
        };
        (!same || (relative && cx.model.workdir[anchor] != cx.model.workdir[copy])).then(|| {
            let dir = dest_value == "." || dest_value.ends_with('/') || dest_value.ends_with("/.");
            let path = if dir && root != "/" {
                native(&format!("{}/", root.trim_end_matches('/')))
            } else {
                native(&root)
            };
            let Args::Copy { json, .. } = &c.args else {
                return word_escaped(&path, cx.tree.split.escape);
            };
            if *json {
                serde_json::to_string(&path).unwrap_or_default()
            } else {
                word_escaped(&path, cx.tree.split.escape)
            }
        })
    };

    // After the move the broad COPY comes after the install: a local `node_modules` (or
    // `.venv`, `vendor`...) that the context sends would land on the installed one, where the
    // install used to replace it.
    for install in installs.iter().chain(source_build) {
        let wd = install_dir(cx, install)?;
        for folder in install_output(install) {
            let Some(rel) = relative(&join_path(&wd, &folder), &root) else {
                continue;
            };
            let ignored = cx
                .context
                .dockerignore()
                .is_some_and(|d| d.is_excluded(&rel));
            if cx.context.exists(&rel) == Some(true) && !ignored {
                return Err(format!(
                    "the context's `{rel}` is not in .dockerignore, and copied after the install it would replace the installed one; add it to .dockerignore"
                ));
            }
        }
    }

    // The project's own npm lifecycle scripts (`postinstall`...) may read any file: the install
    // runs with `--ignore-scripts` on the manifests, and they run after the broad copy.
    let mut hooks: Option<(&Install<'_>, Vec<&'static str>)> = None;
    for install in installs {
        if install.step.ecosystem != Ecosystem::Npm
            || install
                .cmd
                .args()
                .iter()
                .any(|a| a.value == "--ignore-scripts")
        {
            continue;
        }
        let Some(dir) = relative(&install_dir(cx, install)?, &root) else {
            continue;
        };
        let manifest = join_rel(&dir, "package.json");
        let Some(json) = cx
            .context
            .read(&manifest)
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        else {
            continue;
        };
        let found = deferrable_hooks(cx, &manifest, &json, install).unwrap_or_default();
        if found.is_empty() {
            continue;
        }
        if hooks.is_some() || install.instr != last || build_at.is_some() {
            return Err(format!(
                "`{manifest}` runs lifecycle scripts during the install on line {}, which must run after the source copy, and another install comes after it",
                line(cx, install.instr)
            ));
        }
        hooks = Some((install, found));
    }

    let text = cx.text;
    let nl = eol(text);
    let flags: String = c
        .flags
        .iter()
        .filter(|f| matches!(f.name.as_str(), "chown" | "chmod"))
        .map(|f| format!("{} ", c.abs(f.span).of(text)))
        .collect();
    let mut edits = vec![Edit {
        span: instruction_lines(text, c),
        text: String::new(),
    }];
    for &k in &into_folder {
        if let Args::Copy { dest, .. } = &cx.instr(k).args {
            edits.push(Edit {
                span: Span::empty(cx.instr(k).abs(dest.span).end),
                text: "/".into(),
            });
        }
    }

    // One manifest COPY before each RUN with installs (files grouped by destination folder).
    let mut runs: Vec<usize> = installs.iter().map(|i| i.instr).collect();
    runs.dedup();
    for &k in &runs {
        let mut files: Vec<(String, String)> = Vec::new();
        for install in installs.iter().filter(|i| i.instr == k) {
            files.extend(manifests(cx, install, &root, &install_dir(cx, install)?)?);
        }
        files.retain(|file| {
            !covered.iter().any(|&j| {
                j < k
                    && matches!(&cx.instr(j).args, Args::Copy { sources, .. } if sources.iter().any(|s| {
                        normalize(&unix(&s.value)).is_some_and(|rel| {
                            file.0 == rel && file.1 == parent(&join_path(&root, &rel))
                        })
                    }))
            })
        });
        let lines = by_folder(files);
        let at = block_start(text, cx.instr(k).span().start);
        edits.push(Edit {
            span: Span::empty(at),
            text: copy_lines(cx, k, &lines, &flags),
        });
    }

    // The broad copy goes after the installs (or between the install and the build of a split RUN).
    let copy_text = instruction_text(text, c);
    let copy_text = match &moved_dest {
        Some(path) => {
            let from = line_start(text, c.span().start);
            let at = c.abs(dest.span);
            format!(
                "{}{path}{}",
                &text[from..at.start],
                &copy_text[at.end - from..]
            )
        }
        None => copy_text.to_string(),
    };
    let copy_text = copy_text.as_str();
    if let Some(build) = source_build {
        // the manifests, the dependency-only step and the broad copy, just before the build
        let k = build.instr;
        let run = cx.instr(k);
        if !run.heredocs.is_empty() || !matches!(run.form(), Some(Form::Shell(_))) {
            return Err(format!(
                "the build on line {} is not a plain shell-form RUN",
                line(cx, k)
            ));
        }
        // only `cd`s may come before the build in its RUN (`cd backend && go build`): the
        // dependency-only step starts with them too
        let before: Vec<&Command> = run
            .commands()
            .take_while(|c| c.span != build.cmd.span)
            .collect();
        if before
            .iter()
            .any(|c| c.program() != Some("cd") || !matches!(c.joiner, Joiner::Start | Joiner::And))
            || !matches!(build.cmd.joiner, Joiner::Start | Joiner::And)
            || (!before.is_empty() && build.step.ecosystem == Ecosystem::Cargo)
        {
            return Err(format!(
                "the build on line {} is not the first command of its RUN, so a step before it would run without what the commands before it do",
                line(cx, k)
            ));
        }
        let prep_prefix: String = prep
            .iter()
            .filter_map(|&p| wrapper_chmod(cx, p))
            .map(|script| format!("{script} && "))
            .collect();
        let cd_prefix = match (before.first(), run.form()) {
            (Some(first), Some(Form::Shell(_))) => {
                Span::new(run.abs(first.span).start, run.abs(build.cmd.span).start).of(text)
            }
            _ => "",
        };
        if cd_prefix.contains(['\n', '\r', '#']) {
            return Err(format!(
                "the `cd` before the build on line {} spans lines",
                line(cx, k)
            ));
        }
        if (0..k).any(|j| cx.instr(j).keyword == Keyword::Shell) {
            return Err("a SHELL instruction changes how a new RUN would run".into());
        }
        let wd = install_dir(cx, build)?;
        let Some(rel_dir) = relative(&wd, &root) else {
            return Err(format!(
                "the build runs in `{wd}`, outside the copied folder `{root}`"
            ));
        };
        if !super::dependency_step::SUPPORTED.contains(&build.step.ecosystem) {
            return Err(needs_source(build).unwrap_or_default());
        }
        let mut files = manifests(cx, build, &root, &wd)?;
        let step = super::dependency_step::plan(cx, k, build.cmd, build.step.ecosystem, &rel_dir)?;
        for required in &step.required {
            let rel = join_rel(&rel_dir, required);
            if !super::dependency_step::sent(cx, &rel) {
                return Err(format!(
                    "`{rel}` is not in the build context, so a step before the source would choose the versions the build uses"
                ));
            }
            let item = (rel, wd.clone());
            if !files.contains(&item) {
                files.push(item);
            }
        }
        for (extra, folder) in &step.extra {
            let rel = join_rel(&rel_dir, extra);
            let image = join_path(&root, &rel);
            files.push((rel, if *folder { image } else { parent(&image) }));
        }
        let lines = by_folder(files);
        let allow = super::equivalence::Allowance {
            added_commands: super::equivalence::command_keys(&format!(
                "{prep_prefix}{cd_prefix}{}",
                step.script
            )),
            ..Default::default()
        };
        let place = cx.instr(build_at.unwrap_or(k));
        let at = block_start(text, place.span().start);
        let indent = indentation(text, place.span().start);
        edits.push(Edit {
            span: Span::empty(at),
            text: format!(
                "{}{indent}RUN {}{prep_prefix}{cd_prefix}{}{nl}{}{nl}",
                copy_lines(cx, k, &lines, &flags),
                step.flags,
                step.script,
                copy_text.trim_end_matches(['\r', '\n'])
            ),
        });
        edits.sort_by_key(|e| (e.span.start, e.span.end));
        return super::verified(cx, Fix::unsafe_edit(TITLE, edits), &allow);
    }
    match split {
        Some((k, cmd)) => {
            let run = cx.instr(k);
            let cmds: Vec<&Command> = run.commands().collect();
            let pos = cmds.iter().position(|x| x.span == cmd.span).unwrap_or(0);
            let prev = cmds[pos - 1];
            let gap = Span::new(run.abs(prev.span).end, run.abs(cmd.span).start);
            let gap_text = gap.of(text);
            if gap_text.contains('#')
                || !gap_text
                    .chars()
                    .all(|ch| ch.is_whitespace() || ch == '&' || ch == cx.tree.split.escape)
            {
                return Err(format!(
                    "the RUN on line {} cannot be split cleanly after the install",
                    line(cx, k)
                ));
            }
            let Some(Form::Shell(shell)) = run.form() else {
                return Err("the RUN is not shell text".into());
            };
            // split, the second RUN starts a fresh shell (no `cd`, `export`... of the first),
            // and `a && b || c` would no longer let `c` rescue a failing `a`
            let logical = crate::syntax::shell::lex_with_escape(&shell.text, cx.tree.split.escape);
            let (Some(before), Some(after)) =
                (logical.commands.get(pos - 1), logical.commands.get(pos))
            else {
                return Err(format!(
                    "the RUN on line {} cannot be split cleanly after the install",
                    line(cx, k)
                ));
            };
            let (first, rest) = (
                &shell.text[..before.span.end],
                &shell.text[after.span.start..],
            );
            if let Some(what) = super::shell_state::leftover(first, rest) {
                return Err(format!(
                    "`{what}` on line {} would not carry over once the RUN is split after the install",
                    line(cx, k)
                ));
            }
            if cmds[pos + 1..]
                .iter()
                .any(|c| !matches!(c.joiner, Joiner::And | Joiner::Pipe))
            {
                return Err(format!(
                    "the RUN on line {} goes on with `||` or `;`, which splitting it would change",
                    line(cx, k)
                ));
            }
            // the second RUN would read a leading `--word` as one of its flags
            if text[run.abs(cmd.span).start..].starts_with('-') {
                return Err(format!(
                    "the RUN on line {} cannot be split cleanly after the install",
                    line(cx, k)
                ));
            }
            let head = Span::new(run.keyword_span().start, run.abs(shell.span).start).of(text);
            let indent = indentation(text, run.span().start);
            let deferred: String = hooks
                .as_ref()
                .map(|(_, h)| format!("{} && ", run_hooks(h)))
                .unwrap_or_default();
            edits.push(Edit {
                span: gap,
                text: format!("{nl}{}{nl}{indent}{head}{deferred}", copy_text.trim_end()),
            });
        }
        None => {
            let run = cx.instr(last);
            let end = after_line(text, run.span().end.saturating_sub(1).max(run.span().start));
            let needs_break = !text[..end].ends_with('\n');
            let mut copy_text = copy_text.to_string();
            if let Some((install, h)) = &hooks {
                if run.commands().count() != 1 {
                    return Err(format!(
                        "the RUN on line {} goes on after the install, before which its lifecycle scripts must run",
                        line(cx, install.instr)
                    ));
                }
                let indent = indentation(text, run.span().start);
                let flags = super::dependency_step::run_flags(cx, run)?;
                copy_text = format!(
                    "{}{nl}{indent}RUN {flags}{}",
                    copy_text.trim_end_matches(['\r', '\n']),
                    run_hooks(h)
                );
            }
            let inserted = if needs_break {
                format!("{nl}{copy_text}")
            } else {
                format!("{copy_text}{nl}")
            };
            edits.push(Edit {
                span: Span::empty(end),
                text: inserted,
            });
        }
    }
    let mut allow = super::equivalence::Allowance::default();
    if let Some((install, h)) = &hooks {
        // the install itself runs without the scripts
        let run = cx.instr(install.instr);
        let Some(last_word) = install.cmd.words.last() else {
            return Err("the install has no words".into());
        };
        edits.push(Edit {
            span: Span::empty(run.abs(last_word.span).end),
            text: " --ignore-scripts".into(),
        });
        allow.added_options.push("--ignore-scripts".into());
        allow.added_commands = super::equivalence::command_keys(&run_hooks(h));
    }
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    super::verified(cx, Fix::unsafe_edit(TITLE, edits), &allow)
}

/// `npm run A && npm run B`: the lifecycle scripts `hooks`, in order.
fn run_hooks(hooks: &[&str]) -> String {
    hooks
        .iter()
        .map(|h| format!("npm run {h}"))
        .collect::<Vec<_>>()
        .join(" && ")
}

/// Whether the COPY at `k` puts context files exactly where the broad COPY `broad` (of the
/// context root to `root`) already put them, with the same owner and mode: `COPY . /app`, then
/// `COPY requirements.txt /app/` (found by a blind evaluation). Moving the broad copy past it
/// changes nothing it copies.
fn same_as_broad(
    cx: &Analysis<'_>,
    k: usize,
    broad: &Located,
    root: &str,
    as_folder: bool,
) -> bool {
    let l = cx.instr(k);
    let Args::Copy {
        sources,
        dest,
        json: _,
    } = &l.args
    else {
        return false;
    };
    let flags = |i: &Located| -> Vec<String> {
        i.flags
            .iter()
            .map(|f| format!("{}={}", f.name, f.value.as_deref().unwrap_or("")))
            .collect()
    };
    if l.keyword != Keyword::Copy
        || !l.heredocs.is_empty()
        || flags(l) != flags(broad)
        || l.flags
            .iter()
            .any(|f| !matches!(f.name.as_str(), "chown" | "chmod"))
    {
        return false;
    }
    let Some(d) = cx.model.expand_at(cx.tree, k, &dest.value) else {
        return false;
    };
    let dest_abs = join_path(&workdir(cx, k), &unix(&d));
    // not a destination that is a folder only because the broad copy made it one (`COPY
    // requirements.txt /usr/src/app`): before the broad copy, that writes a file named `app`
    let to_dir = as_folder || d.ends_with('/') || d == "." || sources.len() > 1;
    sources.iter().all(|s| {
        let src = unix(&s.value);
        let Some(rel) = normalize(&src) else {
            return false;
        };
        if rel.is_empty()
            || src.contains(['*', '?', '[', '$'])
            || src.starts_with('/')
            || cx.context.entries(&rel).is_some()
        {
            return false;
        }
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        let lands = if to_dir {
            join_path(&dest_abs, name)
        } else {
            dest_abs.clone()
        };
        lands == join_path(root, &rel)
    })
}

/// Files to copy, `(context path, image folder)`, grouped by folder (one COPY each), in order
/// and without repeats.
fn by_folder(files: Vec<(String, String)>) -> Vec<(String, Vec<String>)> {
    let mut lines: Vec<(String, Vec<String>)> = Vec::new();
    for (context_path, image_dir) in files {
        match lines.iter_mut().find(|(d, _)| *d == image_dir) {
            Some((_, f)) if !f.contains(&context_path) => f.push(context_path),
            Some(_) => {}
            None => lines.push((image_dir, vec![context_path])),
        }
    }
    lines
}

/// `COPY` lines for the manifests `lines` (image folder, context files) before RUN `k`, each
/// with the broad copy's `--chown`/`--chmod` (`flags`).
fn copy_lines(cx: &Analysis<'_>, k: usize, lines: &[(String, Vec<String>)], flags: &str) -> String {
    let text = cx.text;
    let nl = eol(text);
    let at = line_start(text, cx.instr(k).span().start);
    let indent = indentation(text, at);
    lines
        .iter()
        .map(|(dir, files)| {
            let dest = if *dir == workdir(cx, k) {
                "./".to_string()
            } else {
                native(&format!("{}/", dir.trim_end_matches('/')))
            };
            let files: Vec<String> = files
                .iter()
                .map(|f| word_escaped(f, cx.tree.split.escape))
                .collect();
            format!(
                "{indent}COPY {flags}{} {}{nl}",
                files.join(" "),
                word_escaped(&dest, cx.tree.split.escape)
            )
        })
        .collect()
}

/// The manifests an install reads: (path in the context, folder in the image).
fn manifests(
    cx: &Analysis<'_>,
    install: &Install<'_>,
    root: &str,
    wd: &str,
) -> Result<Vec<(String, String)>, String> {
    let step = &install.step;
    // `npm --prefix backend ci` reads backend/package.json: not the WORKDIR's
    let args = install.cmd.args();
    for (n, a) in args.iter().enumerate() {
        let (name, inline) = match a.value.split_once('=') {
            Some((name, value)) if name.starts_with('-') => (name, Some(value)),
            _ => (a.value.as_str(), None),
        };
        let Some(&(_, is_file)) = elsewhere_options(step.ecosystem)
            .iter()
            .find(|(o, _)| *o == name)
        else {
            continue;
        };
        let value = inline.or_else(|| args.get(n + 1).map(|v| v.value.as_str()));
        let folder = value.map(|v| {
            let path = join_path(wd, &unix(v));
            if is_file {
                parent(&path)
            } else {
                path
            }
        });
        if folder.as_deref() != Some(wd) {
            return Err(format!(
                "`{name}` makes the install read its manifests from another folder"
            ));
        }
    }
    let mut out = Vec::new();
    let rel_dir = relative(wd, root);
    if step.ecosystem == Ecosystem::Dotnet {
        // the project (or solution), the projects it references, and the settings MSBuild and
        // NuGet read from its folders
        let Some(rel_dir) = &rel_dir else {
            return Err(format!(
                "the install runs in `{wd}`, outside the copied folder `{root}`"
            ));
        };
        for rel in super::dotnet::restore_inputs(cx, rel_dir, &step.files)? {
            let image = join_path(root, &rel);
            out.push((rel, parent(&image)));
        }
        return Ok(out);
    }
    // files named on the command line
    for file in &step.files {
        let file = &unix(file);
        let abs = join_path(wd, file);
        let Some(rel) = relative(&abs, root) else {
            return Err(format!("`{file}` is not under the copied folder `{root}`"));
        };
        if !super::dependency_step::sent(cx, &rel) {
            return Err(format!(
                "`{rel}` is not in the build context (or .dockerignore leaves it out)"
            ));
        }
        let dir = parent(&abs);
        // an included file lands where the broad COPY would have put it, beside its own folder
        let mut seen = vec![rel.clone()];
        for nested in nested_requirements(cx, &rel, step.ecosystem, &mut seen)? {
            let image = join_path(root, &nested);
            out.push((nested, parent(&image)));
        }
        out.push((rel, dir));
    }
    // the ecosystem's own manifests, in the install's folder
    if step.files.is_empty()
        || !matches!(
            step.ecosystem,
            Ecosystem::Pip | Ecosystem::UvPip | Ecosystem::Conda
        )
    {
        let Some(rel_dir) = rel_dir else {
            return Err(format!(
                "the install runs in `{wd}`, outside the copied folder `{root}`"
            ));
        };
        for (k, group) in step.ecosystem.manifests().iter().enumerate() {
            let found = group
                .iter()
                .map(|name| join_rel(&rel_dir, name))
                .find(|p| super::dependency_step::sent(cx, p));
            match found {
                Some(p) => out.push((p, wd.to_string())),
                None if k == 0 => {
                    return Err(format!(
                        "`{}` is not in the build context",
                        join_rel(&rel_dir, group[0])
                    ))
                }
                None => {}
            }
        }
        // the package manager's own settings beside the manifests (`legacy-peer-deps` in
        // .npmrc, a private registry, yarn's pinned release): without them the install fails
        // or installs something else
        for &(name, folder) in config_files(step.ecosystem) {
            let rel = join_rel(&rel_dir, name);
            if super::dependency_step::sent(cx, &rel) {
                let image = format!("{}/{name}", wd.trim_end_matches('/'));
                out.push((rel, if folder { image } else { parent(&image) }));
            }
        }
        if step.ecosystem == Ecosystem::Mix
            && cx.context.exists(&join_rel(&rel_dir, "config")) == Some(true)
        {
            out.push((
                join_rel(&rel_dir, "config"),
                format!("{}/config", wd.trim_end_matches('/')),
            ));
        }
    }
    if out.is_empty() {
        return Err(format!(
            "cannot tell which files `{}` reads",
            step.ecosystem.name()
        ));
    }
    let mut unique: Vec<(String, String)> = Vec::with_capacity(out.len());
    for item in out {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    let mut more = Vec::new();
    for (rel, _) in &unique {
        for extra in reads_more(cx, rel, install)? {
            let item = (extra.clone(), parent(&join_path(root, &extra)));
            if !unique.contains(&item) && !more.contains(&item) {
                more.push(item);
            }
        }
    }
    unique.extend(more);
    Ok(unique)
}

/// The files besides the manifests a manifest makes the install read, which can be copied
/// with it: the go.mod of each module a go.mod `replace`s with a local folder (`go mod download`
/// reads it to know the replacement's own requirements).
///
/// Fails when they cannot be: npm workspaces (the install reads every workspace's package.json
/// and links the workspaces), an install script of the package (`postinstall`, `prepare`... run
/// a command of the project, unless the install has `--ignore-scripts`), a local replacement
/// outside the context or without a go.mod. Copied alone, the manifest gives an install that
/// fails or, worse, succeeds without the workspaces (the app then fails when it runs).
fn reads_more(cx: &Analysis<'_>, rel: &str, install: &Install<'_>) -> Result<Vec<String>, String> {
    let mut extra = Vec::new();
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let ecosystem = install.step.ecosystem;
    if name == "package.json"
        && matches!(
            ecosystem,
            Ecosystem::Npm | Ecosystem::Yarn | Ecosystem::Pnpm | Ecosystem::Bun
        )
    {
        let Some(text) = cx.context.read(rel) else {
            return Err(format!(
                "`{rel}` cannot be read to see what the install needs"
            ));
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            return Err(format!(
                "`{rel}` cannot be read to see what the install needs"
            ));
        };
        let folder = rel.rsplit_once('/').map_or("", |(dir, _)| dir);
        let pnpm_workspace = if folder.is_empty() {
            "pnpm-workspace.yaml".to_string()
        } else {
            format!("{folder}/pnpm-workspace.yaml")
        };
        if cx.context.exists(&pnpm_workspace) == Some(true) {
            return Err(format!(
                "`{pnpm_workspace}` makes this a pnpm workspace, whose package.json files the install reads too"
            ));
        }
        let ignore_scripts = install
            .cmd
            .args()
            .iter()
            .any(|a| a.value == "--ignore-scripts");
        if let Some(ws) = json.get("workspaces") {
            // npm and yarn read every workspace's package.json and link the workspaces
            if !matches!(ecosystem, Ecosystem::Npm | Ecosystem::Yarn) {
                return Err(format!(
                    "`{rel}` declares workspaces, whose package.json files the install reads too"
                ));
            }
            for member in workspaces(cx, folder, ws)? {
                let manifest = join_rel(&member, "package.json");
                let member_json = cx
                    .context
                    .read(&manifest)
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                    .ok_or_else(|| {
                        format!("`{manifest}` cannot be read to see what the install needs")
                    })?;
                if let Some(hook) = install_hook(&member_json).filter(|_| !ignore_scripts) {
                    return Err(format!(
                        "the workspace `{member}` runs a `{hook}` script during the install, which may read files besides the manifests"
                    ));
                }
                if member_json.get("bin").is_some() {
                    return Err(format!(
                        "the workspace `{member}` declares `bin` files, which the install links and makes executable: they must be there"
                    ));
                }
                let modules = join_rel(&member, "node_modules");
                if super::dependency_step::sent(cx, &modules) {
                    return Err(format!(
                        "the context's `{modules}` is not in .dockerignore, and copied after the install it would replace the installed one; add it to .dockerignore"
                    ));
                }
                extra.push(manifest);
            }
        }
        if !ignore_scripts {
            if let Some(scripts) = json.get("scripts").and_then(|s| s.as_object()) {
                for hook in ROOT_HOOKS {
                    if let Some(cmd) = scripts.get(*hook).and_then(|v| v.as_str()) {
                        if let Err(why) = deferrable_hooks(cx, rel, &json, install) {
                            return Err(format!(
                                "`{rel}` runs a `{hook}` script (`{}`) during the install, which may read files besides the manifests, and it cannot run after the source copy instead: {why}",
                                short(cmd)
                            ));
                        }
                        break;
                    }
                }
            }
        }
    }
    if name == "go.mod" && ecosystem == Ecosystem::Go {
        let Some(text) = cx.context.read(rel) else {
            return Err(format!(
                "`{rel}` cannot be read to see what the install needs"
            ));
        };
        let mut in_block = false;
        for l in text.lines() {
            let l = l.split("//").next().unwrap_or("").trim();
            let spec = if in_block {
                if l == ")" {
                    in_block = false;
                    continue;
                }
                l
            } else if let Some(rest) = l.strip_prefix("replace") {
                let rest = rest.trim();
                if rest == "(" {
                    in_block = true;
                    continue;
                }
                rest
            } else {
                continue;
            };
            if let Some((from, to)) = spec.split_once("=>") {
                let to = to.split_whitespace().next().unwrap_or("");
                if to.starts_with("./") || to.starts_with("../") || to.starts_with('/') {
                    let folder = rel.rsplit_once('/').map_or("", |(dir, _)| dir);
                    let replaced = (!to.starts_with('/'))
                        .then(|| normalize(&join_rel(folder, &format!("{to}/go.mod"))))
                        .flatten()
                        .filter(|m| super::dependency_step::sent(cx, m));
                    let Some(replaced) = replaced else {
                        return Err(format!(
                            "`{rel}` replaces `{}` with the local folder `{to}`, whose go.mod is not in the build context",
                            from.split_whitespace().next().unwrap_or("")
                        ));
                    };
                    extra.push(replaced);
                }
            }
        }
    }
    Ok(extra)
}

/// The settings files (and folders: `true`) an ecosystem's installer reads beside its
/// manifests, copied with them when the context has them.
fn config_files(ecosystem: Ecosystem) -> &'static [(&'static str, bool)] {
    match ecosystem {
        Ecosystem::Npm => &[(".npmrc", false)],
        Ecosystem::Yarn => &[
            (".npmrc", false),
            (".yarnrc", false),
            (".yarnrc.yml", false),
            (".yarn/releases", true),
            (".yarn/plugins", true),
            (".yarn/patches", true),
            (".yarn/cache", true),
        ],
        Ecosystem::Pnpm => &[(".npmrc", false), (".pnpmfile.cjs", false)],
        Ecosystem::Bun => &[(".npmrc", false), ("bunfig.toml", false)],
        Ecosystem::Pip | Ecosystem::UvPip => &[],
        Ecosystem::Uv => &[(".python-version", false), ("uv.toml", false)],
        Ecosystem::Poetry => &[("poetry.toml", false)],
        Ecosystem::Pdm => &[("pdm.toml", false), (".pdm-python", false)],
        Ecosystem::Bundler => &[(".bundle/config", false), (".ruby-version", false)],
        Ecosystem::Composer => &[("auth.json", false)],
        Ecosystem::Cargo => &[
            (".cargo/config.toml", false),
            (".cargo/config", false),
            ("rust-toolchain.toml", false),
            ("rust-toolchain", false),
        ],
        Ecosystem::Maven => &[(".mvn", true)],
        Ecosystem::Gradle => &[("gradle", true), ("gradlew", false)],
        Ecosystem::Dotnet => &[
            ("NuGet.config", false),
            ("nuget.config", false),
            ("global.json", false),
            ("Directory.Build.props", false),
            ("Directory.Packages.props", false),
        ],
        _ => &[],
    }
}

/// The lifecycle scripts of the project's own package.json that `npm ci`/`npm install` runs,
/// in the order it runs them, after the dependencies are installed.
const ROOT_HOOKS: &[&str] = &[
    "preinstall",
    "install",
    "postinstall",
    "prepublish",
    "preprepare",
    "prepare",
    "postprepare",
];

/// The project's lifecycle scripts an npm install runs (see [`ROOT_HOOKS`]), when they can run
/// after the source copy instead: the install runs with `--ignore-scripts` on the manifests,
/// and `npm run HOOK` after the copy. That is the same only when no dependency has scripts of
/// its own (which `--ignore-scripts` would skip: the lock file of version 2 or 3 says so with
/// `hasInstallScript`) and none comes from git (npm builds those with their `prepare`).
///
/// # Errors
/// Why the scripts must run where they are.
fn deferrable_hooks(
    cx: &Analysis<'_>,
    rel: &str,
    json: &serde_json::Value,
    install: &Install<'_>,
) -> Result<Vec<&'static str>, String> {
    if install.step.ecosystem != Ecosystem::Npm {
        return Err(format!(
            "only npm's lock file says which dependencies have scripts, not {}'s",
            install.step.ecosystem.name()
        ));
    }
    if cx.instr(install.instr).commands().next().map(|c| c.span) != Some(install.cmd.span) {
        return Err("the install is not the first command of its RUN".into());
    }
    let folder = rel.rsplit_once('/').map_or("", |(dir, _)| dir);
    let lock = ["package-lock.json", "npm-shrinkwrap.json"]
        .iter()
        .map(|l| join_rel(folder, l))
        .find(|l| super::dependency_step::sent(cx, l))
        .ok_or("there is no package-lock.json to say which dependencies have scripts")?;
    let lock_json: serde_json::Value = cx
        .context
        .read(&lock)
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or_else(|| format!("`{lock}` cannot be read"))?;
    let packages = lock_json
        .get("packages")
        .and_then(|p| p.as_object())
        .filter(|_| {
            lock_json
                .get("lockfileVersion")
                .and_then(serde_json::Value::as_u64)
                .is_some_and(|v| v >= 2)
        })
        .ok_or_else(|| {
            format!("`{lock}` is of version 1, which does not say which dependencies have scripts")
        })?;
    for (path, entry) in packages {
        if path.is_empty() {
            continue;
        }
        let name = path.rsplit("node_modules/").next().unwrap_or(path);
        if entry.get("hasInstallScript") == Some(&serde_json::Value::Bool(true)) {
            return Err(format!(
                "the dependency `{name}` has install scripts of its own, which `--ignore-scripts` would skip"
            ));
        }
        if entry
            .get("resolved")
            .and_then(|r| r.as_str())
            .is_some_and(|r| r.starts_with("git") || r.contains("git+"))
        {
            return Err(format!(
                "the dependency `{name}` comes from git, which npm builds with its own scripts"
            ));
        }
    }
    let scripts = json.get("scripts").and_then(|s| s.as_object());
    Ok(ROOT_HOOKS
        .iter()
        .copied()
        .filter(|h| scripts.is_some_and(|s| s.get(*h).is_some_and(serde_json::Value::is_string)))
        .collect())
}

/// The lifecycle script of a package.json that the install runs (`postinstall`...), if any.
fn install_hook(json: &serde_json::Value) -> Option<&'static str> {
    let scripts = json.get("scripts")?.as_object()?;
    ["preinstall", "install", "postinstall", "prepare"]
        .into_iter()
        .find(|hook| scripts.get(*hook).is_some_and(serde_json::Value::is_string))
}

/// The folders (relative to the context) of the workspaces a package.json in `folder` declares:
/// each listed folder, and each folder with a package.json inside one named by `dir/*`.
///
/// # Errors
/// For a pattern of another shape, a workspace outside the context or without a package.json,
/// or a context whose folders cannot be listed.
fn workspaces(
    cx: &Analysis<'_>,
    folder: &str,
    ws: &serde_json::Value,
) -> Result<Vec<String>, String> {
    let patterns: Vec<&str> = ws
        .as_array()
        .or_else(|| ws.get("packages").and_then(|p| p.as_array()))
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for pattern in patterns {
        let (dir, all) = match pattern.trim_end_matches('/').strip_suffix("/*") {
            Some(dir) => (dir, true),
            None => (pattern.trim_end_matches('/'), false),
        };
        if dir.contains(['*', '?', '[', '{', '!']) {
            return Err(format!(
                "the workspace pattern `{pattern}` is beyond what layerwise follows (a folder, or `folder/*`)"
            ));
        }
        let Some(dir) = normalize(&join_rel(folder, dir)) else {
            return Err(format!(
                "the workspace `{pattern}` is outside the build context"
            ));
        };
        if all {
            let members = cx.context.entries(&dir).ok_or_else(|| {
                if cx.context.exists(&dir) == Some(false) {
                    format!(
                        "the package.json declares workspaces in `{dir}`, which is not in the build context"
                    )
                } else {
                    format!("the workspaces in `{dir}` cannot be listed")
                }
            })?;
            for (name, _) in members.into_iter().filter(|(_, folder)| *folder) {
                let member = join_rel(&dir, &name);
                if super::dependency_step::sent(cx, &join_rel(&member, "package.json")) {
                    out.push(member);
                }
            }
        } else if super::dependency_step::sent(cx, &join_rel(&dir, "package.json")) {
            out.push(dir);
        } else {
            return Err(format!(
                "the workspace `{dir}` has no package.json in the build context"
            ));
        }
    }
    Ok(out)
}

/// Options with which an install reads its manifests from another folder than its WORKDIR,
/// and whether their value is a file (`mvn -f app/pom.xml`) rather than a folder.
fn elsewhere_options(ecosystem: Ecosystem) -> &'static [(&'static str, bool)] {
    match ecosystem {
        Ecosystem::Npm => &[
            ("--prefix", false),
            ("-C", false),
            ("--workspace", false),
            ("-w", false),
        ],
        Ecosystem::Yarn | Ecosystem::Bun => &[("--cwd", false)],
        Ecosystem::Pnpm => &[
            ("--dir", false),
            ("-C", false),
            ("--filter", false),
            ("-F", false),
        ],
        Ecosystem::Poetry => &[
            ("-C", false),
            ("--directory", false),
            ("-P", false),
            ("--project", false),
        ],
        Ecosystem::Uv => &[("--directory", false), ("--project", false)],
        Ecosystem::Pdm => &[("-p", false), ("--project", false)],
        Ecosystem::Composer => &[("-d", false), ("--working-dir", false)],
        Ecosystem::Bundler => &[("--gemfile", true)],
        Ecosystem::Maven => &[("-f", true), ("--file", true)],
        Ecosystem::Gradle => &[
            ("-p", false),
            ("--project-dir", false),
            ("-b", true),
            ("--build-file", true),
        ],
        Ecosystem::Go => &[("-C", false), ("-modfile", true)],
        Ecosystem::Cargo => &[("--manifest-path", true)],
        _ => &[],
    }
}

/// The folders an install writes next to the manifests (relative to its WORKDIR), which a
/// local copy in the context would shadow.
fn install_output(install: &Install<'_>) -> Vec<String> {
    let fixed: &[&str] = match install.step.ecosystem {
        Ecosystem::Npm | Ecosystem::Yarn | Ecosystem::Pnpm | Ecosystem::Bun => &["node_modules"],
        Ecosystem::Uv | Ecosystem::Poetry | Ecosystem::Pipenv | Ecosystem::Pdm => &[".venv"],
        Ecosystem::Composer => &["vendor"],
        Ecosystem::Bundler => &["vendor/bundle", ".bundle"],
        Ecosystem::Mix => &["deps", "_build"],
        Ecosystem::Dotnet => {
            // `obj` beside each project restored
            let mut out: Vec<String> = install
                .step
                .files
                .iter()
                .map(|f| {
                    let f = unix(f);
                    match f.rsplit_once('/') {
                        Some((dir, _)) => format!("{dir}/obj"),
                        None => "obj".to_string(),
                    }
                })
                .collect();
            if out.is_empty() {
                out.push("obj".to_string());
            }
            return out;
        }
        _ => &[],
    };
    fixed.iter().map(|f| (*f).to_string()).collect()
}

/// Why an install cannot run on the manifests alone (it builds or installs the project), if so.
fn needs_source(install: &Install<'_>) -> Option<String> {
    let cmd = install.cmd;
    let has = |flag: &str| cmd.args().iter().any(|a| a.value == flag);
    let sub = cmd
        .args()
        .iter()
        .find(|a| !a.value.starts_with('-'))
        .map(|a| a.value.as_str());
    let reason = match install.step.ecosystem {
        Ecosystem::Composer => "`composer install` runs scripts and builds the autoloader from the source tree",
        Ecosystem::Cargo => "`cargo` has no dependencies-only build without cargo-chef or a dummy main",
        Ecosystem::Go if !is_mod_download(cmd) => "`go build` compiles the source; copy go.mod and go.sum and run `go mod download` first",
        Ecosystem::Maven | Ecosystem::Gradle if sub.is_some_and(|s| !s.contains("dependencies") && !s.contains("go-offline") && !s.contains("resolve")) => {
            "the build compiles the source; copy the build files and run a dependencies-only step (`mvn dependency:go-offline`, `gradle dependencies`) first"
        }
        Ecosystem::Dotnet if sub != Some("restore") => "`dotnet build`/`publish` compiles the source; copy the project files and run `dotnet restore` first",
        Ecosystem::Uv if sub == Some("sync") && !has("--no-install-project") => "`uv sync` installs the project itself; copy pyproject.toml and uv.lock and run `uv sync --no-install-project` first",
        Ecosystem::Poetry if !has("--no-root") => "`poetry install` installs the project itself; copy pyproject.toml and poetry.lock and run `poetry install --no-root` first",
        _ => return None,
    };
    Some(reason.to_string())
}

/// `-r`/`-c` files a requirements file includes, relative to the context, followed through
/// the files they include in turn (`seen` holds those already listed).
///
/// # Errors
/// When an included file is not in the context, or a line installs a local path (`-e .`,
/// `./libs/x`, `file:`): the install then reads more than the manifests.
fn nested_requirements(
    cx: &Analysis<'_>,
    rel: &str,
    ecosystem: Ecosystem,
    seen: &mut Vec<String>,
) -> Result<Vec<String>, String> {
    if !matches!(ecosystem, Ecosystem::Pip | Ecosystem::Uv | Ecosystem::UvPip) {
        return Ok(Vec::new());
    }
    let Some(text) = cx.context.read(rel) else {
        return Err(format!("`{rel}` cannot be read to see what it includes"));
    };
    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
    let mut out = Vec::new();
    for l in text.lines() {
        // a comment starts a line or follows a blank
        let l = match l.find(" #").or_else(|| l.find("\t#")) {
            Some(n) => &l[..n],
            None => l,
        }
        .trim();
        if l.starts_with('#') || l.is_empty() {
            continue;
        }
        let include = ["--requirement", "--constraint", "-r", "-c"]
            .iter()
            .find_map(|flag| l.strip_prefix(flag))
            .map(|rest| rest.trim_start_matches('=').trim());
        let Some(file) = include else {
            let links = ["--find-links", "-f"]
                .iter()
                .find_map(|flag| l.strip_prefix(flag))
                .map(|rest| rest.trim_start_matches('=').trim());
            let local = links.is_some_and(|v| !v.contains("://"))
                || l.starts_with(['.', '/', '~'])
                || l.starts_with("-e")
                || l.starts_with("--editable")
                || l.contains("file:");
            if local {
                return Err(format!(
                    "`{rel}` installs a local path (`{}`), which needs more than the manifests",
                    short(l)
                ));
            }
            continue;
        };
        if file.contains("://") {
            continue;
        }
        if file.is_empty() || file.contains('$') {
            return Err(format!(
                "`{rel}` includes `{}`, whose path is not known",
                short(l)
            ));
        }
        let Some(path) = normalize(&join_rel(dir, file)) else {
            return Err(format!(
                "`{rel}` includes `{file}`, outside the build context"
            ));
        };
        if cx.context.exists(&path) != Some(true) {
            return Err(format!(
                "`{rel}` includes `{path}`, which is not in the build context"
            ));
        }
        if seen.contains(&path) {
            continue;
        }
        seen.push(path.clone());
        out.extend(nested_requirements(cx, &path, ecosystem, seen)?);
        out.push(path);
    }
    Ok(out)
}

/// A context-relative path without `.` and `..` parts; `None` when it leaves the context.
pub(super) fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn is_mod_download(cmd: &Command) -> bool {
    let args = cmd.args();
    args.first().is_some_and(|a| a.value == "mod")
        && args.get(1).is_some_and(|a| a.value == "download")
}

/// Whether a command may read or change the files the broad COPY brings.
pub(super) fn reads_tree(cmd: &Command, root: &str) -> bool {
    let Some(prog) = cmd.program() else {
        return false;
    };
    let args = cmd.args();
    let touches_root = || {
        args.iter().any(|a| {
            !a.value.starts_with('-')
                && (!a.value.starts_with('/') || within(&a.value, root) || within(root, &a.value))
        })
    };
    match prog {
        "apt-get"
        | "apt"
        | "apk"
        | "dnf"
        | "yum"
        | "microdnf"
        | "zypper"
        | "useradd"
        | "groupadd"
        | "adduser"
        | "addgroup"
        | "usermod"
        | "set"
        | "true"
        | "export"
        | "echo"
        | "corepack"
        | "update-ca-certificates"
        | "locale-gen"
        | "ldconfig"
        | "mkdir"
        | "curl"
        | "wget"
        | "ulimit"
        | "umask" => false,
        // PHP's image helpers build extensions from PHP's own source tree, by name
        "docker-php-ext-install"
        | "docker-php-ext-configure"
        | "docker-php-ext-enable"
        | "docker-php-source" => false,
        "rm" | "chmod" | "chown" | "ln" | "cp" | "mv" => touches_root(),
        // `cd` reads no file, but fails when its folder is missing: a folder inside the copied
        // tree may exist only once the whole tree is copied (its root is made by the manifests'
        // copy too)
        "cd" => args.first().is_some_and(|a| {
            let dir = a.value.trim_end_matches('/');
            !dir.starts_with('/') || (within(dir, root) && dir != root.trim_end_matches('/'))
        }),
        // a PHP script read from standard input (`curl ... | php -- --install-dir=/usr/local/bin`,
        // Composer's installer) that installs into a folder outside the copied tree
        "php" => {
            args.first().is_none_or(|a| a.value != "--")
                || cmd.joiner != Joiner::Pipe
                || !args.iter().any(|a| {
                    a.value
                        .strip_prefix("--install-dir=")
                        .is_some_and(|d| d.starts_with('/') && !within(d, root) && !within(root, d))
                })
        }
        "git" => args.first().is_none_or(|a| a.value != "config"),
        "npm" | "yarn" | "pnpm" => {
            !(args
                .iter()
                .any(|a| a.value == "-g" || a.value == "--global")
                || args.first().is_some_and(|a| a.value == "config"))
        }
        "gem" => args.first().is_none_or(|a| a.value != "install"),
        // Hex and rebar go into Mix's home, whatever the project
        "mix" => args
            .first()
            .is_none_or(|a| !matches!(a.value.as_str(), "local.hex" | "local.rebar")),
        "bundle" => args.first().is_none_or(|a| a.value != "config"),
        _ => {
            if let Some(pip) = pip_args(cmd) {
                // `pip install poetry`, `pip install --upgrade pip`: packages by name only
                let install = pip.first().is_some_and(|a| a.value == "install");
                let by_name = pip.iter().skip(1).all(|a| {
                    let v = a.value.as_str();
                    !(v == "."
                        || v.starts_with("./")
                        || v.starts_with('/')
                        || v == "-e"
                        || v == "-r"
                        || v.starts_with("-r")
                        || v.ends_with(".txt")
                        || v.ends_with(".whl"))
                });
                return !(install && by_name) && pip.first().is_none_or(|a| a.value != "config");
            }
            // anything else may read the tree
            true
        }
    }
}

/// The WORKDIR of instruction `i` as a unix path ([`unix`]).
pub(super) fn workdir(cx: &Analysis<'_>, i: usize) -> String {
    unix(&cx.model.workdir[i])
}

/// The folder `install` runs in: its RUN's WORKDIR, moved by the `cd`s that come before it at
/// the top level of the script (`RUN cd /app && pip install -r requirements.txt`).
fn install_dir(cx: &Analysis<'_>, install: &Install<'_>) -> Result<String, String> {
    let mut wd = workdir(cx, install.instr);
    let run = cx.instr(install.instr);
    for cmd in run.commands() {
        if cmd.span == install.cmd.span {
            break;
        }
        if cmd.program() != Some("cd") {
            continue;
        }
        let start = run.abs(cmd.span).start.saturating_sub(run.offset);
        if super::equivalence::subshell_depth(run.span().of(cx.text), start) > 0 {
            continue;
        }
        match cmd.args().first().map(|w| w.value.as_str()) {
            Some(dir)
                if cmd.joiner != Joiner::Pipe
                    && !dir.contains(['$', '`', '*', '?', '['])
                    && dir != "-"
                    && !dir.starts_with('~') =>
            {
                wd = join_path(&wd, &unix(dir));
            }
            _ => {
                return Err(format!(
                    "the install on line {} runs after a `cd` whose folder is not known",
                    line(cx, install.instr)
                ))
            }
        }
    }
    Ok(wd)
}

/// Whether command `n` of RUN `k` is a `cd` into the folder where a later install of the same
/// RUN runs and finds its manifests, which the manifests' copy makes
/// (`RUN cd /app/backend && pip install -r requirements.txt`).
fn cd_into_install_folder(
    cx: &Analysis<'_>,
    k: usize,
    n: usize,
    cmds: &[&Command],
    installs: &[Install<'_>],
) -> bool {
    let Some(to) = cmds[n]
        .args()
        .first()
        .filter(|_| cmds[n].program() == Some("cd"))
    else {
        return false;
    };
    let target = join_path(&workdir(cx, k), &unix(&to.value));
    installs.iter().filter(|i| i.instr == k).any(|i| {
        cmds.iter().position(|c| c.span == i.cmd.span) > Some(n)
            && i.step.files.iter().all(|f| !f.contains(['/', '\\']))
            && install_dir(cx, i).is_ok_and(|d| d == target)
    })
}

/// The script of RUN `k` when it only makes a build tool's wrapper script executable
/// (`RUN chmod +x mvnw`, `RUN chmod +x ./gradlew`): one line, no flags, only `chmod`s.
fn wrapper_chmod<'t>(cx: &Analysis<'t>, k: usize) -> Option<&'t str> {
    let run = cx.instr(k);
    if run.keyword != Keyword::Run || !run.flags.is_empty() || !run.heredocs.is_empty() {
        return None;
    }
    let Some(Form::Shell(_)) = run.form() else {
        return None;
    };
    let cmds: Vec<&Command> = run.commands().collect();
    let wrappers = |c: &&Command| {
        let args = c.args();
        c.program() == Some("chmod")
            && matches!(c.joiner, Joiner::Start | Joiner::And)
            && args.len() >= 2
            && args[0]
                .value
                .chars()
                .all(|ch| "ugoa+x0123456789".contains(ch))
            && args[1..]
                .iter()
                .all(|a| matches!(a.value.trim_start_matches("./"), "mvnw" | "gradlew"))
    };
    if cmds.is_empty() || !cmds.iter().all(wrappers) {
        return None;
    }
    let script = Span::new(
        run.abs(cmds[0].span).start,
        run.abs(cmds[cmds.len() - 1].span).end,
    )
    .of(cx.text);
    (!script.contains(['\n', '\r', '#', ';'])).then_some(script)
}

/// A path in unix form, so that one set of path functions serves both: a Windows path
/// (`C:\src\app`, `app\App.csproj`) with forward slashes, an absolute one under `/C:`.
fn unix(path: &str) -> String {
    if crate::model::is_windows_absolute(path) {
        crate::model::clean(&format!("/{}", path.replace('\\', "/")))
    } else {
        path.replace('\\', "/")
    }
}

/// A path from [`unix`] written back as the image's platform spells it.
fn native(path: &str) -> String {
    match path.strip_prefix('/') {
        Some(rest) if crate::model::is_windows_absolute(rest) => rest.replace('/', "\\"),
        _ => path.to_string(),
    }
}

/// Whether unix path `path` is `dir` or inside it.
fn within(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path == dir || dir.is_empty() || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// `path` relative to `dir` when inside it (`""` for the folder itself).
fn relative(path: &str, dir: &str) -> Option<String> {
    let dir = dir.trim_end_matches('/');
    if path.trim_end_matches('/') == dir {
        return Some(String::new());
    }
    if dir.is_empty() {
        return Some(path.trim_start_matches('/').to_string());
    }
    path.strip_prefix(dir)
        .and_then(|r| r.strip_prefix('/'))
        .map(str::to_string)
}

/// `name` (relative, a leading `./` dropped) inside the context-relative folder `dir`.
pub(super) fn join_rel(dir: &str, name: &str) -> String {
    let name = name.trim_start_matches("./");
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{}/{name}", dir.trim_end_matches('/'))
    }
}

fn parent(path: &str) -> String {
    match path.rsplit_once('/') {
        Some(("", _)) | None => "/".to_string(),
        Some((d, _)) => d.to_string(),
    }
}

/// The 1-based line of instruction `i`, for messages.
pub(super) fn line(cx: &Analysis<'_>, i: usize) -> usize {
    cx.line_of(cx.instr(i).offset) + 1
}

fn short(s: &str) -> &str {
    s.get(..40).unwrap_or(s)
}

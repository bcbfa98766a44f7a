use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Form, Keyword};
use crate::syntax::shell::basename;
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds a development server or auto-reloader in the command the final image runs (its
    /// effective `CMD`/`ENTRYPOINT`): `--reload`, `--debug`, `flask run`,
    /// `manage.py runserver`, `nodemon`, `npm run dev` / `next dev` / `vite`,
    /// `php artisan serve`.
    ///
    /// ## Why is this bad?
    /// Dev servers watch the file system (burning CPU in production), expose debuggers that
    /// run arbitrary code, and are single-threaded and unhardened.
    ///
    /// ## Example
    /// ```dockerfile
    /// CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--reload"]
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// CMD ["uvicorn", "main:app", "--host", "0.0.0.0"]
    /// ```
    pub struct DevServerFlag {
        id: "dev-server-flag",
        severity: Warning,
        summary: "The final image runs a development server or auto-reloader",
        hadolint: [],
        buildkit: [],
    }
}

/// A word of the final command, with the instruction it belongs to.
struct W<'a> {
    instr: usize,
    span: Span,
    value: &'a str,
}

fn words<'a>(cx: &Analysis<'a>, i: usize) -> Vec<Vec<W<'a>>> {
    let located = cx.instr(i);
    match located.form() {
        Some(Form::Exec { words, .. }) => {
            vec![words
                .iter()
                .map(|w| W {
                    instr: i,
                    span: located.abs(w.span),
                    value: &w.value,
                })
                .collect()]
        }
        Some(Form::Shell(s)) => s
            .script
            .commands
            .iter()
            .map(|c| {
                c.argv()
                    .iter()
                    .map(|w| W {
                        instr: i,
                        span: located.abs(w.span),
                        value: &w.value,
                    })
                    .collect()
            })
            .collect(),
        None => Vec::new(),
    }
}

/// The offending word of a command line and what it is.
fn dev_trigger<'w, 'a>(argv: &'w [W<'a>]) -> Option<(&'w W<'a>, String)> {
    let prog = argv.first().map(|w| basename(w.value))?;
    let arg = |k: usize| argv.get(k).map(|w| w.value);
    if let Some(w) = argv
        .iter()
        .find(|w| matches!(w.value, "--reload" | "--debug") || w.value.starts_with("--reload="))
    {
        return Some((w, format!("`{}`", w.value)));
    }
    let pos = |name: &str| argv.iter().position(|w| w.value == name);
    match prog {
        "nodemon" | "ts-node-dev" => return Some((&argv[0], format!("`{prog}`"))),
        "flask" => {
            if let Some(k) = pos("run") {
                return Some((&argv[k], "`flask run`".into()));
            }
        }
        "npm" | "yarn" | "pnpm" | "bun" => {
            if let Some(k) = pos("dev") {
                return Some((&argv[k], format!("`{prog} run dev`")));
            }
        }
        "next" | "nuxt" | "nuxi" if arg(1) == Some("dev") => {
            return Some((&argv[1], format!("`{prog} dev`")))
        }
        "vite" if matches!(arg(1), None | Some("dev" | "serve")) => {
            return Some((&argv[0], "`vite` (dev server)".into()))
        }
        "node" if arg(1) == Some("--watch") => return Some((&argv[1], "`node --watch`".into())),
        _ => {}
    }
    if let Some(k) = argv.iter().position(|w| w.value.ends_with("manage.py")) {
        if let Some(w) = argv.get(k + 1).filter(|w| w.value == "runserver") {
            return Some((w, "`manage.py runserver`".into()));
        }
    }
    if let Some(k) = argv.iter().position(|w| w.value.ends_with("artisan")) {
        if let Some(w) = argv.get(k + 1).filter(|w| w.value == "serve") {
            return Some((w, "`artisan serve`".into()));
        }
    }
    None
}

fn check<'a>(cx: &Analysis<'a>, out: &mut Vec<Diagnostic>) {
    let entrypoint = cx.model.effective(cx.tree, Keyword::Entrypoint);
    let cmd = cx.model.effective(cx.tree, Keyword::Cmd);
    // exec-form ENTRYPOINT + CMD form one command line; a shell-form ENTRYPOINT ignores CMD
    let mut lines: Vec<Vec<W<'a>>> = Vec::new();
    match (entrypoint, cmd) {
        (Some(e), Some(c)) if matches!(cx.instr(e).form(), Some(Form::Exec { .. })) => {
            let mut line: Vec<W<'a>> = words(cx, e).into_iter().flatten().collect();
            let cmd_lines = words(cx, c);
            if let Some(first) = cmd_lines.into_iter().next() {
                line.extend(first);
            }
            lines.push(line);
        }
        (Some(e), _) => lines.extend(words(cx, e)),
        (None, Some(c)) => lines.extend(words(cx, c)),
        (None, None) => return,
    }
    for line in &lines {
        let Some((w, what)) = dev_trigger(line) else {
            continue;
        };
        out.push(Diagnostic::new(
            &META,
            cx.range_on(w.instr, w.span),
            format!(
                "the final image starts a development server ({what}): it watches files, exposes debug tooling and is not built for production traffic; run the production server without it"
            ),
        ));
        return;
    }
}

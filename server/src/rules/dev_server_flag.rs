use super::{declare_rule, Analysis, Diagnostic};
use crate::model::commands::{argv, nested_script};
use crate::model::purpose::{self, Kind};
use crate::syntax::instruction::{Form, Keyword};
use crate::syntax::shell::{basename, lex, Command, Joiner, ShellWord};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds a development server or auto-reloader in the command the final image runs (its
    /// effective `CMD`/`ENTRYPOINT`): `--reload`, `--debug`, `flask run`, `fastapi dev`,
    /// `manage.py runserver`, `nodemon`, `node --watch`, `npm run dev` / `next dev` / `vite`,
    /// `ng serve`, `react-scripts start`, `php artisan serve`, `php -S`, `dotnet watch`. The
    /// command is looked at through `sh -c "..."`, init wrappers (`tini --`, `dumb-init`) and
    /// package runners (`npx`, `yarn exec`).
    ///
    /// Not findings: an image built for development or tests (a `dev`, `development`,
    /// `devcontainer` or `test` stage, a dev container; see the purpose shown on hover over
    /// `FROM`), where the dev server is the point. When the image people ship is not the last
    /// stage, name it with the `target` setting (`--target`, `.layerwise.toml`, or a
    /// `# layerwise: target=NAME` comment at the top) and that stage is checked instead.
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
        fix: Unsafe,
    }
}

/// A word of the final command, with the instruction it belongs to.
struct W {
    instr: usize,
    span: Span,
    value: String,
}

/// The words of instruction `i`: the exec-form array, or one list per shell command.
fn words(cx: &Analysis<'_>, i: usize) -> Vec<Vec<W>> {
    let located = cx.instr(i);
    let w = |v: &ShellWord| W {
        instr: i,
        span: located.abs(v.span),
        value: v.value.clone(),
    };
    match located.form() {
        Some(Form::Exec { words, .. }) => vec![words.iter().map(w).collect()],
        Some(Form::Shell(s)) => s
            .script
            .commands
            .iter()
            .map(|c| c.words.iter().map(w).collect())
            .collect(),
        None => Vec::new(),
    }
}

/// The command lines a process runs: wrappers looked through (`tini --`, `gosu app`,
/// `python -m`), and `sh -c 'SCRIPT'` expanded into the script's commands, which carry the
/// span of the script word.
fn lines(words: Vec<W>) -> Vec<Vec<W>> {
    // run the shared command logic on stand-in words whose span is their index
    let fake = Command {
        assignments: Vec::new(),
        words: words
            .iter()
            .enumerate()
            .map(|(k, w)| ShellWord {
                span: Span::new(k, k + 1),
                value: w.value.clone(),
            })
            .collect(),
        span: Span::default(),
        joiner: Joiner::Start,
    };
    if let Some(script) = nested_script(&fake) {
        let at = &words[script.span.start];
        return lex(&script.value)
            .commands
            .iter()
            .map(|inner| {
                argv(inner)
                    .iter()
                    .map(|v| W {
                        instr: at.instr,
                        span: at.span,
                        value: v.value.clone(),
                    })
                    .collect()
            })
            .collect();
    }
    let start = argv(&fake).first().map_or(0, |w| w.span.start);
    let mut words = words;
    words.drain(..start);
    vec![words]
}

/// Package runners that run the tool named after them: `npx nodemon`, `yarn exec vite`.
fn skip_runner(argv: &[W]) -> &[W] {
    let Some(first) = argv.first() else {
        return argv;
    };
    let prog = basename(&first.value);
    let skip = match prog {
        "npx" | "pnpx" | "bunx" => 1,
        "npm" | "yarn" | "pnpm" | "bun"
            if argv
                .get(1)
                .is_some_and(|w| matches!(&*w.value, "exec" | "dlx" | "x")) =>
        {
            2
        }
        _ => return argv,
    };
    let rest = &argv[skip.min(argv.len())..];
    let opts = rest.iter().take_while(|w| w.value.starts_with('-')).count();
    &rest[opts..]
}

/// Scripts of `npm run NAME` that start a dev server or watcher.
fn is_dev_script(name: &str) -> bool {
    matches!(
        name,
        "dev" | "develop" | "watch" | "serve:dev" | "start:dev"
    ) || name.starts_with("dev:")
        || name.ends_with(":dev")
        || name.ends_with(":watch")
}

/// The offending word of a command line and what it is.
fn dev_trigger(argv: &[W]) -> Option<(&W, String)> {
    let argv = skip_runner(argv);
    let prog = argv.first().map(|w| basename(&w.value).to_string())?;
    let prog = prog.as_str();
    let arg = |k: usize| argv.get(k).map(|w| &*w.value);
    // `echo --reload` prints the flag; it starts nothing
    let prints = matches!(
        prog,
        "echo" | "printf" | "cat" | "test" | "[" | "true" | "false"
    );
    if let Some(w) = argv.iter().filter(|_| !prints).find(|w| {
        matches!(&*w.value, "--reload" | "--debug" | "--autoreload")
            || w.value.starts_with("--reload=")
            || w.value.starts_with("--reload-dir")
    }) {
        return Some((w, format!("`{}`", w.value)));
    }
    let pos = |name: &str| argv.iter().position(|w| w.value == name);
    match prog {
        "nodemon" | "ts-node-dev" | "tsnd" | "air" | "watchexec" | "webpack-dev-server" => {
            return Some((&argv[0], format!("`{prog}`")))
        }
        "flask" => {
            if let Some(k) = pos("run") {
                return Some((&argv[k], "`flask run`".into()));
            }
        }
        "fastapi" if arg(1) == Some("dev") => return Some((&argv[1], "`fastapi dev`".into())),
        "npm" | "yarn" | "pnpm" | "bun" => {
            let script = match arg(1) {
                Some("run" | "run-script") => argv.get(2),
                _ => argv.get(1),
            };
            if let Some(w) = script.filter(|w| is_dev_script(&w.value)) {
                return Some((w, format!("`{prog} run {}`", w.value)));
            }
            if prog == "bun" {
                if let Some(w) = argv
                    .iter()
                    .find(|w| w.value.starts_with("--watch") || w.value == "--hot")
                {
                    return Some((w, format!("`bun {}`", w.value)));
                }
            }
        }
        "next" | "nuxt" | "nuxi" | "astro" | "remix" | "svelte-kit" | "vinxi" | "wrangler"
            if arg(1) == Some("dev") =>
        {
            return Some((&argv[1], format!("`{prog} dev`")))
        }
        "vite"
            if matches!(arg(1), None | Some("dev" | "serve"))
                || arg(1).is_some_and(|a| a.starts_with('-')) =>
        {
            return Some((&argv[0], "`vite` (dev server)".into()))
        }
        "ng" | "vue-cli-service" | "webpack" if matches!(arg(1), Some("serve")) => {
            return Some((&argv[1], format!("`{prog} serve`")))
        }
        "react-scripts" if arg(1) == Some("start") => {
            return Some((&argv[1], "`react-scripts start` (dev server)".into()))
        }
        "gatsby" if arg(1) == Some("develop") => {
            return Some((&argv[1], "`gatsby develop`".into()))
        }
        "hugo" if matches!(arg(1), Some("server" | "serve")) => {
            return Some((&argv[1], "`hugo server`".into()))
        }
        "jekyll" if arg(1) == Some("serve") => return Some((&argv[1], "`jekyll serve`".into())),
        "tsx" if arg(1) == Some("watch") => return Some((&argv[1], "`tsx watch`".into())),
        "dotnet" if arg(1) == Some("watch") => return Some((&argv[1], "`dotnet watch`".into())),
        "cargo" if arg(1) == Some("watch") => return Some((&argv[1], "`cargo watch`".into())),
        "symfony" if matches!(arg(1), Some("serve" | "server:start")) => {
            return Some((&argv[1], "`symfony serve`".into()))
        }
        "node" | "deno" => {
            if let Some(w) = argv
                .iter()
                .find(|w| w.value.starts_with("--watch") || w.value == "--hot")
            {
                return Some((w, format!("`{prog} {}`", w.value)));
            }
        }
        "php" => {
            if let Some(w) = argv.iter().find(|w| w.value == "-S") {
                return Some((w, "`php -S` (built-in dev server)".into()));
            }
        }
        _ => {}
    }
    for (script, sub, what) in [
        ("manage.py", "runserver", "`manage.py runserver`"),
        ("django-admin", "runserver", "`django-admin runserver`"),
        ("artisan", "serve", "`artisan serve`"),
    ] {
        if let Some(k) = argv.iter().position(|w| basename(&w.value) == script) {
            if let Some(w) = argv.get(k + 1).filter(|w| w.value == sub) {
                return Some((w, what.into()));
            }
        }
    }
    None
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    let Some(target) = cx.model.target() else {
        return;
    };
    let purpose = purpose::of_stage(cx.tree, cx.model, target, cx.path, cx.context);
    if matches!(purpose.kind, Kind::DevEnvironment | Kind::Test) {
        return;
    }
    let entrypoint = cx.model.effective(cx.tree, Keyword::Entrypoint);
    let cmd = cx.model.effective(cx.tree, Keyword::Cmd);
    let is_exec = |i: usize| matches!(cx.instr(i).form(), Some(Form::Exec { .. }));
    // an exec-form ENTRYPOINT and the CMD form one command line; a shell-form ENTRYPOINT
    // ignores CMD; a shell form runs each of its commands
    let process: Vec<Vec<W>> = match (entrypoint, cmd) {
        (Some(e), Some(c)) if is_exec(e) => {
            let mut line: Vec<W> = words(cx, e).into_iter().flatten().collect();
            line.extend(words(cx, c).into_iter().flatten());
            lines(line)
        }
        (Some(i), _) | (None, Some(i)) => words(cx, i).into_iter().flat_map(lines).collect(),
        (None, None) => return,
    };
    for line in &process {
        let Some((w, what)) = dev_trigger(line) else {
            continue;
        };
        out.push(Diagnostic::new(
            &META,
            cx.range_on(w.instr, w.span),
            format!(
                "the shipped image starts a development server ({what}), which is made for local work (reloading, debug tooling, one process) and not for production traffic; start the production server instead"
            ),
        ).with_fix(drop_flag(cx, w, line)));
        return;
    }
}

/// Drop a reload/debug flag. Unsafe: it changes how the application runs. A dev-server command
/// (`flask run`, `nodemon`) has no mechanical production equivalent, so it gets no fix, and
/// neither does a flag whose command line would still start a development server without it
/// (`flask run --debug`, `--reload --debug`): the fix would leave the finding in place.
fn drop_flag(cx: &Analysis<'_>, w: &W, line: &[W]) -> Option<crate::rules::Fix> {
    let flag = matches!(w.value.as_str(), "--reload" | "--debug" | "--autoreload")
        || w.value.starts_with("--reload=");
    if !flag || cx.instr(w.instr).span().of(cx.text).contains("sh -c") {
        return None;
    }
    let rest: Vec<W> = line
        .iter()
        .filter(|other| !std::ptr::eq(*other, w))
        .map(|other| W {
            instr: other.instr,
            span: other.span,
            value: other.value.clone(),
        })
        .collect();
    if dev_trigger(&rest).is_some() {
        return None;
    }
    let edit = crate::rules::fixes::quick::remove_word(cx, w.instr, w.span)?;
    Some(crate::rules::Fix::unsafe_edit(
        format!("Remove `{}`", w.value),
        vec![edit],
    ))
}

#[cfg(test)]
mod tests {
    use crate::model::context::NoContext;
    use crate::rules::{check, Config};

    /// The title of the dev-server-flag fix of `text`, if it has one.
    fn fix(text: &str) -> Option<String> {
        let tree = crate::syntax::parse(text);
        check(text, &tree, &NoContext, None, &Config::default())
            .into_iter()
            .find(|d| d.rule == "dev-server-flag")
            .unwrap_or_else(|| panic!("no finding: {text}"))
            .fix
            .map(|f| f.title)
    }

    #[test]
    fn a_flag_is_removed_only_when_that_ends_the_finding() {
        let base = "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask uvicorn\n";
        assert_eq!(
            fix(&format!(
                "{base}CMD [\"uvicorn\", \"app:app\", \"--reload\"]\n"
            ))
            .as_deref(),
            Some("Remove `--reload`")
        );
        // `flask run` is a development server with or without `--debug`
        assert_eq!(
            fix(&format!("{base}CMD [\"flask\", \"run\", \"--debug\"]\n")),
            None
        );
        // a second flag would remain
        assert_eq!(
            fix(&format!(
                "{base}CMD [\"uvicorn\", \"app:app\", \"--reload\", \"--debug\"]\n"
            )),
            None
        );
    }
}

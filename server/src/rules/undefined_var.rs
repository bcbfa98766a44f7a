use std::collections::{HashMap, HashSet};

use super::vars::{references, suggest};
use super::{declare_rule, Analysis, Diagnostic, Edit, Fix};
use crate::syntax::instruction::{Args, Keyword};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds a variable used in an instruction BuildKit expands (`ENV`, `ARG` defaults,
    /// `LABEL`, `COPY`/`ADD` paths, `WORKDIR`, `USER`, `EXPOSE`, `VOLUME`, `STOPSIGNAL`) that
    /// no `ARG` or `ENV` declares where it is used, so it expands to an empty string:
    ///
    /// - a misspelt name (`$PAHT` for `$PATH`, `$APP_HOEM` for `$APP_HOME`), with the name it
    ///   most likely means;
    /// - an `ARG` declared before the first `FROM` but not again inside the stage (a global
    ///   `ARG` is visible only to `FROM` lines until the stage redeclares it with `ARG NAME`);
    /// - any other undeclared name, when the stage starts from an image whose environment is
    ///   known (`scratch`, `alpine`, `busybox`, `debian`, `ubuntu`: only `PATH`, which BuildKit
    ///   sets on every stage).
    ///
    /// Base images set their own variables (`$PYTHON_VERSION` in `python`, `$JAVA_HOME` in JDK
    /// images), which only a registry knows; so on other base images an undeclared name is
    /// reported only as a likely typo of a declared one. A variable written with a default
    /// (`${NAME:-x}`) is expected to be unset at times and is not reported, nor are BuildKit's
    /// predefined proxy arguments (`HTTP_PROXY`...). `RUN`, and the
    /// shell forms of `CMD` and `ENTRYPOINT`, are left alone: the shell expands those, with
    /// the container's environment. (A file with hundreds of undefined references gets
    /// suggestions for the first 256 only, to keep the check fast.)
    ///
    /// ## Why is this bad?
    /// The build goes on with an empty value: files copied to the wrong folder, `ENV
    /// PATH=$PAHT:/app/bin` dropping the system path, a version that is silently blank.
    ///
    /// ## Example
    /// ```dockerfile
    /// ARG APP_VERSION=1.4.2
    /// FROM alpine:3.20
    /// COPY dist/app-${APP_VERSION}.tar.gz /opt/
    /// ENV PATH=$PAHT:/opt/app/bin
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// ARG APP_VERSION=1.4.2
    /// FROM alpine:3.20
    /// ARG APP_VERSION
    /// COPY dist/app-${APP_VERSION}.tar.gz /opt/
    /// ENV PATH=$PATH:/opt/app/bin
    /// ```
    ///
    /// ## Fix
    /// For a likely typo, replaces the name with the one it most likely means. Unsafe: the
    /// value changes from empty to that variable's, which is the point but changes the image.
    ///
    /// Equivalents: BuildKit `UndefinedVar`.
    pub struct UndefinedVar {
        id: "undefined-var",
        severity: Warning,
        summary: "A variable that nothing declares where it is used, so it expands to nothing",
        hadolint: [],
        buildkit: ["UndefinedVar"],
        fix: Unsafe,
    }
}

/// Base images whose environment is known to hold only `PATH`.
fn known_env(cx: &Analysis<'_>, stage: usize) -> Option<&'static [&'static str]> {
    let root = cx.model.lineage(stage).last()?;
    let image = root.image.as_ref()?;
    let name = image.resolved.as_deref()?.to_ascii_lowercase();
    // BuildKit gives every stage a default PATH when its image has none, `scratch` included
    if name == "scratch" {
        return Some(&["PATH"]);
    }
    let repo = image.repository()?;
    let repo = repo.strip_prefix("docker.io/").unwrap_or(&repo);
    let repo = repo.strip_prefix("library/").unwrap_or(repo);
    matches!(repo, "alpine" | "busybox" | "debian" | "ubuntu").then_some(&["PATH"][..])
}

/// The words instruction `i` expands, as absolute spans (the raw text is scanned).
fn expanded_words(cx: &Analysis<'_>, i: usize) -> Vec<(Span, bool)> {
    let located = cx.instr(i);
    let mut out = Vec::new();
    match (&located.keyword, &located.args) {
        (Keyword::Env | Keyword::Label | Keyword::Arg, Args::KeyValues(kvs)) => {
            for kv in kvs {
                if let Some(v) = kv.value_span {
                    out.push((located.abs(v), false));
                }
            }
        }
        (
            Keyword::Copy | Keyword::Add,
            Args::Copy {
                sources,
                dest,
                json,
            },
        ) => {
            if located.heredocs.is_empty() {
                out.extend(sources.iter().map(|w| (located.abs(w.span), *json)));
            }
            out.push((located.abs(dest.span), *json));
        }
        (Keyword::Workdir | Keyword::User | Keyword::Stopsignal, Args::Text(w)) => {
            out.push((located.abs(w.span), false));
        }
        (Keyword::Expose | Keyword::Volume, Args::Words(words)) => {
            out.extend(words.iter().map(|w| (located.abs(w.span), false)));
        }
        _ => {}
    }
    out
}

/// The names instruction `j` declares, when it is an `ARG` or `ENV`.
fn declared_by<'a>(cx: &Analysis<'a>, j: usize) -> impl Iterator<Item = &'a str> {
    let instr = cx.instr(j);
    let kvs = match (instr.keyword, &instr.args) {
        (Keyword::Arg | Keyword::Env, Args::KeyValues(kvs)) => kvs.as_slice(),
        _ => &[],
    };
    kvs.iter().map(|kv| kv.key.as_str())
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    let global: HashSet<&str> = cx.model.global_args.keys().map(String::as_str).collect();
    // every name some stage declares, and what each stage has declared by its end (a stage
    // built on another starts with its parent's names): one pass, whatever the file's size
    let mut anywhere: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut at_end: Vec<HashSet<&str>> = Vec::with_capacity(cx.model.stages.len());
    for stage in &cx.model.stages {
        let mut names: HashSet<&str> = stage
            .parent
            .filter(|&p| p < at_end.len())
            .map(|p| at_end[p].clone())
            .unwrap_or_default();
        for j in stage.body.clone() {
            for name in declared_by(cx, j) {
                let stages = anywhere.entry(name).or_default();
                if !stages.contains(&stage.index) {
                    stages.push(stage.index);
                }
                names.insert(name);
            }
        }
        at_end.push(names);
    }
    let mut looked = 0;
    for stage in &cx.model.stages {
        let mut in_scope: HashSet<&str> = stage
            .parent
            .filter(|&p| p < at_end.len())
            .map(|p| at_end[p].clone())
            .unwrap_or_default();
        let base_env = known_env(cx, stage.index);
        // the names in scope as a list too, for suggestions, with the base image's own
        let mut known: Vec<&str> = base_env.unwrap_or(&["PATH"]).to_vec();
        let mut inherited: Vec<&str> = in_scope.iter().copied().collect();
        inherited.sort_unstable();
        known.extend(inherited);
        for i in stage.body.clone() {
            let located = cx.instr(i);
            if located.errors.is_empty() {
                let scope = Scope {
                    names: &in_scope,
                    known: &known,
                    global: &global,
                    anywhere: &anywhere,
                    base_env,
                };
                check_instruction(cx, i, &scope, &mut looked, out);
            }
            for name in declared_by(cx, i) {
                if in_scope.insert(name) {
                    known.push(name);
                }
            }
        }
    }
}

/// What an instruction of a stage can see.
/// BuildKit's predefined build arguments, usable in a stage without an `ARG`.
const PREDEFINED: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Typo suggestions are looked for at the first this many undefined references of a file, so
/// that a generated file with thousands of them costs no more than a hand-written one; later ones
/// are reported only where the base image's environment is known, without a suggestion.
const SUGGESTIONS: usize = 256;

struct Scope<'s, 'a> {
    /// Declared where the instruction runs.
    names: &'s HashSet<&'a str>,
    /// The same, and the base image's known variables, for suggestions.
    known: &'s [&'a str],
    global: &'s HashSet<&'a str>,
    /// Every declared name, with the stages declaring it.
    anywhere: &'s HashMap<&'a str, Vec<usize>>,
    base_env: Option<&'static [&'static str]>,
}

fn check_instruction(
    cx: &Analysis<'_>,
    i: usize,
    scope: &Scope<'_, '_>,
    looked: &mut usize,
    out: &mut Vec<Diagnostic>,
) {
    let Scope {
        names: in_scope,
        known,
        global,
        anywhere,
        base_env,
    } = *scope;
    let stage = cx.model.stage_of[i];
    for (span, _json) in expanded_words(cx, i) {
        let raw = span.of(cx.text);
        for r in references(raw, cx.model.escape) {
            let name = r.name.as_str();
            if r.modified || in_scope.contains(name) || earlier_in_arg(cx, i, span, name) {
                continue;
            }
            if base_env.is_some_and(|env| env.contains(&name)) || PREDEFINED.contains(&name) {
                continue;
            }
            *looked += 1;
            let typo = if *looked <= SUGGESTIONS {
                suggest(name, known.iter().copied())
            } else {
                None
            };
            let reason = if global.contains(name) {
                format!(
                    "`${name}` is a global ARG, which a stage sees only after declaring it again; add `ARG {name}` to this stage"
                )
            } else if let Some(k) = typo {
                format!("`${name}` is not declared here, so it expands to nothing; did you mean `${k}`?")
            } else if base_env.is_some() {
                let elsewhere = anywhere
                    .get(name)
                    .is_some_and(|stages| stages.iter().any(|&s| Some(s) != stage));
                if elsewhere {
                    format!(
                        "`${name}` is declared in another stage, and ARG and ENV do not carry over to stages not built on it; declare it in this stage"
                    )
                } else {
                    format!(
                        "`${name}` is declared by no ARG or ENV, so it expands to nothing; declare it with `ARG {name}` or `ENV {name}=...`"
                    )
                }
            } else {
                continue;
            };
            let at = Span::new(span.start + r.start, span.start + r.end);
            let fix = typo.filter(|_| !global.contains(name)).map(|k| {
                Fix::unsafe_edit(
                    format!("Use `${k}`"),
                    vec![Edit {
                        span: at,
                        text: k.to_string(),
                    }],
                )
            });
            out.push(Diagnostic::new(&META, cx.range_on(i, at), reason).with_fix(fix));
        }
    }
}

/// `ARG A=1 B=$A`: an ARG sees the names declared before it in the same instruction.
fn earlier_in_arg(cx: &Analysis<'_>, i: usize, word: Span, name: &str) -> bool {
    let located = cx.instr(i);
    let (Keyword::Arg, Args::KeyValues(kvs)) = (located.keyword, &located.args) else {
        return false;
    };
    kvs.iter()
        .any(|kv| kv.key == name && located.abs(kv.span).end <= word.start)
}

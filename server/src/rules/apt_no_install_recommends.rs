use super::{declare_rule, Analysis, Diagnostic};
use crate::model::commands::{args, package_name, pkg_command, program, run_commands, PkgAction};
use crate::syntax::Span;

declare_rule! {
    /// ## What it does
    /// Finds `apt-get install` / `apt install` without `--no-install-recommends` (or
    /// `-o APT::Install-Recommends=false`) in the stages that ship in the final image. An
    /// earlier `RUN` that turns recommends off in apt's configuration counts too.
    ///
    /// ## Why is this bad?
    /// apt also installs every "recommended" package: often tens to hundreds of megabytes of
    /// documentation, X libraries and tools the application never uses.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl \
    ///     && rm -rf /var/lib/apt/lists/*
    /// ```
    ///
    /// ## Fix safety
    /// Dropping recommends can remove something the build relied on: `gcc` recommends
    /// `libc6-dev`, without which C extensions fail to compile, and `curl`, `wget` and `git`
    /// recommend `ca-certificates`, without which HTTPS downloads fail. The fix adds those two
    /// when the install names the package that needs them; add any other explicitly.
    ///
    /// Equivalent: hadolint DL3015.
    pub struct AptNoInstallRecommends {
        id: "apt-no-install-recommends",
        severity: Warning,
        summary: "apt-get install without --no-install-recommends",
        hadolint: ["DL3015"],
        buildkit: [],
        fix: Unsafe,
    }
}

fn disables_recommends(arg: &str) -> bool {
    let a = arg.to_ascii_lowercase();
    a == "--no-install-recommends"
        || (a.contains("apt::install-recommends")
            && (a.ends_with("=false") || a.ends_with("=0") || a.ends_with("=no")))
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    // found once, not once per install: a file of thousands of RUNs stays linear; and only when
    // an install needs it, among the shipped stages (the only ones `configured_off` looks at:
    // the ancestors of a shipped stage ship too)
    let mut configuring: Option<Vec<usize>> = None;
    for (i, located) in cx.shipped_runs() {
        let commands = run_commands(located);
        let offending = commands.iter().find_map(|cmd| {
            let pkg = pkg_command(cmd)?;
            let apt = matches!(program(cmd), Some("apt-get" | "apt"));
            (apt && pkg.action == PkgAction::Install
                && !pkg.build_dep
                && !args(cmd).iter().any(|a| disables_recommends(&a.value)))
            .then(|| (pkg.head_span(cmd), needed_recommends(&pkg)))
        });
        let Some((head, needed)) = offending else {
            continue;
        };
        let configuring = configuring.get_or_insert_with(|| {
            cx.model
                .stages
                .iter()
                .filter(|s| s.shipped)
                .flat_map(|s| s.body.clone())
                .filter(|&j| configures_off(cx, j))
                .collect()
        });
        if configured_off(cx, i, configuring) {
            continue;
        }
        out.push(Diagnostic::new(
                &META,
                cx.range_on(i, located.abs(head)),
                "apt also installs every recommended package, often hundreds of MB the image never uses; add `--no-install-recommends` and name any package the build needs explicitly",
            )
            .with_fix(Some(fix(
                located.abs(head),
                needed.into_iter().map(|(w, p)| (located.abs(w), p)).collect(),
            ))));
    }
}

/// An earlier instruction of this stage or its ancestors (one of `configuring`) wrote
/// `APT::Install-Recommends "false"`.
fn configured_off(cx: &Analysis<'_>, i: usize, configuring: &[usize]) -> bool {
    if configuring.is_empty() {
        return false;
    }
    let Some(stage) = cx.model.stage(i) else {
        return false;
    };
    cx.model
        .lineage(stage.index)
        .any(|st| configuring.iter().any(|&j| j < i && st.body.contains(&j)))
}

/// Whether instruction `j` writes `APT::Install-Recommends "false"` (or `"0"`).
fn configures_off(cx: &Analysis<'_>, j: usize) -> bool {
    let text = cx.instr(j).span().of(cx.text).to_ascii_lowercase();
    text.contains("apt::install-recommends")
        && (text.contains("\"0\"") || text.contains("\"false\""))
}

/// The quick fix: the flag, plus the recommended packages the installed ones need to work, each
/// after the package that needs it. Unsafe all the same: other recommended packages may be
/// needed too.
fn fix(head: Span, needed: Vec<(Span, &'static str)>) -> crate::rules::Fix {
    let mut edits = vec![crate::rules::fixes::quick::after_word(
        head,
        "--no-install-recommends",
    )];
    let mut names: Vec<&str> = Vec::new();
    for (word, package) in needed {
        edits.push(crate::rules::fixes::quick::after_word(word, package));
        names.push(package);
    }
    let title = if names.is_empty() {
        "Add --no-install-recommends".to_string()
    } else {
        format!(
            "Add --no-install-recommends (and {}, which the packages need)",
            names.join(", ")
        )
    };
    crate::rules::Fix::unsafe_edit(title, edits)
}

/// Recommended packages that the named packages need to do their work, when not named: the C
/// library headers for a compiler (`gcc` without `libc6-dev` or `build-essential`), and the CA
/// certificates for HTTPS clients (`curl`, `wget`, `git` without `ca-certificates`). Each with
/// the word it goes after.
fn needed_recommends(pkg: &crate::model::commands::PkgCommand<'_>) -> Vec<(Span, &'static str)> {
    let names: Vec<&str> = pkg
        .packages
        .iter()
        .map(|w| package_name(&w.value))
        .collect();
    let mut out = Vec::new();
    let has = |wanted: &[&str]| names.iter().any(|n| wanted.contains(n));
    if !has(&["libc6-dev", "build-essential", "libc-dev"]) {
        let compiler = pkg.packages.iter().find(|w| {
            let n = package_name(&w.value);
            matches!(n, "gcc" | "g++" | "cc" | "clang")
                || n.starts_with("gcc-")
                || n.starts_with("g++-")
                || n.starts_with("clang-")
        });
        out.extend(compiler.map(|w| (w.span, "libc6-dev")));
    }
    if !has(&["ca-certificates"]) {
        let client = pkg.packages.iter().find(|w| {
            matches!(
                package_name(&w.value),
                "curl" | "wget" | "git" | "git-lfs" | "aria2" | "httpie"
            )
        });
        out.extend(client.map(|w| (w.span, "ca-certificates")));
    }
    out
}

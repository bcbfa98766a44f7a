use super::{declare_rule, Analysis, Diagnostic};
use crate::model::commands::{package_name, pkg_command, PkgAction};

declare_rule! {
    /// ## What it does
    /// Finds images that install both `curl` and `wget` with the system package manager, in
    /// the stages that ship in the final image, and remove neither.
    ///
    /// ## Why is this bad?
    /// The two tools do the same job; each brings its own libraries into the image. Pick one
    /// (or download in a build stage and ship neither).
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl wget \
    ///     && rm -rf /var/lib/apt/lists/*
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl \
    ///     && rm -rf /var/lib/apt/lists/*
    /// ```
    ///
    /// ## Fix
    /// None: the scripts that use one of them must change too.
    ///
    /// Equivalent: hadolint DL4001.
    pub struct CurlAndWget {
        id: "curl-and-wget",
        severity: Info,
        summary: "Both curl and wget are installed; one of them is enough",
        hadolint: ["DL4001"],
        buildkit: [],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    let mut curl = None;
    let mut wget = None;
    let mut removed = (false, false);
    for (i, located) in cx.shipped_runs() {
        for cmd in located.commands() {
            let Some(pkg) = pkg_command(cmd) else {
                continue;
            };
            for w in &pkg.packages {
                let name = package_name(&w.value);
                match (pkg.action, name) {
                    (PkgAction::Install, "curl") => {
                        curl.get_or_insert((i, located.abs(w.span)));
                    }
                    (PkgAction::Install, "wget") => {
                        wget.get_or_insert((i, located.abs(w.span)));
                    }
                    (PkgAction::Remove, "curl") => removed.0 = true,
                    (PkgAction::Remove, "wget") => removed.1 = true,
                    _ => {}
                }
            }
            // `apk add --virtual .deps curl wget && ... apk del .deps`
            if pkg.action == PkgAction::Remove
                && !pkg.packages.is_empty()
                && pkg.packages.iter().all(|w| w.value.starts_with('.'))
            {
                removed = (true, true);
            }
        }
    }
    let (Some(c), Some(w)) = (curl, wget) else {
        return;
    };
    if removed.0 || removed.1 {
        return;
    }
    let (later, earlier, name, other) = if c.0 > w.0 || (c.0 == w.0 && c.1.start > w.1.start) {
        (c, w, "curl", "wget")
    } else {
        (w, c, "wget", "curl")
    };
    out.push(
        Diagnostic::new(
            &META,
            cx.range_on(later.0, later.1),
            format!("`{name}` and `{other}` both ship in the image and do the same job; keep one of them"),
        )
        .related(earlier.1, format!("`{other}` is installed here")),
    );
}

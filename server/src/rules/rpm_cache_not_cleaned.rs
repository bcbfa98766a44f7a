use super::{declare_rule, Analysis, Diagnostic, Fix};
use crate::model::commands::{args, mount_targets, pkg_command, program, PkgAction, PkgManager};
use crate::syntax::shell::Command;

declare_rule! {
    /// ## What it does
    /// Finds `yum`, `dnf`, `microdnf`, `tdnf` and `zypper` installs in the stages that ship in
    /// the final image whose `RUN` does not clean the package manager's cache afterwards
    /// (`dnf clean all`, `zypper clean --all`, `rm -rf /var/cache/dnf`...) nor mounts a cache or
    /// tmpfs on it.
    ///
    /// ## Why is this bad?
    /// These package managers keep the repository metadata they downloaded (often 50 to 200 MB
    /// for the base repositories) in `/var/cache/yum`, `/var/cache/dnf` or `/var/cache/zypp`.
    /// Left there, it ships in the layer; a later `RUN` cannot take it out of this one.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN dnf install -y gcc make
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN dnf install -y gcc make && dnf clean all
    /// ```
    ///
    /// ## Fix
    /// Appends `&& <manager> clean all` (`zypper clean --all`) to the `RUN`: it only deletes
    /// cached metadata and packages, which a later install fetches again (safe).
    ///
    /// Equivalent: hadolint DL3032 (yum), DL3040 (dnf), DL3036 (zypper).
    pub struct RpmCacheNotCleaned {
        id: "rpm-cache-not-cleaned",
        severity: Warning,
        summary: "yum/dnf/microdnf/zypper install without cleaning the package cache in the same RUN",
        hadolint: ["DL3032", "DL3040", "DL3036"],
        buildkit: [],
        fix: Safe,
    }
}

const CACHES: &[&str] = &[
    "/var/cache/yum",
    "/var/cache/dnf",
    "/var/cache/libdnf5",
    "/var/cache/zypp",
    "/var/cache/tdnf",
    "/var/cache",
];

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.shipped_runs() {
        let cmds: Vec<&Command> = located.commands().collect();
        let install = cmds.iter().copied().find_map(|c| {
            let p = pkg_command(c)?;
            (p.manager == PkgManager::Dnf
                && p.action == PkgAction::Install
                && !args(c)
                    .iter()
                    .any(|a| a.value.starts_with("--installroot") || a.value == "--downloadonly"))
            .then(|| (c, p.head_span(c)))
        });
        let Some((cmd, head)) = install else { continue };
        let mounted = mount_targets(located, &["cache", "tmpfs"])
            .iter()
            .any(|t| CACHES.contains(&t.as_str()));
        if mounted || cmds.iter().any(|c| cleans(c)) {
            continue;
        }
        let prog = program(cmd).unwrap_or("dnf");
        let clean = if prog == "zypper" {
            "zypper clean --all".to_string()
        } else {
            format!("{prog} clean all")
        };
        out.push(
            Diagnostic::new(
                &META,
                cx.range_on(i, located.abs(head)),
                format!("{prog} keeps the repository metadata it downloaded in /var/cache, which then ships in this layer; end the RUN with `{clean}`"),
            )
            .with_fix(
                crate::rules::fixes::quick::append_command(cx, i, &clean)
                    .map(|e| Fix::safe(format!("Add `{clean}`"), vec![e])),
            ),
        );
    }
}

/// `dnf clean all`, `yum clean all`, `zypper clean -a`, `zypper cc`, `rm -rf /var/cache/dnf`.
fn cleans(cmd: &Command) -> bool {
    let a: Vec<&str> = args(cmd).iter().map(|w| w.value.as_str()).collect();
    match program(cmd) {
        Some("yum" | "dnf" | "dnf5" | "microdnf" | "tdnf") => {
            a.contains(&"clean")
                && (a.contains(&"all") || a.contains(&"packages") && a.contains(&"metadata"))
        }
        Some("zypper") => a.iter().any(|w| matches!(*w, "clean" | "cc")),
        Some("rm") => a.iter().any(|w| {
            let v = w.trim_end_matches(['*', '/']);
            CACHES.contains(&v)
        }),
        _ => false,
    }
}

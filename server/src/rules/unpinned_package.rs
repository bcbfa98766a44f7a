use super::{declare_rule, Analysis, Diagnostic};
use crate::model::commands::{args, pip_args, pkg_command, program, PkgAction, PkgManager};
use crate::syntax::instruction::Keyword;
use crate::syntax::shell::{Command, ShellWord};

declare_rule! {
    /// ## What it does
    /// Finds packages installed without a version: `apt-get install curl` (not `curl=8.5.0-2`),
    /// `apk add curl` (not `curl=8.9.1-r0`), `dnf`/`yum`/`zypper install curl` (not
    /// `curl-8.6.0`), `pip install flask` (not `flask==3.0.3`), `npm install -g serve` (not
    /// `serve@14.2.3`), `gem install rails` (without `-v`). Requirement files, lockfiles, local
    /// paths, URLs and names made of variables are not judged.
    ///
    /// **Off by default**: pinning is a policy, not a bug. Pinned system packages break the
    /// build when the distribution drops the old version; unpinned ones change under you.
    /// Turn it on in `.layerwise.toml` (`unpinned-package = "info"`) where the policy holds.
    ///
    /// ## Why is this bad?
    /// Two builds of the same Dockerfile install whatever the repositories hold that day:
    /// the image is not reproducible, and a new release can break it without any change here.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN pip install --no-cache-dir flask gunicorn
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN pip install --no-cache-dir flask==3.0.3 gunicorn==22.0.0
    /// ```
    ///
    /// ## Fix
    /// None: which version to pin is the author's choice.
    ///
    /// Equivalent: hadolint DL3008 (apt), DL3018 (apk), DL3033 (yum), DL3037 (zypper), DL3041
    /// (dnf), DL3013 (pip), DL3016 (npm), DL3028 (gem).
    pub struct UnpinnedPackage {
        id: "unpinned-package",
        severity: Info,
        summary: "Package installed without a version pin (opt-in policy)",
        hadolint: ["DL3008", "DL3018", "DL3033", "DL3037", "DL3041", "DL3013", "DL3016", "DL3028"],
        buildkit: [],
        enabled_by_default: false,
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if located.keyword != Keyword::Run {
            continue;
        }
        for cmd in located.commands() {
            let unpinned = unpinned(cmd);
            let (Some(first), Some(last)) = (unpinned.first(), unpinned.last()) else {
                continue;
            };
            let names: Vec<&str> = unpinned.iter().map(|w| w.value.as_str()).collect();
            out.push(Diagnostic::new(
                &META,
                cx.range_on(i, located.abs(first.span.cover(last.span))),
                format!(
                    "{} installed without a version, so each build takes whatever the repository holds that day; pin the versions",
                    quote_list(&names)
                ),
            ));
        }
    }
}

fn quote_list(names: &[&str]) -> String {
    let shown: Vec<String> = names.iter().take(3).map(|n| format!("`{n}`")).collect();
    let more = names.len().saturating_sub(3);
    let verb = if names.len() == 1 { "is" } else { "are" };
    if more > 0 {
        format!("{} and {more} more {verb}", shown.join(", "))
    } else {
        format!("{} {verb}", shown.join(", "))
    }
}

fn plain(w: &str) -> bool {
    !w.is_empty()
        && !w.contains(['$', '/', '*', '`'])
        && !w.starts_with('.')
        && !w.ends_with(".rpm")
        && !w.ends_with(".deb")
        && !w.ends_with(".apk")
}

/// The package words of `cmd` that carry no version.
fn unpinned(cmd: &Command) -> Vec<&ShellWord> {
    if let Some(pkg) = pkg_command(cmd) {
        if pkg.action != PkgAction::Install || pkg.group || pkg.build_dep {
            return Vec::new();
        }
        return pkg
            .packages
            .iter()
            .copied()
            .filter(|w| plain(&w.value))
            .filter(|w| match pkg.manager {
                PkgManager::Apt => !w.value.contains('='),
                PkgManager::Apk => !w.value.contains(['=', '~', '<', '>']),
                // `curl-8.6.0`, `curl-8.6.0-1.fc40`: a dash followed by a digit
                PkgManager::Dnf => {
                    !w.value.contains(['=', '<', '>'])
                        && !w
                            .value
                            .split('-')
                            .skip(1)
                            .any(|p| p.starts_with(|c: char| c.is_ascii_digit()))
                }
            })
            .collect();
    }
    if let Some(a) = pip_args(cmd) {
        return pip_unpinned(a);
    }
    match program(cmd) {
        Some("npm") => {
            let a = args(cmd);
            let global = a
                .iter()
                .any(|w| matches!(w.value.as_str(), "-g" | "--global"));
            let verb = a.iter().find(|w| !w.value.starts_with('-'));
            if !global || !verb.is_some_and(|v| matches!(v.value.as_str(), "install" | "i" | "add"))
            {
                return Vec::new();
            }
            a.iter()
                .filter(|w| {
                    !w.value.starts_with('-')
                        && !matches!(w.value.as_str(), "install" | "i" | "add")
                })
                .filter(|w| plain(w.value.trim_start_matches('@')))
                // `serve@14`, `@scope/pkg@1` (a scope has a `/`, which `plain` refuses: skipped)
                .filter(|w| !w.value.trim_start_matches('@').contains('@'))
                .collect()
        }
        Some("gem") => {
            let a = args(cmd);
            if a.first().map(|w| w.value.as_str()) != Some("install")
                || a.iter()
                    .any(|w| w.value == "-v" || w.value.starts_with("--version"))
            {
                return Vec::new();
            }
            a[1..]
                .iter()
                .filter(|w| !w.value.starts_with('-') && plain(&w.value) && !w.value.contains(':'))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// `pip install NAME` without `==`, `~=`, `<`... ; `-r`, `-e`, `-c` and their values, paths,
/// URLs and extras of a local project are not judged.
fn pip_unpinned(a: &[ShellWord]) -> Vec<&ShellWord> {
    if a.iter()
        .find(|w| !w.value.starts_with('-'))
        .map(|w| w.value.as_str())
        != Some("install")
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut skip_next = false;
    let mut seen_install = false;
    for w in a {
        let v = w.value.as_str();
        if skip_next {
            skip_next = false;
            continue;
        }
        if v.starts_with('-') {
            skip_next = matches!(
                v,
                "-r" | "--requirement"
                    | "-c"
                    | "--constraint"
                    | "-e"
                    | "--editable"
                    | "-i"
                    | "--index-url"
                    | "--extra-index-url"
                    | "-f"
                    | "--find-links"
                    | "-t"
                    | "--target"
                    | "--prefix"
                    | "--root"
                    | "--platform"
                    | "--python-version"
                    | "--implementation"
                    | "--abi"
                    | "--trusted-host"
                    | "--cache-dir"
                    | "--src"
                    | "--upgrade-strategy"
                    | "--progress-bar"
                    | "--timeout"
                    | "--retries"
            );
            continue;
        }
        if !seen_install {
            seen_install = true;
            continue;
        }
        if !plain(v)
            || v.contains(['=', '<', '>', '~', '@', ':'])
            || v.ends_with(".whl")
            || v.ends_with(".tar.gz")
            || v.ends_with(".zip")
        {
            continue;
        }
        // `pip install pip setuptools wheel --upgrade`: tooling, still unpinned
        out.push(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::model::context::NoContext;
    use crate::rules::{check, Config};

    fn found(text: &str, config: &Config) -> Vec<(usize, String)> {
        let tree = crate::syntax::parse(text);
        check(text, &tree, &NoContext, None, config)
            .into_iter()
            .filter(|d| d.rule == "unpinned-package")
            .map(|d| {
                (
                    text[..d.span.start].matches('\n').count() + 1,
                    d.span.of(text).to_string(),
                )
            })
            .collect()
    }

    fn on() -> Config {
        Config::from_toml("[rules]\nunpinned-package = \"info\"\n").expect("config")
    }

    #[test]
    fn off_unless_turned_on_or_selected() {
        let text = "FROM debian:12\nRUN apt-get install -y curl\n";
        assert!(found(text, &Config::default()).is_empty());
        assert_eq!(found(text, &on()).len(), 1);
        let mut selected = Config::default();
        selected
            .select(&["unpinned-package".into()])
            .expect("known");
        assert_eq!(found(text, &selected).len(), 1);
    }

    #[test]
    fn unpinned_packages_of_every_manager() {
        let text = "FROM debian:12
RUN apt-get install -y --no-install-recommends curl=8.5.0-2 git make
RUN apk add --no-cache bash~5.2 jq
RUN dnf install -y gcc-13.2.1 tar
RUN pip install --no-cache-dir -r requirements.txt flask==3.0.3 gunicorn
RUN npm install -g serve@14.2.3 pm2
RUN gem install rails && gem install -v 7.1 bundler
";
        let got = found(text, &on());
        assert_eq!(
            got,
            [
                (2, "git make".to_string()),
                (3, "jq".to_string()),
                (4, "tar".to_string()),
                (5, "gunicorn".to_string()),
                (6, "pm2".to_string()),
                (7, "rails".to_string()),
            ]
        );
    }

    #[test]
    fn pinned_or_unjudgeable_installs_are_fine() {
        let text = "FROM debian:12
RUN apt-get install -y curl=8.5.0-2 \"$PKGS\" ./local.deb
RUN pip install --no-cache-dir -r requirements.txt . -e ./lib flask==3.0.3 'django>=5,<6'
RUN npm install -g @angular/cli@17 && npm ci
RUN dnf install -y curl-8.6.0-1.fc40 && dnf groupinstall -y \"Development Tools\"
";
        assert_eq!(found(text, &on()), []);
    }
}

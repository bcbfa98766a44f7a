use super::{declare_rule, Analysis, Diagnostic, Fix};
use crate::model::commands::{args, program};
use crate::syntax::shell::Command;

declare_rule! {
    /// ## What it does
    /// Finds `useradd` with a high UID (one whose entry lies 10 MB or more into the login
    /// records) and without `-l` (`--no-log-init`), in the stages that ship in the final image.
    ///
    /// ## Why is this bad?
    /// `useradd` writes the new user's entry into `/var/log/lastlog` and `/var/log/faillog` at an
    /// offset proportional to the UID. On disk these are sparse files, but image layers store
    /// them in full: `useradd -u 1000000` adds about 290 MB of zeros to the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN useradd -u 1000000 app
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN useradd -l -u 1000000 app
    /// ```
    ///
    /// ## Fix
    /// Adds `-l`: the user is created the same, only without login records, which containers
    /// do not keep (safe).
    ///
    /// Equivalent: hadolint DL3046.
    pub struct UseraddHighUid {
        id: "useradd-high-uid",
        severity: Warning,
        summary: "useradd with a high UID and without -l writes a huge sparse lastlog into the layer",
        hadolint: ["DL3046"],
        buildkit: [],
        fix: Safe,
    }
}

/// Bytes of a lastlog record (`struct lastlog` on 64-bit glibc).
const RECORD: u64 = 292;
/// The smallest file worth a finding.
const THRESHOLD: u64 = 10_000_000;

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.shipped_runs() {
        for cmd in located.commands() {
            if program(cmd) != Some("useradd") || no_log_init(cmd) {
                continue;
            }
            let Some(uid) = uid(cmd) else { continue };
            let size = (uid + 1).saturating_mul(RECORD);
            if size < THRESHOLD {
                continue;
            }
            let prog = cmd
                .words
                .iter()
                .find(|w| crate::syntax::shell::basename(&w.value) == "useradd");
            let Some(prog) = prog else { continue };
            out.push(
                Diagnostic::new(
                    &META,
                    cx.range_on(i, located.abs(prog.span)),
                    format!("UID {uid} makes useradd write a {} MB lastlog file into this layer; add `-l` (`--no-log-init`)", size / 1_000_000),
                )
                .with_fix(Some(Fix::safe(
                    "Add -l",
                    vec![crate::rules::fixes::quick::after_word(located.abs(prog.span), "-l")],
                ))),
            );
        }
    }
}

fn no_log_init(cmd: &Command) -> bool {
    args(cmd).iter().any(|a| {
        a.value == "--no-log-init"
            || (a.value.starts_with('-')
                && !a.value.starts_with("--")
                && a.value[1..].bytes().all(|b| b.is_ascii_alphabetic())
                && a.value.contains('l'))
    })
}

/// The literal UID of `-u N`, `-uN`, `--uid N`, `--uid=N`.
fn uid(cmd: &Command) -> Option<u64> {
    let a = args(cmd);
    a.iter().enumerate().find_map(|(k, w)| {
        let v = w.value.as_str();
        let value = if v == "-u" || v == "--uid" {
            a.get(k + 1)?.value.as_str()
        } else if let Some(r) = v.strip_prefix("--uid=") {
            r
        } else {
            v.strip_prefix("-u")
                .filter(|r| !r.is_empty() && !v.starts_with("--"))?
        };
        value.parse().ok()
    })
}

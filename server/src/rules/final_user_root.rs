use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds a `USER root` (`USER 0`, `USER root:root`) that is the last `USER` of the image the
    /// build produces (its stage and the stages it is built on). An image without any `USER`
    /// is not judged (the base image decides), nor one whose `ENTRYPOINT` or `CMD` drops to
    /// another user itself (`gosu`, `su-exec`, `setpriv`, `runuser`).
    ///
    /// ## Why is this bad?
    /// The container's process then runs as root: a compromise of the application is a
    /// compromise of everything the container can reach. `USER root` is usually set for a few
    /// installs and forgotten.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:22-slim
    /// USER node
    /// COPY . .
    /// USER root
    /// RUN apt-get update && apt-get install -y --no-install-recommends tini
    /// CMD ["node", "server.js"]
    /// ```
    ///
    /// Use instead: switch back after the installs.
    /// ```dockerfile
    /// USER root
    /// RUN apt-get update && apt-get install -y --no-install-recommends tini
    /// USER node
    /// CMD ["node", "server.js"]
    /// ```
    ///
    /// ## Fix
    /// None: which user the application should run as is the author's choice.
    ///
    /// Equivalent: hadolint DL3002.
    pub struct FinalUserRoot {
        id: "final-user-root",
        severity: Warning,
        summary: "The image switches back to root and runs its process as root",
        hadolint: ["DL3002"],
        buildkit: [],
    }
}

fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name == "root" || name == "0"
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    let Some(target) = cx.model.target() else {
        return;
    };
    // every USER of the built stage and its ancestors, in build order
    let mut lineage: Vec<_> = cx.model.lineage(target).collect();
    lineage.reverse();
    let users: Vec<(usize, String)> = lineage
        .iter()
        .flat_map(|s| s.body.clone())
        .filter_map(|i| {
            let l = cx.instr(i);
            match (&l.keyword, &l.args) {
                (Keyword::User, Args::Text(w)) => Some((i, w.value.clone())),
                _ => None,
            }
        })
        .collect();
    let Some((last, user)) = users.last() else {
        return;
    };
    if !is_root(user) || drops_privileges(cx, target) {
        return;
    }
    out.push(Diagnostic::new(
        &META,
        cx.head_span(*last),
        "the image's process runs as root because this USER switches back to it; add a `USER` for the application's user after the steps that need root",
    ));
}

/// The image's ENTRYPOINT or CMD starts the process as another user itself.
fn drops_privileges(cx: &Analysis<'_>, stage: usize) -> bool {
    [Keyword::Entrypoint, Keyword::Cmd].iter().any(|&k| {
        cx.model.effective_in(cx.tree, stage, k).is_some_and(|i| {
            let text = cx.head_span(i).of(cx.text);
            [
                "gosu",
                "su-exec",
                "setpriv",
                "runuser",
                "chpst",
                "s6-setuidgid",
                "su ",
            ]
            .iter()
            .any(|w| text.contains(w))
        })
    })
}

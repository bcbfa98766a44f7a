use super::{declare_rule, Analysis, Diagnostic};
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds an `ARG` or `ENV` whose name says it holds a secret: one of its `_`-separated
    /// parts is `password`, `passwd`, `pword`, `secret`, `token`, `key`, `apikey`, `auth`,
    /// `credential` or `credentials` (any case), as in `GITHUB_TOKEN`, `DB_PASSWORD`,
    /// `AWS_SECRET_ACCESS_KEY`. A name with a part `public`, `file` or `version`
    /// (`PUBLIC_KEY`, `SECRET_FILE`, `KEY_VERSION`) is not a secret, nor is a `GPG_KEY` whose
    /// value is a key fingerprint (hex digits), as official images set to verify downloads.
    /// An `ENV` set to the empty string (`ENV API_TOKEN=` or `""`) holds nothing: it only
    /// names the variable `docker run -e` fills in, so it is not reported (an `ARG` is, since
    /// `--build-arg` gives it a value).
    ///
    /// ## Why is this bad?
    /// Build arguments and environment variables are stored in the image: `docker history`
    /// shows every `ARG` value a `RUN` used and `docker inspect` every `ENV`, for anyone who
    /// can pull the image. Pass secrets with `RUN --mount=type=secret,id=...` (and
    /// `docker build --secret`), which never writes them to a layer.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:20-slim
    /// ARG NPM_TOKEN
    /// RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM node:20-slim
    /// RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
    /// ```
    ///
    /// No fix: a secret mount changes how the build is invoked.
    ///
    /// Equivalents: BuildKit `SecretsUsedInArgOrEnv`.
    pub struct SecretsUsedInArgOrEnv {
        id: "secrets-used-in-arg-or-env",
        severity: Warning,
        summary: "An ARG or ENV named like a secret, which the image keeps",
        hadolint: [],
        buildkit: ["SecretsUsedInArgOrEnv"],
    }
}

const SECRET_PARTS: &[&str] = &[
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "password",
    "pword",
    "passwd",
    "secret",
    "token",
];
const ALLOWED_PARTS: &[&str] = &["public", "file", "version"];

/// Whether a variable name says it holds a secret.
fn secret_name(name: &str) -> bool {
    let has = |list: &[&str]| {
        name.split('_')
            .any(|part| list.iter().any(|t| part.eq_ignore_ascii_case(t)))
    };
    has(SECRET_PARTS) && !has(ALLOWED_PARTS)
}

/// `ENV GPG_KEY=A035C8C1...`: the fingerprints of the public keys a download is verified
/// with, as official images set them, are no secret.
fn gpg_fingerprint(name: &str, value: Option<&str>) -> bool {
    let gpg = name
        .split('_')
        .any(|p| p.eq_ignore_ascii_case("gpg") || p.eq_ignore_ascii_case("pgp"));
    let hex = value.is_some_and(|v| {
        v.chars().filter(char::is_ascii_hexdigit).count() >= 16
            && v.chars()
                .all(|c| c.is_ascii_hexdigit() || c.is_whitespace())
    });
    gpg && hex
}

/// `ENV API_TOKEN=`, `ENV API_TOKEN=""`: a placeholder the container's environment fills in.
fn empty_value(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        let v = v.trim();
        v.is_empty() || v == "\"\"" || v == "''"
    })
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    for (i, located) in cx.tree.instructions.iter().enumerate() {
        if !matches!(located.keyword, Keyword::Arg | Keyword::Env) {
            continue;
        }
        let Args::KeyValues(kvs) = &located.args else {
            continue;
        };
        for kv in kvs {
            if !secret_name(&kv.key)
                || gpg_fingerprint(&kv.key, kv.value.as_deref())
                || (located.keyword == Keyword::Env && empty_value(kv.value.as_deref()))
            {
                continue;
            }
            let span = located.abs(kv.span);
            let key_span = if span.of(cx.text).starts_with(kv.key.as_str()) {
                crate::syntax::Span::new(span.start, span.start + kv.key.len())
            } else {
                span
            };
            let kind = located.keyword.name();
            let shown = if located.keyword == Keyword::Arg {
                "`docker history` shows the values build arguments had"
            } else {
                "`docker inspect` shows every ENV value"
            };
            out.push(Diagnostic::new(
                &META,
                cx.range_on(i, key_span),
                format!(
                    "`{}` looks like a secret, and {kind} keeps it in the image ({shown}); pass it with `RUN --mount=type=secret` instead",
                    kv.key
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::secret_name;

    #[test]
    fn names() {
        for yes in [
            "GITHUB_TOKEN",
            "db_password",
            "AWS_SECRET_ACCESS_KEY",
            "AUTH",
            "api_key",
        ] {
            assert!(secret_name(yes), "{yes}");
        }
        for no in [
            "TOKENIZER",
            "KEYCLOAK_URL",
            "PUBLIC_KEY",
            "SECRET_FILE",
            "NODE_VERSION",
            "MONKEY",
            "AUTHOR",
        ] {
            assert!(!secret_name(no), "{no}");
        }
        assert!(super::gpg_fingerprint(
            "GPG_KEY",
            Some("A035C8C19219BA821ECEA86B64E628F8D684696D")
        ));
        assert!(!super::gpg_fingerprint("GPG_PASSPHRASE", Some("hunter2")));
    }
}

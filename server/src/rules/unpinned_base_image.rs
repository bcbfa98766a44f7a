use super::{declare_rule, Analysis, Diagnostic};
use crate::model::ImageRef;
use crate::syntax::instruction::{Args, Keyword};

declare_rule! {
    /// ## What it does
    /// Finds `FROM` images with no tag and no digest, or with the tag `latest`. `scratch` and
    /// earlier stage names are not images. Floating tags such as `20-alpine` or `bookworm`
    /// count as pinned.
    ///
    /// An image named through global `ARG`s (`FROM $BASE_IMAGE`) is judged by the defaults,
    /// and the message says it is the default. It is not judged when a variable has no default
    /// (the value is unknown), or when the project's build files pass it as a build argument
    /// (`--build-arg BASE_IMAGE=...` in a `Makefile`, `justfile` or `build.sh`, or under
    /// `args:` in a compose file): the default is then not what gets built.
    ///
    /// Images the project builds itself are not pulled from a registry, so they are not judged
    /// either:
    /// - images on a local registry: `localhost/...`, `localhost:5000/...`,
    ///   `127.0.0.1:5000/...`;
    /// - an image with no registry that the project's build files tag
    ///   (`docker build -t base-image .`, `podman build --tag ...`, or a compose service with
    ///   both `build:` and `image: base-image`), unless it is the name of a well-known public
    ///   image (`python`, `node`, `ubuntu`...).
    ///
    /// The build files are looked for in the build context's root and the two folders above
    /// it: `compose.yaml`, `compose.yml`, `docker-compose.yaml`, `docker-compose.yml`,
    /// `Makefile`, `makefile`, `GNUmakefile`, `justfile`, `build.sh`.
    ///
    /// A stage the build does not need (neither the stage that ships nor one it is built on or
    /// copies from) is never built, so its image is not judged.
    ///
    /// ## Why is this bad?
    /// `latest` moves: the same Dockerfile builds a different image next week, cached layers
    /// are silently invalidated, and a new major version can break the build.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:latest
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM node:20-bookworm-slim
    /// ```
    ///
    /// Equivalents: hadolint DL3006, DL3007.
    pub struct UnpinnedBaseImage {
        id: "unpinned-base-image",
        severity: Warning,
        summary: "Base image without a tag or with `latest`",
        hadolint: ["DL3006", "DL3007"],
        buildkit: [],
    }
}

fn check(cx: &Analysis<'_>, out: &mut Vec<Diagnostic>) {
    // read only when a FROM needs them
    let mut project: Option<BuildFiles> = None;
    // a stage the build never needs is never built: its image is never pulled
    let needed = cx.model.needed_stages(cx.tree);
    for stage in &cx.model.stages {
        let Some(image) = &stage.image else { continue };
        if stage.parent.is_some() || !needed[stage.index] {
            continue;
        }
        let Some(resolved) = image.resolved.as_deref() else {
            continue;
        };
        if resolved.eq_ignore_ascii_case("scratch") || resolved.is_empty() {
            continue;
        }
        if image.digest().is_some() {
            continue;
        }
        let tag = image.tag();
        if !matches!(tag.as_deref(), None | Some("latest")) {
            continue;
        }
        if on_local_registry(image) {
            continue;
        }
        let variables = variables(&image.raw);
        let maybe_local = !has_registry(image) && !is_well_known(image);
        let project = if !variables.is_empty() || maybe_local {
            Some(&*project.get_or_insert_with(|| BuildFiles::read(cx)))
        } else {
            None
        };
        if project.is_some_and(|p| variables.iter().any(|v| p.build_args.contains(v))) {
            continue;
        }
        if maybe_local && project.is_some_and(|p| p.builds(image)) {
            continue;
        }
        let problem = match tag.as_deref() {
            None => format!(
                "has no tag, so it means `latest` and changes under you; pin a version tag such as `{resolved}:<version>`"
            ),
            _ => "follows `latest`, so the image changes under you and breaks the cache; pin a version tag".to_string(),
        };
        let message = match variables.as_slice() {
            [] => format!("`{resolved}` {problem}"),
            [one] => format!("the default of `{one}`, `{resolved}`, {problem} in that default"),
            _ => format!("the ARG defaults make `{resolved}`, which {problem} in those defaults"),
        };
        let mut diagnostic = Diagnostic::new(&META, cx.range_on(stage.from, image.span), message);
        for name in &variables {
            if let Some(span) = global_arg_span(cx, name) {
                diagnostic = diagnostic.related(span, format!("the default of `{name}`"));
            }
        }
        out.push(diagnostic);
    }
}

/// The names of the variables `raw` refers to (`$NAME`, `${NAME...}`), in order, once each.
fn variables(raw: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = raw;
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let body = rest.strip_prefix('{').unwrap_or(rest);
        let len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let name = &body[..len];
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

/// The span of the global `ARG` that declares `name` with its default.
fn global_arg_span(cx: &Analysis<'_>, name: &str) -> Option<crate::syntax::Span> {
    let first_from = cx.model.stages.first()?.from;
    cx.tree.instructions[..first_from]
        .iter()
        .rev()
        .find_map(|l| {
            if l.keyword != Keyword::Arg {
                return None;
            }
            let Args::KeyValues(kvs) = &l.args else {
                return None;
            };
            kvs.iter()
                .rev()
                .find(|kv| kv.key == name && kv.value.is_some())
                .map(|kv| l.abs(kv.span))
        })
}

/// The registry host of the resolved reference, when it names one (`ghcr.io`, `localhost:5000`).
fn registry(image: &ImageRef) -> Option<String> {
    let resolved = image.resolved.as_deref()?;
    let (first, rest) = resolved.split_once('/')?;
    let host = first.contains(['.', ':']) || first.eq_ignore_ascii_case("localhost");
    (host && !rest.is_empty()).then(|| first.to_ascii_lowercase())
}

fn has_registry(image: &ImageRef) -> bool {
    registry(image).is_some()
}

/// An image on a registry of this machine, which only the project itself pushes to.
fn on_local_registry(image: &ImageRef) -> bool {
    registry(image).is_some_and(|host| {
        let name = host.split(':').next().unwrap_or(&host);
        matches!(name, "localhost" | "127.0.0.1" | "[::1]")
    })
}

/// Docker official images a project is unlikely to build under the same name.
const WELL_KNOWN: &[&str] = &[
    "almalinux",
    "alpine",
    "amazoncorretto",
    "amazonlinux",
    "archlinux",
    "bash",
    "buildpack-deps",
    "busybox",
    "caddy",
    "centos",
    "clojure",
    "composer",
    "debian",
    "docker",
    "eclipse-temurin",
    "elixir",
    "erlang",
    "fedora",
    "gcc",
    "golang",
    "gradle",
    "haproxy",
    "haskell",
    "httpd",
    "ibmjava",
    "julia",
    "mariadb",
    "maven",
    "memcached",
    "mongo",
    "mysql",
    "nginx",
    "node",
    "openjdk",
    "oraclelinux",
    "perl",
    "php",
    "postgres",
    "pypy",
    "python",
    "r-base",
    "rabbitmq",
    "redis",
    "rockylinux",
    "ruby",
    "rust",
    "sapmachine",
    "swift",
    "tomcat",
    "traefik",
    "ubuntu",
];

fn is_well_known(image: &ImageRef) -> bool {
    image
        .path()
        .is_some_and(|path| WELL_KNOWN.contains(&path.as_str()))
}

/// What the project's build files say: the images they build and the build arguments they pass.
#[derive(Debug, Default)]
struct BuildFiles {
    /// Repositories tagged by a build, lowercase, without a tag (only untagged or `latest`
    /// builds count).
    built: Vec<String>,
    build_args: Vec<String>,
}

const COMPOSE_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];
const SCRIPT_FILES: &[&str] = &[
    "Makefile",
    "makefile",
    "GNUmakefile",
    "justfile",
    "build.sh",
];

impl BuildFiles {
    /// The build files of the context's root and the two folders above it (a compose file
    /// usually sits at the top of the repository, next to the folders it builds).
    fn read(cx: &Analysis<'_>) -> Self {
        let mut files = BuildFiles::default();
        for up in ["", "../", "../../"] {
            for name in COMPOSE_FILES {
                if let Some(text) = cx.context.read(&format!("{up}{name}")) {
                    files.add_compose(&text);
                }
            }
            for name in SCRIPT_FILES {
                if let Some(text) = cx.context.read(&format!("{up}{name}")) {
                    files.add_script(&text);
                }
            }
        }
        files
    }

    fn builds(&self, image: &ImageRef) -> bool {
        image
            .repository()
            .is_some_and(|repo| self.built.contains(&repo))
    }

    fn add_built(&mut self, reference: &str) {
        let reference = reference.trim_matches(['"', '\'']);
        if reference.is_empty() || reference.contains(['$', '{', '@']) {
            return;
        }
        let slash = reference.rfind('/').map_or(0, |i| i + 1);
        let (repo, tag) = match reference[slash..].rfind(':') {
            Some(i) => (&reference[..slash + i], Some(&reference[slash + i + 1..])),
            None => (reference, None),
        };
        if matches!(tag, None | Some("latest")) {
            self.built.push(repo.to_ascii_lowercase());
        }
    }

    fn add_build_arg(&mut self, assignment: &str) {
        let assignment = assignment.trim_matches(['"', '\'']);
        let name = assignment.split('=').next().unwrap_or("").trim();
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.build_args.push(name.to_string());
        }
    }

    /// `docker build -t NAME`, `docker buildx build --tag=NAME`, `podman build -t NAME`,
    /// `buildah bud -t NAME`, and their `--build-arg NAME=...`.
    fn add_script(&mut self, text: &str) {
        let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
        for line in joined.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            let tool = words
                .iter()
                .any(|w| matches!(*w, "docker" | "podman" | "buildah" | "nerdctl"));
            let builds = tool && words.iter().any(|w| matches!(*w, "build" | "bud"));
            if !builds {
                continue;
            }
            let mut k = 0;
            while k < words.len() {
                let word = words[k];
                let next = words.get(k + 1).copied().unwrap_or("");
                match word {
                    "-t" | "--tag" => {
                        self.add_built(next);
                        k += 1;
                    }
                    "--build-arg" => {
                        self.add_build_arg(next);
                        k += 1;
                    }
                    _ => {
                        if let Some(value) = word
                            .strip_prefix("--tag=")
                            .or_else(|| word.strip_prefix("-t="))
                        {
                            self.add_built(value);
                        } else if let Some(value) = word.strip_prefix("--build-arg=") {
                            self.add_build_arg(value);
                        }
                    }
                }
                k += 1;
            }
        }
    }

    /// Services with both `build:` and `image: NAME`, and the names under `args:`.
    fn add_compose(&mut self, text: &str) {
        // (indent, key, value) of each `key: value` line; list items keep their text as key
        let lines: Vec<(usize, &str, &str)> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|l| {
                let indent = l.len() - l.trim_start().len();
                let body = l.trim();
                match body.split_once(':') {
                    Some((k, v)) if !body.starts_with('-') => (indent, k.trim(), v.trim()),
                    _ => (indent, body, ""),
                }
            })
            .collect();
        // the lines of the block that starts after line `at`, at deeper indentation than `indent`
        let block = |at: usize, indent: usize| {
            lines[at + 1..]
                .iter()
                .take_while(move |(i, _, _)| *i > indent)
        };
        for (at, &(indent, key, value)) in lines.iter().enumerate() {
            match key {
                "image" => {
                    // the service: the nearest line above with less indentation
                    let Some(owner) = lines[..at].iter().rposition(|(i, _, _)| *i < indent) else {
                        continue;
                    };
                    let sibling_indent = indent;
                    let has_build = block(owner, lines[owner].0)
                        .any(|(i, k, _)| *i == sibling_indent && *k == "build");
                    if has_build {
                        self.add_built(value);
                    }
                }
                "args" => {
                    for (_, item, item_value) in block(at, indent) {
                        match item.strip_prefix('-') {
                            Some(entry) => self.add_build_arg(entry.trim()),
                            None if !item_value.is_empty() || !item.is_empty() => {
                                self.add_build_arg(item);
                            }
                            None => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{variables, BuildFiles};

    #[test]
    fn variables_of_an_image() {
        assert_eq!(
            variables("${REGISTRY}/app:${TAG:-dev}"),
            ["REGISTRY", "TAG"]
        );
        assert_eq!(variables("$BASE"), ["BASE"]);
        assert!(variables("python:3.12").is_empty());
    }

    #[test]
    fn images_and_arguments_of_build_files() {
        let mut files = BuildFiles::default();
        files.add_script(
            "base:\n\tdocker build -t acme-base -f base.Dockerfile .\n\
             app:\n\tdocker buildx build --tag=acme/app:1.2 \\\n\t  --build-arg PYTHON_IMAGE=python:3.12 .\n\
             dev:\n\tpodman build -t $(IMAGE) --build-arg=NODE_IMAGE .\n",
        );
        files.add_compose(
            "services:\n  worker:\n    build:\n      context: .\n      args:\n        - BASE_IMAGE=python:3.12\n        RUNTIME: x\n    image: acme-worker\n  redis:\n    image: redis\n",
        );
        assert_eq!(files.built, ["acme-base", "acme-worker"]);
        assert_eq!(
            files.build_args,
            ["PYTHON_IMAGE", "NODE_IMAGE", "BASE_IMAGE", "RUNTIME"]
        );
    }
}

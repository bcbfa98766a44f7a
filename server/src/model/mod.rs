//! The model: what the instructions mean together.
//!
//! Stages (base image with ARG substitution, alias, parent stage, shipped or not), the stage the
//! build produces (the last one, or the target a setting or a `# layerwise: target=` comment
//! names), the WORKDIR in effect at each instruction, ENV and ARG scopes, the effective
//! CMD/ENTRYPOINT of the built image, what the image is for ([`purpose`]), and the build context.
//! Built from a [`SyntaxTree`] in one pass over the instructions; no rule re-derives any of this.

pub mod commands;
pub mod context;
pub mod copies;
pub mod dockerignore;
pub mod expand;
pub mod impact;
pub mod purpose;
pub mod walk;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use crate::syntax::instruction::{Args, Form, Instruction, Keyword};
use crate::syntax::{Located, Span, SyntaxTree};

/// A base image reference after ARG substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// As written.
    pub raw: String,
    /// After substituting global ARG defaults; `None` when a variable has no known value.
    pub resolved: Option<String>,
    /// Absolute span of the image word.
    pub span: Span,
}

impl ImageRef {
    /// The repository part of the resolved reference (`docker.io/library/python:3` ->
    /// `docker.io/library/python`), lowercase.
    #[must_use]
    pub fn repository(&self) -> Option<String> {
        let r = self.resolved.as_deref()?;
        let no_digest = r.split('@').next().unwrap_or(r);
        // a tag is after the last ':' that follows the last '/'
        let slash = no_digest.rfind('/').map_or(0, |i| i + 1);
        let repo = match no_digest[slash..].rfind(':') {
            Some(i) => &no_digest[..slash + i],
            None => no_digest,
        };
        Some(repo.to_ascii_lowercase())
    }

    /// The last path component of the repository: `golang`, `dotnet/sdk` -> `sdk`.
    #[must_use]
    pub fn short_name(&self) -> Option<String> {
        self.repository()
            .map(|r| r.rsplit('/').next().unwrap_or(&r).to_string())
    }

    /// The repository without a registry host and `library/`: `mcr.microsoft.com/dotnet/sdk` ->
    /// `dotnet/sdk`, `docker.io/library/golang` -> `golang`.
    #[must_use]
    pub fn path(&self) -> Option<String> {
        let repo = self.repository()?;
        let mut parts: Vec<&str> = repo.split('/').collect();
        if parts.len() > 1
            && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost")
        {
            parts.remove(0);
        }
        if parts.first() == Some(&"library") && parts.len() > 1 {
            parts.remove(0);
        }
        Some(parts.join("/"))
    }

    /// The tag, if any.
    #[must_use]
    pub fn tag(&self) -> Option<String> {
        let r = self.resolved.as_deref()?;
        let no_digest = r.split('@').next().unwrap_or(r);
        let slash = no_digest.rfind('/').map_or(0, |i| i + 1);
        no_digest[slash..]
            .rfind(':')
            .map(|i| no_digest[slash + i + 1..].to_string())
    }

    #[must_use]
    pub fn digest(&self) -> Option<String> {
        self.resolved
            .as_deref()?
            .split_once('@')
            .map(|(_, d)| d.to_string())
    }
}

/// One build stage: a FROM and the instructions up to the next FROM.
#[derive(Debug, Clone)]
pub struct Stage {
    pub index: usize,
    /// Index of the FROM in [`Model::instructions`].
    pub from: usize,
    /// Indices of the instructions after the FROM, up to the next FROM.
    pub body: Range<usize>,
    /// The base image; `None` when the FROM has a syntax error.
    pub image: Option<ImageRef>,
    /// Lowercased stage name.
    pub alias: Option<String>,
    /// The stage this one is built on (`FROM <earlier stage>`).
    pub parent: Option<usize>,
    /// Its layers end up in the built image: the target stage and its ancestors.
    pub shipped: bool,
    /// The stage the build produces: the last one, or the target that was named.
    pub is_final: bool,
}

/// Where the built stage comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetSource {
    /// No target was named (or the named one is not a stage of this file): the last stage.
    #[default]
    Last,
    /// A `# layerwise: target=NAME` comment before the first `FROM`.
    Comment,
    /// The `target` setting (`--target`, `.layerwise.toml`, the editor's settings).
    Setting,
}

/// The model of a Dockerfile.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub stages: Vec<Stage>,
    /// `ARG`s before the first FROM: name -> default.
    pub global_args: HashMap<String, Option<String>>,
    /// Per instruction: the stage it belongs to (`None` before the first FROM).
    pub stage_of: Vec<Option<usize>>,
    /// Per instruction: the absolute WORKDIR in effect when it runs (shared: most instructions of
    /// a stage run in the same one).
    pub workdir: Vec<Arc<str>>,
    pub escape: char,
    /// Where the built stage (the one with `is_final`) comes from.
    pub target_source: TargetSource,
}

impl Model {
    /// Build the model of `tree` for the build of its last stage.
    #[must_use]
    pub fn build(tree: &SyntaxTree) -> Self {
        Self::build_for(tree, None, None)
    }

    /// Build the model of `tree` (parsed from `text`, which holds the comments) for the build of
    /// stage `target` (a setting: it wins over a `# layerwise: target=` comment in the file). A
    /// name that is no stage of this file falls back to the comment, then to the last stage, as
    /// `docker build` without `--target` builds.
    #[must_use]
    pub fn build_for(tree: &SyntaxTree, text: Option<&str>, target: Option<&str>) -> Self {
        let instrs = &tree.instructions;
        let escape = tree.split.escape;
        let mut model = Model {
            stage_of: vec![None; instrs.len()],
            escape,
            ..Model::default()
        };
        let mut current: Option<usize> = None;
        for (i, instr) in instrs.iter().enumerate() {
            if instr.keyword == Keyword::From {
                if let Some(s) = current {
                    model.stages[s].body.end = i;
                }
                let index = model.stages.len();
                let (image, alias) = match &instr.args {
                    Args::From { image, alias } => {
                        // a FROM that does not parse builds nothing: no image to judge (its
                        // `syntax` error is the one finding), only the name later stages use
                        let image = instr.errors.is_empty().then(|| ImageRef {
                            raw: image.value.clone(),
                            resolved: expand::expand(&image.value, escape, &|name| {
                                model.global_args.get(name).cloned().flatten()
                            }),
                            span: instr.abs(image.span),
                        });
                        (image, alias.as_ref().map(|a| a.value.to_ascii_lowercase()))
                    }
                    _ => (None, None),
                };
                let parent = image.as_ref().and_then(|img| {
                    let name = img
                        .resolved
                        .as_deref()
                        .unwrap_or(&img.raw)
                        .to_ascii_lowercase();
                    model
                        .stages
                        .iter()
                        .rposition(|s| s.alias.as_deref() == Some(name.as_str()))
                });
                model.stages.push(Stage {
                    index,
                    from: i,
                    body: i + 1..instrs.len(),
                    image,
                    alias,
                    parent,
                    shipped: false,
                    is_final: false,
                });
                current = Some(index);
            } else if current.is_none() && instr.keyword == Keyword::Arg {
                if let Args::KeyValues(kvs) = &instr.args {
                    for kv in kvs {
                        model.global_args.insert(kv.key.clone(), kv.value.clone());
                    }
                }
            }
            model.stage_of[i] = current;
        }

        // shipped stages: the built one and its ancestors
        let named = |name: &str| {
            let name = name.to_ascii_lowercase();
            model
                .stages
                .iter()
                .rposition(|s| s.alias.as_deref() == Some(name.as_str()))
        };
        let built = match target.and_then(named) {
            Some(s) => Some((s, TargetSource::Setting)),
            None => match text.and_then(|t| target_comment(t, tree)).and_then(named) {
                Some(s) => Some((s, TargetSource::Comment)),
                None => model
                    .stages
                    .len()
                    .checked_sub(1)
                    .map(|s| (s, TargetSource::Last)),
            },
        };
        if let Some((last, source)) = built {
            model.target_source = source;
            model.stages[last].is_final = true;
            let mut s = Some(last);
            let mut guard = 0;
            while let Some(idx) = s {
                if model.stages[idx].shipped || guard > model.stages.len() {
                    break;
                }
                model.stages[idx].shipped = true;
                s = model.stages[idx].parent;
                guard += 1;
            }
        }

        // WORKDIR in effect, following stage inheritance (stages are contiguous and in order, so
        // the list is filled front to back: "/" before the first FROM)
        let mut workdir: Vec<Arc<str>> = Vec::with_capacity(instrs.len());
        let first_from = model.stages.first().map_or(instrs.len(), |s| s.from);
        let root: Arc<str> = Arc::from("/");
        workdir.resize(first_from, Arc::clone(&root));
        let mut final_workdir: Vec<Arc<str>> = Vec::with_capacity(model.stages.len());
        for s in 0..model.stages.len() {
            let stage = &model.stages[s];
            let mut wd = stage
                .parent
                .and_then(|p| final_workdir.get(p).cloned())
                .unwrap_or_else(|| match base_workdir(stage.image.as_ref()) {
                    "/" => Arc::clone(&root),
                    other => Arc::from(other),
                });
            let from = stage.from;
            let body = stage.body.clone();
            debug_assert_eq!(workdir.len(), from);
            workdir.push(Arc::clone(&wd));
            for i in body {
                workdir.push(Arc::clone(&wd));
                if instrs[i].keyword == Keyword::Workdir {
                    if let Args::Text(word) = &instrs[i].args {
                        let value = model
                            .expand_at(tree, i, &word.value)
                            .unwrap_or_else(|| word.value.clone());
                        wd = Arc::from(join_path(&wd, &value));
                    }
                }
            }
            final_workdir.push(wd);
        }
        model.workdir = workdir;
        model
    }

    /// The index of the stage the build produces (the target, else the last stage).
    #[must_use]
    pub fn target(&self) -> Option<usize> {
        self.stages.iter().position(|s| s.is_final)
    }

    /// Per stage, whether building the target needs it: the target, the stages it is built
    /// on, and the stages they copy or mount files from (`COPY --from`, `RUN --mount=from=`),
    /// and so on. BuildKit builds no other stage, so their base images are never pulled.
    #[must_use]
    pub fn needed_stages(&self, tree: &SyntaxTree) -> Vec<bool> {
        let mut needed = vec![false; self.stages.len()];
        let mut todo: Vec<usize> = self.target().into_iter().collect();
        while let Some(s) = todo.pop() {
            if needed[s] {
                continue;
            }
            needed[s] = true;
            let st = &self.stages[s];
            todo.extend(st.parent);
            for i in st.body.clone() {
                for value in stage_references(&tree.instructions[i]) {
                    let name = value.to_ascii_lowercase();
                    let linked = self
                        .stages
                        .iter()
                        .position(|o| o.alias.as_deref() == Some(name.as_str()))
                        .or_else(|| {
                            name.parse::<usize>()
                                .ok()
                                .filter(|&k| k < self.stages.len())
                        });
                    todo.extend(linked);
                }
            }
        }
        needed
    }

    /// The stage of instruction `i`.
    #[must_use]
    pub fn stage(&self, i: usize) -> Option<&Stage> {
        self.stage_of
            .get(i)
            .copied()
            .flatten()
            .and_then(|s| self.stages.get(s))
    }

    /// The chain of stages from `stage` up through its parents (itself first).
    pub fn lineage(&self, stage: usize) -> impl Iterator<Item = &Stage> {
        let mut next = Some(stage);
        let mut steps = 0;
        std::iter::from_fn(move || {
            let s = self.stages.get(next?)?;
            steps += 1;
            next = if steps > self.stages.len() {
                None
            } else {
                s.parent
            };
            Some(s)
        })
    }

    /// The value of variable `name` as seen by instruction `i`: ENV and ARG set earlier in its
    /// stage or inherited from parent stages; ARG defaults from the global scope when redeclared.
    #[must_use]
    pub fn var_at(&self, tree: &SyntaxTree, i: usize, name: &str) -> Option<String> {
        let mut stage = self.stage_of.get(i).copied().flatten();
        let mut end = i;
        let mut steps = 0;
        while let Some(s) = stage {
            let st = &self.stages[s];
            for j in (st.body.start..end.min(st.body.end)).rev() {
                let instr = &tree.instructions[j];
                if let Args::KeyValues(kvs) = &instr.args {
                    if matches!(instr.keyword, Keyword::Env | Keyword::Arg) {
                        if let Some(kv) = kvs.iter().rev().find(|kv| kv.key == name) {
                            if instr.keyword == Keyword::Arg && kv.value.is_none() {
                                return self.global_args.get(name).cloned().flatten();
                            }
                            // `ENV HOME_DIR="${HOME_DIR}"`: a value is expanded where it is set
                            // (with what was in scope before that instruction)
                            return kv.value.as_ref().map(|v| {
                                if v.contains('$') {
                                    self.expand_at(tree, j, v).unwrap_or_else(|| v.clone())
                                } else {
                                    v.clone()
                                }
                            });
                        }
                    }
                }
            }
            stage = st.parent;
            end = usize::MAX;
            steps += 1;
            if steps > self.stages.len() {
                break;
            }
        }
        None
    }

    /// Expand variables in `s` as instruction `i` would see them.
    #[must_use]
    pub fn expand_at(&self, tree: &SyntaxTree, i: usize, s: &str) -> Option<String> {
        expand::expand(s, self.escape, &|name| self.var_at(tree, i, name))
    }

    /// The instruction that sets the built image's process: the last ENTRYPOINT and the last CMD
    /// of the built stage, else inherited through its parents.
    #[must_use]
    pub fn effective(&self, tree: &SyntaxTree, keyword: Keyword) -> Option<usize> {
        self.effective_in(tree, self.target()?, keyword)
    }

    /// The instruction that sets the process of stage `stage`'s image: its last `keyword`
    /// (ENTRYPOINT or CMD), else inherited through its parents.
    #[must_use]
    pub fn effective_in(&self, tree: &SyntaxTree, stage: usize, keyword: Keyword) -> Option<usize> {
        self.lineage(stage).find_map(|st| {
            st.body
                .clone()
                .rev()
                .find(|&j| tree.instructions[j].keyword == keyword)
        })
    }

    /// The instructions of stage `s` (body only).
    pub fn body<'t>(
        &self,
        tree: &'t SyntaxTree,
        s: usize,
    ) -> impl Iterator<Item = (usize, &'t Located)> + 't {
        let range = self.stages.get(s).map_or(0..0, |st| st.body.clone());
        range.map(move |j| (j, &tree.instructions[j]))
    }
}

/// The WORKDIR an official base image sets, where a stage built on it starts (`golang`:
/// `/go`); `/` for the others.
#[must_use]
pub fn base_workdir(image: Option<&ImageRef>) -> &'static str {
    known_base_workdir(image).unwrap_or("/")
}

/// [`base_workdir`], when the image is one whose WORKDIR layerwise knows: `None` for an image
/// it does not know (a company's own build image may well set one).
#[must_use]
pub fn known_base_workdir(image: Option<&ImageRef>) -> Option<&'static str> {
    let Some(image) = image else { return Some("/") };
    let tag = image.tag().unwrap_or_default();
    let path = image.path().unwrap_or_default();
    let root_images = [
        "debian",
        "ubuntu",
        "alpine",
        "busybox",
        "fedora",
        "centos",
        "rockylinux",
        "almalinux",
        "archlinux",
        "amazonlinux",
        "oraclelinux",
        "python",
        "node",
        "ruby",
        "rust",
        "maven",
        "eclipse-temurin",
        "openjdk",
        "amazoncorretto",
        "buildpack-deps",
        "gcc",
        "nginx",
        "scratch",
    ];
    Some(match path.as_str() {
        "golang" => "/go",
        "httpd" => "/usr/local/apache2",
        "tomcat" => "/usr/local/tomcat",
        "wordpress" => "/var/www/html",
        "gradle" => "/home/gradle",
        "composer" => "/app",
        "php" if tag.contains("apache") || tag.contains("fpm") => "/var/www/html",
        "php" => "/",
        p if root_images.contains(&p)
            || p.starts_with("dotnet/")
            || p.starts_with("distroless/")
            || p.starts_with("opensuse/")
            || matches!(
                p,
                "ubi8" | "ubi9" | "ubi8/ubi" | "ubi9/ubi" | "ubi8/ubi-minimal" | "ubi9/ubi-minimal"
            )
            || p.starts_with("astral-sh/uv") =>
        {
            "/"
        }
        _ => return None,
    })
}

/// The stage or image names an instruction takes files from: `COPY --from=NAME` and the
/// `from=NAME` of each `RUN --mount`.
#[must_use]
pub fn stage_references(instr: &Instruction) -> Vec<&str> {
    let instr = match &instr.args {
        Args::Onbuild(inner) => inner,
        _ => instr,
    };
    instr
        .flags
        .iter()
        .filter_map(|f| match f.name.as_str() {
            "from" => f.value.as_deref(),
            "mount" => f.value.as_deref().and_then(mount_from),
            _ => None,
        })
        .collect()
}

/// The `from=` of a `--mount` value (`type=cache,target=/root/.m2,from=deps`).
#[must_use]
pub fn mount_from(value: &str) -> Option<&str> {
    value.split(',').find_map(|part| {
        let (key, v) = part.split_once('=')?;
        key.trim().eq_ignore_ascii_case("from").then(|| v.trim())
    })
}

/// The stage named by a `# layerwise: target=NAME` comment before the first `FROM`.
fn target_comment<'t>(text: &'t str, tree: &SyntaxTree) -> Option<&'t str> {
    let first_from = tree
        .instructions
        .iter()
        .find(|l| l.keyword == Keyword::From)
        .map_or(usize::MAX, |l| l.offset);
    tree.split
        .comments
        .iter()
        .take_while(|c| c.span.start < first_from)
        .find_map(|c| {
            let body = c.span.of(text).trim_start_matches('#').trim_start();
            let rest = body.strip_prefix("layerwise")?;
            let rest = rest.strip_prefix(':').unwrap_or(rest).trim_start();
            let name = rest
                .strip_prefix("target")?
                .trim_start()
                .strip_prefix('=')?;
            let name = name.split_whitespace().next()?;
            (!name.is_empty()).then_some(name)
        })
}

/// `base` joined with `path` the way WORKDIR does: absolute paths replace, relative ones append.
#[must_use]
pub fn join_path(base: &str, path: &str) -> String {
    if path.starts_with('/') || is_windows_absolute(path) {
        return clean(path);
    }
    if is_windows_absolute(base) {
        return format!("{}\\{}", base.trim_end_matches('\\'), path);
    }
    clean(&format!("{}/{}", base.trim_end_matches('/'), path))
}

/// `C:\app`, `C:/app`, `c:`.
#[must_use]
pub fn is_windows_absolute(path: &str) -> bool {
    let b = path.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Clean a unix path: collapse `//`, `.` and `..`.
#[must_use]
pub fn clean(path: &str) -> String {
    if is_windows_absolute(path) || is_clean(path) {
        return path.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Whether `path` is what [`clean`] makes of it: `/`, or `/` followed by parts that are not
/// empty, `.` or `..`, separated by single slashes.
fn is_clean(path: &str) -> bool {
    path == "/"
        || path
            .strip_prefix('/')
            .is_some_and(|rest| rest.split('/').all(|part| !matches!(part, "" | "." | "..")))
}

/// Whether a form runs through a shell (`/bin/sh -c`).
#[must_use]
pub fn is_shell_form(form: &Form) -> bool {
    matches!(form, Form::Shell(_))
}

/// A COPY or ADD of the build-context root (`.` or `./` among its sources, not `--from`).
#[must_use]
pub fn is_broad_copy(instr: &Instruction) -> bool {
    if !matches!(instr.keyword, Keyword::Copy | Keyword::Add) || instr.flag("from").is_some() {
        return false;
    }
    let Args::Copy { sources, .. } = &instr.args else {
        return false;
    };
    sources
        .iter()
        .any(|s| matches!(s.value.as_str(), "." | "./" | "./." | "/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    #[test]
    fn stages_and_shipping() {
        let text = "ARG V=3.12\nFROM python:${V}-slim AS base\nRUN x\nFROM base AS dev\nFROM golang AS tools\nFROM base\nWORKDIR app\nRUN y\n";
        let tree = parse(text);
        let m = Model::build(&tree);
        assert_eq!(m.stages.len(), 4);
        assert_eq!(
            m.stages[0]
                .image
                .as_ref()
                .and_then(|i| i.resolved.clone())
                .as_deref(),
            Some("python:3.12-slim")
        );
        let shipped: Vec<bool> = m.stages.iter().map(|s| s.shipped).collect();
        assert_eq!(shipped, [true, false, false, true]);
        assert_eq!(m.stages[3].parent, Some(0));
        assert_eq!(&*m.workdir[7], "/app");
    }

    #[test]
    fn clean_paths() {
        // the slow way, for every path of a few parts
        fn slow(path: &str) -> String {
            let mut parts: Vec<&str> = Vec::new();
            for part in path.split('/') {
                match part {
                    "" | "." => {}
                    ".." => {
                        parts.pop();
                    }
                    p => parts.push(p),
                }
            }
            format!("/{}", parts.join("/"))
        }
        let pieces = ["/", "a", ".", "..", "bc", "//"];
        let mut paths = vec![String::new()];
        for _ in 0..4 {
            paths = paths
                .iter()
                .flat_map(|p| pieces.iter().map(move |x| format!("{p}{x}")))
                .collect();
            for p in &paths {
                assert_eq!(clean(p), slow(p), "{p:?}");
            }
        }
    }

    #[test]
    fn image_parts() {
        let img = |s: &str| ImageRef {
            raw: s.into(),
            resolved: Some(s.into()),
            span: Span::default(),
        };
        assert_eq!(
            img("mcr.microsoft.com/dotnet/sdk:8.0").path().as_deref(),
            Some("dotnet/sdk")
        );
        assert_eq!(img("localhost:5000/app").tag(), None);
        assert_eq!(
            img("docker.io/library/golang:1.22@sha256:ab")
                .tag()
                .as_deref(),
            Some("1.22")
        );
        assert_eq!(
            img("golang@sha256:ab").digest().as_deref(),
            Some("sha256:ab")
        );
    }

    #[test]
    fn stages_start_in_the_base_images_workdir() {
        let text = "FROM golang:1.22 AS build\nRUN go build -o main .\nFROM build AS more\nRUN ls\nFROM debian\nRUN ls\n";
        let tree = parse(text);
        let m = Model::build(&tree);
        assert_eq!(
            (&*m.workdir[1], &*m.workdir[3], &*m.workdir[5]),
            ("/go", "/go", "/")
        );
    }

    #[test]
    fn env_values_are_expanded_where_they_are_set() {
        let text = "ARG HOME_DIR=/opt/app\nFROM debian\nARG HOME_DIR\nENV HOME_DIR=\"${HOME_DIR}\" OTHER=$HOME_DIR/x\nWORKDIR ${HOME_DIR}\nRUN pwd\n";
        let tree = parse(text);
        let m = Model::build(&tree);
        assert_eq!(m.var_at(&tree, 4, "HOME_DIR").as_deref(), Some("/opt/app"));
        assert_eq!(m.var_at(&tree, 4, "OTHER").as_deref(), Some("/opt/app/x"));
        assert_eq!(&*m.workdir[5], "/opt/app");
    }

    #[test]
    fn vars_follow_scope() {
        let text = "ARG MIX_ENV=prod\nFROM a\nARG MIX_ENV\nENV X=${MIX_ENV}\nRUN echo\n";
        let tree = parse(text);
        let m = Model::build(&tree);
        assert_eq!(
            m.var_at(&tree, 4, "X")
                .and_then(|x| m.expand_at(&tree, 3, &x))
                .as_deref(),
            Some("prod")
        );
    }
}

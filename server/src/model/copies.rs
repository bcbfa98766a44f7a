//! What each COPY and ADD takes from the build context, resolved against a [`Walk`].
//!
//! A source is expanded with the variables in scope, cleaned and made relative to the context
//! root (a leading `/` means the root, as in `BuildKit`). Wildcards (`*`, `?`, `[...]`, `\`)
//! match within one path element, as Go's `filepath.Match`, which `BuildKit` uses for COPY
//! sources (`**` is two `*`, not "any folders"). A folder source takes everything below it and
//! puts its contents (not the folder itself) at the destination; a file goes to the destination,
//! or into it when the destination ends with `/` or there are several sources or a wildcard.
//! `--parents` keeps each source's path (after a `/./` pivot, when there is one) under the
//! destination. `--exclude` patterns are matched, with `.dockerignore` rules, against the path
//! below each source.
//!
//! [`analyze`] adds up the context's cost: per COPY its files, bytes and top contributors; the
//! biggest folders; files sent but never copied (nor bind-mounted by a `RUN`); and the files
//! copied into the shipped image that look like secrets or junk.

use std::collections::BTreeMap;

use crate::syntax::instruction::{Args, Instruction, Keyword};
use crate::syntax::SyntaxTree;

use super::dockerignore::DockerIgnore;
use super::walk::Walk;
use super::{join_path, Model};

/// Where a COPY or ADD takes its files from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The build context.
    Context,
    /// `--from=`: another stage or an image.
    From(String),
    /// Inline heredoc files, URLs or Git repositories: nothing from the context.
    Elsewhere,
}

/// One source of a COPY, expanded and made relative to the context root (`""`: the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub written: String,
    /// `None` when a variable in it has no known value.
    pub rel: Option<String>,
}

impl Source {
    /// Whether it has a wildcard.
    #[must_use]
    pub fn is_wildcard(&self) -> bool {
        self.rel.as_deref().is_some_and(has_wildcard)
    }
}

/// A COPY or ADD (or a `RUN --mount=type=bind` of the context) with what it reads.
#[derive(Debug, Clone)]
pub struct Copy {
    /// Index in the tree's instructions.
    pub instr: usize,
    pub stage: usize,
    /// 0-based line.
    pub line: u32,
    pub keyword: Keyword,
    pub origin: Origin,
    pub sources: Vec<Source>,
    /// `--exclude` patterns, parsed.
    pub exclude: Option<DockerIgnore>,
    /// The destination, absolute (after WORKDIR), `None` for a bind mount or an unknown value.
    pub dest: Option<String>,
    dest_is_dir: bool,
    parents: bool,
}

/// A source's match: what a sent path is taken as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// Index in [`Walk::files`].
    pub file: usize,
    /// Where it lands in the image (`None` when the destination is unknown).
    pub image_path: Option<String>,
}

impl Copy {
    /// Reads instruction `i` as a copy from somewhere; `None` for other instructions.
    #[must_use]
    pub fn of(tree: &SyntaxTree, model: &Model, i: usize) -> Option<Copy> {
        let located = tree.instructions.get(i)?;
        let instr: &Instruction = located;
        let stage = model.stage_of.get(i).copied().flatten()?;
        let expand = |s: &str| model.expand_at(tree, i, s);
        let to_source = |written: &str| Source {
            written: written.to_owned(),
            rel: expand(written).map(|v| context_rel(&v)),
        };
        let mut copy = Copy {
            instr: i,
            stage,
            line: located.line,
            keyword: instr.keyword,
            origin: Origin::Context,
            sources: Vec::new(),
            exclude: None,
            dest: None,
            dest_is_dir: false,
            parents: false,
        };
        match instr.keyword {
            Keyword::Copy | Keyword::Add => {
                let Args::Copy { sources, dest, .. } = &instr.args else {
                    return None;
                };
                if let Some(from) = instr.flag("from") {
                    copy.origin = Origin::From(from.value.clone().unwrap_or_default());
                } else if !instr.heredocs.is_empty()
                    || (instr.keyword == Keyword::Add
                        && sources.iter().any(|s| is_remote(&s.value)))
                {
                    copy.origin = Origin::Elsewhere;
                }
                copy.sources = sources.iter().map(|s| to_source(&s.value)).collect();
                let excludes: Vec<String> = instr
                    .flags
                    .iter()
                    .filter(|f| f.name == "exclude")
                    .filter_map(|f| f.value.as_deref().and_then(expand))
                    .collect();
                if !excludes.is_empty() {
                    copy.exclude = Some(DockerIgnore::parse(&excludes.join("\n")));
                }
                copy.parents = instr
                    .flag("parents")
                    .is_some_and(|f| f.value.as_deref().is_none_or(|v| v != "false"));
                if let Some(d) = expand(&dest.value) {
                    copy.dest_is_dir = d.ends_with('/')
                        || d.ends_with("/.")
                        || d == "."
                        || sources.len() > 1
                        || copy.parents
                        || copy.sources.iter().any(Source::is_wildcard);
                    let workdir = model.workdir.get(i).map_or("/", |w| &**w);
                    copy.dest = Some(join_path(workdir, &d));
                }
                Some(copy)
            }
            Keyword::Run => {
                let mut any = false;
                for flag in instr.flags.iter().filter(|f| f.name == "mount") {
                    let Some(value) = &flag.value else { continue };
                    let mut kind = "bind";
                    let mut source = None;
                    let mut from = false;
                    for part in value.split(',') {
                        let (k, v) = part.split_once('=').unwrap_or((part, ""));
                        match k.trim().to_ascii_lowercase().as_str() {
                            "type" => kind = v.trim(),
                            "source" | "src" => source = Some(v.trim()),
                            "from" => from = true,
                            _ => {}
                        }
                    }
                    if kind == "bind" && !from {
                        any = true;
                        copy.sources.push(to_source(source.unwrap_or(".")));
                    }
                }
                any.then_some(copy)
            }
            _ => None,
        }
    }

    /// Whether it reads the build context.
    #[must_use]
    pub fn reads_context(&self) -> bool {
        self.origin == Origin::Context
    }

    /// Whether it puts files in the image (a COPY or ADD, not a bind mount).
    #[must_use]
    pub fn is_copy(&self) -> bool {
        matches!(self.keyword, Keyword::Copy | Keyword::Add)
    }

    /// Whether the context path `path` (sent or not) is read by this instruction: its source or
    /// below it, and not cut by `--exclude`. Unknown sources (a variable without a value) count
    /// as taking it.
    #[must_use]
    pub fn takes(&self, path: &str) -> bool {
        self.lands(path).is_some()
    }

    /// Where the context path `path` lands in the image when this instruction takes it:
    /// `Some(None)` when it takes it but the place is unknown (a variable without a value, a
    /// bind mount), `None` when it does not take it.
    #[must_use]
    pub fn lands(&self, path: &str) -> Option<Option<String>> {
        if !self.reads_context() {
            return None;
        }
        self.sources.iter().find_map(|s| match &s.rel {
            None => Some(None),
            Some(rel) => {
                let root = source_root(&rel.replace("/./", "/"), path)?;
                if self.excluded(root, path) {
                    return None;
                }
                let pivot = rel.find("/./").map(|k| rel[..k].split('/').count());
                Some(self.image_path(root, path, pivot))
            }
        })
    }

    /// Whether this COPY (`--from` a stage) reads the image path `path` of that stage: a
    /// source is the path or a folder above it.
    #[must_use]
    pub fn reads_image_path(&self, path: &str) -> bool {
        let path = path.trim_start_matches('/');
        self.sources.iter().any(|s| {
            s.rel
                .as_deref()
                .is_none_or(|rel| source_root(&rel.replace("/./", "/"), path).is_some())
        })
    }

    fn excluded(&self, root: &str, path: &str) -> bool {
        let Some(ex) = &self.exclude else {
            return false;
        };
        let below = if path == root {
            path.rsplit('/').next().unwrap_or(path)
        } else if root.is_empty() {
            path
        } else {
            &path[root.len() + 1..]
        };
        ex.is_excluded(below)
    }

    /// What it takes from `walk`, each file once, in path order, with where each lands in the
    /// image when `paths` is set; and the sources that match nothing sent (the build fails on
    /// them).
    #[must_use]
    pub fn resolve(&self, walk: &Walk, paths: bool) -> (Vec<Taken>, Vec<String>) {
        let mut taken: Vec<Taken> = Vec::new();
        let mut missing = Vec::new();
        if !self.reads_context() {
            return (taken, missing);
        }
        // several sources may take the same file: keep the first
        let mut seen = (self.sources.len() > 1).then(|| vec![false; walk.files.len()]);
        for source in &self.sources {
            let before = taken.len();
            let mut matched = false;
            let rel = source.rel.as_deref();
            // `--parents` keeps the path after a `/./` pivot: that many elements are dropped
            let pivot = rel.and_then(|r| r.find("/./").map(|k| r[..k].split('/').count()));
            let key = rel.map(|r| r.replace("/./", "/"));
            let mut add = |i: usize, root: Option<&str>| {
                if let Some(seen) = seen.as_mut() {
                    if std::mem::replace(&mut seen[i], true) {
                        return;
                    }
                }
                let path = &walk.files[i].path;
                if root.is_some_and(|root| self.excluded(root, path)) {
                    return;
                }
                let image_path = match root {
                    Some(root) if paths => self.image_path(root, path, pivot),
                    _ => None,
                };
                taken.push(Taken {
                    file: i,
                    image_path,
                });
            };
            match key.as_deref() {
                // unknown value: it may take anything
                None => {
                    matched = true;
                    (0..walk.files.len()).for_each(|i| add(i, None));
                }
                Some(key) if has_wildcard(key) => {
                    for i in 0..walk.files.len() {
                        if let Some(root) = source_root(key, &walk.files[i].path) {
                            matched = true;
                            add(i, Some(root));
                        }
                    }
                    matched |= walk
                        .empty_dirs
                        .iter()
                        .any(|d| source_root(key, d).is_some());
                }
                Some(key) => {
                    if let Some(i) = walk.find(key) {
                        matched = true;
                        add(i, Some(key));
                    }
                    for i in walk.under(key) {
                        matched = true;
                        add(i, Some(key));
                    }
                    matched |= key.is_empty()
                        || walk
                            .empty_dirs
                            .binary_search_by(|d| d.as_str().cmp(key))
                            .is_ok();
                }
            }
            if !matched && taken.len() == before {
                missing.push(source.written.clone());
            }
        }
        if self.sources.len() > 1 {
            taken.sort_unstable_by_key(|t| t.file);
        }
        (taken, missing)
    }

    /// Where the context file `path`, taken through the source match `root`, lands.
    fn image_path(&self, root: &str, path: &str, pivot: Option<usize>) -> Option<String> {
        let dest = self.dest.as_deref()?;
        if !self.is_copy() {
            return None;
        }
        let tail = if self.parents {
            // `a/./b/c` keeps `b/c`
            let drop = pivot.unwrap_or(0);
            path.splitn(drop + 1, '/').last().unwrap_or(path).to_owned()
        } else if path == root {
            if !self.dest_is_dir {
                return Some(dest.to_owned());
            }
            path.rsplit('/').next().unwrap_or(path).to_owned()
        } else if root.is_empty() {
            path.to_owned()
        } else {
            path[root.len() + 1..].to_owned()
        };
        Some(join_path(dest, &tail))
    }
}

/// The stage `name` names (its alias or number), when it comes before stage `before`.
pub(crate) fn stage_index(model: &Model, name: &str, before: usize) -> Option<usize> {
    let name = name.to_ascii_lowercase();
    model
        .stages
        .iter()
        .position(|s| s.alias.as_deref() == Some(name.as_str()))
        .or_else(|| name.parse::<usize>().ok())
        .filter(|&k| k < before)
}

/// The copies of the file, in order: COPY, ADD and `RUN --mount=type=bind`.
#[must_use]
pub fn copies(tree: &SyntaxTree, model: &Model) -> Vec<Copy> {
    (0..tree.instructions.len())
        .filter_map(|i| Copy::of(tree, model, i))
        .collect()
}

/// `./src/../app/` -> `app`; `.` and `/` -> `` (the root). Keeps a `/./` pivot of `--parents`.
fn context_rel(source: &str) -> String {
    let trimmed = source.trim_start_matches('/');
    let mut parts: Vec<&str> = Vec::new();
    let mut pivot = None;
    let pieces: Vec<&str> = trimmed.split('/').collect();
    for (k, part) in pieces.iter().enumerate() {
        match *part {
            "" => {}
            "." => {
                if k > 0 && k + 1 < pieces.len() && !parts.is_empty() {
                    pivot = Some(parts.len());
                }
            }
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    match pivot {
        Some(at) if at < parts.len() => {
            format!("{}/./{}", parts[..at].join("/"), parts[at..].join("/"))
        }
        _ => parts.join("/"),
    }
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn is_remote(s: &str) -> bool {
    s.contains("://") || s.starts_with("git@")
}

/// When `path` is the source `rel` or below it, the part of `path` the source matched (the
/// root its files hang from); `None` otherwise. `rel` may hold wildcards and a `/./` pivot.
fn source_root<'p>(rel: &str, path: &'p str) -> Option<&'p str> {
    if rel.is_empty() {
        return Some("");
    }
    let mut end = 0;
    let mut rest = path;
    for (k, pattern) in rel.split('/').filter(|p| *p != ".").enumerate() {
        let (part, after) = rest.split_once('/').unwrap_or((rest, ""));
        if part.is_empty() || !element_matches(pattern, part) {
            return None;
        }
        end += part.len() + usize::from(k > 0);
        rest = after;
    }
    Some(&path[..end])
}

/// Go's `filepath.Match` for one path element: `*`, `?`, `[...]` (`^` negates), `\` escapes.
fn element_matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        let Some((&c, rest)) = p.split_first() else {
            return n.is_empty();
        };
        match c {
            '*' => (0..=n.len()).any(|k| go(rest, &n[k..])),
            '?' => !n.is_empty() && go(rest, &n[1..]),
            '[' => {
                let Some((&first, tail)) = n.split_first() else {
                    return false;
                };
                let mut i = 0;
                let negate = rest.first() == Some(&'^');
                if negate {
                    i = 1;
                }
                let mut hit = false;
                let mut closed = false;
                let mut started = false;
                while i < rest.len() {
                    let mut lo = rest[i];
                    if lo == ']' && started {
                        closed = true;
                        break;
                    }
                    started = true;
                    if lo == '\\' && i + 1 < rest.len() {
                        i += 1;
                        lo = rest[i];
                    }
                    let mut hi = lo;
                    if i + 2 < rest.len() && rest[i + 1] == '-' && rest[i + 2] != ']' {
                        hi = rest[i + 2];
                        if hi == '\\' && i + 3 < rest.len() {
                            i += 1;
                            hi = rest[i + 2];
                        }
                        i += 2;
                    }
                    if lo <= first && first <= hi {
                        hit = true;
                    }
                    i += 1;
                }
                closed && hit != negate && go(&rest[i + 1..], tail)
            }
            '\\' if !rest.is_empty() => n.first() == Some(&rest[0]) && go(&rest[1..], &n[1..]),
            c => n.first() == Some(&c) && go(rest, &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // bounded: patterns are short, and `*` backtracking is at most |p| * |n| deep here
    go(&p, &n)
}

/// Bytes as people read them (decimal units, as Docker prints sizes): `3.1 MB`.
#[must_use]
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    #[allow(clippy::cast_precision_loss)] // one decimal shown
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `1234567` -> `1,234,567`.
#[must_use]
pub fn count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (k, c) in s.chars().enumerate() {
        if k > 0 && (s.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One COPY's cost.
#[derive(Debug, Clone)]
pub struct CopyCost {
    pub copy: Copy,
    pub files: usize,
    pub bytes: u64,
    /// The biggest pieces it takes: (path in the context, files, bytes), biggest first.
    pub top: Vec<(String, usize, u64)>,
    pub missing: Vec<String>,
    /// What it puts in the image: context path -> image path, when the destination is known.
    pub taken: Vec<Taken>,
}

/// Something copied into the shipped image that should likely not be there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspect {
    /// The context path (a folder ends with `/`).
    pub path: String,
    pub files: usize,
    pub bytes: u64,
    /// The 0-based line of the COPY that ships it.
    pub line: u32,
    /// What it is, in a few words.
    pub why: &'static str,
}

/// The whole context's cost for one Dockerfile.
#[derive(Debug, Clone)]
pub struct Report {
    pub files: usize,
    pub bytes: u64,
    /// Top-level entries by bytes: (path, files, bytes), biggest first.
    pub biggest: Vec<(String, usize, u64)>,
    pub copies: Vec<CopyCost>,
    /// Sent, never read by any instruction: (files, bytes) and the biggest pieces.
    pub unused_files: usize,
    pub unused_bytes: u64,
    pub unused_top: Vec<(String, usize, u64)>,
    pub suspects: Vec<Suspect>,
}

const TOP: usize = 8;

/// Adds up pieces by their first path element below `root`: `(path, files, bytes)`, biggest
/// first, at most `TOP`.
fn top_pieces<'a>(
    root: &str,
    items: impl Iterator<Item = (&'a str, u64)>,
) -> Vec<(String, usize, u64)> {
    let mut groups: std::collections::HashMap<&'a str, (usize, u64)> =
        std::collections::HashMap::new();
    for (path, size) in items {
        // `root/head/` when the file is deeper, else the file itself
        let skip = if root.is_empty()
            || !path.starts_with(root)
            || path.as_bytes().get(root.len()) != Some(&b'/')
        {
            0
        } else {
            root.len() + 1
        };
        let key = match path[skip..].find('/') {
            Some(k) => &path[..skip + k + 1],
            None => path,
        };
        let g = groups.entry(key).or_default();
        g.0 += 1;
        g.1 += size;
    }
    let mut v: Vec<(&str, usize, u64)> = groups.into_iter().map(|(k, (f, b))| (k, f, b)).collect();
    v.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(b.0)));
    v.truncate(TOP);
    v.into_iter()
        .map(|(k, f, b)| (k.to_owned(), f, b))
        .collect()
}

/// The common folder of a COPY's sources, to group its files by.
fn common_root(copy: &Copy) -> String {
    let mut roots = copy.sources.iter().map(|s| match &s.rel {
        Some(rel) if !has_wildcard(rel) => rel.replace("/./", "/"),
        _ => String::new(),
    });
    let first = roots.next().unwrap_or_default();
    if roots.next().is_some() {
        String::new()
    } else {
        first
    }
}

/// What kind of secret or junk a context path is, judged by its name (and, for `.npmrc`, its
/// text); the folder it belongs to when the whole folder is the problem.
fn suspect_kind<'p>(
    path: &'p str,
    read: &dyn Fn(&str) -> Option<String>,
    size: u64,
) -> Option<(&'p str, &'static str)> {
    // the folders on the way, each with the end of its `folder/` prefix
    let mut start = 0;
    for (slash, _) in path.match_indices('/') {
        let why = match &path[start..slash] {
            ".git" => "a Git repository: the project's whole history",
            "node_modules" => "the host's node_modules: built for the host, not the image",
            ".venv" | "venv" => "the host's Python virtual environment",
            ".idea" | ".vscode" | ".vs" => "an editor's settings folder",
            _ => {
                start = slash + 1;
                continue;
            }
        };
        return Some((&path[..=slash], why));
    }
    let parts: Vec<&str> = path.split('/').collect();
    let name = parts[parts.len() - 1];
    let lower = name.to_ascii_lowercase();
    if lower == ".env"
        || (lower.starts_with(".env.")
            && !matches!(&lower[5..], "example" | "sample" | "template" | "dist"))
    {
        return Some((path, "an environment file: these usually hold secrets"));
    }
    if lower.ends_with(".pem")
        || lower.ends_with(".key")
        || matches!(
            lower.as_str(),
            "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519"
        )
    {
        return Some((path, "a private key"));
    }
    if lower == ".npmrc" || lower == ".pypirc" {
        let text = read(path).unwrap_or_default();
        if text.contains("_authToken") || text.contains("_auth") || text.contains("password") {
            return Some((path, "a package registry token"));
        }
    }
    if lower == ".ds_store" || lower.ends_with(".swp") {
        return Some((path, "an editor or desktop leftover"));
    }
    if size > 10 << 20
        && parts[..parts.len() - 1].iter().any(|p| {
            matches!(
                p.to_ascii_lowercase().as_str(),
                "test" | "tests" | "testdata" | "test_data" | "fixtures" | "__tests__" | "spec"
            )
        })
    {
        return Some((path, "test data over 10 MB"));
    }
    None
}

/// The context's cost for the Dockerfile `tree`: `read` gives the text of a small context file
/// (`.npmrc`).
#[must_use]
pub fn analyze(
    tree: &SyntaxTree,
    model: &Model,
    walk: &Walk,
    read: &dyn Fn(&str) -> Option<String>,
    list: bool,
) -> Report {
    let all = copies(tree, model);
    // image paths are worked out for `list`, and for the stages a shipped stage copies from
    let mut copied_from = vec![false; model.stages.len()];
    for c in &all {
        if let (Origin::From(name), true) = (
            &c.origin,
            model.stages.get(c.stage).is_some_and(|s| s.shipped),
        ) {
            if let Some(k) = stage_index(model, name, c.stage) {
                copied_from[k] = true;
            }
        }
    }
    let mut used = vec![false; walk.files.len()];
    let mut costs = Vec::new();
    let mut suspects: BTreeMap<&str, Suspect> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for copy in all {
        if !copy.reads_context() {
            if copy.is_copy() {
                costs.push(CopyCost {
                    copy,
                    files: 0,
                    bytes: 0,
                    top: Vec::new(),
                    missing: Vec::new(),
                    taken: Vec::new(),
                });
            }
            continue;
        }
        let (taken, missing) = copy.resolve(walk, list || copied_from[copy.stage]);
        for t in &taken {
            used[t.file] = true;
        }
        if !copy.is_copy() {
            continue;
        }
        let shipped = model.stages.get(copy.stage).is_some_and(|s| s.shipped);
        if shipped {
            for t in &taken {
                let f = &walk.files[t.file];
                if !seen.insert(t.file) {
                    continue;
                }
                if let Some((key, why)) = suspect_kind(&f.path, read, f.size) {
                    let s = suspects.entry(key).or_insert_with(|| Suspect {
                        path: key.to_owned(),
                        files: 0,
                        bytes: 0,
                        line: copy.line,
                        why,
                    });
                    s.files += 1;
                    s.bytes += f.size;
                }
            }
        }
        let root = common_root(&copy);
        let top = top_pieces(
            &root,
            taken
                .iter()
                .map(|t| (walk.files[t.file].path.as_str(), walk.files[t.file].size)),
        );
        costs.push(CopyCost {
            files: taken.len(),
            bytes: taken.iter().map(|t| walk.files[t.file].size).sum(),
            top,
            missing,
            taken,
            copy,
        });
    }
    // what a shipped stage copies from another stage brings that stage's context files along
    for c in costs.iter().filter(|c| {
        matches!(c.copy.origin, Origin::From(_))
            && model.stages.get(c.copy.stage).is_some_and(|s| s.shipped)
    }) {
        let Origin::From(name) = &c.copy.origin else {
            continue;
        };
        let Some(from) = stage_index(model, name, c.copy.stage) else {
            continue;
        };
        for earlier in costs.iter().filter(|e| e.copy.stage == from) {
            for t in &earlier.taken {
                let Some(image) = t.image_path.as_deref() else {
                    continue;
                };
                let in_image = image.trim_start_matches('/');
                let brought = c.copy.sources.iter().any(|s| {
                    s.rel
                        .as_deref()
                        .is_none_or(|rel| source_root(&rel.replace("/./", "/"), in_image).is_some())
                });
                let f = &walk.files[t.file];
                if !brought {
                    continue;
                }
                if !seen.insert(t.file) {
                    continue;
                }
                if let Some((key, why)) = suspect_kind(&f.path, read, f.size) {
                    let s = suspects.entry(key).or_insert_with(|| Suspect {
                        path: key.to_owned(),
                        files: 0,
                        bytes: 0,
                        line: c.copy.line,
                        why,
                    });
                    s.files += 1;
                    s.bytes += f.size;
                }
            }
        }
    }
    let unused = || {
        walk.files
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(f, _)| (f.path.as_str(), f.size))
    };
    Report {
        files: walk.files.len(),
        bytes: walk.bytes(),
        biggest: top_pieces("", walk.files.iter().map(|f| (f.path.as_str(), f.size))),
        copies: costs,
        unused_files: unused().count(),
        unused_bytes: unused().map(|(_, s)| s).sum(),
        unused_top: top_pieces("", unused()),
        suspects: suspects.into_values().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::walk::{ContextFile, EntryKind};

    fn walk_of(files: &[(&str, u64)]) -> Walk {
        let mut files: Vec<ContextFile> = files
            .iter()
            .map(|(p, s)| ContextFile {
                path: (*p).to_owned(),
                size: *s,
                kind: EntryKind::File,
            })
            .collect();
        files.sort();
        Walk {
            files,
            ..Walk::default()
        }
    }

    fn first_copy(dockerfile: &str) -> (Copy, SyntaxTree, Model) {
        let tree = crate::syntax::parse(dockerfile);
        let model = Model::build(&tree);
        let c = copies(&tree, &model).into_iter().last().unwrap();
        (c, tree, model)
    }

    fn image(dockerfile: &str, walk: &Walk) -> Vec<String> {
        let (c, _, _) = first_copy(dockerfile);
        let (taken, _) = c.resolve(walk, true);
        taken
            .into_iter()
            .map(|t| format!("{} -> {}", walk.files[t.file].path, t.image_path.unwrap()))
            .collect()
    }

    #[test]
    fn folder_file_and_wildcard_sources_land_where_buildkit_puts_them() {
        let w = walk_of(&[
            ("src/a.py", 1),
            ("src/lib/b.py", 2),
            ("req.txt", 3),
            ("req-dev.txt", 4),
            ("README", 5),
        ]);
        assert_eq!(
            image("FROM x\nWORKDIR /app\nCOPY src .\n", &w),
            ["src/a.py -> /app/a.py", "src/lib/b.py -> /app/lib/b.py"]
        );
        assert_eq!(image("FROM x\nCOPY req.txt /r\n", &w), ["req.txt -> /r"]);
        assert_eq!(
            image("FROM x\nCOPY req*.txt /r\n", &w),
            ["req-dev.txt -> /r/req-dev.txt", "req.txt -> /r/req.txt"]
        );
        assert_eq!(
            image("FROM x\nCOPY s*c /d/\n", &w),
            ["src/a.py -> /d/a.py", "src/lib/b.py -> /d/lib/b.py"]
        );
        assert_eq!(
            image("FROM x\nCOPY --parents src/lib/b.py req.txt /d/\n", &w),
            ["req.txt -> /d/req.txt", "src/lib/b.py -> /d/src/lib/b.py"]
        );
        assert_eq!(
            image("FROM x\nCOPY --parents src/./lib /d/\n", &w),
            ["src/lib/b.py -> /d/lib/b.py"]
        );
        assert_eq!(
            image("FROM x\nCOPY --exclude=*.txt --exclude=lib . /d\n", &w),
            [
                "README -> /d/README",
                "src/a.py -> /d/src/a.py",
                "src/lib/b.py -> /d/src/lib/b.py"
            ]
        );
        assert_eq!(
            image("FROM x\nARG D=src\nCOPY ${D}/a.py /x/\n", &w),
            ["src/a.py -> /x/a.py"]
        );
    }

    #[test]
    fn missing_sources_are_reported_and_other_origins_take_nothing() {
        let w = walk_of(&[("a", 1)]);
        let (c, _, _) = first_copy("FROM x\nCOPY a b nope* /d/\n");
        let (taken, missing) = c.resolve(&w, false);
        assert_eq!(taken.len(), 1);
        assert_eq!(missing, ["b", "nope*"]);
        let (c, _, _) = first_copy("FROM x AS b\nFROM x\nCOPY --from=b a /d\n");
        assert_eq!(c.origin, Origin::From("b".into()));
        assert!(c.resolve(&w, false).0.is_empty());
    }

    #[test]
    fn element_matching_follows_go() {
        assert!(element_matches("*.py", "a.py"));
        assert!(!element_matches("*.py", "a.pyc"));
        assert!(element_matches("[a-c]?", "bx"));
        assert!(!element_matches("[^a-c]x", "bx"));
        assert!(element_matches("\\*", "*"));
        assert!(!element_matches("[ab", "a"));
        assert_eq!(source_root("s*/lib", "src/lib/b.py"), Some("src/lib"));
        assert_eq!(source_root("src", "srcx/a"), None);
        assert_eq!(context_rel("/./src/../app/"), "app");
        assert_eq!(context_rel("."), "");
        assert_eq!(context_rel("a/./b"), "a/./b");
    }

    #[test]
    fn report_finds_unused_files_and_secrets_in_the_shipped_image_only() {
        let w = walk_of(&[
            ("app/main.py", 10),
            ("app/.env", 1),
            ("docs/big.pdf", 1000),
            ("build/.npmrc", 5),
            ("build/id_rsa", 7),
        ]);
        let df = "FROM x AS b\nCOPY build /b\nFROM y\nCOPY app /app\n";
        let tree = crate::syntax::parse(df);
        let model = Model::build(&tree);
        let r = analyze(
            &tree,
            &model,
            &w,
            &|_| Some("//r/:_authToken=x".into()),
            false,
        );
        assert_eq!(r.files, 5);
        assert_eq!(r.unused_files, 1);
        assert_eq!(r.unused_bytes, 1000);
        // the builder stage's key does not ship; the final stage's .env does
        let names: Vec<&str> = r.suspects.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(names, ["app/.env"]);
        assert_eq!(r.copies[1].top[0], ("app/main.py".to_owned(), 1, 10));
        assert_eq!(r.biggest[0].0, "docs/");
        // ... unless the final stage copies it from the builder
        let df = "FROM x AS b\nCOPY build /b\nFROM y\nCOPY --from=b /b/id_rsa /k\nCOPY app /app\n";
        let tree = crate::syntax::parse(df);
        let model = Model::build(&tree);
        let r = analyze(&tree, &model, &w, &|_| None, false);
        let names: Vec<(&str, u32)> = r
            .suspects
            .iter()
            .map(|s| (s.path.as_str(), s.line))
            .collect();
        assert_eq!(names, [("app/.env", 4), ("build/id_rsa", 3)]);
    }
}

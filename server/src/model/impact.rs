//! Change impact: which build step a change of some context files invalidates.
//!
//! A COPY or ADD from the context misses the cache when a file it takes changed (its cache key
//! is the content of what it copies); a `RUN --mount=type=bind` of the context likewise. A
//! changed file that `.dockerignore` excludes is never sent, so it changes nothing. Once a step
//! misses, every later step of its stage runs again, and so does every stage built on it
//! (`FROM <stage>`) or reading from it (`COPY --from`, `RUN --mount=from=`), from the step that
//! refers to it (a `COPY --from` whose files did not change may still hit the cache: said as
//! "may"). Only the stages the build needs are looked at.

use crate::syntax::instruction::Keyword;
use crate::syntax::SyntaxTree;

use super::copies::{copies, stage_index, Copy};
use super::dockerignore::DockerIgnore;
use super::{stage_references, Model};

/// What a change does to one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageImpact {
    pub stage: usize,
    /// The stage's name, or its number.
    pub name: String,
    /// The first step that runs again: (instruction index, 0-based line), and why: the changed
    /// files it takes, or the stage it depends on.
    pub first: Option<(usize, u32, Cause)>,
    /// The steps before it that stay cached (instruction indices; RUN, COPY and ADD only).
    pub cached: Vec<usize>,
    /// The RUN steps from the first one on, which run again (instruction indices).
    pub rerun: Vec<usize>,
}

/// Why a step runs again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// It takes these changed files.
    Files(Vec<String>),
    /// It is built on, or reads from, this stage, which is rebuilt.
    Stage(String),
}

/// Per needed stage, in file order, what changing `changed` (paths relative to the context
/// root) invalidates.
#[must_use]
pub fn impact(
    tree: &SyntaxTree,
    model: &Model,
    ignore: Option<&DockerIgnore>,
    changed: &[String],
) -> Vec<StageImpact> {
    let needed = model.needed_stages(tree);
    let sent: Vec<&String> = changed
        .iter()
        .filter(|p| ignore.is_none_or(|ig| !ig.is_excluded(p)))
        .collect();
    let all: Vec<Copy> = copies(tree, model);
    // per stage: rebuilt or not, and when known, the image paths its rebuilt steps changed
    // (`None` inside: anything may have changed, as a RUN ran again)
    let mut rebuilt: Vec<Option<Option<Vec<String>>>> = vec![None; model.stages.len()];
    let mut out = Vec::new();
    for (s, stage) in model.stages.iter().enumerate() {
        if !needed.get(s).copied().unwrap_or(false) {
            continue;
        }
        let name = stage.alias.clone().unwrap_or_else(|| s.to_string());
        let stage_name = |k: usize| {
            model.stages[k]
                .alias
                .clone()
                .unwrap_or_else(|| k.to_string())
        };
        let mut first = None;
        if let Some(parent) = stage.parent.filter(|&p| rebuilt[p].is_some()) {
            first = Some((
                stage.from,
                tree.instructions[stage.from].line,
                Cause::Stage(stage_name(parent)),
            ));
        }
        let mut cached = Vec::new();
        if first.is_none() {
            for i in stage.body.clone() {
                let instr = &tree.instructions[i];
                let files: Vec<String> = all
                    .iter()
                    .filter(|c| c.instr == i)
                    .flat_map(|c| sent.iter().filter(|p| c.takes(p)))
                    .map(|p| (*p).clone())
                    .collect();
                if !files.is_empty() {
                    first = Some((i, instr.line, Cause::Files(files)));
                    break;
                }
                // a step reading a rebuilt stage runs again when what it reads changed
                let from_rebuilt = stage_references(instr).into_iter().find_map(|r| {
                    let k = stage_index(model, r, s)?;
                    let changed = rebuilt[k].as_ref()?;
                    let reads_changed = match changed {
                        None => true,
                        Some(paths) => {
                            let copy = all.iter().find(|c| c.instr == i);
                            match copy {
                                Some(c) if c.is_copy() => {
                                    paths.iter().any(|p| c.reads_image_path(p))
                                }
                                _ => true,
                            }
                        }
                    };
                    reads_changed.then_some(k)
                });
                if let Some(k) = from_rebuilt {
                    first = Some((i, instr.line, Cause::Stage(stage_name(k))));
                    break;
                }
                if matches!(instr.keyword, Keyword::Run | Keyword::Copy | Keyword::Add) {
                    cached.push(i);
                }
            }
        }
        rebuilt[s] = first.as_ref().map(|(i, _, cause)| {
            if matches!(cause, Cause::Stage(_)) && *i == stage.from {
                return None;
            }
            // what the steps from the first one on change in the image
            let mut paths = Vec::new();
            for j in *i..stage.body.end {
                let instr = &tree.instructions[j];
                match all.iter().find(|c| c.instr == j) {
                    Some(c) if c.is_copy() && c.reads_context() => {
                        for p in &sent {
                            match c.lands(p) {
                                Some(Some(at)) => paths.push(at),
                                Some(None) => return None,
                                None => {}
                            }
                        }
                    }
                    // another stage's files: anything of it may have changed
                    _ if matches!(instr.keyword, Keyword::Copy | Keyword::Add) && j == *i => {
                        return None
                    }
                    _ if matches!(instr.keyword, Keyword::Run) => return None,
                    _ => {}
                }
            }
            Some(paths)
        });
        let rerun = match &first {
            Some((i, _, _)) => (*i..stage.body.end)
                .filter(|&j| tree.instructions[j].keyword == Keyword::Run)
                .collect(),
            None => Vec::new(),
        };
        out.push(StageImpact {
            stage: s,
            name,
            first,
            cached,
            rerun,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(df: &str, ignore: &str, changed: &[&str]) -> Vec<StageImpact> {
        let tree = crate::syntax::parse(df);
        let model = Model::build(&tree);
        let ig = DockerIgnore::parse(ignore);
        let changed: Vec<String> = changed.iter().map(|s| (*s).to_owned()).collect();
        impact(&tree, &model, Some(&ig), &changed)
    }

    const DF: &str = "FROM python AS build
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN python -m compileall .
FROM python
COPY --from=build /app /app
CMD [\"python\", \"/app/main.py\"]
";

    #[test]
    fn a_source_edit_rebuilds_from_the_broad_copy_and_keeps_the_install() {
        let r = run(DF, "", &["src/main.py"]);
        assert_eq!(r.len(), 2);
        let (i, line, cause) = r[0].first.clone().unwrap();
        assert_eq!((i, line), (4, 4));
        assert_eq!(cause, Cause::Files(vec!["src/main.py".into()]));
        assert_eq!(r[0].cached, [2, 3]);
        assert_eq!(r[0].rerun, [5]);
        assert_eq!(r[1].first.as_ref().unwrap().2, Cause::Stage("build".into()));
    }

    #[test]
    fn a_copy_from_a_rebuilt_stage_stays_cached_when_its_files_did_not_change() {
        let df = "FROM python AS build
WORKDIR /app
COPY requirements.txt .
RUN pip install --user -r requirements.txt
COPY . /app
FROM python
COPY --from=build /root/.local /root/.local
COPY --from=build /app /app
";
        let r = run(df, "", &["main.py"]);
        assert_eq!(r[0].first.as_ref().unwrap().1, 4);
        // /root/.local did not change: only the copy of /app runs again
        assert_eq!(r[1].first.as_ref().unwrap().1, 7);
        assert_eq!(r[1].cached, [6]);
        // a RUN after the copy may change anything: the first COPY --from runs again
        let df = df.replace("COPY . /app\n", "COPY . /app\nRUN python -m compileall .\n");
        let r = run(&df, "", &["main.py"]);
        assert_eq!(r[1].first.as_ref().unwrap().1, 7);
        assert!(r[1].cached.is_empty());
    }

    #[test]
    fn a_manifest_edit_rebuilds_from_its_copy() {
        let r = run(DF, "", &["requirements.txt"]);
        assert_eq!(r[0].first.as_ref().unwrap().1, 2);
        assert!(r[0].cached.is_empty());
    }

    #[test]
    fn an_ignored_file_changes_nothing() {
        let r = run(DF, "docs\n", &["docs/index.md"]);
        assert!(r.iter().all(|s| s.first.is_none()));
        assert_eq!(r[0].cached, [2, 3, 4, 5]);
    }

    #[test]
    fn unneeded_stages_are_left_out() {
        let r = run(
            "FROM a AS unused\nCOPY . .\nFROM b\nCOPY x /x\n",
            "",
            &["y"],
        );
        assert_eq!(r.len(), 1);
        assert!(r[0].first.is_none());
    }
}

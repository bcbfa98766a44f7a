//! User configuration: per-rule severity or `off`, the stage that ships (`target`) and the
//! command line's `select`, `ignore`, `fail-on` and `format`, from
//! `.layerwise.toml`, the CLI (`--select`/`--ignore`/`--target`) and LSP settings
//! (`layerwise.rules`, `layerwise.target`).
//!
//! ```toml
//! # .layerwise.toml
//! target = "runtime"   # the stage `docker build --target` builds and ships
//!
//! [rules]
//! consecutive-run = "off"
//! pip-no-cache-dir = "error"
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{RuleMeta, Severity, RULES};

/// A rule's configured level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Off,
    Severity(Severity),
}

impl Level {
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "off" | "none" | "ignore" | "false" => Some(Self::Off),
            other => Severity::parse(other).map(Self::Severity),
        }
    }
}

/// Which rules run and at what severity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    levels: HashMap<String, Level>,
    /// When set, only these rules run.
    select: Option<Vec<String>>,
    /// The stage that ships (`docker build --target NAME`), when it is not the last one.
    target: Option<String>,
    /// The command line's settings: the lowest severity that fails `layerwise check`
    /// (`fail-on`), and its output format (`format`, checked by the command line).
    fail_on: Option<Severity>,
    format: Option<String>,
}

/// A problem in a configuration source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
}

impl Config {
    /// The severity rule `meta` runs at, or `None` when it is off.
    #[must_use]
    pub fn severity(&self, meta: &RuleMeta) -> Option<Severity> {
        let selected = match &self.select {
            Some(select) if !select.iter().any(|s| s == meta.id) => return None,
            Some(_) => true,
            None => false,
        };
        match self.levels.get(meta.id) {
            Some(Level::Off) => None,
            Some(Level::Severity(s)) => Some(*s),
            // an opt-in rule runs when named (`--select`) or given a level
            None => (meta.enabled_by_default || selected).then_some(meta.severity),
        }
    }

    /// Whether the user set this rule's level (else it runs at its default, and a finding the
    /// rule reports at a lower severity keeps it).
    #[must_use]
    pub fn is_set(&self, meta: &RuleMeta) -> bool {
        matches!(self.levels.get(meta.id), Some(Level::Severity(_)))
    }

    /// The stage named as the one that ships, if any.
    #[must_use]
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// The lowest severity that makes `layerwise check` fail (`fail-on`), when set.
    #[must_use]
    pub fn fail_on(&self) -> Option<Severity> {
        self.fail_on
    }

    /// The command line's output format (`format`), when set.
    #[must_use]
    pub fn format(&self) -> Option<&str> {
        self.format.as_deref()
    }

    /// Name the stage that ships (`--target`).
    pub fn set_target(&mut self, name: &str) {
        self.target = Some(name.to_string());
    }

    /// Set a rule's level. Unknown rule ids are an error.
    ///
    /// # Errors
    /// When `id` names no rule.
    pub fn set(&mut self, id: &str, level: Level) -> Result<(), ConfigError> {
        check_id(id)?;
        self.levels.insert(id.to_string(), level);
        Ok(())
    }

    /// Run only these rules (`--select`).
    ///
    /// # Errors
    /// When an id names no rule.
    pub fn select(&mut self, ids: &[String]) -> Result<(), ConfigError> {
        for id in ids {
            check_id(id)?;
        }
        self.select
            .get_or_insert_with(Vec::new)
            .extend(ids.iter().cloned());
        Ok(())
    }

    /// Parse `.layerwise.toml` text.
    ///
    /// # Errors
    /// On invalid TOML, unknown rule ids or unknown levels, with the reason.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let value: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
            message: e.to_string(),
        })?;
        let mut config = Config::default();
        for (key, item) in &value {
            if key == "target" {
                let Some(name) = item.as_str().filter(|n| !n.trim().is_empty()) else {
                    return Err(ConfigError {
                        message: "`target` must be a stage name, as in `target = \"runtime\"`"
                            .into(),
                    });
                };
                config.set_target(name.trim());
                continue;
            }
            match key.as_str() {
                "select" | "ignore" => {
                    let ids = string_list(key, item)?;
                    if key == "select" {
                        config.select(&ids)?;
                    } else {
                        for id in &ids {
                            config.set(id, Level::Off)?;
                        }
                    }
                    continue;
                }
                "fail-on" => {
                    let level = item.as_str().and_then(Severity::parse);
                    if level.is_none() || level == Some(Severity::Hint) {
                        return Err(ConfigError {
                            message: "`fail-on` must be \"error\", \"warning\" or \"info\""
                                .into(),
                        });
                    }
                    config.fail_on = level;
                    continue;
                }
                "format" => {
                    let Some(name) = item.as_str() else {
                        return Err(ConfigError {
                            message: "`format` must be a string, as in `format = \"concise\"`"
                                .into(),
                        });
                    };
                    config.format = Some(name.to_string());
                    continue;
                }
                "rules" => {}
                _ => {
                    return Err(ConfigError {
                        message: format!(
                            "unknown key `{key}`; expected `target`, `select`, `ignore`, `fail-on`, `format` or a `[rules]` table"
                        ),
                    })
                }
            }
            let Some(rules) = item.as_table() else {
                return Err(ConfigError {
                    message: "`rules` must be a table of `rule-id = \"level\"`".into(),
                });
            };
            for (id, level) in rules {
                let Some(level) = level.as_str().and_then(Level::parse) else {
                    return Err(ConfigError {
                        message: format!("rule `{id}`: level must be one of \"error\", \"warning\", \"info\", \"hint\", \"off\""),
                    });
                };
                config.set(id, level)?;
            }
        }
        Ok(config)
    }

    /// Apply LSP settings (`{"rules": {"id": "warning" | "off", ...}, "target": "runtime"}`);
    /// unknown entries are returned as messages and otherwise ignored.
    pub fn apply_json(&mut self, settings: &serde_json::Value) -> Vec<String> {
        let mut problems = Vec::new();
        match settings.get("target") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::String(name)) if name.trim().is_empty() => {}
            Some(serde_json::Value::String(name)) => self.set_target(name.trim()),
            Some(other) => problems.push(format!("`target` must be a stage name, not {other}")),
        }
        let Some(rules) = settings.get("rules").and_then(serde_json::Value::as_object) else {
            return problems;
        };
        // one message per kind of problem, however many entries have it
        let (mut unknown, mut bad_levels) = (Vec::new(), Vec::new());
        for (id, level) in rules {
            match level.as_str().and_then(Level::parse) {
                Some(level) => {
                    if self.set(id, level).is_err() {
                        unknown.push(format!("`{id}`"));
                    }
                }
                None => bad_levels.push(format!("`{id}` ({level})")),
            }
        }
        if !unknown.is_empty() {
            problems.push(format!(
                "unknown {} {}; `layerwise rules` lists them",
                if unknown.len() == 1 { "rule" } else { "rules" },
                listed(&unknown)
            ));
        }
        if !bad_levels.is_empty() {
            problems.push(format!(
                "unknown level for {}; use error, warning, info, hint or off",
                listed(&bad_levels)
            ));
        }
        problems
    }

    /// Overlay `other` on this config (later sources win).
    pub fn merge(&mut self, other: &Config) {
        self.levels
            .extend(other.levels.iter().map(|(k, v)| (k.clone(), *v)));
        if let Some(target) = &other.target {
            self.target = Some(target.clone());
        }
        if other.fail_on.is_some() {
            self.fail_on = other.fail_on;
        }
        if other.format.is_some() {
            self.format.clone_from(&other.format);
        }
        if let Some(sel) = &other.select {
            self.select
                .get_or_insert_with(Vec::new)
                .extend(sel.iter().cloned());
        }
    }
}

/// A TOML list of rule ids (`select = ["a", "b"]`).
fn string_list(key: &str, item: &toml::Value) -> Result<Vec<String>, ConfigError> {
    item.as_array()
        .and_then(|items| {
            items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| ConfigError {
            message: format!(
                "`{key}` must be a list of rule ids, as in `{key} = [\"consecutive-run\"]`"
            ),
        })
}

/// The first few of `items`, comma-separated, with how many more there are.
fn listed(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = items
        .iter()
        .take(SHOWN)
        .map(|item| item.chars().take(80).collect::<String>())
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

fn check_id(id: &str) -> Result<(), ConfigError> {
    if RULES.iter().any(|r| r.meta().id == id) {
        Ok(())
    } else {
        Err(ConfigError {
            message: format!("unknown rule `{id}`; `layerwise rules` lists them"),
        })
    }
}

/// The nearest `.layerwise.toml` in `start` or its ancestors.
#[must_use]
pub fn find_config_file(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(".layerwise.toml"))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_levels() {
        let c =
            Config::from_toml("[rules]\nconsecutive-run = \"off\"\npip-no-cache-dir = \"error\"\n")
                .unwrap();
        assert_eq!(
            c.severity(super::super::rule("consecutive-run").unwrap()),
            None
        );
        assert_eq!(
            c.severity(super::super::rule("pip-no-cache-dir").unwrap()),
            Some(Severity::Error)
        );
        assert!(Config::from_toml("[rules]\nno-such-rule = \"off\"").is_err());
        assert_eq!(
            Config::from_toml("target = \"runtime\"\n[rules]\n")
                .unwrap()
                .target(),
            Some("runtime")
        );
        assert!(Config::from_toml("target = 3").is_err());
        assert!(Config::from_toml("targte = \"runtime\"").is_err());
        assert!(Config::from_toml("[rules]\nconsecutive-run = \"loud\"").is_err());
    }

    #[test]
    fn toml_command_line_keys() {
        let rule = |id| super::super::rule(id).unwrap();
        let c = Config::from_toml(
            "select = [\"consecutive-run\", \"pip-no-cache-dir\"]\nignore = [\"pip-no-cache-dir\"]\nfail-on = \"info\"\nformat = \"concise\"\n",
        )
        .unwrap();
        assert_eq!(
            c.severity(rule("consecutive-run")),
            Some(rule("consecutive-run").severity)
        );
        assert_eq!(c.severity(rule("pip-no-cache-dir")), None);
        assert_eq!(c.severity(rule("relative-workdir")), None);
        assert_eq!(
            (c.fail_on(), c.format()),
            (Some(Severity::Info), Some("concise"))
        );
        assert!(Config::from_toml("fail-on = \"loud\"").is_err());
        assert!(Config::from_toml("select = \"consecutive-run\"").is_err());
        assert!(Config::from_toml("ignore = [\"no-such-rule\"]").is_err());
    }
}

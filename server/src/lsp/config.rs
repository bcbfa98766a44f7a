//! Settings: the client's `layerwise` settings and the project's `.layerwise.toml`.
//!
//! Client settings arrive as `initializationOptions`, as the answer to a `workspace/configuration`
//! request for section `layerwise`, or with `workspace/didChangeConfiguration`; each may be the
//! section itself (`{"rules": {...}}`) or wrapped (`{"layerwise": {"rules": {...}}}`).
//! The configuration of a document is its `.layerwise.toml` (nearest one from the document's
//! folder upwards) overlaid with the client settings: what the user sets in the editor wins.

use std::path::Path;

use serde_json::Value;

use crate::rules::config::{find_config_file, Config};

/// The settings section this server reads.
pub const SECTION: &str = "layerwise";

/// Client settings turned into a [`Config`], plus the problems found in them.
pub fn from_client_settings(settings: &Value) -> (Config, Vec<String>) {
    let section = settings.get(SECTION).unwrap_or(settings);
    let mut config = Config::default();
    let problems = if section.is_object() {
        config
            .apply_json(section)
            .into_iter()
            .map(|problem| format!("settings `{SECTION}.rules`: {problem}"))
            .collect()
    } else {
        Vec::new()
    };
    (config, problems)
}

/// Whether a `didChangeConfiguration` payload carries our settings (as opposed to `null` or
/// another tool's section, which pull-model clients send as a mere "something changed").
pub fn carries_settings(settings: &Value) -> bool {
    settings.get(SECTION).is_some_and(Value::is_object) || settings.get("rules").is_some()
}

/// The project configuration that applies to documents in `dir`.
#[derive(Debug, Clone, Default)]
pub struct FileConfig {
    /// Its configuration; the default when there is none or it is invalid.
    pub config: Config,
    /// Why the file could not be used.
    pub error: Option<String>,
}

/// The most bytes a `.layerwise.toml` may hold to be read.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

impl FileConfig {
    /// Finds and reads the nearest `.layerwise.toml` from `dir` upwards.
    pub fn load(dir: &Path) -> Self {
        let Some(path) = find_config_file(dir) else {
            return Self::default();
        };
        // a FIFO or a device named `.layerwise.toml` must not hang the editor
        let parsed = crate::model::context::read_regular(&path, MAX_CONFIG_BYTES)
            .map_err(|why| match why {
                crate::model::context::Unread::Missing(e) => e.to_string(),
                other => other.reason().unwrap_or_default(),
            })
            .and_then(|bytes| String::from_utf8(bytes).map_err(|e| e.to_string()))
            .and_then(|text| Config::from_toml(&text).map_err(|e| e.message));
        match parsed {
            Ok(config) => Self {
                config,
                error: None,
            },
            Err(message) => Self {
                error: Some(format!("{} is ignored: {message}", path.display())),
                config: Config::default(),
            },
        }
    }

    /// This configuration with the client's settings laid over it.
    pub fn with_settings(&self, settings: &Config) -> Config {
        let mut config = self.config.clone();
        config.merge(settings);
        config
    }
}

#[cfg(test)]
mod tests {
    use super::{carries_settings, from_client_settings};
    use crate::rules::{rule, Severity};
    use serde_json::json;

    #[test]
    fn settings_shapes() {
        let Some(meta) = rule("syntax") else {
            panic!("the syntax rule exists");
        };
        for settings in [
            json!({"rules": {"syntax": "hint"}}),
            json!({"layerwise": {"rules": {"syntax": "hint"}}}),
        ] {
            assert!(carries_settings(&settings));
            let (config, problems) = from_client_settings(&settings);
            assert_eq!(config.severity(meta), Some(Severity::Hint), "{settings}");
            assert!(problems.is_empty());
        }
        let (config, problems) = from_client_settings(&json!({"rules": {"syntax": "off"}}));
        assert_eq!(config.severity(meta), None);
        assert!(problems.is_empty());
        let (_, problems) = from_client_settings(&json!({"rules": {"nope": "off", "syntax": 3}}));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(!carries_settings(&json!(null)));
        assert!(!carries_settings(&json!({"other": {}})));
    }
}

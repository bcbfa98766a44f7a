//! `workspace/didChangeWatchedFiles`: the files of a build context that change what the rules
//! say (ignore files, `.layerwise.toml`, manifests, build files), watched by the client.
//!
//! When the client can register watchers dynamically, the server asks it to watch these names
//! on `initialized`; a change makes every open document reload its build context in the
//! background at once (instead of when the quiet period after its last load ends), and the next
//! analysis uses it. Without watchers, the quiet-period refresh alone applies.

use std::collections::HashMap;

use tower_lsp_server::ls_types::{
    DidChangeWatchedFilesRegistrationOptions, FileSystemWatcher, GlobPattern, InitializeParams,
    Registration, Uri,
};

use super::document::Document;

/// The names watched, in every folder.
const WATCHED: &[&str] = &[
    "**/.dockerignore",
    "**/*.dockerignore",
    "**/.layerwise.toml",
    "**/{go.mod,Cargo.toml,package.json,package-lock.json,yarn.lock,pnpm-lock.yaml}",
    "**/{requirements*.txt,pyproject.toml,poetry.lock,uv.lock,Pipfile,Pipfile.lock}",
    "**/{Gemfile,Gemfile.lock,composer.json,pom.xml,build.gradle,*.csproj}",
    "**/{Makefile,makefile,GNUmakefile,justfile,build.sh}",
    "**/{compose,docker-compose}*.{yml,yaml}",
];

/// Whether the client registers file watchers on request.
pub fn supported(params: &InitializeParams) -> bool {
    params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|workspace| workspace.did_change_watched_files.as_ref())
        .and_then(|watched| watched.dynamic_registration)
        .unwrap_or(false)
}

/// The registration that asks the client to watch [`WATCHED`].
pub fn registration() -> Registration {
    let options = DidChangeWatchedFilesRegistrationOptions {
        watchers: WATCHED
            .iter()
            .map(|glob| FileSystemWatcher {
                glob_pattern: GlobPattern::String((*glob).to_string()),
                kind: None,
            })
            .collect(),
    };
    Registration {
        id: "layerwise-build-context".into(),
        method: "workspace/didChangeWatchedFiles".into(),
        register_options: serde_json::to_value(options).ok(),
    }
}

/// Some watched file changed: every open document reloads its context in the background now.
pub fn changed(documents: &mut HashMap<Uri, Document>) {
    for (uri, doc) in documents.iter_mut() {
        doc.context_changed(uri);
    }
}

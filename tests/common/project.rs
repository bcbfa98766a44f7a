//! Temporary project folders for the tests: a fresh folder under the system temp dir, named
//! after the test binary's tag, the process and a counter, with the given files; removed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A temporary folder with files, removed on drop.
pub struct Project {
    dir: PathBuf,
}

impl Project {
    /// A fresh folder `layerwise-<tag>-<pid>-<n>` holding `files` (paths relative to it, parent
    /// folders created).
    pub fn new<C: AsRef<[u8]>>(tag: &str, files: &[(&str, C)]) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("layerwise-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        let project = Self { dir };
        for (name, content) in files {
            project.write(name, content);
        }
        project
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// `name` in the folder.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes `content` to `name` in the folder (parent folders created).
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
        }
        std::fs::write(&path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// The bytes of `name` in the folder.
    pub fn read(&self, name: &str) -> Vec<u8> {
        let path = self.dir.join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// The `file:` URI of `name` in the folder (the file itself need not exist).
    pub fn uri(&self, name: &str) -> String {
        let path = self.dir.join(name);
        let path = path.to_string_lossy().replace('\\', "/");
        if path.starts_with('/') {
            format!("file://{path}")
        } else {
            format!("file:///{path}")
        }
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        if std::fs::remove_dir_all(&self.dir).is_err() {
            // a test may have made the folder immutable to make writes fail
            let _ = Command::new("chattr").arg("-i").arg(&self.dir).output();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

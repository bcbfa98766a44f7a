//! TEMPORARY placeholder until the real matcher lands.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore;
impl DockerIgnore {
    #[must_use]
    pub fn parse(_text: &str) -> DockerIgnore {
        DockerIgnore
    }
    #[must_use]
    pub fn is_excluded(&self, _path: &str) -> bool {
        false
    }
}

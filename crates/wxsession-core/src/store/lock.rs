//! A lock's owner.

/// Who took a lock: a random value stored in it, so that only its taker releases it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockOwner(String);

impl LockOwner {
    /// A new, random owner.
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// The value stored in the lock.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for LockOwner {
    fn default() -> Self {
        Self::new()
    }
}

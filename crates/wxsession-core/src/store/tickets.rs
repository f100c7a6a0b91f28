//! The third-party platform's `component_verify_ticket`: one record without a TTL (sealed by
//! the caller: the store sees bytes). WeChat pushes a new one every ten minutes and each lives
//! twelve hours, so the record survives missed pushes and restarts of the replicas.

use super::StoreError;

/// The platform's latest verify ticket.
#[async_trait::async_trait]
pub trait Tickets: Send + Sync {
    /// Replaces the stored ticket record (no TTL).
    async fn put_component_ticket(&self, record: &[u8]) -> Result<(), StoreError>;

    /// The stored ticket record, if any.
    async fn component_ticket(&self) -> Result<Option<Vec<u8>>, StoreError>;
}

//! `Tickets`: the platform's verify ticket, one record replaced by each push, kept without a
//! TTL (a ticket lives twelve hours; missed pushes and quiet days must not lose it).

use crate::store::Backend;

pub async fn the_ticket_is_replaced_and_kept_without_a_ttl(b: &Backend) {
    assert_eq!(b.store.component_ticket().await.expect("read"), None);
    b.store
        .put_component_ticket(b"first\0record")
        .await
        .expect("put");
    assert_eq!(
        b.store.component_ticket().await.expect("read").as_deref(),
        Some(&b"first\0record"[..])
    );
    b.store.put_component_ticket(b"second").await.expect("put");
    // Days pass without a push: the record stays (its age is the caller's to judge).
    b.pass(3 * 86_400).await;
    assert_eq!(
        b.store.component_ticket().await.expect("read").as_deref(),
        Some(&b"second"[..])
    );
}

//! `AppRecords`: the app registry — records without expiry, paged in appid order, a change log
//! every replica follows by revision.

use wxsession::store::{AppChange, AppFeed};

use crate::store::{Backend, app};

pub async fn records_are_written_whole_listed_in_order_and_deleted(b: &Backend) {
    let s = &b.store;
    assert!(s.put_app(&app("wxb"), b"one").await.expect("put"), "new");
    assert!(s.put_app(&app("wxa"), b"two").await.expect("put"));
    assert!(
        !s.put_app(&app("wxb"), b"three").await.expect("put"),
        "replaced"
    );
    assert_eq!(
        s.app_record(&app("wxb")).await.expect("get").as_deref(),
        Some(&b"three"[..])
    );
    let all = s.list_apps(None, 10).await.expect("list");
    assert_eq!(
        all,
        vec![
            (app("wxa"), b"two".to_vec()),
            (app("wxb"), b"three".to_vec())
        ]
    );
    let page = s.list_apps(None, 1).await.expect("list");
    assert_eq!(page, vec![(app("wxa"), b"two".to_vec())]);
    let next = s.list_apps(Some(&app("wxa")), 1).await.expect("list");
    assert_eq!(next, vec![(app("wxb"), b"three".to_vec())]);
    assert!(
        s.list_apps(Some(&app("wxb")), 1)
            .await
            .expect("list")
            .is_empty()
    );
    // Records do not expire.
    b.pass(100_000).await;
    assert!(s.app_record(&app("wxa")).await.expect("get").is_some());
    assert!(s.delete_app(&app("wxa")).await.expect("delete"));
    assert!(!s.delete_app(&app("wxa")).await.expect("delete"), "gone");
    assert_eq!(s.app_record(&app("wxa")).await.expect("get"), None);
    assert_eq!(s.list_apps(None, 10).await.expect("list").len(), 1);
}

pub async fn the_change_log_brings_a_reader_up_to_date(b: &Backend) {
    let s = &b.store;
    let start = s.app_snapshot().await.expect("snapshot");
    assert!(start.apps.is_empty());
    let unchanged = s.app_changes(start.rev).await.expect("changes");
    assert_eq!(
        unchanged,
        AppFeed::Changes {
            rev: start.rev,
            changes: Vec::new()
        }
    );
    s.put_app(&app("wxa"), b"1").await.expect("put");
    s.put_app(&app("wxb"), b"1").await.expect("put");
    s.put_app(&app("wxa"), b"2").await.expect("put");
    s.delete_app(&app("wxb")).await.expect("delete");
    // Each changed app once, as it is now; the deleted one without a record.
    let AppFeed::Changes { rev, mut changes } = s.app_changes(start.rev).await.expect("changes")
    else {
        panic!("the log reaches back");
    };
    assert_eq!(rev, start.rev + 4);
    changes.sort_by(|x, y| x.appid.cmp(&y.appid));
    assert_eq!(
        changes,
        vec![
            AppChange {
                appid: app("wxa"),
                record: Some(b"2".to_vec())
            },
            AppChange {
                appid: app("wxb"),
                record: None
            },
        ]
    );
    // From the middle: only what came after.
    let AppFeed::Changes { changes, .. } = s.app_changes(start.rev + 3).await.expect("changes")
    else {
        panic!("the log reaches back");
    };
    assert_eq!(
        changes,
        vec![AppChange {
            appid: app("wxb"),
            record: None
        }]
    );
    // A reader ahead of the store (a store that was emptied) reads everything again.
    assert_eq!(
        s.app_changes(rev + 10).await.expect("changes"),
        AppFeed::Reload
    );
    let snapshot = s.app_snapshot().await.expect("snapshot");
    assert_eq!(snapshot.rev, rev);
    assert_eq!(snapshot.apps, vec![(app("wxa"), b"2".to_vec())]);
}

pub async fn a_record_is_replaced_only_if_unchanged(b: &Backend) {
    let s = &b.store;
    s.put_app(&app("wxa"), b"1").await.expect("put");
    let before = s.app_snapshot().await.expect("snapshot").rev;
    assert!(
        !s.replace_app(&app("wxa"), b"0", b"2").await.expect("cas"),
        "changed meanwhile"
    );
    assert!(
        !s.replace_app(&app("wxz"), b"1", b"2").await.expect("cas"),
        "absent"
    );
    assert_eq!(
        s.app_snapshot().await.expect("snapshot").rev,
        before,
        "nothing logged"
    );
    assert!(s.replace_app(&app("wxa"), b"1", b"2").await.expect("cas"));
    assert_eq!(
        s.app_record(&app("wxa")).await.expect("get").as_deref(),
        Some(&b"2"[..])
    );
    let AppFeed::Changes { rev, changes } = s.app_changes(before).await.expect("changes") else {
        panic!("the log reaches back");
    };
    assert_eq!(rev, before + 1);
    assert_eq!(changes.len(), 1);
}

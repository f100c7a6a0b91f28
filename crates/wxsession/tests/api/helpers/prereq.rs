//! What a test needs from the machine beyond redis-server: root and `ip netns` (`netns`), a
//! redis-server built with TLS (`tls`), `redis-cli --cluster` (`cluster`), `redis-server
//! --sentinel` (`sentinel`). A test whose prerequisite is missing fails, saying why, unless
//! `WXSESSION_TEST_SKIP` (comma-separated names) names it: then the test returns and the skip is
//! written where it cannot be missed — to stderr past libtest's capture, and as a line of the
//! skip log (`WXSESSION_TEST_SKIP_LOG`, else `target/tmp/skipped-tests.txt`), which
//! scripts/test.sh prints at its end. CI sets no `WXSESSION_TEST_SKIP`: nothing skips there.

use std::io::Write as _;

/// The prerequisites' names in `WXSESSION_TEST_SKIP`.
pub const NAMES: &[&str] = &["netns", "tls", "cluster", "sentinel", "chromium"];

/// Whether `WXSESSION_TEST_SKIP` names `prerequisite`.
fn skipped(prerequisite: &str) -> bool {
    std::env::var("WXSESSION_TEST_SKIP").is_ok_and(|list| {
        list.split(',')
            .map(str::trim)
            .any(|name| name == prerequisite)
    })
}

/// `prerequisite` is missing (`why`): fails the test unless `WXSESSION_TEST_SKIP` names it; when
/// it does, records the skip and returns, and the test returns too.
pub fn missing(prerequisite: &str, why: &str) {
    debug_assert!(NAMES.contains(&prerequisite), "{prerequisite}");
    let test = std::thread::current()
        .name()
        .unwrap_or("a test of tests/api")
        .to_owned();
    assert!(
        skipped(prerequisite),
        "{test} needs {prerequisite}, which is missing here: {why}. \
         WXSESSION_TEST_SKIP={prerequisite} skips it (never in CI)"
    );
    let line =
        format!("SKIPPED {test}: no {prerequisite} ({why}); WXSESSION_TEST_SKIP={prerequisite}\n");
    // Straight to the stream: `eprintln!` is captured, and shown only for failing tests.
    let _ = std::io::stderr().write_all(line.as_bytes());
    let log = std::env::var_os("WXSESSION_TEST_SKIP_LOG").map_or_else(
        || std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests.txt"),
        std::path::PathBuf::from,
    );
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    assert!(
        appended.is_ok(),
        "the skip is recorded in {}: {appended:?}",
        log.display()
    );
}

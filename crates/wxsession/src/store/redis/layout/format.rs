//! The format versions of entries, and how they change without breaking a fleet.
//!
//! During a rolling upgrade two releases read and write the same entries, so a format changes in
//! three releases: *expand* (the new release reads the old and the new format and still writes
//! the old), *contract* (the next one writes the new format, once no replica of the release
//! before the expand runs), *delete* (the reader of the old format goes once nothing can hold
//! it: entries live `session.max_lifetime_secs` after their last write). `CHANGELOG.md` says,
//! per release, which releases may share a fleet.
//!
//! Format 0 is what 0.1.0 writes: no header, the entry starts with the `u32` of its last write.
//! A versioned entry starts with [`MARKER`] and its version; no format-0 entry can start with
//! the marker before 2106 (its first byte is the high byte of a unix time). Format 1 is format
//! 0's body behind that header. This release reads both and writes format 0 ([`WRITES`]), the
//! expand step: the release after it may write format 1.

/// The first byte of a versioned entry.
pub const MARKER: u8 = 0xff;

/// The format this release writes (0: readable by 0.1.0).
pub const WRITES: u8 = 0;

/// The newest format this release reads; a newer entry is refused, never rewritten.
pub const NEWEST: u8 = 1;

/// An entry's format version and the bytes after its header, or `None` for a format newer than
/// [`NEWEST`].
pub fn split(entry: &[u8]) -> Option<(u8, &[u8])> {
    match entry {
        [MARKER, version, rest @ ..] if (1..=NEWEST).contains(version) => Some((*version, rest)),
        [MARKER, ..] => None,
        _ => Some((0, entry)),
    }
}

/// The header of an entry written in format `version`.
pub fn header(version: u8) -> Vec<u8> {
    if version == 0 {
        Vec::new()
    } else {
        vec![MARKER, version]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_split_and_newer_ones_are_refused() {
        let body = 1_700_000_000u32.to_be_bytes();
        assert_eq!(split(&body), Some((0, &body[..])));
        let mut v1 = header(1);
        v1.extend(body);
        assert_eq!(split(&v1), Some((1, &body[..])));
        assert_eq!(split(&[MARKER, NEWEST + 1, 0, 0, 0, 0]), None);
        assert_eq!(
            header(WRITES),
            Vec::<u8>::new(),
            "0.1.0 must read what is written"
        );
    }
}

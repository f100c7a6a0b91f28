//! Whether a Redis URL is one the redis crate reads as a server, checked without that crate.

use super::{ConfigError, invalid};

pub(super) fn redis_url(key: &str, url: &str) -> Result<(), ConfigError> {
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err(invalid(key, "must start with redis:// or rediss://"));
    }
    if !is_redis_url(url) {
        return Err(invalid(key, "not a valid Redis URL"));
    }
    Ok(())
}

/// Whether the redis crate will read `url` as a server: a host, a database number (if any)
/// as the path, and credentials that decode to UTF-8 — its own rules, checked here without it.
fn is_redis_url(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let db = parsed.path().trim_matches('/');
    parsed.host_str().is_some_and(|h| !h.is_empty())
        && (db.is_empty() || db.parse::<i64>().is_ok())
        && percent_decodes(parsed.username())
        && parsed.password().is_none_or(percent_decodes)
}

/// Whether `%XX` escapes in `text` decode to UTF-8.
fn percent_decodes(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let Some(hex) = text.get(i + 1..i + 3) else {
                return false;
            };
            let Ok(v) = u8::from_str_radix(hex, 16) else {
                return false;
            };
            out.push(v);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).is_ok()
}

#[cfg(test)]
mod tests {
    use super::is_redis_url;

    #[test]
    fn redis_urls_are_read_as_the_redis_crate_reads_them() {
        for ok in [
            "redis://127.0.0.1:6379/0",
            "redis://redis",
            "rediss://user:p%40ss@10.0.0.1:6380/3",
            "redis://:secret@host/",
            "redis://[::1]:6379",
        ] {
            assert!(is_redis_url(ok), "{ok}");
        }
        for bad in [
            "redis://",
            "redis://host/db",
            "redis://:%ff@host",
            "redis:/host",
            "nonsense",
        ] {
            assert!(!is_redis_url(bad), "{bad}");
        }
    }
}

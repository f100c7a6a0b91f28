//! The oldest Redis the store works with, and each server's version as `INFO server` reports it.
//!
//! Redis 7.0 is the minimum: the code claim is `SET … NX GET` (`codes.rs`; `GET` beside `NX`
//! came in 7.0) and the rate-limit window starts with `EXPIRE … NX` (`counters.rs`; the
//! `NX` option came in 7.0). The rest is older: `GETEX`, `GETDEL` and `HRANDFIELD … WITHVALUES`
//! (6.2), `EXPIREAT`, `HSET` with several fields, `UNLINK`, `EVALSHA` (4.0 or earlier).

use std::fmt;

use super::connection::Conn;
use crate::store::StoreError;

/// The oldest Redis whose every command the store uses.
pub const MINIMUM: Version = Version(7, 0, 0);

/// A Redis version: major, minor, patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// `7.0.15`, `7.2` or `8`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split('.').map(str::parse::<u32>);
        let major = parts.next()?.ok()?;
        let minor = parts.next().transpose().ok()?.unwrap_or(0);
        let patch = parts.next().transpose().ok()?.unwrap_or(0);
        parts.next().is_none().then_some(Self(major, minor, patch))
    }

    /// The `redis_version` line of an `INFO server` answer.
    pub fn from_info(info: &str) -> Option<Self> {
        info.lines()
            .find_map(|l| l.strip_prefix("redis_version:"))
            .and_then(Self::parse)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The oldest version among the servers' `INFO server` answers (one per Cluster master, else
/// one), or `Unsupported` naming the first server that is too old or reports no version.
pub fn oldest(answers: &[(Option<String>, String)]) -> Result<Version, StoreError> {
    let mut oldest: Option<Version> = None;
    for (node, info) in answers {
        let at = node.as_ref().map_or(String::new(), |n| format!(" at {n}"));
        let Some(version) = Version::from_info(info) else {
            return Err(StoreError::Unsupported(format!(
                "the Redis server{at} reports no redis_version in INFO server: wxsession needs Redis {} or newer",
                short(MINIMUM)
            )));
        };
        if version < MINIMUM {
            return Err(StoreError::Unsupported(format!(
                "Redis {version}{at} is too old: wxsession needs Redis {} or newer (it uses SET … NX GET and EXPIRE … NX)",
                short(MINIMUM)
            )));
        }
        oldest = Some(oldest.map_or(version, |o| o.min(version)));
    }
    oldest.ok_or_else(|| StoreError::Unsupported("no Redis server answered INFO server".into()))
}

/// `7.0` for `7.0.0`.
/// The eviction policy that speaks for every master answering `INFO memory`: the worst one —
/// `allkeys-*` (any key may go), then `volatile-*`, then `noeviction`.
pub fn worst_eviction_policy(answers: &[(Option<String>, String)]) -> Option<String> {
    let rank = |p: &&str| u8::from(p.starts_with("allkeys")) * 2 + u8::from(*p != "noeviction");
    answers
        .iter()
        .filter_map(|(_, info)| {
            info.lines()
                .find_map(|l| l.strip_prefix("maxmemory_policy:"))
        })
        .map(str::trim)
        .max_by_key(rank)
        .map(str::to_owned)
}

fn short(v: Version) -> String {
    format!("{}.{}", v.0, v.1)
}

/// Every server's `INFO server`: each master of a Cluster (named by address), else the one
/// server (Sentinel: the master).
pub(super) async fn info_server(
    conn: &mut Conn,
) -> redis::RedisResult<Vec<(Option<String>, String)>> {
    info(conn, "server").await
}

/// Every server's `INFO <section>`: each master of a Cluster (named by address), else the one
/// server (Sentinel: the master).
pub(super) async fn info(
    conn: &mut Conn,
    section: &str,
) -> redis::RedisResult<Vec<(Option<String>, String)>> {
    let mut cmd = redis::cmd("INFO");
    cmd.arg(section);
    if let Conn::Cluster(cluster) = conn {
        // redis-rs routes INFO to every master and answers a map of address → answer.
        let answers: std::collections::BTreeMap<String, String> = cmd.query_async(cluster).await?;
        return Ok(answers.into_iter().map(|(n, i)| (Some(n), i)).collect());
    }
    Ok(vec![(None, cmd.query_async(conn).await?)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_compare() {
        assert_eq!(Version::parse("7.0.15"), Some(Version(7, 0, 15)));
        assert_eq!(Version::parse("7.2"), Some(Version(7, 2, 0)));
        assert_eq!(Version::parse("8"), Some(Version(8, 0, 0)));
        for bad in ["", "7.x", "7.0.1.2", "v7", "7..1"] {
            assert_eq!(Version::parse(bad), None, "{bad:?}");
        }
        assert!(Version(6, 2, 14) < MINIMUM);
        assert!(Version(7, 0, 0) >= MINIMUM);
        assert!(Version(6, 10, 0) < Version(7, 0, 0), "numeric, not textual");
        assert!(Version(10, 0, 0) > Version(7, 4, 2), "numeric, not textual");
        let info = "# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n";
        assert_eq!(Version::from_info(info), Some(Version(7, 0, 15)));
    }

    #[test]
    fn the_oldest_server_decides_and_a_too_old_one_is_named() {
        let info = |v: &str| format!("# Server\r\nredis_version:{v}\r\n");
        let node = |n: &str, v: &str| (Some(n.to_owned()), info(v));
        let answers = [node("a:1", "7.2.4"), node("b:2", "7.0.15")];
        assert_eq!(oldest(&answers).ok(), Some(Version(7, 0, 15)));
        let answers = [node("a:1", "7.2.4"), node("b:2", "6.2.0")];
        let Err(StoreError::Unsupported(why)) = oldest(&answers) else {
            panic!("6.2.0 is refused");
        };
        assert_eq!(
            why,
            "Redis 6.2.0 at b:2 is too old: wxsession needs Redis 7.0 or newer (it uses SET … NX GET and EXPIRE … NX)"
        );
        let Err(StoreError::Unsupported(why)) = oldest(&[(None, "# Server\r\n".into())]) else {
            panic!("no version is refused");
        };
        assert!(why.contains("reports no redis_version"), "{why}");
    }

    #[test]
    fn the_worst_eviction_policy_of_the_masters_speaks_for_them() {
        let masters = |policies: &[&str]| -> Vec<(Option<String>, String)> {
            policies
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        Some(format!("m{i}")),
                        format!("# Memory\r\nmaxmemory_policy:{p}\r\n"),
                    )
                })
                .collect()
        };
        let worst = |p: &[&str]| worst_eviction_policy(&masters(p));
        assert_eq!(worst(&["noeviction"]).as_deref(), Some("noeviction"));
        assert_eq!(
            worst(&["noeviction", "volatile-lru"]).as_deref(),
            Some("volatile-lru")
        );
        assert_eq!(
            worst(&["volatile-lru", "allkeys-lru", "noeviction"]).as_deref(),
            Some("allkeys-lru")
        );
        assert_eq!(
            worst(&["allkeys-random", "volatile-ttl"]).as_deref(),
            Some("allkeys-random")
        );
        assert_eq!(worst(&[]), None);
    }
}

//! What the layout before entries wrote, read until it expires (`max_lifetime` after a
//! deployment's upgrade; then this file can go): a hash per user, `{prefix}:u:{appid:openid}`
//! (`k0`, `k1`, and `s:<id>` → creation time per session), and a hash per person,
//! `{prefix}:un:{unionid}` (`appid:openid` → last login). Nothing writes them any more; a
//! revoke takes them away.

use crate::domain::ids::{AppId, OpenId};
use redis::AsyncCommands as _;

use super::keys::Keys;
use super::{Conn, failed};
use crate::store::{StoreError, UnionAccount};

/// The user's keys in their old hash, newest first.
pub(super) async fn user_keys(
    conn: &mut Conn,
    keys: &Keys,
    appid: &str,
    openid: &str,
) -> Result<Vec<String>, StoreError> {
    let found: Vec<Option<String>> = redis::cmd("HMGET")
        .arg(keys.user(appid, openid))
        .arg("k0")
        .arg("k1")
        .query_async(conn)
        .await
        .map_err(failed)?;
    Ok(found.into_iter().flatten().collect())
}

/// The ids of the sessions the user's old hash lists.
pub(super) async fn session_ids(
    conn: &mut Conn,
    keys: &Keys,
    appid: &str,
    openid: &str,
) -> Result<Vec<String>, StoreError> {
    let fields: Vec<String> = conn.hkeys(keys.user(appid, openid)).await.map_err(failed)?;
    Ok(ids_of(fields))
}

/// Takes the user's old hash away atomically; the ids of the sessions it listed.
pub(super) async fn take_user(
    conn: &mut Conn,
    keys: &Keys,
    script: &redis::Script,
    appid: &str,
    openid: &str,
) -> Result<Vec<String>, StoreError> {
    let fields: Vec<String> = script
        .key(keys.user(appid, openid))
        .invoke_async(conn)
        .await
        .map_err(failed)?;
    Ok(ids_of(fields))
}

/// The person's accounts in their old hash, last login after `oldest`.
pub(super) async fn union_accounts(
    conn: &mut Conn,
    keys: &Keys,
    unionid: &str,
    oldest: i64,
) -> Result<Vec<UnionAccount>, StoreError> {
    let entries: Vec<(String, i64)> = conn.hgetall(keys.union(unionid)).await.map_err(failed)?;
    Ok(entries
        .into_iter()
        .filter(|(_, last_login)| *last_login > oldest)
        .filter_map(|(field, last_login)| {
            let (appid, openid) = field.split_once(':')?;
            Some(UnionAccount {
                appid: AppId::from_stored(appid),
                openid: OpenId::from_stored(openid),
                last_login,
            })
        })
        .collect())
}

fn ids_of(fields: Vec<String>) -> Vec<String> {
    fields
        .into_iter()
        .filter_map(|f| f.strip_prefix("s:").map(str::to_owned))
        .collect()
}

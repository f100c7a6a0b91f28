//! The app registry in Redis: records without a TTL, their appids in order, a revision and a
//! change log, all under the `{apps}` hash tag (one Cluster slot), each change one script.

use redis::Value;

use super::{RedisStore, failed, unavailable, version};
use crate::domain::ids::AppId;
use crate::store::{AppChange, AppFeed, AppRecords, AppSnapshot, Durability, StoreError};

/// About how many changes the log keeps (`XADD … MAXLEN ~`).
const LOG_LEN: u64 = 10_000;

fn bytes(value: Value) -> Option<Vec<u8>> {
    match value {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.into_bytes()),
        _ => None,
    }
}

fn text(value: Value) -> Option<String> {
    bytes(value).and_then(|b| String::from_utf8(b).ok())
}

fn malformed(what: &str) -> StoreError {
    unavailable(anyhow::anyhow!("malformed answer from {what}"))
}

/// `appid, record, appid, record, …` as pairs; an appid that is not one is skipped.
fn pairs(values: Vec<Value>) -> Vec<(AppId, Option<Vec<u8>>)> {
    let mut out = Vec::with_capacity(values.len() / 2);
    let mut it = values.into_iter();
    while let (Some(id), Some(record)) = (it.next(), it.next()) {
        if let Some(appid) = text(id).and_then(|t| AppId::parse(&t).ok()) {
            out.push((appid, bytes(record)));
        }
    }
    out
}

impl RedisStore {
    fn app_script<'s>(&'s self, script: &'s redis::Script) -> redis::ScriptInvocation<'s> {
        let mut call = script.prepare_invoke();
        for key in self.keys.apps() {
            call.key(key);
        }
        call
    }
}

#[async_trait::async_trait]
impl AppRecords for RedisStore {
    async fn put_app(&self, appid: &AppId, record: &[u8]) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let created: i64 = self
            .app_script(&self.scripts.put_app)
            .arg(appid.as_str())
            .arg(record)
            .arg(LOG_LEN)
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        Ok(created == 1)
    }

    async fn replace_app(
        &self,
        appid: &AppId,
        expected: &[u8],
        record: &[u8],
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let replaced: i64 = self
            .app_script(&self.scripts.replace_app)
            .arg(appid.as_str())
            .arg(expected)
            .arg(record)
            .arg(LOG_LEN)
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        Ok(replaced == 1)
    }

    async fn delete_app(&self, appid: &AppId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let existed: i64 = self
            .app_script(&self.scripts.delete_app)
            .arg(appid.as_str())
            .arg(LOG_LEN)
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        Ok(existed == 1)
    }

    async fn app_record(&self, appid: &AppId) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn().await?;
        let [records, ..] = self.keys.apps();
        redis::cmd("HGET")
            .arg(records)
            .arg(appid.as_str())
            .query_async(&mut conn)
            .await
            .map_err(failed)
    }

    async fn list_apps(
        &self,
        after: Option<&AppId>,
        limit: usize,
    ) -> Result<Vec<(AppId, Vec<u8>)>, StoreError> {
        let mut conn = self.conn().await?;
        let [records, ids, ..] = self.keys.apps();
        let start = after.map_or_else(|| "-".to_owned(), |a| format!("({a}"));
        let appids: Vec<String> = redis::cmd("ZRANGE")
            .arg(&ids)
            .arg(start)
            .arg("+")
            .arg("BYLEX")
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        if appids.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<Option<Vec<u8>>> = redis::cmd("HMGET")
            .arg(&records)
            .arg(&appids)
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        // An app deleted between the two reads is left out.
        Ok(appids
            .iter()
            .zip(found)
            .filter_map(|(id, record)| Some((AppId::parse(id).ok()?, record?)))
            .collect())
    }

    async fn app_snapshot(&self) -> Result<AppSnapshot, StoreError> {
        let mut conn = self.conn().await?;
        let answer: Vec<Value> = self
            .app_script(&self.scripts.app_snapshot)
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        let mut it = answer.into_iter();
        let (Some(Value::Int(rev)), Some(Value::Array(flat))) = (it.next(), it.next()) else {
            return Err(malformed("app_snapshot.lua"));
        };
        Ok(AppSnapshot {
            rev: rev.unsigned_abs(),
            apps: pairs(flat)
                .into_iter()
                .filter_map(|(id, record)| Some((id, record?)))
                .collect(),
        })
    }

    async fn app_changes(&self, after: u64) -> Result<AppFeed, StoreError> {
        let mut conn = self.conn().await?;
        let answer: Vec<Value> = self
            .app_script(&self.scripts.app_changes)
            .arg(after)
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        let mut it = answer.into_iter();
        let Some(Value::Int(rev)) = it.next() else {
            return Err(malformed("app_changes.lua"));
        };
        if rev < 0 {
            return Ok(AppFeed::Reload);
        }
        Ok(AppFeed::Changes {
            rev: rev.unsigned_abs(),
            changes: pairs(it.collect())
                .into_iter()
                .map(|(appid, record)| AppChange { appid, record })
                .collect(),
        })
    }

    async fn durability(&self) -> Result<Durability, StoreError> {
        // Not through the shared connection (see `Connections::own`).
        let mut conn = self.connections.own().await?;
        let answers = version::info(&mut conn, "persistence")
            .await
            .map_err(failed)?;
        for (node, info) in answers {
            let aof = info
                .lines()
                .find_map(|l| l.strip_prefix("aof_enabled:"))
                .map(str::trim);
            if aof != Some("1") {
                let at = node.map_or(String::new(), |n| format!(" at {n}"));
                return Ok(Durability::NotDurable(format!(
                    "Redis{at} does not keep writes across a restart (INFO persistence: aof_enabled is not 1)"
                )));
            }
        }
        Ok(Durability::Durable)
    }
}

//! Sessions and the users' entries in Redis.

use redis::AsyncCommands as _;

use super::layout::{Blob, UserEntry, raw_session_id, session_id_text, stored_secs};
use super::{Conn, RedisStore, failed, legacy, unavailable};
use crate::domain::ids::{AppId, OpenId};
use crate::domain::token::SessionId;
use crate::store::cache::{Fill, Plan, SessionCache};
use crate::store::{NewSession, Sessions, StoreError, Touched};

#[async_trait::async_trait]
impl Sessions for RedisStore {
    async fn create_session(&self, new: NewSession<'_>) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let raw_id = raw_id(new.id)?;
        let key_blob = new.session_key.map(key_blob).transpose()?;
        // The session first, then its registration: a revoke that runs between the two misses
        // this session, but the registration then lands in an entry a later revoke reaches.
        let ttl = new.idle_ttl_secs.min(self.max_lifetime_secs).max(1);
        conn.set_ex::<_, _, ()>(self.keys.session(new.id), new.record.encode(), ttl)
            .await
            .map_err(failed)?;
        let (bucket, field) = self.user(new.record.appid.as_str(), new.record.openid.as_str());
        let born = stored_secs(new.record.created_at);
        if u64::from(born).saturating_add(self.max_lifetime_secs)
            > u64::from(stored_secs(self.now()))
        {
            // A new user: the entry the script would write (no previous key, one session).
            let mut body = key_blob.clone().unwrap_or_else(|| vec![0]);
            body.push(0);
            body.extend(raw_id);
            body.extend(born.to_be_bytes());
            let life = self.max_lifetime_secs;
            if self
                .create_entry(&mut conn, (&bucket, &field), &body, life)
                .await?
            {
                return Ok(());
            }
        }
        let crowded: Vec<Vec<u8>> = self
            .entry("register", &bucket, &field)
            .arg(key_blob.unwrap_or_default())
            .arg(&raw_id[..])
            .arg(born)
            .arg(new.max_sessions)
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        if crowded.is_empty() {
            return Ok(());
        }
        self.evict(
            &mut conn,
            (&bucket, &field),
            &raw_id,
            &crowded,
            new.max_sessions,
        )
        .await
    }

    async fn touch_session(
        &self,
        id: &SessionId,
        idle_ttl_secs: u64,
    ) -> Result<Option<Touched>, StoreError> {
        if let Some(cache) = self.cache.as_deref().filter(|c| c.serves(idle_ttl_secs))
            && let Some(fill) = cache.begin(id)
        {
            return self.touch_and_keep(cache, fill, id).await;
        }
        let mut conn = self.conn().await?;
        let key = self.keys.session(id);
        let value: Option<String> = redis::cmd("GETEX")
            .arg(&key)
            .arg("EX")
            .arg(idle_ttl_secs)
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        let Some(record) = self.decode(value.as_deref()) else {
            return Ok(None);
        };
        let left = record.deadline.saturating_sub(self.now());
        if left <= 0 {
            let _: Result<(), _> = conn.unlink(&key).await;
            self.forget(id.as_str());
            return Ok(None);
        }
        let left = left.unsigned_abs();
        if left < idle_ttl_secs {
            // The last idle window before the absolute deadline: cap the TTL (a second trip,
            // once per session lifetime's last stretch).
            conn.expire_at::<_, ()>(&key, record.deadline)
                .await
                .map_err(failed)?;
            return Ok(Some(Touched {
                record,
                ttl_secs: left,
            }));
        }
        Ok(Some(Touched {
            record,
            ttl_secs: idle_ttl_secs,
        }))
    }

    async fn delete_session(&self, id: &SessionId) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let value: Option<String> = conn.get_del(self.keys.session(id)).await.map_err(failed)?;
        self.forget(id.as_str());
        let Some(record) = self.decode(value.as_deref()) else {
            return Ok(value.is_some());
        };
        let Some(raw_id) = raw_session_id(id.as_str()) else {
            return Ok(true);
        };
        for (bucket, field) in self.user_everywhere(record.appid.as_str(), record.openid.as_str()) {
            let unlisted = self
                .entry("unlist", &bucket, &field)
                .arg(&raw_id[..])
                .invoke_async::<i64>(&mut conn)
                .await
                .map_err(failed);
            // The session is gone (GETDEL above): an entry that keeps its id (Redis at
            // `maxmemory`, or down since) holds a dead id until the user's next login drops it.
            if let Err(err) = unlisted {
                tracing::warn!(error = %err, "a logged-out session stays listed in its user's entry");
            }
        }
        Ok(true)
    }

    async fn user_keys(&self, appid: &AppId, openid: &OpenId) -> Result<Vec<String>, StoreError> {
        let (appid, openid) = (appid.as_str(), openid.as_str());
        let mut conn = self.conn().await?;
        let entries = self.user_entries(&mut conn, appid, openid).await?;
        if entries.is_empty() {
            let keys = legacy::user_keys(&mut conn, &self.keys, appid, openid).await?;
            self.old_layout_read("user", !keys.is_empty());
            return Ok(keys);
        }
        // The most recently written entry's keys first (two while the bucket count changes).
        let mut keys: Vec<String> = Vec::new();
        for key in entries.into_iter().flat_map(|e| e.keys) {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        Ok(keys)
    }

    async fn revoke_user(&self, appid: &AppId, openid: &OpenId) -> Result<u64, StoreError> {
        let (appid, openid) = (appid.as_str(), openid.as_str());
        let mut conn = self.conn().await?;
        let mut ids: Vec<String> = Vec::new();
        for (bucket, field) in self.user_everywhere(appid, openid) {
            let taken: Result<Option<Vec<u8>>, _> = self
                .entry("take", &bucket, &field)
                .invoke_async(&mut conn)
                .await
                .map_err(failed);
            match taken {
                Ok(taken) => {
                    if let Some(entry) = taken.as_deref().and_then(UserEntry::decode) {
                        ids.extend(entry.session_ids());
                    }
                }
                // An entry taken already (the other bucket count's, on another master) is gone
                // from Redis: its sessions end now, or a retry would never find them.
                Err(err) => return self.fail_after(&mut conn, &ids, err).await,
            }
        }
        let old = match legacy::take_user(
            &mut conn,
            &self.keys,
            &self.scripts.take_user,
            appid,
            openid,
        )
        .await
        {
            Ok(old) => old,
            Err(err) => return self.fail_after(&mut conn, &ids, err).await,
        };
        self.old_layout_read("user", !old.is_empty());
        ids.extend(old);
        self.delete_sessions(&mut conn, &ids).await
    }

    async fn rotate_user_key(
        &self,
        appid: &AppId,
        openid: &OpenId,
        session_key: &str,
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let (bucket, field) = self.user(appid.as_str(), openid.as_str());
        self.entry_living("rotate", &bucket, &field, ttl_secs)
            .arg(key_blob(session_key)?)
            .invoke_async::<i64>(&mut conn)
            .await
            .map_err(failed)?;
        Ok(())
    }
}

impl RedisStore {
    /// A validation with the local cache's feed live: reads the session and its TTL without
    /// writing (one round trip, `GET` + `PTTL`), extends it only when its touch is due (a
    /// second, `PEXPIRE`, at most once per touch interval across the fleet, since the TTL read
    /// shows other replicas' touches), and keeps the answer unless it changed meanwhile. A
    /// `GETEX` here would change the key on every miss, and its invalidation would empty every
    /// replica's entry for it.
    async fn touch_and_keep(
        &self,
        cache: &SessionCache,
        fill: Fill<'_>,
        id: &SessionId,
    ) -> Result<Option<Touched>, StoreError> {
        let mut conn = self.conn().await?;
        let key = self.keys.session(id);
        let (value, pttl): (Option<String>, i64) = redis::pipe()
            .get(&key)
            .pttl(&key)
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        let Some(record) = self.decode(value.as_deref()) else {
            return Ok(None);
        };
        if record.deadline <= self.now() {
            let _: Result<(), _> = conn.unlink(&key).await;
            self.forget(id.as_str());
            return Ok(None);
        }
        if pttl == -2 {
            return Ok(None);
        }
        let expires_at = match cache.plan(&record, pttl) {
            Plan::Keep(at) => at,
            Plan::Extend(ttl_ms) => {
                let extended: bool = conn.pexpire(&key, ttl_ms).await.map_err(failed)?;
                if !extended {
                    return Ok(None);
                }
                cache.expiry_in(ttl_ms)
            }
        };
        let ttl_ms = expires_at - self.clock.now_millis();
        fill.finish(record.clone(), expires_at);
        Ok(Some(Touched {
            record,
            ttl_secs: u64::try_from(ttl_ms.max(0)).unwrap_or(0).div_ceil(1000),
        }))
    }

    /// A user over `max` sessions: finds which listed sessions died of idleness, then lets
    /// `evict` drop those and the oldest live ones over the bound, and deletes the evicted.
    async fn evict(
        &self,
        conn: &mut Conn,
        (bucket, field): (&str, &[u8]),
        new_id: &[u8; 16],
        crowded: &[Vec<u8>],
        max: u64,
    ) -> Result<(), StoreError> {
        let mut dead = Vec::new();
        for raw in crowded {
            if !self.session_alive(conn, &session_id_text(raw)).await? {
                dead.push(raw);
            }
        }
        let evicted: Vec<Vec<u8>> = self
            .entry("evict", bucket, field)
            .arg(max)
            .arg(&new_id[..])
            .arg(dead)
            .invoke_async(conn)
            .await
            .map_err(failed)?;
        let ids: Vec<String> = evicted.iter().map(|raw| session_id_text(raw)).collect();
        self.delete_sessions(conn, &ids).await.map(|_| ())
    }
}

/// The 16 bytes an entry stores for a session id.
fn raw_id(id: &SessionId) -> Result<[u8; 16], StoreError> {
    raw_session_id(id.as_str())
        .ok_or_else(|| unavailable(anyhow::anyhow!("a malformed session id")))
}

/// A `session_key` (as stored: base64, or sealed) as an entry's blob.
fn key_blob(key: &str) -> Result<Vec<u8>, StoreError> {
    Blob::encode(key).ok_or_else(|| unavailable(anyhow::anyhow!("a session_key too long to store")))
}

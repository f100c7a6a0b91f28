//! Sessions and the per-user hash in Redis.

use redis::AsyncCommands as _;

use super::keys::session_field;
use super::{RedisStore, failed};
use crate::domain::clock::now_unix;
use crate::domain::token::SessionId;
use crate::store::{NewSession, Sessions, StoreError, Touched};

#[async_trait::async_trait]
impl Sessions for RedisStore {
    async fn create_session(&self, new: NewSession<'_>) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        // The session first, then its registration: a revoke that runs between the two misses
        // this session, but the registration then lands in a hash a later revoke reaches.
        let ttl = new.idle_ttl_secs.min(self.max_lifetime_secs).max(1);
        conn.set_ex::<_, _, ()>(self.keys.session(new.id), new.record.encode(), ttl)
            .await
            .map_err(failed)?;
        let user = self.keys.user(&new.record.appid, &new.record.openid);
        let field = session_field(new.id);
        let crowded: Vec<String> = self
            .scripts
            .register
            .key(&user)
            .arg(new.session_key.unwrap_or(""))
            .arg(&field)
            .arg(self.max_lifetime_secs)
            .arg(born_millis(new.record.created_at))
            .arg(new.max_sessions)
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        if crowded.is_empty() {
            return Ok(());
        }
        self.evict(&mut conn, &user, &field, &crowded, new.max_sessions)
            .await
    }

    async fn touch_session(
        &self,
        id: &SessionId,
        idle_ttl_secs: u64,
    ) -> Result<Option<Touched>, StoreError> {
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
        let left = record.deadline.saturating_sub(now_unix());
        if left <= 0 {
            let _: Result<(), _> = conn.unlink(&key).await;
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
        let Some(record) = self.decode(value.as_deref()) else {
            return Ok(value.is_some());
        };
        let user = self.keys.user(&record.appid, &record.openid);
        conn.hdel::<_, _, ()>(user, session_field(id))
            .await
            .map_err(failed)?;
        Ok(true)
    }

    async fn user_keys(&self, appid: &str, openid: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn().await?;
        let user = self.keys.user(appid, openid);
        let keys: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(user)
            .arg("k0")
            .arg("k1")
            .query_async(&mut conn)
            .await
            .map_err(failed)?;
        Ok(keys.into_iter().flatten().collect())
    }

    async fn revoke_user(&self, appid: &str, openid: &str) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let fields: Vec<String> = self
            .scripts
            .take_user
            .key(self.keys.user(appid, openid))
            .invoke_async(&mut conn)
            .await
            .map_err(failed)?;
        self.delete_sessions(&mut conn, &fields).await
    }

    async fn rotate_user_key(
        &self,
        appid: &str,
        openid: &str,
        session_key: &str,
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        self.scripts
            .rotate_key
            .key(self.keys.user(appid, openid))
            .arg(session_key)
            .arg(ttl_secs.max(1))
            .invoke_async::<i64>(&mut conn)
            .await
            .map_err(failed)?;
        Ok(())
    }
}

/// A session's creation time in milliseconds, which orders a user's sessions: its `created_at`
/// second plus the clock's current millisecond, so that logins within one second keep their
/// order.
fn born_millis(created_at: i64) -> i64 {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::from(d.subsec_millis()));
    created_at.saturating_mul(1000).saturating_add(millis)
}

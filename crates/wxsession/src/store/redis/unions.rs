//! The unionid index in Redis: one small hash per person.

use redis::AsyncCommands as _;

use super::{RedisStore, failed};
use crate::domain::clock::now_unix;
use crate::store::{StoreError, UnionAccount, Unions};

#[async_trait::async_trait]
impl Unions for RedisStore {
    async fn link_account(
        &self,
        unionid: &str,
        account: &UnionAccount,
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let key = self.keys.union(unionid);
        // One key, so one slot: HSET and EXPIRE travel together.
        redis::pipe()
            .atomic()
            .hset(
                &key,
                account_field(&account.appid, &account.openid),
                account.last_login,
            )
            .ignore()
            .expire(&key, i64::try_from(ttl_secs.max(1)).unwrap_or(i64::MAX))
            .ignore()
            .query_async::<()>(&mut conn)
            .await
            .map_err(failed)
    }

    async fn union_accounts(
        &self,
        unionid: &str,
        ttl_secs: u64,
    ) -> Result<Vec<UnionAccount>, StoreError> {
        let mut conn = self.conn().await?;
        let key = self.keys.union(unionid);
        let entries: Vec<(String, i64)> = conn.hgetall(&key).await.map_err(failed)?;
        let oldest = now_unix().saturating_sub(i64::try_from(ttl_secs).unwrap_or(i64::MAX));
        let mut accounts = Vec::with_capacity(entries.len());
        let mut stale = Vec::new();
        for (field, last_login) in entries {
            match field.split_once(':') {
                Some((appid, openid)) if last_login > oldest => accounts.push(UnionAccount {
                    appid: appid.to_owned(),
                    openid: openid.to_owned(),
                    last_login,
                }),
                _ => stale.push(field),
            }
        }
        if !stale.is_empty() {
            conn.hdel::<_, _, ()>(&key, stale).await.map_err(failed)?;
        }
        accounts.sort_by_key(|a| std::cmp::Reverse(a.last_login));
        Ok(accounts)
    }

    async fn live_sessions(&self, appid: &str, openid: &str) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let fields: Vec<String> = conn
            .hkeys(self.keys.user(appid, openid))
            .await
            .map_err(failed)?;
        let mut live = 0;
        for field in &fields {
            live += u64::from(self.session_alive(&mut conn, field).await? == Some(true));
        }
        Ok(live)
    }
}

/// The field of an account: ids never hold `:` (`domain::ids`).
fn account_field(appid: &str, openid: &str) -> String {
    format!("{appid}:{openid}")
}

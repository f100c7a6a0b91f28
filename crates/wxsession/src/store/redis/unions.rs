//! The unionid index in Redis: one entry per person in a bucket hash (`layout`).

use redis::AsyncCommands as _;

use super::layout::{Blob, UnionEntry, stored_secs, union_location};
use super::{RedisStore, failed, legacy, unavailable};
use crate::domain::ids::{AppId, OpenId, UnionId};
use crate::store::{StoreError, UnionAccount, Unions};

#[async_trait::async_trait]
impl Unions for RedisStore {
    async fn link_account(
        &self,
        unionid: &UnionId,
        account: &UnionAccount,
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let (bucket, field) = union_location(self.keys.prefix(), unionid.as_str());
        let (Some(mut blob), Some(openid)) = (
            Blob::encode(account.appid.as_str()),
            Blob::encode(account.openid.as_str()),
        ) else {
            return Err(unavailable(anyhow::anyhow!("an id too long to index")));
        };
        blob.extend(openid);
        self.entry_living("link", &bucket, &field, ttl_secs)
            .arg(blob)
            .arg(stored_secs(account.last_login))
            .invoke_async::<i64>(&mut conn)
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn union_accounts(
        &self,
        unionid: &UnionId,
        ttl_secs: u64,
    ) -> Result<Vec<UnionAccount>, StoreError> {
        let unionid = unionid.as_str();
        let mut conn = self.conn().await?;
        let (bucket, field) = union_location(self.keys.prefix(), unionid);
        let value: Option<Vec<u8>> = conn.hget(bucket, field).await.map_err(failed)?;
        let oldest = self
            .now()
            .saturating_sub(i64::try_from(ttl_secs).unwrap_or(i64::MAX));
        let mut accounts: Vec<UnionAccount> = value
            .as_deref()
            .and_then(UnionEntry::decode)
            .map(|e| e.accounts)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.last_login > oldest)
            .collect();
        let old_accounts = legacy::union_accounts(&mut conn, &self.keys, unionid, oldest).await?;
        self.old_layout_read("person", !old_accounts.is_empty());
        for old in old_accounts {
            let known = accounts
                .iter()
                .any(|a| a.appid == old.appid && a.openid == old.openid);
            if !known {
                accounts.push(old);
            }
        }
        accounts.sort_by_key(|a| std::cmp::Reverse(a.last_login));
        Ok(accounts)
    }

    async fn live_sessions(&self, appid: &AppId, openid: &OpenId) -> Result<u64, StoreError> {
        let (appid, openid) = (appid.as_str(), openid.as_str());
        let mut conn = self.conn().await?;
        let mut ids: Vec<String> = self
            .user_entry(&mut conn, appid, openid)
            .await?
            .map(|e| e.session_ids().collect())
            .unwrap_or_default();
        let old = legacy::session_ids(&mut conn, &self.keys, appid, openid).await?;
        self.old_layout_read("user", !old.is_empty());
        ids.extend(old);
        let mut live = 0;
        for id in &ids {
            live += u64::from(self.session_alive(&mut conn, id).await?);
        }
        Ok(live)
    }
}

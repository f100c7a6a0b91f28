//! The unionid index in Redis: one entry per person in a bucket hash (`layout`).

use redis::AsyncCommands as _;

use super::layout::{Blob, UnionEntry, stored_secs};
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
        let (bucket, field) = self.union(unionid.as_str());
        let (Some(mut blob), Some(openid)) = (
            Blob::encode(account.appid.as_str()),
            Blob::encode(account.openid.as_str()),
        ) else {
            return Err(unavailable(anyhow::anyhow!("an id too long to index")));
        };
        blob.extend(openid);
        let last_login = stored_secs(account.last_login);
        let mut body = blob.clone();
        body.extend(last_login.to_be_bytes());
        if self
            .create_entry(&mut conn, (&bucket, &field), &body, ttl_secs)
            .await?
        {
            return Ok(());
        }
        self.entry_living("link", &bucket, &field, ttl_secs)
            .arg(blob)
            .arg(last_login)
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
        let oldest = self
            .now()
            .saturating_sub(i64::try_from(ttl_secs).unwrap_or(i64::MAX));
        let mut found: Vec<UnionAccount> = Vec::new();
        for (bucket, field) in self.union_everywhere(unionid) {
            let value: Option<Vec<u8>> = conn.hget(bucket, field).await.map_err(failed)?;
            found.extend(
                value
                    .as_deref()
                    .and_then(UnionEntry::decode)
                    .map(|e| e.accounts)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| a.last_login > oldest),
            );
        }
        let old_accounts = legacy::union_accounts(&mut conn, &self.keys, unionid, oldest).await?;
        self.old_layout_read("person", !old_accounts.is_empty());
        found.extend(old_accounts);
        // Newest login first, each account once (it may be in two places, or the old layout).
        found.sort_by_key(|a| std::cmp::Reverse(a.last_login));
        let mut accounts: Vec<UnionAccount> = Vec::new();
        for account in found {
            let known = accounts
                .iter()
                .any(|a| a.appid == account.appid && a.openid == account.openid);
            if !known {
                accounts.push(account);
            }
        }
        Ok(accounts)
    }

    async fn live_sessions(&self, appid: &AppId, openid: &OpenId) -> Result<u64, StoreError> {
        let (appid, openid) = (appid.as_str(), openid.as_str());
        let mut conn = self.conn().await?;
        let mut ids: Vec<String> = Vec::new();
        for entry in self.user_entries(&mut conn, appid, openid).await? {
            for id in entry.session_ids() {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
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

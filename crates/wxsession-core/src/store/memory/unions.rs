//! The unionid index in memory.

use super::MemoryStore;
use crate::domain::clock::millis;
use crate::domain::ids::{AppId, OpenId, UnionId};
use crate::store::{StoreError, UnionAccount, Unions};

#[async_trait::async_trait]
impl Unions for MemoryStore {
    async fn link_account(
        &self,
        unionid: &UnionId,
        account: &UnionAccount,
        ttl_secs: u64,
    ) -> Result<(), StoreError> {
        let now = self.now();
        let mut inner = self.lock();
        let entry = inner
            .unions
            .entry(unionid.as_str().to_owned())
            .or_insert_with(|| (Vec::new(), now));
        if entry.1 <= now {
            entry.0.clear();
        }
        entry
            .0
            .retain(|a| (&a.appid, &a.openid) != (&account.appid, &account.openid));
        entry.0.push(account.clone());
        entry.1 = now + millis(ttl_secs.max(1));
        Ok(())
    }

    async fn union_accounts(
        &self,
        unionid: &UnionId,
        ttl_secs: u64,
    ) -> Result<Vec<UnionAccount>, StoreError> {
        let now = self.now();
        let oldest = now
            .div_euclid(1000)
            .saturating_sub(i64::try_from(ttl_secs).unwrap_or(i64::MAX));
        let mut inner = self.lock();
        let Some((accounts, expires)) = inner.unions.get_mut(unionid.as_str()) else {
            return Ok(Vec::new());
        };
        if *expires <= now {
            accounts.clear();
        }
        accounts.retain(|a| a.last_login > oldest);
        let mut out = accounts.clone();
        out.sort_by_key(|a| std::cmp::Reverse(a.last_login));
        Ok(out)
    }

    async fn live_sessions(&self, appid: &AppId, openid: &OpenId) -> Result<u64, StoreError> {
        let now = self.now();
        let inner = self.lock();
        let Some(user) = inner
            .users
            .get(&super::user_key(appid.as_str(), openid.as_str()))
        else {
            return Ok(0);
        };
        let live = user
            .sessions
            .iter()
            .filter(|id| inner.sessions.get(*id).is_some_and(|(_, exp)| *exp > now))
            .count();
        Ok(u64::try_from(live).unwrap_or(u64::MAX))
    }
}

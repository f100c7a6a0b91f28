//! Merchants' grants: authorizing (again), revoking, redeeming an authorization code and
//! checking a refresh token.

use std::time::Instant;

use super::{AUTH_CODE_TTL, Errcode, Grant, MerchantKind, MockMerchant, Platform, mint, unix_now};

impl Platform {
    /// The merchant authorizes (again): a new refresh token (the old one is dead), a new
    /// authorization code, the permissions given or the kind's defaults. Returns the code and
    /// whether it was `updateauthorized` (the merchant had authorized already).
    pub(crate) fn authorize(
        &self,
        merchant: &MockMerchant,
        func_info: Option<Vec<u32>>,
    ) -> (String, bool) {
        let code = mint("queryauthcode@@@");
        let now = Instant::now();
        let mut inner = self.lock();
        inner.auth_codes.retain(|_, (_, until)| *until > now);
        inner
            .auth_codes
            .insert(code.clone(), (merchant.appid.clone(), now + AUTH_CODE_TTL));
        let defaults = match merchant.kind {
            MerchantKind::MiniProgram => vec![17, 18, 19, 25, 30, 31],
            MerchantKind::OfficialAccount => vec![1, 2, 3, 4, 7, 11, 15],
        };
        let previous = inner.grants.get(&merchant.appid).cloned();
        let update = previous.as_ref().is_some_and(|g| g.authorized);
        let func_info = func_info
            .or_else(|| previous.filter(|g| g.authorized).map(|g| g.func_info))
            .unwrap_or(defaults);
        inner.grants.insert(
            merchant.appid.clone(),
            Grant {
                refresh_token: mint("refreshtoken@@@"),
                authorized: true,
                auth_time: unix_now(),
                func_info,
            },
        );
        (code, update)
    }

    /// The merchant revokes: its refresh token dies. False when it was not authorized.
    pub(crate) fn unauthorize(&self, appid: &str) -> bool {
        let mut inner = self.lock();
        match inner.grants.get_mut(appid) {
            Some(grant) if grant.authorized => {
                grant.authorized = false;
                true
            }
            _ => false,
        }
    }

    /// What an authorization code stands for: `61009` unknown, `61010` expired, `61003` the
    /// merchant revoked since.
    pub(crate) fn redeem(&self, code: &str) -> Result<(String, Grant), Errcode> {
        let mut inner = self.lock();
        inner.stats.query_auth_requests += 1;
        let (appid, until) = inner.auth_codes.get(code).cloned().ok_or(61009)?;
        if until <= Instant::now() {
            return Err(61010);
        }
        match inner.grants.get(&appid) {
            Some(grant) if grant.authorized => Ok((appid, grant.clone())),
            _ => Err(61003),
        }
    }

    /// Counts a refresh and checks the refresh token: `61023` unless it is the merchant's
    /// current one and the merchant is authorized. When rotating, the merchant gets a new one
    /// (the old one dies).
    pub(crate) fn refresh(&self, appid: &str, refresh_token: &str) -> Result<(), Errcode> {
        let mut inner = self.lock();
        *inner
            .stats
            .authorizer_token_fetches
            .entry(appid.to_owned())
            .or_insert(0) += 1;
        let rotate = inner.rotate_refresh;
        match inner.grants.get_mut(appid) {
            Some(g) if g.authorized && g.refresh_token == refresh_token => {
                if rotate {
                    g.refresh_token = mint("refreshtoken@@@");
                }
                Ok(())
            }
            _ => Err(61023),
        }
    }

    /// The merchant's grant, when it is authorized now.
    pub(crate) fn grant(&self, appid: &str) -> Option<Grant> {
        self.lock()
            .grants
            .get(appid)
            .filter(|g| g.authorized)
            .cloned()
    }

    /// Every authorized merchant's (appid, grant), by authorization time then appid.
    pub(crate) fn authorized(&self) -> Vec<(String, Grant)> {
        let mut list: Vec<_> = self
            .lock()
            .grants
            .iter()
            .filter(|(_, g)| g.authorized)
            .map(|(a, g)| (a.clone(), g.clone()))
            .collect();
        list.sort_by(|a, b| (a.1.auth_time, &a.0).cmp(&(b.1.auth_time, &b.0)));
        list
    }
}

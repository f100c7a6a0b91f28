//! Whose code it is, per app kind: `jscode2session` for a mini-program (ids and a
//! `session_key`), the OAuth exchange for the other kinds (ids only), with `sns/userinfo` when
//! the exchange left out a unionid the granted scope allows.

use secrecy::SecretString;
use wechat_client::Code2SessionError as Refusal;

use crate::domain::apps::AppSource;
use crate::domain::ids::{AppId, OpenId, UnionId};
use crate::domain::wechat::call;
use crate::metrics::labels::WechatApi;
use crate::settings::AppKind;
use crate::state::{AppEntry, AppState};

/// The user a code belongs to.
#[derive(Debug)]
pub struct Identity {
    /// The user's id in the app.
    pub openid: String,
    /// The user's id across the team's apps.
    pub unionid: Option<String>,
    /// The mini-program's `session_key`; the other kinds have none.
    pub session_key: Option<SecretString>,
    /// A snapshot-mode page's virtual user (`is_snapshotuser: 1`): not a person.
    pub snapshot_user: bool,
}

impl Identity {
    /// The ids the login stores, parsed: `None` (logged) when WeChat sent an openid or unionid
    /// that breaks the id rule, which the login answers as a WeChat failure.
    pub fn ids(&self, appid: &AppId) -> Option<(AppId, OpenId, Option<UnionId>)> {
        let unionid = self.unionid.as_deref().map(UnionId::parse).transpose();
        match (OpenId::parse(&self.openid), unionid) {
            (Ok(openid), Ok(unionid)) => Some((appid.clone(), openid, unionid)),
            _ => {
                tracing::warn!(
                    appid = appid.as_str(),
                    "WeChat returned an openid or unionid that is not 1-64 of A-Za-z0-9_-"
                );
                None
            }
        }
    }
}

/// Exchanges `code` of `appid` at WeChat: one call (two with `userinfo`).
pub async fn identify(
    state: &AppState,
    appid: &str,
    app: &AppEntry,
    code: &str,
) -> Result<Identity, Refusal> {
    if app.kind == AppKind::Miniprogram && app.source == AppSource::Component {
        return component_login(state, appid, code).await;
    }
    if app.kind == AppKind::Miniprogram {
        let fut = state.wechat.code2session(appid, &app.secret, code);
        let session = call(&state.metrics, WechatApi::Code2Session, fut).await?;
        return Ok(Identity {
            openid: session.openid,
            unionid: session.unionid,
            session_key: Some(session.session_key),
            snapshot_user: false,
        });
    }
    let fut = state.wechat.oauth2_access_token(appid, &app.secret, code);
    let token = call(&state.metrics, WechatApi::OAuth2, fut).await?;
    if token.snapshot_user {
        // A virtual openid: no profile to read, no unionid to link.
        return Ok(Identity {
            openid: token.openid,
            unionid: None,
            session_key: None,
            snapshot_user: true,
        });
    }
    let mut unionid = token.unionid;
    let profile_granted = token
        .scope
        .split(',')
        .any(|s| matches!(s.trim(), "snsapi_userinfo" | "snsapi_login"));
    if unionid.is_none() && profile_granted {
        // The user's OAuth token is used here once and dropped. Failing to read the profile
        // does not fail the login (the code is spent): the session goes on without a unionid.
        let fut = state.wechat.userinfo(&token.access_token, &token.openid);
        match call(&state.metrics, WechatApi::UserInfo, fut).await {
            Ok(info) if info.openid == token.openid => unionid = info.unionid,
            Ok(_) => tracing::warn!(appid, "sns/userinfo answered for another openid"),
            Err(err) => tracing::warn!(
                appid,
                error = %crate::telemetry::error_chain(&err),
                "sns/userinfo failed; the session has no unionid"
            ),
        }
    }
    Ok(Identity {
        openid: token.openid,
        unionid,
        session_key: None,
        snapshot_user: false,
    })
}

/// A platform merchant's mini-program: `sns/component/jscode2session` with the platform's
/// token. A token WeChat refuses is dropped for the fleet and the exchange retried once (the
/// code is not spent by a refused token).
async fn component_login(state: &AppState, appid: &str, code: &str) -> Result<Identity, Refusal> {
    use crate::domain::component::{platform, tokens};
    use secrecy::ExposeSecret as _;
    let unavailable = || Refusal::Wechat(wechat_client::Error::SystemBusy);
    let c = platform(state).map_err(|_| Refusal::NotAuthorized)?;
    let mut retried = false;
    loop {
        let token = tokens::component_token(state).await.map_err(|err| {
            tracing::warn!(appid, error = %err, "no component_access_token for a merchant's login");
            unavailable()
        })?;
        let fut = state
            .wechat
            .component_code2session(appid, code, c.appid.as_str(), &token.token);
        match call(&state.metrics, WechatApi::ComponentCode2Session, fut).await {
            Err(Refusal::Wechat(wechat_client::Error::TokenRefused(_))) if !retried => {
                retried = true;
                let _ = tokens::invalidate_component(state, token.token.expose_secret()).await;
            }
            Err(err) => return Err(err),
            Ok(session) => {
                return Ok(Identity {
                    openid: session.openid,
                    unionid: session.unionid,
                    session_key: Some(session.session_key),
                    snapshot_user: false,
                });
            }
        }
    }
}

//! `POST /v1/sessions`: log in with a `wx.login` code (mini-program) or a mobile app's WeChat
//! SDK code; bearer tokens. Website and official-account logins go through `/v1/web/…`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::domain::ids::{AppId, OpenId, UnionId};
use crate::domain::login::{self, LoginAnswer, LoginRequest};
use crate::domain::user_data::UserData;
use crate::domain::{Error, limits};
use crate::http::body::Json;
use crate::http::error::ApiError;
use crate::http::extract::ClientIp;
use crate::state::AppState;

/// The login body. Unknown fields are ignored (mini-programs send extras such as `cloudID`).
#[derive(Debug, Deserialize)]
pub struct LoginBody {
    code: Option<String>,
    appid: Option<String>,
    #[serde(rename = "encryptedData")]
    encrypted_data: Option<String>,
    iv: Option<String>,
    #[serde(rename = "rawData")]
    raw_data: Option<String>,
    signature: Option<String>,
}

impl LoginBody {
    /// The validated code.
    pub fn code(&self) -> Result<&str, Error> {
        login::check_code(self.code.as_deref())
    }

    /// The optional one-request-login data, validated.
    pub fn user_data(&self) -> Result<Option<UserData<'_>>, Error> {
        UserData::parse(
            self.encrypted_data.as_deref(),
            self.iv.as_deref(),
            self.raw_data.as_deref(),
            self.signature.as_deref(),
        )
    }
}

/// Exchanges the code (once, however often it is presented) and returns the session.
pub async fn login(
    state: web::Data<AppState>,
    client: ClientIp,
    body: Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    if let Some(ip) = client.0 {
        limits::login_attempt(&state, ip).await?;
    }
    let b = body.0;
    let code = b.code()?;
    let app = state.resolve_app(b.appid.as_deref())?;
    let user_data = b.user_data();
    // Browser apps log in through /v1/web; apps without a session_key cannot decrypt.
    let has_user_data = matches!(user_data, Ok(Some(_)) | Err(_));
    if app.kind.is_web() || (!app.kind.has_session_key() && has_user_data) {
        return Err(Error::UnsupportedForApp.into());
    }
    let request = LoginRequest {
        appid: &app.appid,
        app: &app,
        code,
        user_data,
    };
    let answer = login::login(&state, request).await?;
    Ok(HttpResponse::Created().json(render(answer)))
}

/// The `201` body; a failed one-request decrypt as `user_error: {code, message}`.
#[derive(Serialize)]
struct Created {
    session: String,
    expires_in: u64,
    appid: AppId,
    openid: OpenId,
    #[serde(skip_serializing_if = "Option::is_none")]
    unionid: Option<UnionId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_error: Option<UserError>,
}

#[derive(Serialize)]
struct UserError {
    code: &'static str,
    message: String,
}

fn render(answer: LoginAnswer) -> Created {
    Created {
        session: answer.session,
        expires_in: answer.expires_in,
        appid: answer.appid,
        openid: answer.openid,
        unionid: answer.unionid,
        user: answer.user,
        user_error: answer.user_error.map(|err| {
            let err = ApiError::from(err.into_error());
            UserError {
                code: err.code().as_str(),
                message: err.message().to_owned(),
            }
        }),
    }
}

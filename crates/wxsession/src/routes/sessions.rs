//! `POST /v1/sessions`: log in with a `wx.login` code.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::error::ApiError;
use crate::login::{self, LoginRequest};
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

/// Codes from WeChat are short (32 characters); anything over this many characters is not one.
const MAX_CODE_LEN: usize = 256;

impl LoginBody {
    /// The validated code (and an empty appid refused).
    pub fn code(&self) -> Result<&str, ApiError> {
        let code = super::required(self.code.as_deref(), "code")?;
        if code.chars().count() > MAX_CODE_LEN || code.chars().any(char::is_control) {
            return Err(ApiError::InvalidRequest("code is malformed".into()));
        }
        if self.appid.as_deref() == Some("") {
            return Err(ApiError::UnknownApp);
        }
        Ok(code)
    }

    /// The optional one-request-login data, validated.
    pub fn user_data(&self) -> Result<Option<super::decrypt::UserData<'_>>, ApiError> {
        super::decrypt::UserData::parse(
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
    req: HttpRequest,
    body: super::body::Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    if let Some(ip) = super::client_ip(&state, &req) {
        crate::limits::login_attempt(&state, ip).await?;
    }
    let b = body.0;
    let code = b.code()?;
    let (appid, app) = state.resolve_app(b.appid.as_deref())?;
    let user_data = b.user_data();
    let request = LoginRequest {
        appid,
        app,
        code,
        user_data,
    };
    let answer = login::login(&state, request).await?;
    Ok(HttpResponse::Created().json(answer))
}

//! `GET /v1/auth`: forward-auth for nginx `auth_request`, Traefik ForwardAuth, Envoy ext_authz.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;
use crate::state::AppState;

/// 200 with identity headers, or 401.
pub async fn forward_auth(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let touched = super::authenticate(&state, &req).await?;
    let record = touched.record;
    let mut res = HttpResponse::Ok();
    res.insert_header(("X-WX-AppID", record.appid))
        .insert_header(("X-WX-OpenID", record.openid));
    if let Some(unionid) = record.unionid {
        res.insert_header(("X-WX-UnionID", unionid));
    }
    Ok(res.finish())
}

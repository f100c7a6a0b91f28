//! `GET /v1/auth`: forward-auth for nginx `auth_request`, Traefik ForwardAuth, Envoy ext_authz.

use actix_web::{HttpResponse, web};

use crate::http::extract::CurrentSession;

/// 200 with identity headers, or 401.
pub async fn forward_auth(current: CurrentSession) -> HttpResponse {
    let record = current.0.touched.record;
    let mut res = HttpResponse::Ok();
    res.insert_header(("X-WX-AppID", record.appid))
        .insert_header(("X-WX-OpenID", record.openid));
    if let Some(unionid) = record.unionid {
        res.insert_header(("X-WX-UnionID", unionid));
    }
    res.finish()
}

/// Registers `/v1/auth`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/auth").get(forward_auth));
}

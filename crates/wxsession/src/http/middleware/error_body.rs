//! Gives every error response — ours and the ones actix makes itself (404, 405, 413, …) — the
//! `{"error": {code, message, request_id}}` body.

use actix_web::HttpResponse;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;

use crate::http::error::{ApiError, ErrorInfo, render};

/// Rewrites an error response's body with the request id; other responses pass unchanged.
pub fn normalize(res: ServiceResponse<BoxBody>, id: &str) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let info = res.response().extensions().get::<ErrorInfo>().cloned();
    let info = info.unwrap_or_else(|| {
        let err = ApiError::from_status(status);
        ErrorInfo {
            code: err.code().as_str(),
            message: err.message().to_owned(),
        }
    });
    let mut builder = HttpResponse::build(status);
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    if status == StatusCode::UNAUTHORIZED && !res.headers().contains_key(header::WWW_AUTHENTICATE) {
        builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    }
    let mut response = builder.json(render(&info, id));
    response.extensions_mut().insert(info);
    res.into_response(response)
}

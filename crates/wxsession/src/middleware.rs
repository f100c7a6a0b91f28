//! The outermost middleware: request ids, one log line per request, HTTP metrics, and the
//! rewriting of every error response into the documented JSON shape.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, HttpResponse, web};

use crate::error::{ApiError, ErrorInfo, render};
use crate::state::AppState;

/// The id of one request, echoed as `x-request-id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// Wraps every request.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    // A client can send any method: only the standard ones become label values.
    let method = crate::metrics::method_label(req.method());
    if let Some(state) = &state {
        state.metrics.http_requests_in_flight.inc();
    }
    // Handlers turn their errors into responses themselves; an `Err` here can only come from
    // inner middleware, of which there is none.
    let res = next.call(req).await;
    if let (Err(_), Some(state)) = (&res, &state) {
        state.metrics.http_requests_in_flight.dec();
    }
    let res = res?.map_into_boxed_body();
    let mut res = normalize_error(res, &id);
    res.headers_mut().insert(
        REQUEST_ID,
        HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("invalid")),
    );
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(state) = &state {
        let m = &state.metrics;
        m.http_requests_in_flight.dec();
        m.http_requests_total
            .with_label_values(&[method, route.as_str(), &status.to_string()])
            .inc();
        m.http_request_duration_seconds
            .with_label_values(&[route.as_str()])
            .observe(elapsed.as_secs_f64());
    }
    let code = res
        .response()
        .extensions()
        .get::<ErrorInfo>()
        .map(|i| i.code);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(request_id = %id, method, %route, status, latency_ms, error = code, "request");
    } else {
        tracing::info!(request_id = %id, method, %route, status, latency_ms, error = code, "request");
    }
    Ok(res)
}

/// Gives every error response the `{"error": {code, message, request_id}}` body.
fn normalize_error(res: ServiceResponse<BoxBody>, id: &str) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let info = res.response().extensions().get::<ErrorInfo>().cloned();
    let info = match info {
        Some(info) => info,
        None => {
            let err = ApiError::from_status(status);
            ErrorInfo {
                code: err.code(),
                message: err.to_string(),
            }
        }
    };
    let mut builder = HttpResponse::build(status);
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    if status == actix_web::http::StatusCode::UNAUTHORIZED
        && !res.headers().contains_key(header::WWW_AUTHENTICATE)
    {
        builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    }
    let mut response = builder.json(render(&info, id));
    response.extensions_mut().insert(info);
    res.into_response(response)
}

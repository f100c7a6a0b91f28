//! The outermost middleware: a request id and a tracing span per request, HTTP metrics, one
//! log line per request, and the documented JSON body on every error response.

mod error_body;
mod metrics;
mod request_id;

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, web};
use tracing::Instrument as _;

pub use self::request_id::RequestId;
use self::request_id::{REQUEST_ID, request_id};
use crate::http::error::ErrorInfo;
use crate::metrics::labels::Method;
use crate::state::AppState;

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
    let method = Method::of(req.method().as_str());
    let _in_flight = state.as_ref().map(|s| metrics::InFlight::enter(&s.metrics));
    // A debug-level span: with RUST_LOG=debug every event of the request carries its id. At
    // info an enabled span per request cost 5 % of /v1/auth (measured), and the one line per
    // request below carries the id anyway.
    let span = tracing::debug_span!("request", request_id = %id);
    // Handlers turn their errors into responses themselves; an `Err` here can only come from
    // inner middleware, of which there is none.
    let res = next.call(req).instrument(span).await?.map_into_boxed_body();
    let mut res = error_body::normalize(res, &id);
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
        metrics::record(&state.metrics, method, &route, status, elapsed);
    }
    let code = res
        .response()
        .extensions()
        .get::<ErrorInfo>()
        .map(|i| i.code);
    let warn = status >= 500;
    let enabled = if warn {
        tracing::enabled!(tracing::Level::WARN)
    } else {
        tracing::enabled!(tracing::Level::INFO)
    };
    if enabled {
        crate::telemetry::request(&crate::telemetry::RequestLine {
            warn,
            request_id: &id,
            method: method.as_str(),
            route: &route,
            status,
            // Microsecond precision: `0.012`, not `0.011559999999999999`.
            latency_ms: f64::from(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX)) / 1000.0,
            error: code,
        });
    }
    Ok(res)
}

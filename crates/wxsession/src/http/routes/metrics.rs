//! `GET /metrics`: Prometheus text format 0.0.4, for the API listener (less) or the operator's
//! own listener (everything).

use actix_web::{HttpResponse, web};

use crate::metrics::Audience;
use crate::state::AppState;

async fn metrics(state: web::Data<AppState>, audience: web::Data<Audience>) -> HttpResponse {
    // Gauges of "how long since", computed at the scrape from what the replica last read.
    crate::domain::component::ticket::export_age(&state);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(**audience))
}

/// Registers `/metrics` for `audience`.
pub fn configure(cfg: &mut web::ServiceConfig, audience: Audience) {
    cfg.service(
        web::resource("/metrics")
            .app_data(web::Data::new(audience))
            .get(metrics),
    );
}

//! The document as one listener serves it: only the routes that listener has, and on a public
//! listener beside an admin listener no appid and no allowed origin.

use actix_web::HttpResponse;
use serde_json::Value;

use super::{Apps, full_document};

/// What the listener serving the document serves besides the public API.
#[derive(Debug, Clone, Copy)]
pub struct Served {
    /// The admin API (no `server.admin_bind`).
    pub admin: bool,
    /// `/metrics` (no `server.metrics_bind`).
    pub metrics: bool,
}

impl Served {
    /// The one listener of a replica with neither `admin_bind` nor `metrics_bind`.
    pub const ALL: Self = Self {
        admin: true,
        metrics: true,
    };
}

/// The document for the configured apps, with the origins `return_to` may lead to, listing what
/// `served` says the listener serves.
pub fn document(apps: &Apps<'_>, origins: &[String], served: Served) -> Value {
    let mut doc = full_document(apps, origins);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        paths.retain(|path, _| {
            (served.admin || !path.starts_with("/v1/admin/"))
                && (served.metrics || path != "/metrics")
        });
    }
    if !served.admin
        && let Some(schemes) = doc
            .pointer_mut("/components/securitySchemes")
            .and_then(Value::as_object_mut)
    {
        schemes.remove("admin");
    }
    doc
}

/// Serves the document. The public listener of a replica with an admin listener names no appid
/// and no allowed origin: that listener is reachable by anyone, the list of apps is not theirs.
pub async fn serve(
    state: actix_web::web::Data<crate::state::AppState>,
    req: actix_web::HttpRequest,
) -> HttpResponse {
    let served = req.app_data::<Served>().copied().unwrap_or(Served::ALL);
    if !served.admin {
        let apps = Apps {
            redacted: true,
            ..Apps::default()
        };
        return HttpResponse::Ok().json(document(&apps, &[], served));
    }
    let mut sorted: Vec<(&str, crate::settings::AppKind)> = state
        .apps
        .config_apps()
        .map(|app| (app.appid.as_str(), app.kind))
        .collect();
    sorted.sort_unstable_by_key(|(appid, _)| *appid);
    let pick = |keep: fn(crate::settings::AppKind) -> bool| {
        sorted
            .iter()
            .filter(|(_, kind)| keep(*kind))
            .map(|(appid, _)| *appid)
            .collect()
    };
    let apps = Apps {
        all: pick(|_| true),
        login: pick(|k| !k.is_web()),
        keyed: pick(crate::settings::AppKind::has_session_key),
        web: pick(crate::settings::AppKind::is_web),
        redacted: false,
    };
    HttpResponse::Ok().json(document(&apps, &state.web.allowed_origins, served))
}

//! `/v1/sessions…`: log in, introspect, log out, decrypt.

pub mod create;
mod current;
pub mod decrypt;

use actix_web::web;

/// Registers the session routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/sessions").post(create::login))
        .service(
            web::resource("/v1/sessions/current")
                .get(current::introspect)
                .delete(current::logout),
        )
        .service(web::resource("/v1/sessions/current/decrypt").post(decrypt::decrypt));
}

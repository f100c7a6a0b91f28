//! `/v1/sessions…`: log in, introspect, log out, decrypt, the phone number, the key status.

pub mod create;
mod current;
pub mod decrypt;
mod key_status;
mod phone;

use actix_web::web;

/// Registers the session routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/sessions").post(create::login))
        .service(
            web::resource("/v1/sessions/current")
                .get(current::introspect)
                .delete(current::logout),
        )
        .service(web::resource("/v1/sessions/current/decrypt").post(decrypt::decrypt))
        .service(
            web::resource("/v1/sessions/current/phone")
                .post(phone::phone_number)
                .get(phone::known)
                .delete(phone::forget),
        )
        .service(web::resource("/v1/sessions/current/key-status").get(key_status::key_status));
}

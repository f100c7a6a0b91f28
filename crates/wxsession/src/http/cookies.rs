//! The browser logins' cookies: their names, how they are set, and how they are read.
//!
//! Both are `__Host-` cookies (`Secure`, `Path=/`, no `Domain`): a sibling subdomain cannot set
//! or shadow them. The names of the release before 0.2 (`wxs_session`, `wxs_state`) are still
//! read, so that a rolling upgrade logs nobody out; `dev` (plain-http localhost, no `Secure`)
//! sets those names, as browsers refuse a `__Host-` cookie without `Secure`. A request that
//! carries two cookies of one name is refused: one of them was planted.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

use crate::state::WebConfig;

/// The web session cookie.
pub const SESSION: Name = Name {
    host: "__Host-wxs_session",
    legacy: "wxs_session",
};

/// The cookie binding a started login to its browser.
pub const STATE: Name = Name {
    host: "__Host-wxs_state",
    legacy: "wxs_state",
};

/// A cookie's name, and the name it had before.
#[derive(Debug, Clone, Copy)]
pub struct Name {
    /// `__Host-…`: set with `Secure`.
    pub host: &'static str,
    /// Read for one release; set only without `Secure` (`dev`).
    pub legacy: &'static str,
}

/// A request carried two cookies of one name.
#[derive(Debug)]
pub struct Duplicate;

impl Name {
    /// The name this service sets.
    pub fn set_as(self, web: &WebConfig) -> &'static str {
        if web.secure_cookies {
            self.host
        } else {
            self.legacy
        }
    }

    /// The cookie's value: the `__Host-` one, else the old name's; `Err` when either name
    /// came twice. Names are compared as sent, never percent-decoded: a browser enforces the
    /// `__Host-` rules on the name as written, so `__Host%2Dwxs_session` (which anyone may set)
    /// is not `__Host-wxs_session`.
    pub fn read(self, req: &HttpRequest) -> Result<Option<String>, Duplicate> {
        let Ok(cookies) = req.cookies_raw() else {
            return Ok(None);
        };
        let one = |name: &str| -> Result<Option<String>, Duplicate> {
            let mut found = cookies.iter().filter(|c| c.name() == name);
            match (found.next(), found.next()) {
                (_, Some(_)) => Err(Duplicate),
                (first, None) => Ok(first.map(|c| c.value().to_owned())),
            }
        };
        match one(self.host)? {
            Some(value) => Ok(Some(value)),
            None => one(self.legacy),
        }
    }

    /// The cookie set to `value` for `max_age` seconds (HttpOnly, `SameSite=Lax`, `Path=/`).
    pub fn cookie(self, web: &WebConfig, value: String, max_age: i64) -> Cookie<'static> {
        Cookie::build(self.set_as(web), value)
            .path("/")
            .http_only(true)
            .secure(web.secure_cookies)
            .same_site(SameSite::Lax)
            .max_age(Duration::seconds(max_age))
            .finish()
    }

    /// Removals of the cookie under both names.
    pub fn removals(self, web: &WebConfig) -> [Cookie<'static>; 2] {
        [self.host, self.legacy].map(|name| {
            let mut cookie = Cookie::build(name, "")
                .path("/")
                .http_only(true)
                .secure(web.secure_cookies || name == self.host)
                .same_site(SameSite::Lax)
                .finish();
            cookie.make_removal();
            cookie
        })
    }
}

//! `connect/qrconnect` (a website's QR login) and `connect/oauth2/authorize` (an official
//! account's page inside WeChat) as real HTML pages: a person picks a simulated user and presses
//! Allow or Deny; the browser then goes to `redirect_uri` with `code` and `state`, or with
//! `state` alone when denied — as WeChat does after the scan or the tap — and only under a
//! registered callback ([`crate::callbacks`]). No page may be framed.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::state::State;

#[derive(Deserialize)]
pub(super) struct AuthorizeQuery {
    appid: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
}

/// Which page: the scopes it accepts, its title.
#[derive(Clone, Copy)]
pub(super) enum Page {
    Qr,
    Authorize,
}

impl Page {
    fn accepts(self, scope: &str) -> bool {
        match self {
            Self::Qr => scope == "snsapi_login",
            Self::Authorize => matches!(scope, "snsapi_base" | "snsapi_userinfo"),
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Qr => "Log in with WeChat — scan (simulated)",
            Self::Authorize => "Authorize this official account (simulated)",
        }
    }
}

/// The simulated people to pick from (any other name can be typed).
const PEOPLE: [&str; 3] = ["alice", "bob", "carol"];

pub(super) fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// An HTML page that no other site may frame (the Allow button is worth clickjacking).
pub(super) fn html(mut res: actix_web::HttpResponseBuilder, body: String) -> HttpResponse {
    res.content_type("text/html; charset=utf-8")
        .insert_header(("x-frame-options", "DENY"))
        .insert_header(("content-security-policy", "frame-ancestors 'none'"))
        .body(body)
}

pub(super) fn error_page(message: &str) -> HttpResponse {
    html(
        HttpResponse::BadRequest(),
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>WeChat error</title></head>\
             <body><h1>WeChat (simulated)</h1><p id=\"error\">{}</p></body></html>",
            escape(message)
        ),
    )
}

/// Checks an authorize request the way WeChat would before showing anything.
fn check(state: &State, page: Page, q: &AuthorizeQuery) -> Result<url::Url, &'static str> {
    if !q
        .appid
        .as_deref()
        .is_some_and(|a| state.secrets.contains_key(a))
    {
        return Err("appid is not a registered app (40013)");
    }
    if q.response_type.as_deref() != Some("code") {
        return Err("response_type must be code");
    }
    if !q.scope.as_deref().is_some_and(|s| page.accepts(s)) {
        return Err("scope is not allowed here (10005)");
    }
    let uri = q
        .redirect_uri
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or("redirect_uri must be an absolute http(s) URL (10003)")?;
    if !state.callbacks.admit(&uri) {
        return Err("redirect_uri is not under a registered callback (10003)");
    }
    Ok(uri)
}

/// `GET /connect/qrconnect` and `GET /connect/oauth2/authorize`: the consent page.
pub(super) async fn page(
    state: web::Data<State>,
    page: Page,
    query: web::Query<AuthorizeQuery>,
) -> HttpResponse {
    let q = query.into_inner();
    if let Err(why) = check(&state, page, &q) {
        return error_page(why);
    }
    let hidden = |name: &str, value: &Option<String>| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value.as_deref().unwrap_or(""))
        )
    };
    let options: String = PEOPLE
        .iter()
        .map(|p| format!("<option value=\"{p}\">{p}</option>"))
        .collect();
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto}}\
         button{{font-size:1rem;padding:.5rem 1.5rem;margin-right:1rem}}</style></head><body>\
         <h1>{title}</h1><p>App <code id=\"appid\">{appid}</code> asks for <code>{scope}</code>.</p>\
         <form method=\"get\" action=\"/connect/confirm\">{h_appid}{h_redirect}{h_scope}{h_state}\
         <p><label>Simulated user <select id=\"user\" name=\"user\">{options}</select></label></p>\
         <p><label>or another name <input id=\"other\" name=\"other\" pattern=\"[A-Za-z0-9_-]{{1,32}}\"></label></p>\
         <button id=\"allow\" name=\"decision\" value=\"allow\">Allow</button>\
         <button id=\"deny\" name=\"decision\" value=\"deny\">Deny</button></form></body></html>",
        title = page.title(),
        appid = escape(q.appid.as_deref().unwrap_or("")),
        scope = escape(q.scope.as_deref().unwrap_or("")),
        h_appid = hidden("appid", &q.appid),
        h_redirect = hidden("redirect_uri", &q.redirect_uri),
        h_scope = hidden("scope", &q.scope),
        h_state = hidden("state", &q.state),
    );
    html(HttpResponse::Ok(), body)
}

#[derive(Deserialize)]
pub(super) struct ConfirmQuery {
    appid: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    user: Option<String>,
    other: Option<String>,
    decision: Option<String>,
}

/// `GET /connect/confirm`: Allow → `redirect_uri?code&state`; Deny → `redirect_uri?state`.
pub(super) async fn confirm(
    state: web::Data<State>,
    query: web::Query<ConfirmQuery>,
) -> HttpResponse {
    let q = query.into_inner();
    let scope = q.scope.clone().unwrap_or_default();
    let page = if scope == "snsapi_login" {
        Page::Qr
    } else {
        Page::Authorize
    };
    let authorize = AuthorizeQuery {
        appid: q.appid,
        redirect_uri: q.redirect_uri,
        response_type: Some("code".to_owned()),
        scope: q.scope,
        state: q.state,
    };
    let mut target = match check(&state, page, &authorize) {
        Ok(target) => target,
        Err(why) => return error_page(why),
    };
    let user = q.other.filter(|o| !o.is_empty()).or(q.user).filter(|u| {
        (1..=32).contains(&u.len())
            && u.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    {
        let mut pairs = target.query_pairs_mut();
        if q.decision.as_deref() == Some("allow") {
            let Some(user) = user else {
                return error_page("pick a user: 1-32 of A-Z a-z 0-9 _ -");
            };
            let mut nonce = [0u8; 8];
            let _ = getrandom::fill(&mut nonce);
            let code = format!(
                "user:{user}:{}",
                nonce.iter().map(|b| format!("{b:02x}")).collect::<String>()
            );
            state.issue_code(&code, &scope);
            pairs.append_pair("code", &code);
        }
        pairs.append_pair("state", authorize.state.as_deref().unwrap_or(""));
    }
    HttpResponse::Found()
        .insert_header(("location", target.as_str()))
        .finish()
}

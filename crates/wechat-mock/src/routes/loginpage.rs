//! `cgi-bin/componentloginpage` (served under `mp_base`): the page where a merchant's
//! administrator authorizes the platform, as a real HTML page. It lists the merchants' apps the
//! `auth_type` admits (1 official accounts, 2 mini-programs, 3 or none both; `biz_appid`
//! narrows it to one), and Allow spends the pre-authorization code, authorizes the picked app,
//! pushes `authorized` (or `updateauthorized` when it had authorized before) and sends the
//! browser to `redirect_uri?auth_code=…&expires_in=…` — only under a registered callback.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::connect::{error_page, escape, html};
use crate::component::{AUTH_CODE_TTL, MerchantKind, MockMerchant, Platform};
use crate::push::Event;
use crate::state::State;

#[derive(Deserialize, Clone, Default)]
pub(super) struct PageQuery {
    component_appid: Option<String>,
    pre_auth_code: Option<String>,
    redirect_uri: Option<String>,
    auth_type: Option<String>,
    biz_appid: Option<String>,
    /// Only on the confirmation: the picked app.
    merchant: Option<String>,
}

fn admits(q: &PageQuery, m: &MockMerchant) -> bool {
    let kind_ok = match q.auth_type.as_deref() {
        Some("1") => m.kind == MerchantKind::OfficialAccount,
        Some("2") => m.kind == MerchantKind::MiniProgram,
        _ => true,
    };
    let biz_ok = q
        .biz_appid
        .as_deref()
        .filter(|b| !b.is_empty())
        .is_none_or(|b| b == m.appid);
    kind_ok && biz_ok
}

/// Checks the request as WeChat would before showing anything.
fn check<'a>(state: &'a State, q: &PageQuery) -> Result<(&'a Platform, url::Url), &'static str> {
    let platform = state
        .component
        .as_ref()
        .filter(|p| q.component_appid.as_deref() == Some(p.config.appid.as_str()))
        .ok_or("component_appid is not a platform (61011)")?;
    if !q
        .pre_auth_code
        .as_deref()
        .is_some_and(|c| platform.pre_auth_code(c, false))
    {
        return Err("pre_auth_code is invalid, expired or used");
    }
    if !matches!(q.auth_type.as_deref(), None | Some("" | "1" | "2" | "3")) {
        return Err("auth_type must be 1, 2 or 3");
    }
    let uri = q
        .redirect_uri
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or("redirect_uri must be an absolute http(s) URL")?;
    if !platform.callbacks.admit(&uri) {
        return Err("redirect_uri is not under the platform's registered domain");
    }
    Ok((platform, uri))
}

/// `GET /cgi-bin/componentloginpage`: pick an app, Allow.
pub(super) async fn page(state: web::Data<State>, query: web::Query<PageQuery>) -> HttpResponse {
    let q = query.into_inner();
    let platform = match check(&state, &q) {
        Ok((platform, _)) => platform,
        Err(why) => return error_page(why),
    };
    let choices: String = platform
        .config
        .merchants
        .iter()
        .filter(|m| admits(&q, m))
        .enumerate()
        .map(|(i, m)| {
            format!(
                "<p><label><input type=\"radio\" name=\"merchant\" value=\"{appid}\"{checked}> \
                 {name} <code>{appid}</code> ({kind})</label></p>",
                appid = escape(&m.appid),
                name = escape(&m.nickname),
                kind = match m.kind {
                    MerchantKind::MiniProgram => "mini-program",
                    MerchantKind::OfficialAccount => "official account",
                },
                checked = if i == 0 { " checked" } else { "" },
            )
        })
        .collect();
    if choices.is_empty() {
        return error_page("no app of this account can authorize this platform");
    }
    let hidden = |name: &str, value: &Option<String>| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value.as_deref().unwrap_or(""))
        )
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorize a third-party platform (simulated)</title>\
         <style>body{{font-family:sans-serif;max-width:32rem;margin:3rem auto}}\
         button{{font-size:1rem;padding:.5rem 1.5rem}}</style></head><body>\
         <h1>Authorize a third-party platform (simulated)</h1>\
         <p>Platform <code id=\"component\">{component}</code> asks to manage one of your apps.</p>\
         <form method=\"get\" action=\"/cgi-bin/componentloginpage/confirm\">{h1}{h2}{h3}{h4}{h5}\
         <fieldset><legend>Your apps</legend>{choices}</fieldset>\
         <p><button id=\"allow\" type=\"submit\">Allow</button></p></form></body></html>",
        component = escape(&platform.config.appid),
        h1 = hidden("component_appid", &q.component_appid),
        h2 = hidden("pre_auth_code", &q.pre_auth_code),
        h3 = hidden("redirect_uri", &q.redirect_uri),
        h4 = hidden("auth_type", &q.auth_type),
        h5 = hidden("biz_appid", &q.biz_appid),
    );
    html(HttpResponse::Ok(), body)
}

/// `GET /cgi-bin/componentloginpage/confirm`: Allow.
pub(super) async fn confirm(state: web::Data<State>, query: web::Query<PageQuery>) -> HttpResponse {
    let q = query.into_inner();
    let (platform, mut target) = match check(&state, &q) {
        Ok(checked) => checked,
        Err(why) => return error_page(why),
    };
    let Some(merchant) = q
        .merchant
        .as_deref()
        .and_then(|a| platform.merchant(a))
        .filter(|m| admits(&q, m))
        .cloned()
    else {
        return error_page("pick one of the listed apps");
    };
    let pre_auth_code = q.pre_auth_code.clone().unwrap_or_default();
    if !platform.pre_auth_code(&pre_auth_code, true) {
        return error_page("pre_auth_code is invalid, expired or used");
    }
    let (code, event) = authorize(&state, &merchant, None, Some(pre_auth_code));
    // WeChat pushes and redirects independently: the push goes out in the background.
    let state = state.into_inner();
    actix_web::rt::spawn(async move {
        let _ = crate::push::push(&state, event).await;
    });
    target
        .query_pairs_mut()
        .append_pair("auth_code", &code)
        .append_pair("expires_in", &AUTH_CODE_TTL.as_secs().to_string());
    HttpResponse::Found()
        .insert_header(("location", target.as_str()))
        .finish()
}

/// Authorizes `merchant` (again) and kills its earlier access tokens. Returns the
/// authorization code and the push to make (`authorized` or `updateauthorized`).
pub(super) fn authorize(
    state: &State,
    merchant: &MockMerchant,
    func_info: Option<Vec<u32>>,
    pre_auth_code: Option<String>,
) -> (String, Event) {
    let (code, update) = match state.component.as_ref() {
        Some(platform) => platform.authorize(merchant, func_info),
        None => (String::new(), false),
    };
    let ttl = state
        .component
        .as_ref()
        .map_or(state.token_ttl, |p| p.token_ttl);
    state.tokens(|t| t.invalidate(&merchant.appid, false, ttl));
    let event = Event::Authorized {
        update,
        merchant: merchant.appid.clone(),
        code: code.clone(),
        expires_at: super::component::code_expiry(),
        pre_auth_code,
    };
    (code, event)
}

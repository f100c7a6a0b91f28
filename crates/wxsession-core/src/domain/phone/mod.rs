//! The user's phone number from a phone code (`<button open-type="getPhoneNumber">` or
//! `getRealtimePhoneNumber`): one WeChat call per code however often it is presented, so that a
//! retry or a double tap never fails on a spent code; the answer sealed under the code for 5
//! minutes, never logged. WeChat charges when the mini-program receives the button's success
//! callback, not for this call: what saves money is not showing the button again to a user whose
//! number is known ([`remember`], opt-in) and seeing the quota run out ([`quota`]).

pub mod quota;
pub mod remember;

use serde::{Deserialize, Serialize};
use wechat_client::PhoneError;

use super::credentials::{self, CallError};
use super::once::{Answer, Done, Purpose, once};
use super::session::Current;
use super::{Error, limits, wechat};
use crate::metrics::labels::{PhoneResult, WechatApi};
use crate::state::AppState;

/// What a client gets: the number, as WeChat confirmed it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Phone {
    /// With the country code when it is not China.
    #[serde(rename = "phoneNumber")]
    pub phone_number: String,
    /// Without the country code.
    #[serde(rename = "purePhoneNumber")]
    pub pure_phone_number: String,
    /// The country code, as text.
    #[serde(rename = "countryCode")]
    pub country_code: String,
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Phone([REDACTED])")
    }
}

/// The sealed answer of a phone code: the number, or WeChat's final refusal of the code.
#[derive(Serialize, Deserialize)]
enum Outcome {
    #[serde(rename = "p")]
    Phone(Phone),
    #[serde(rename = "x")]
    Refused,
}

/// The phone number behind `code` for the current session's user.
pub async fn lookup(state: &AppState, current: &Current, code: &str) -> Result<Phone, Error> {
    let appid = current.touched.record.appid.as_str();
    let scope = current.id.as_str();
    limits::phone_lookup(state, &current.id).await?;
    let answer = once(state, Purpose::Phone, scope, code, || {
        ask(state, current, code)
    })
    .await;
    let (result, phone) = match answer {
        Ok(Answer::Fresh(Ok(phone))) => {
            let record = &current.touched.record;
            remember::keep(state, &record.appid, &record.openid, &phone).await;
            (PhoneResult::Ok, Ok(phone))
        }
        Ok(Answer::Replayed(Outcome::Phone(phone))) => (PhoneResult::Replayed, Ok(phone)),
        Ok(Answer::Fresh(Err(err))) | Err(err) => {
            let result = match err {
                Error::InvalidPhoneCode => PhoneResult::InvalidCode,
                _ => PhoneResult::Failed,
            };
            (result, Err(err))
        }
        Ok(Answer::Replayed(Outcome::Refused)) => {
            (PhoneResult::InvalidCode, Err(Error::InvalidPhoneCode))
        }
    };
    state
        .metrics
        .phone_lookups_total
        .with_label_values(&[state.metrics.app(appid), result.as_str()])
        .inc();
    phone
}

/// The one WeChat call of a phone code. `Err` releases the code for a retry (a transient
/// failure); a refused code is sealed like a number.
async fn ask(
    state: &AppState,
    current: &Current,
    code: &str,
) -> Result<Done<Outcome, Result<Phone, Error>>, Error> {
    let record = &current.touched.record;
    let (appid, openid) = (record.appid.as_str(), record.openid.as_str());
    let app = state.apps.get(appid).ok_or(Error::UnknownApp)?;
    let Some(_permit) = app.session_call_permit() else {
        return Err(super::wechat::refused_call(&state.metrics, appid));
    };
    let result = credentials::call(state, appid, |token| async move {
        let fut = state.wechat.get_phone_number(&token, code, openid);
        wechat::call(&state.metrics, WechatApi::Phone, fut).await
    })
    .await;
    match result {
        Ok(info) if info.watermark.appid == appid => {
            let phone = Phone {
                phone_number: info.phone_number,
                pure_phone_number: info.pure_phone_number,
                country_code: info.country_code,
            };
            Ok(Done {
                sealed: Outcome::Phone(phone.clone()),
                fresh: Ok(phone),
            })
        }
        Ok(_) => {
            tracing::warn!(
                appid,
                "WeChat answered a phone number watermarked for another app"
            );
            Err(Error::WechatError)
        }
        Err(CallError::Call(PhoneError::InvalidCode(_))) => Ok(Done {
            sealed: Outcome::Refused,
            fresh: Err(Error::InvalidPhoneCode),
        }),
        Err(CallError::Call(PhoneError::Wechat(err))) => {
            tracing::warn!(appid, error = %crate::telemetry::error_chain(&err), "phone number lookup failed");
            Err(wechat::client_error(appid, &err))
        }
        Err(CallError::Call(err)) => {
            tracing::warn!(appid, error = %err, "phone number lookup failed");
            Err(Error::WechatError)
        }
        Err(CallError::Token(err)) => Err(err),
    }
}

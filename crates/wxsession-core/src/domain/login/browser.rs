//! A browser login's callback (website QR, official-account page): single use per state, and
//! the code spent once whatever the state presenting it.

use super::answer::{ACCESS_DENIED, Outcome};
use super::{Exchanged, LoginAnswer, LoginRequest, exchange, replay};
use crate::domain::Error;
use crate::domain::once::{ANSWER_TTL_SECS, Answer, Done, Purpose, once_while_pending, spend};
use crate::domain::web::STATE_TTL_SECS;
use crate::metrics::labels::ExchangeResult;
use crate::state::AppState;

/// Finishes the browser login of `web_state` (of `appid`) with WeChat's `code`, or with the
/// user's refusal (`None`: `AccessDenied`). A state is used once: presentations of it at the
/// same time (a browser loading its callback twice) share one answer, a later one is
/// `invalid_state`. The code is spent once whatever the state presenting it: a second
/// presentation — the victim's code from a logged URL with an attacker's own fresh state, say —
/// is `code_used`, never the first one's session.
pub async fn login_for_state(
    state: &AppState,
    appid: &str,
    web_state: &str,
    req: Option<LoginRequest<'_>>,
) -> Result<LoginAnswer, Error> {
    let work = || async {
        match &req {
            Some(req) => spend_then_exchange(state, req).await,
            None => Ok(Done {
                sealed: Outcome::Failed(ACCESS_DENIED.to_owned()),
                fresh: Err(Error::AccessDenied),
            }),
        }
    };
    // The answer outlives the state: a state's callback never runs again while it is valid.
    let invalid: fn() -> Error = || Error::InvalidState;
    let later = (invalid, STATE_TTL_SECS);
    let answer =
        once_while_pending(state, Purpose::WebCallback, appid, web_state, later, work).await?;
    match answer {
        Answer::Fresh(answer) => answer,
        Answer::Replayed(outcome) => replay(state, outcome).await,
    }
}

async fn spend_then_exchange(state: &AppState, req: &LoginRequest<'_>) -> Result<Exchanged, Error> {
    let spent = spend(
        state,
        Purpose::WebCode,
        req.appid.as_str(),
        req.code,
        ANSWER_TTL_SECS,
    );
    let Some(spent) = spent.await? else {
        state
            .metrics
            .exchange(req.appid.as_str(), ExchangeResult::CodeUsed);
        return Ok(Done {
            sealed: Outcome::Failed(ExchangeResult::CodeUsed.as_str().to_owned()),
            fresh: Err(Error::CodeUsed),
        });
    };
    let exchanged = exchange(state, req).await;
    if exchanged.is_err() {
        // A transient failure: the code was not spent at WeChat, a retry may present it.
        spent.release(state).await;
    }
    exchanged
}

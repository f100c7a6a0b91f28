//! The app's access_token: `cgi-bin/stable_token` and the classic `cgi-bin/token`, read through
//! the admin endpoint the team's other backends use. Each answer gets an app of its own, so
//! that no token stored by an earlier answer is read instead of fetching.

use std::cell::Cell;

use wxsession::settings::AccessTokenMode;

use super::mini::spawn;
use super::{Outcome, cases, replay};
use crate::helpers::{ADMIN_TOKEN, SECRET, StandIn, app};

async fn replay_token_api(api: &str, path: &str, mode: AccessTokenMode) {
    let stand_in = StandIn::start();
    let count = cases(api).len();
    let appids: Vec<String> = (0..count).map(|i| format!("wxcorpus{i:04}")).collect();
    let app = spawn(&stand_in, |s| {
        s.apps = appids
            .iter()
            .map(|appid| {
                let mut app = app(appid, SECRET);
                app.access_token = Some(mode);
                app
            })
            .collect();
    })
    .await;
    let next = Cell::new(0);
    replay(&stand_in, api, path, |case| {
        let appid = appids[next.replace(next.get() + 1)].clone();
        let app = &app;
        async move {
            let res = app
                .get(
                    &format!("/v1/admin/apps/{appid}/access-token"),
                    Some(ADMIN_TOKEN),
                )
                .await;
            (case, Outcome::of(res).await)
        }
    })
    .await;
}

#[tokio::test]
async fn stable_token_answers_get_their_documented_outcome() {
    replay_token_api(
        "stable_token",
        "/cgi-bin/stable_token",
        AccessTokenMode::Stable,
    )
    .await;
}

#[tokio::test]
async fn token_answers_get_their_documented_outcome() {
    replay_token_api("token", "/cgi-bin/token", AccessTokenMode::Classic).await;
}

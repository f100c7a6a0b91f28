//! The simulator's test endpoints, and the calls that stand for what a mini-program gets from
//! WeChat.

use serde_json::{Value, json};

use super::TestApp;

impl TestApp {
    /// What `wx.getUserInfo` would hand the mini-program now: encrypted with the user's
    /// current (or previous) session key.
    pub async fn sim_encrypt(&self, appid: &str, user: &str, data: Value, key: &str) -> Value {
        self.sim_encrypt_raw(json!({ "appid": appid, "user": user, "data": data, "key": key }))
            .await
    }

    /// `POST /__sim/encrypt` with any request (by code, openid, watermark override, …).
    pub async fn sim_encrypt_raw(&self, request: Value) -> Value {
        let res = self
            .http
            .post(format!("{}/__sim/encrypt", self.env.sim.url))
            .json(&request)
            .send()
            .await
            .expect("simulator answers");
        assert!(res.status().is_success(), "encrypt: {}", res.status());
        res.json().await.expect("encrypt body")
    }

    /// `POST` to one of the simulator's `/__sim/*` endpoints; checks it succeeded.
    pub async fn sim_post(&self, path: &str, body: Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.env.sim.url))
            .json(&body)
            .send()
            .await
            .expect("simulator answers");
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }

    /// `POST /v1/sessions/current/phone` with `code`.
    pub async fn phone(&self, token: &str, code: &str) -> reqwest::Response {
        self.post_json(
            "/v1/sessions/current/phone",
            &json!({ "code": code }),
            Some(token),
        )
        .await
    }
}

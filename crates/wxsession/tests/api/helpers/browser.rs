//! A browser's part of the web logins, by hand: cookies read from `Set-Cookie`, WeChat's page
//! answered at the simulator, the callback followed to the real address.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use super::{PUBLIC_URL, TestApp};

/// The web session cookie's name.
pub const SESSION_COOKIE: &str = "__Host-wxs_session";
/// The web login's state cookie's name.
pub const STATE_COOKIE: &str = "__Host-wxs_state";

/// The value of cookie `name` set by `res`, and the whole header.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<(String, String)> {
    res.headers().get_all(SET_COOKIE).iter().find_map(|h| {
        let text = h.to_str().ok()?;
        let value = text.strip_prefix(&format!("{name}="))?.split(';').next()?;
        Some((value.to_owned(), text.to_owned()))
    })
}

/// The `Location` of a redirect.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A started web login: the state cookie and where WeChat sent the browser back.
pub struct Consent {
    /// The state cookie's value.
    pub state_cookie: String,
    /// The callback URL on the real address, with `code` (when allowed) and `state`.
    pub callback: String,
}

impl TestApp {
    /// `GET /v1/web/{appid}/login?return_to=…`, unfollowed.
    pub async fn web_login_start(&self, appid: &str, return_to: &str) -> reqwest::Response {
        self.http
            .get(self.url(&format!("/v1/web/{appid}/login")))
            .query(&[("return_to", return_to)])
            .send()
            .await
            .expect("login start")
    }

    /// Starts a web login and answers WeChat's page as `user` (`allow` or not).
    pub async fn web_consent(&self, appid: &str, user: &str, allow: bool) -> Consent {
        let res = self.web_login_start(appid, "/me").await;
        assert_eq!(res.status().as_u16(), 302, "login start");
        let (state_cookie, _) = set_cookie(&res, STATE_COOKIE).expect("a state cookie");
        let page = location(&res);
        let page = page.split('#').next().unwrap_or_default().to_owned();
        let html = self
            .http
            .get(&page)
            .send()
            .await
            .expect("WeChat's page")
            .text()
            .await
            .expect("html");
        assert!(html.contains("id=\"allow\""), "{html}");
        let url = url::Url::parse(&page).expect("page url");
        let mut confirm = url.join("/connect/confirm").expect("confirm url");
        {
            let mut pairs = confirm.query_pairs_mut();
            for (k, v) in url.query_pairs() {
                if k != "response_type" {
                    pairs.append_pair(&k, &v);
                }
            }
            pairs.append_pair("user", user);
            pairs.append_pair("decision", if allow { "allow" } else { "deny" });
        }
        let back = self.http.get(confirm).send().await.expect("confirm");
        assert_eq!(back.status().as_u16(), 302, "WeChat sends the browser back");
        let callback = location(&back);
        assert!(callback.starts_with(PUBLIC_URL), "{callback}");
        Consent {
            state_cookie,
            callback: callback.replacen(PUBLIC_URL, &self.address, 1),
        }
    }

    /// Follows a callback with `cookie` as the `wxs_state` cookie (none when `None`).
    pub async fn web_callback(&self, url: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut req = self.http.get(url);
        if let Some(cookie) = cookie {
            req = req.header(COOKIE, format!("{STATE_COOKIE}={cookie}"));
        }
        req.send().await.expect("callback")
    }

    /// A whole web login of `user` to `appid`; the `wxs_session` cookie's value.
    pub async fn web_session(&self, appid: &str, user: &str) -> String {
        let consent = self.web_consent(appid, user, true).await;
        let res = self
            .web_callback(&consent.callback, Some(&consent.state_cookie))
            .await;
        assert_eq!(res.status().as_u16(), 303, "callback");
        set_cookie(&res, SESSION_COOKIE)
            .expect("a session cookie")
            .0
    }

    /// A request with the web session cookie and an `Origin` (or none).
    pub fn with_cookie(
        &self,
        method: reqwest::Method,
        path: &str,
        session: &str,
        origin: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut req = self
            .http
            .request(method, self.url(path))
            .header(COOKIE, format!("{SESSION_COOKIE}={session}"));
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        req
    }
}

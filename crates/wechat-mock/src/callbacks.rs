//! Where a consent page may send the browser back. WeChat checks `redirect_uri` against the
//! callback domain registered for the app; the simulator takes callback URLs instead
//! ([`MockConfig::callbacks`](crate::MockConfig::callbacks)) and accepts a `redirect_uri` only
//! under one of them: the same scheme, host and port, no user info, and a path equal to the
//! callback's or below it, segment by segment (`/v1/web/` admits `/v1/web/x/callback`, not
//! `/v1/webx`). With none registered, no page redirects anywhere.

use url::Url;

#[derive(Debug, Default)]
pub(crate) struct Callbacks(Vec<Url>);

impl Callbacks {
    /// The registered URLs; one that does not parse as an absolute http(s) URL admits nothing.
    pub(crate) fn new(urls: &[String]) -> Self {
        Self(
            urls.iter()
                .filter_map(|u| Url::parse(u).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .collect(),
        )
    }

    /// Whether `uri` lies under a registered callback.
    pub(crate) fn admit(&self, uri: &Url) -> bool {
        uri.username().is_empty()
            && uri.password().is_none()
            && self.0.iter().any(|callback| {
                uri.scheme() == callback.scheme()
                    && uri.host() == callback.host()
                    && uri.port_or_known_default() == callback.port_or_known_default()
                    && under(uri.path(), callback.path())
            })
    }
}

/// `path` is `base` or below it, segment by segment.
fn under(path: &str, base: &str) -> bool {
    let Some(rest) = path.strip_prefix(base) else {
        return false;
    };
    rest.is_empty() || base.ends_with('/') || rest.starts_with('/')
}

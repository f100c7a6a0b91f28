//! Labels of the HTTP edge: methods, and how browser logins end.

labels! {
    /// How a browser login ended (`result` of `web_logins_total`).
    WebLoginResult {
        /// A session and its cookie.
        Ok = "ok",
        /// The user declined at WeChat.
        Denied = "denied",
        /// A bad, missing, expired or reused `state`.
        InvalidState = "invalid_state",
        /// WeChat refused the code, or failed.
        Failed = "failed",
        /// A page opened in WeChat Moments' snapshot mode: a virtual user, no session.
        SnapshotUser = "snapshot_user",
    }
}

labels! {
    open
    /// An HTTP method (`method` of `http_requests_total`).
    Method {
        /// GET.
        Get = "GET",
        /// HEAD.
        Head = "HEAD",
        /// POST.
        Post = "POST",
        /// PUT.
        Put = "PUT",
        /// DELETE.
        Delete = "DELETE",
        /// OPTIONS.
        Options = "OPTIONS",
        /// PATCH.
        Patch = "PATCH",
        /// TRACE.
        Trace = "TRACE",
        /// CONNECT.
        Connect = "CONNECT",
        /// Anything else a client made up.
        Other = "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_set_are_other() {
        assert_eq!(Method::of("GET"), Method::Get);
        assert_eq!(Method::of("PATCH"), Method::Patch);
        for made_up in ["FOO", "get", "other", ""] {
            assert_eq!(Method::of(made_up), Method::Other, "{made_up}");
        }
    }
}

//! Labels of the admin API: what was asked, and how it ended.

labels! {
    /// An admin action (`action` of `admin_actions_total`).
    AdminAction {
        /// `DELETE /v1/admin/apps/{appid}/users/{openid}/sessions`.
        RevokeUserSessions = "revoke_user_sessions",
        /// `POST /v1/admin/apps/{appid}/users/{openid}/session-key/reset`.
        ResetSessionKey = "reset_session_key",
        /// `GET /v1/admin/apps/{appid}/access-token`.
        ReadAccessToken = "read_access_token",
        /// `POST /v1/admin/apps/{appid}/access-token/invalidate`.
        InvalidateAccessToken = "invalidate_access_token",
        /// `GET /v1/admin/unions/{unionid}`.
        ReadUnion = "read_union",
        /// `DELETE /v1/admin/unions/{unionid}/sessions`.
        RevokeUnionSessions = "revoke_union_sessions",
        /// `GET /v1/admin/apps`.
        ListApps = "list_apps",
        /// `GET /v1/admin/apps/{appid}`.
        ReadApp = "read_app",
        /// `PUT /v1/admin/apps/{appid}`.
        PutApp = "put_app",
        /// `DELETE /v1/admin/apps/{appid}`.
        DeleteApp = "delete_app",
        /// `POST /v1/admin/component/authorize-url`.
        AuthorizeUrl = "authorize_url",
        /// `DELETE /v1/admin/apps/{appid}/users/{openid}/phone`.
        ForgetPhone = "forget_phone",
    }
}

labels! {
    /// How an admin action ended (`outcome` of `admin_actions_total`).
    AdminOutcome {
        /// Done.
        Ok = "ok",
        /// No or a wrong credential.
        Denied = "denied",
        /// A malformed target.
        Invalid = "invalid",
        /// The store or an upstream failed.
        Failed = "failed",
    }
}

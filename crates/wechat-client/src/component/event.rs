//! What WeChat pushes to a platform's authorization-event URL, once decrypted: the
//! `component_verify_ticket` every ten minutes, and a merchant's `authorized`,
//! `updateauthorized` and `unauthorized`. The XML is read with `wechat_crypto::xml` (no DOCTYPE,
//! no entities, 64 KiB at most).

use secrecy::SecretString;
use wechat_crypto::xml::{XmlError, XmlFields, parse_fields};

/// A merchant's authorization (or its update): the code to exchange with
/// [`Client::query_auth`](crate::Client::query_auth).
#[derive(Debug, Clone)]
pub struct AuthorizationEvent {
    /// The merchant's appid.
    pub authorizer_appid: String,
    /// The authorization code; it yields the merchant's tokens, so it is kept secret.
    pub authorization_code: SecretString,
    /// When the code expires (unix seconds, as WeChat sends it).
    pub authorization_code_expired_time: i64,
    /// The pre-authorization code the merchant's page was opened with, when given.
    pub pre_auth_code: Option<SecretString>,
}

/// What a push says.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ComponentEvent {
    /// `component_verify_ticket`: the newest ticket (WeChat pushes one every ten minutes; each
    /// lives twelve hours).
    VerifyTicket {
        /// The ticket, for [`Client::component_token`](crate::Client::component_token).
        ticket: SecretString,
    },
    /// `authorized`: a merchant authorized the platform.
    Authorized(AuthorizationEvent),
    /// `updateauthorized`: a merchant changed the permissions it grants.
    UpdateAuthorized(AuthorizationEvent),
    /// `unauthorized`: a merchant revoked the platform's authorization.
    Unauthorized {
        /// The merchant's appid.
        authorizer_appid: String,
    },
    /// Any other `InfoType` (WeChat adds new ones): to be acknowledged and counted.
    Other {
        /// The `InfoType` as sent.
        info_type: String,
    },
}

/// A decrypted push: whose platform it is for, when WeChat made it, and what it says.
#[derive(Debug, Clone)]
pub struct ComponentPush {
    /// `AppId`: the platform's appid.
    pub app_id: String,
    /// `CreateTime` (unix seconds).
    pub create_time: i64,
    /// The event.
    pub event: ComponentEvent,
}

impl ComponentPush {
    /// Reads the decrypted inner XML of a push.
    pub fn parse(xml: &str) -> Result<Self, XmlError> {
        let fields = parse_fields(xml.as_bytes())?;
        let app_id = fields.require("AppId")?.to_owned();
        let create_time = number(&fields, "CreateTime")?;
        let info_type = fields.require("InfoType")?;
        let event = match info_type {
            "component_verify_ticket" => ComponentEvent::VerifyTicket {
                ticket: SecretString::from(fields.require("ComponentVerifyTicket")?),
            },
            "authorized" => ComponentEvent::Authorized(authorization(&fields)?),
            "updateauthorized" => ComponentEvent::UpdateAuthorized(authorization(&fields)?),
            "unauthorized" => ComponentEvent::Unauthorized {
                authorizer_appid: fields.require("AuthorizerAppid")?.to_owned(),
            },
            other => ComponentEvent::Other {
                info_type: other.to_owned(),
            },
        };
        Ok(Self {
            app_id,
            create_time,
            event,
        })
    }

    /// The `InfoType` as WeChat names it.
    pub fn info_type(&self) -> &str {
        match &self.event {
            ComponentEvent::VerifyTicket { .. } => "component_verify_ticket",
            ComponentEvent::Authorized(_) => "authorized",
            ComponentEvent::UpdateAuthorized(_) => "updateauthorized",
            ComponentEvent::Unauthorized { .. } => "unauthorized",
            ComponentEvent::Other { info_type } => info_type,
        }
    }
}

fn number(fields: &XmlFields, name: &'static str) -> Result<i64, XmlError> {
    fields
        .require(name)?
        .trim()
        .parse()
        .map_err(|_| XmlError::MissingField(name))
}

fn authorization(fields: &XmlFields) -> Result<AuthorizationEvent, XmlError> {
    Ok(AuthorizationEvent {
        authorizer_appid: fields.require("AuthorizerAppid")?.to_owned(),
        authorization_code: SecretString::from(fields.require("AuthorizationCode")?),
        authorization_code_expired_time: number(fields, "AuthorizationCodeExpiredTime")?,
        pre_auth_code: fields
            .get("PreAuthCode")
            .filter(|c| !c.is_empty())
            .map(SecretString::from),
    })
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    #[test]
    fn reads_wechat_documented_pushes() {
        let ticket = ComponentPush::parse(
            "<xml><AppId>some_appid</AppId><CreateTime>1413192605</CreateTime>\
             <InfoType>component_verify_ticket</InfoType>\
             <ComponentVerifyTicket>some_verify_ticket</ComponentVerifyTicket></xml>",
        )
        .expect("ticket");
        assert_eq!(ticket.app_id, "some_appid");
        assert_eq!(ticket.create_time, 1_413_192_605);
        assert!(
            matches!(&ticket.event, ComponentEvent::VerifyTicket { ticket } if ticket.expose_secret() == "some_verify_ticket")
        );
        assert!(!format!("{ticket:?}").contains("some_verify_ticket"));

        let authorized = ComponentPush::parse(
            "<xml><AppId>wxp</AppId><CreateTime>1413192760</CreateTime><InfoType>authorized</InfoType>\
             <AuthorizerAppid>wxm</AuthorizerAppid><AuthorizationCode>code1</AuthorizationCode>\
             <AuthorizationCodeExpiredTime>1413196360</AuthorizationCodeExpiredTime>\
             <PreAuthCode>pre1</PreAuthCode></xml>",
        )
        .expect("authorized");
        assert_eq!(authorized.info_type(), "authorized");
        let ComponentEvent::Authorized(a) = authorized.event else {
            panic!("not authorized: {authorized:?}");
        };
        assert_eq!(a.authorizer_appid, "wxm");
        assert_eq!(a.authorization_code.expose_secret(), "code1");
        assert_eq!(a.authorization_code_expired_time, 1_413_196_360);
        assert_eq!(
            a.pre_auth_code
                .map(|c| c.expose_secret().to_owned())
                .as_deref(),
            Some("pre1")
        );

        let gone = ComponentPush::parse(
            "<xml><AppId>wxp</AppId><CreateTime>1</CreateTime><InfoType>unauthorized</InfoType>\
             <AuthorizerAppid>wxm</AuthorizerAppid></xml>",
        )
        .expect("unauthorized");
        assert!(
            matches!(gone.event, ComponentEvent::Unauthorized { ref authorizer_appid } if authorizer_appid == "wxm")
        );

        let other = ComponentPush::parse(
            "<xml><AppId>wxp</AppId><CreateTime>1</CreateTime><InfoType>notify_third_fasteregister</InfoType><info><name>x</name></info></xml>",
        )
        .expect("other");
        assert_eq!(other.info_type(), "notify_third_fasteregister");
    }

    #[test]
    fn refuses_pushes_that_lack_what_their_type_needs() {
        let cases = [
            (
                "<xml><CreateTime>1</CreateTime><InfoType>unauthorized</InfoType><AuthorizerAppid>m</AuthorizerAppid></xml>",
                "AppId",
            ),
            (
                "<xml><AppId>p</AppId><CreateTime>x</CreateTime><InfoType>unauthorized</InfoType></xml>",
                "CreateTime",
            ),
            (
                "<xml><AppId>p</AppId><CreateTime>1</CreateTime><InfoType>component_verify_ticket</InfoType></xml>",
                "ComponentVerifyTicket",
            ),
            (
                "<xml><AppId>p</AppId><CreateTime>1</CreateTime><InfoType>authorized</InfoType><AuthorizerAppid>m</AuthorizerAppid></xml>",
                "AuthorizationCode",
            ),
            (
                "<xml><AppId>p</AppId><CreateTime>1</CreateTime><InfoType>unauthorized</InfoType></xml>",
                "AuthorizerAppid",
            ),
        ];
        for (xml, field) in cases {
            assert_eq!(
                ComponentPush::parse(xml)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Err(XmlError::MissingField(field).to_string()),
                "{xml}"
            );
        }
        assert!(matches!(
            ComponentPush::parse("<!DOCTYPE x><xml/>"),
            Err(XmlError::DocType)
        ));
    }
}

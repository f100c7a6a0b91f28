//! The push XML reader: WeChat's shapes read, everything dangerous or malformed refused.

use wechat_crypto::xml::{XmlError, envelope_xml, parse_envelope, parse_fields};

#[test]
fn reads_a_decrypted_ticket_push() {
    let xml = "<xml>\n<AppId><![CDATA[wxplatform]]></AppId>\n<CreateTime>1413192605</CreateTime>\n\
               <InfoType><![CDATA[component_verify_ticket]]></InfoType>\n\
               <ComponentVerifyTicket><![CDATA[ticket@@@abc]]></ComponentVerifyTicket>\n</xml>";
    let f = parse_fields(xml.as_bytes()).expect("reads");
    assert_eq!(f.get("AppId"), Some("wxplatform"));
    assert_eq!(f.get("CreateTime"), Some("1413192605"));
    assert_eq!(f.get("InfoType"), Some("component_verify_ticket"));
    assert_eq!(f.get("ComponentVerifyTicket"), Some("ticket@@@abc"));
    assert_eq!(f.get("Nope"), None);
    assert_eq!(f.require("Nope"), Err(XmlError::MissingField("Nope")));
}

#[test]
fn predefined_entities_character_references_and_nested_elements() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?><!-- hi --><xml><A>a&amp;b&#x4e2d;&lt;</A><Info><x>1</x><y/></Info><E/><B>two</B></xml>"#;
    let f = parse_fields(xml.as_bytes()).expect("reads");
    assert_eq!(f.get("A"), Some("a&b中<"));
    assert_eq!(f.get("Info"), Some(""));
    assert_eq!(f.get("x"), None, "deeper elements are not fields");
    assert_eq!(f.get("E"), Some(""));
    assert_eq!(f.get("B"), Some("two"));
}

#[test]
fn a_field_given_twice_is_no_field() {
    let f = parse_fields(b"<xml><A>1</A><A>2</A></xml>").expect("reads");
    assert_eq!(f.get("A"), None);
}

#[test]
fn refuses_doctype_entities_size_and_malformed_documents() {
    let billion = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><xml><A>&lol2;</A></xml>"#;
    let xxe = r#"<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><A>&x;</A></xml>"#;
    let cases: Vec<(Vec<u8>, XmlError)> = vec![
        (billion.into(), XmlError::DocType),
        (xxe.into(), XmlError::DocType),
        (b"<xml><A>&x;</A></xml>".to_vec(), XmlError::Entity),
        (b"<xml><A>&#0;</A></xml>".to_vec(), XmlError::Malformed),
        (b"<xml><A>1</B></xml>".to_vec(), XmlError::Malformed),
        (b"<xml><A>1</A>".to_vec(), XmlError::Malformed),
        (b"<xml></xml><xml></xml>".to_vec(), XmlError::Malformed),
        (b"<other><A>1</A></other>".to_vec(), XmlError::Malformed),
        (b"text<xml/>".to_vec(), XmlError::Malformed),
        (b"".to_vec(), XmlError::Malformed),
        (b"<xml><A>\xff</A></xml>".to_vec(), XmlError::Malformed),
        (
            format!("<xml>{}</xml>", "<a>".repeat(20) + &"</a>".repeat(20)).into_bytes(),
            XmlError::Malformed,
        ),
        (
            format!("<xml><A>{}</A></xml>", "x".repeat(64 * 1024)).into_bytes(),
            XmlError::TooLarge,
        ),
    ];
    for (xml, want) in cases {
        assert_eq!(
            parse_fields(&xml),
            Err(want),
            "{}",
            String::from_utf8_lossy(&xml)
        );
    }
}

#[test]
fn envelope_round_trips_and_needs_encrypt() {
    let xml = envelope_xml("wxplatform", "QUJD]]>REVG");
    let env = parse_envelope(xml.as_bytes()).expect("reads");
    assert_eq!(env.to.as_deref(), Some("wxplatform"));
    assert_eq!(env.encrypt, "QUJD]]>REVG");
    assert_eq!(
        parse_envelope(b"<xml><AppId>wx</AppId></xml>"),
        Err(XmlError::MissingField("Encrypt"))
    );
    assert_eq!(
        parse_envelope(b"<xml><AppId>wx</AppId><Encrypt></Encrypt></xml>"),
        Err(XmlError::MissingField("Encrypt"))
    );
}

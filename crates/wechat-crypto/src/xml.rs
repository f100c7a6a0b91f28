//! The small XML WeChat pushes: `<xml><Name>text</Name>…</xml>`, outer envelope and decrypted
//! inner message alike. A flat reader that refuses a DOCTYPE (so no entity can be declared),
//! any entity reference but the five predefined ones and character references, more than
//! 64 KiB, and anything that is not one well-formed `<xml>` element. It never panics.

use quick_xml::Reader;
use quick_xml::events::{BytesRef, Event};

/// The largest document read.
pub const MAX_XML_BYTES: usize = 64 * 1024;

/// How deep elements may nest (WeChat's pushes are one or two levels deep).
const MAX_DEPTH: usize = 16;

/// Why a document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// Larger than 64 KiB.
    #[error("the XML is larger than 64 KiB")]
    TooLarge,
    /// It has a DOCTYPE.
    #[error("the XML has a DOCTYPE")]
    DocType,
    /// It refers to an entity other than `&lt;`, `&gt;`, `&amp;`, `&apos;`, `&quot;` or a
    /// character reference.
    #[error("the XML refers to an entity")]
    Entity,
    /// Not UTF-8, not well-formed, nested too deep, or not one `<xml>` root element.
    #[error("the XML is malformed")]
    Malformed,
    /// A field the message needs is missing, empty or given twice.
    #[error("the XML lacks the field {0}")]
    MissingField(&'static str),
}

/// The text children of the root `<xml>` element, in document order. Elements below the
/// first level are checked for well-formedness and otherwise ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmlFields(Vec<(String, String)>);

impl XmlFields {
    /// The text of child `name`, when it occurs exactly once.
    pub fn get(&self, name: &str) -> Option<&str> {
        let mut found = self.0.iter().filter(|(n, _)| n == name);
        match (found.next(), found.next()) {
            (Some((_, text)), None) => Some(text),
            _ => None,
        }
    }

    /// The non-empty text of child `name`, or [`XmlError::MissingField`].
    pub fn require(&self, name: &'static str) -> Result<&str, XmlError> {
        self.get(name)
            .filter(|t| !t.is_empty())
            .ok_or(XmlError::MissingField(name))
    }

    /// Every (name, text) pair, in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, t)| (n.as_str(), t.as_str()))
    }
}

/// Reads a flat `<xml>` document.
pub fn parse_fields(xml: &[u8]) -> Result<XmlFields, XmlError> {
    if xml.len() > MAX_XML_BYTES {
        return Err(XmlError::TooLarge);
    }
    let text = std::str::from_utf8(xml).map_err(|_| XmlError::Malformed)?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut fields = Vec::new();
    // The open elements' names; the text directly inside the open first-level child.
    let mut open: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut seen_root = false;
    loop {
        let event = reader.read_event().map_err(|_| XmlError::Malformed)?;
        match event {
            Event::DocType(_) => return Err(XmlError::DocType),
            Event::Start(start) => {
                let name = start.name().as_ref().to_owned();
                if open.is_empty() && (seen_root || name != "xml") {
                    return Err(XmlError::Malformed);
                }
                seen_root = true;
                if open.len() >= MAX_DEPTH {
                    return Err(XmlError::Malformed);
                }
                if open.len() == 1 {
                    current.clear();
                }
                open.push(name);
            }
            Event::Empty(start) => {
                let name = start.name().as_ref().to_owned();
                if open.is_empty() {
                    return Err(XmlError::Malformed);
                }
                if open.len() == 1 {
                    fields.push((name, String::new()));
                }
            }
            Event::End(_) => {
                let name = open.pop().ok_or(XmlError::Malformed)?;
                if open.len() == 1 {
                    fields.push((name, std::mem::take(&mut current)));
                }
            }
            Event::Text(t) => {
                if open.is_empty() {
                    if !t.trim().is_empty() {
                        return Err(XmlError::Malformed);
                    }
                } else if open.len() == 2 {
                    current.push_str(&t.xml10_content());
                }
            }
            Event::CData(c) => {
                if open.is_empty() {
                    return Err(XmlError::Malformed);
                }
                if open.len() == 2 {
                    current.push_str(&c);
                }
            }
            Event::GeneralRef(r) => {
                if open.is_empty() {
                    return Err(XmlError::Malformed);
                }
                let c = resolve(&r)?;
                if open.len() == 2 {
                    current.push(c);
                }
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !open.is_empty() || !seen_root {
        return Err(XmlError::Malformed);
    }
    Ok(XmlFields(fields))
}

/// A character reference or one of the five predefined entities; anything else is refused.
fn resolve(reference: &BytesRef<'_>) -> Result<char, XmlError> {
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(c)) => Ok(c),
            _ => Err(XmlError::Malformed),
        };
    }
    match &**reference {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ => Err(XmlError::Entity),
    }
}

/// The outer XML of a push: `<xml><AppId>…</AppId><Encrypt>…</Encrypt></xml>` (a message to an
/// official account carries `ToUserName` instead of `AppId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `AppId` (or `ToUserName`), when present.
    pub to: Option<String>,
    /// `Encrypt`: the base64 ciphertext.
    pub encrypt: String,
}

/// Reads a push's envelope.
pub fn parse_envelope(body: &[u8]) -> Result<Envelope, XmlError> {
    let fields = parse_fields(body)?;
    let encrypt = fields.require("Encrypt")?.trim().to_owned();
    let to = fields
        .get("AppId")
        .or_else(|| fields.get("ToUserName"))
        .map(str::to_owned);
    Ok(Envelope { to, encrypt })
}

/// Writes a push's envelope, `<xml><AppId>…</AppId><Encrypt>…</Encrypt></xml>`, the way WeChat
/// does (both values in CDATA sections).
pub fn envelope_xml(appid: &str, encrypt: &str) -> String {
    format!(
        "<xml>\n    <AppId><![CDATA[{}]]></AppId>\n    <Encrypt><![CDATA[{}]]></Encrypt>\n</xml>",
        cdata_safe(appid),
        cdata_safe(encrypt)
    )
}

/// Text that may stand inside a CDATA section (`]]>` split across two sections).
pub fn cdata_safe(text: &str) -> String {
    text.replace("]]>", "]]]]><![CDATA[>")
}

//! The corpus of WeChat's real answers (`tests/corpus/<api>/*.http`): each file names its source
//! (docs page, SDK fixture, issue), the content type WeChat sent, the outcome the book (docs/src/api.md)
//! documents for it, and, after a blank line, the body byte for byte. Each API's answers are
//! replayed through a [`StandIn`] behind one running service; a mishandled answer fails the test
//! with every mismatch listed.
//!
//! Header keys: `source`, `content-type`, `status` (the service's answer), `error` (its error
//! code), `json` (fields the answer must hold; `null` means absent), `location` (a web
//! callback's redirect), `appid` (the app a phone answer is watermarked for), `note`.

mod mini;
mod token;
mod web;

use std::path::PathBuf;

use serde_json::Value;

use crate::helpers::{Answer, StandIn};

/// One recorded answer and the outcome expected of it.
#[derive(Debug)]
pub struct Case {
    pub name: String,
    header: Vec<(String, String)>,
    pub answer: Answer,
}

impl Case {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn parse(name: String, bytes: &[u8]) -> Self {
        let split = bytes
            .windows(2)
            .position(|w| w == b"\n\n")
            .unwrap_or_else(|| panic!("{name}: no blank line after the header"));
        let head = std::str::from_utf8(&bytes[..split]).expect("a UTF-8 header");
        let header: Vec<(String, String)> = head
            .lines()
            .map(|line| {
                let (k, v) = line
                    .split_once(": ")
                    .unwrap_or_else(|| panic!("{name}: header line {line:?}"));
                (k.to_owned(), v.to_owned())
            })
            .collect();
        let mut case = Self {
            name,
            header,
            answer: Answer {
                content_type: String::new(),
                body: bytes[split + 2..].to_vec(),
            },
        };
        for key in ["source", "content-type", "status"] {
            assert!(case.get(key).is_some(), "{}: no {key}", case.name);
        }
        case.answer.content_type = case.get("content-type").unwrap_or_default().to_owned();
        case
    }

    /// The body's `openid` when it is JSON with one.
    pub fn openid(&self) -> Option<String> {
        let body: Value = serde_json::from_slice(&self.answer.body).ok()?;
        body["openid"].as_str().map(str::to_owned)
    }
}

/// Every answer recorded for `api`, in file-name order.
pub fn cases(api: &str) -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/corpus/{api}"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "http"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no answers in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let name = format!("{api}/{}", path.file_name().unwrap().to_string_lossy());
            Case::parse(name, &std::fs::read(&path).expect("a corpus file"))
        })
        .collect()
}

/// What the service answered: status, `Location`, JSON body (`Null` when there is none).
#[derive(Debug)]
pub struct Outcome {
    pub status: u16,
    pub location: Option<String>,
    pub body: Value,
}

impl Outcome {
    pub async fn of(res: reqwest::Response) -> Self {
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        let body = res.json().await.unwrap_or(Value::Null);
        Self {
            status,
            location,
            body,
        }
    }
}

/// The mismatches between `case`'s expected outcome and `got` (empty when it matches).
pub fn mismatches(case: &Case, got: &Outcome) -> Vec<String> {
    let mut out = Vec::new();
    let status: u16 = case
        .get("status")
        .unwrap_or_default()
        .parse()
        .expect("status");
    if got.status != status {
        out.push(format!("status {} (expected {status})", got.status));
    }
    if let Some(code) = case.get("error")
        && got.body["error"]["code"].as_str() != Some(code)
    {
        out.push(format!("error {} (expected {code})", got.body["error"]));
    }
    if let Some(location) = case.get("location")
        && got.location.as_deref() != Some(location)
    {
        out.push(format!("location {:?} (expected {location})", got.location));
    }
    if let Some(json) = case.get("json") {
        let expected: Value = serde_json::from_str(json).expect("the json header is JSON");
        for (key, want) in expected.as_object().expect("a JSON object") {
            let have = got.body.get(key).unwrap_or(&Value::Null);
            if have != want {
                out.push(format!("{key} = {have} (expected {want})"));
            }
        }
    }
    out
}

/// Replays every answer of `api` at `path`: `drive` makes the service call WeChat once and
/// returns what it answered. Every answer must reach the stand-in and get its outcome.
pub async fn replay<F, Fut>(stand_in: &StandIn, api: &str, path: &str, mut drive: F)
where
    F: FnMut(Case) -> Fut,
    Fut: std::future::Future<Output = (Case, Outcome)>,
{
    let mut failures = Vec::new();
    let all = cases(api);
    let count = all.len();
    for case in all {
        stand_in.set(path, case.answer.clone());
        let before = stand_in.hits(path);
        let (case, got) = drive(case).await;
        let mut wrong = mismatches(&case, &got);
        if stand_in.hits(path) == before {
            wrong.push(format!("{path} was never called"));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{} ({}): {}; the service answered {} {}",
                case.name,
                case.get("source").unwrap_or_default(),
                wrong.join(", "),
                got.status,
                got.body
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} {api} answers mishandled:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

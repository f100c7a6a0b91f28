//! The JSON body extractor every route with a body uses: no `Content-Encoding` (a body is never
//! inflated, so a few kilobytes cannot become gigabytes), `application/json` only, at most
//! [`BODY_LIMIT`] bytes, and the whole body within the read deadline (`408` otherwise).

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{FromRequest, HttpRequest, mime, web};
use serde::de::DeserializeOwned;

use super::error::{ApiError, Code};

/// Request bodies over this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How long a client has to send a whole request, from the first byte of its body; set in
/// `startup.rs` from `server.request_read_timeout_ms`.
#[derive(Debug, Clone, Copy)]
pub struct ReadDeadline(pub Duration);

/// A JSON request body, validated as described in the module docs.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = check_head(req);
        let deadline = req
            .app_data::<ReadDeadline>()
            .map_or(Duration::from_secs(10), |d| d.0);
        let payload = web::Payload::from_request(req, payload).into_inner();
        Box::pin(async move {
            let payload =
                payload.map_err(|_| ApiError::invalid("the request body could not be read"))?;
            checked?;
            let bytes = tokio::time::timeout(deadline, payload.to_bytes_limited(BODY_LIMIT))
                .await
                .map_err(|_| ApiError::from(Code::RequestTimeout))?
                .map_err(|_| ApiError::from(Code::PayloadTooLarge))?
                .map_err(|_| ApiError::invalid("the request body could not be read"))?;
            serde_json::from_slice(&bytes)
                .map(Json)
                .map_err(|e| ApiError::invalid(describe_json_error(&e)))
        })
    }
}

/// What the headers alone decide: encoding, type, declared length.
fn check_head(req: &HttpRequest) -> Result<(), ApiError> {
    let headers = req.headers();
    let encoded = headers
        .get_all(CONTENT_ENCODING)
        .any(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    if encoded {
        return Err(ApiError::from(Code::UnsupportedMediaType));
    }
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            m.type_() == mime::APPLICATION
                && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
        });
    if !is_json {
        return Err(ApiError::from(Code::UnsupportedMediaType));
    }
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT) {
        return Err(ApiError::from(Code::PayloadTooLarge));
    }
    Ok(())
}

/// A message about what is wrong with the JSON, without echoing the input.
pub fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => {
            format!("malformed JSON at line {} column {}", e.line(), e.column())
        }
        Category::Data => {
            // serde's data errors name the field and expected type, never the value.
            let text = e.to_string();
            let text = text.split(" at line ").next().unwrap_or("invalid field");
            format!(
                "invalid request body: {}",
                text.chars().take(200).collect::<String>()
            )
        }
        Category::Io => "the request body could not be read".into(),
    }
}

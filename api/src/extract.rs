//! `Json<T>`: like actix's, but a body that does not fit `T` is reported with the path of
//! the offending field (`attributes.year`, `price`), so clients can point at it.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ProblemField};
use crate::state::AppState;

/// Largest JSON body accepted (photos come as multipart, with their own limit).
pub const JSON_LIMIT_BYTES: usize = 64 * 1024;

pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        let too_long = req
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|n| n > JSON_LIMIT_BYTES);
        // Read here, chunk by chunk, so a chunked body (no Content-Length) is refused as soon
        // as it passes the limit instead of being buffered up to the upload limit first.
        // No compressed bodies: a decoder inflates a whole chunk before any limit sees it, so
        // a 32 KB gzip chunk would become 32 MB (and brotli far more). JSON bodies are small.
        let compressed = req
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| !v.trim().eq_ignore_ascii_case("identity"))
            && req.headers().contains_key("content-encoding");
        let mut stream = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "send `Content-Type: application/json`".into(),
                ));
            }
            if compressed {
                return Err(ApiError::UnsupportedMediaType(
                    "send JSON bodies without Content-Encoding".into(),
                ));
            }
            if too_long {
                return Err(limit_error());
            }
            let mut bytes = web::BytesMut::new();
            while let Some(chunk) = stream.next().await {
                let chunk =
                    chunk.map_err(|e| ApiError::bad_request("unreadable_body", e.to_string()))?;
                if bytes.len() + chunk.len() > JSON_LIMIT_BYTES {
                    return Err(limit_error());
                }
                bytes.extend_from_slice(&chunk);
            }
            parse(&bytes).map(Json)
        })
    }
}

fn limit_error() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "JSON bodies are limited to {} KB",
        JSON_LIMIT_BYTES / 1024
    ))
}

/// Parses `bytes` as `T`; shape errors name their field, syntax errors their position.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        if !inner.is_data() {
            return ApiError::bad_request("malformed_json", inner.to_string());
        }
        let msg = inner.to_string();
        // A missing field is reported at its parent (name the field itself); an unknown one
        // already at its own path.
        let named = |prefix: &str| {
            msg.strip_prefix(prefix)
                .and_then(|r| r.split('`').next())
                .map(str::to_string)
        };
        let parent = e.path().to_string();
        let join = |f: String| {
            if parent == "." || parent.is_empty() {
                f
            } else {
                format!("{parent}.{f}")
            }
        };
        let (field, code) = if let Some(f) = named("missing field `") {
            (join(f), "required")
        } else if msg.starts_with("unknown field `") {
            (parent, "unknown_field")
        } else {
            (
                if parent == "." { "body".into() } else { parent },
                "wrong_type",
            )
        };
        let message = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        ApiError::BadFields(vec![ProblemField {
            field,
            code: code.into(),
            message,
        }])
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request("malformed_json", e.to_string()))?;
    Ok(value)
}

/// A bounded integer query parameter (a page size, a page number, a number of days):
/// `default` when absent, 422 `out_of_range` on `field` outside 1–`max`.
pub fn bounded_param<T>(field: &str, value: Option<T>, default: T, max: T) -> Result<T, ApiError>
where
    T: Copy + PartialOrd + From<u8> + std::fmt::Display,
{
    let n = value.unwrap_or(default);
    if n < T::from(1) || n > max {
        return Err(ApiError::field(
            field,
            "out_of_range",
            format!("between 1 and {max}"),
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        year: i64,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        title: String,
        inner: Option<Inner>,
    }

    fn field_of(body: &str) -> (String, String) {
        match parse::<Outer>(body.as_bytes()) {
            Err(ApiError::BadFields(f)) => (f[0].field.clone(), f[0].code.clone()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn shape_errors_name_the_field() {
        assert_eq!(
            field_of(r#"{"inner": null}"#),
            ("title".into(), "required".into())
        );
        assert_eq!(
            field_of(r#"{"title": 5}"#),
            ("title".into(), "wrong_type".into())
        );
        assert_eq!(
            field_of(r#"{"title": "x", "inner": {"year": "old"}}"#),
            ("inner.year".into(), "wrong_type".into())
        );
        assert_eq!(
            field_of(r#"{"title": "x", "extra": 1}"#),
            ("extra".into(), "unknown_field".into())
        );
        assert_eq!(
            field_of(r#"{"title": "x", "inner": {}}"#),
            ("inner.year".into(), "required".into())
        );
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        for body in ["{bad", "", "{\"title\": \"x\"} trailing", "\u{0}"] {
            assert!(
                matches!(
                    parse::<Outer>(body.as_bytes()),
                    Err(ApiError::BadRequest {
                        code: "malformed_json",
                        ..
                    })
                ),
                "{body:?}"
            );
        }
        assert!(matches!(
            parse::<Outer>(b"{\"title\": \"\xff\xfe\"}"),
            Err(ApiError::BadRequest { .. })
        ));
    }
}

/// The requesting client, resolved through the trusted proxies (see the module docs).
#[derive(Debug, Clone)]
pub struct ClientIp {
    pub ip: Option<IpAddr>,
}

impl ClientIp {
    pub fn of(req: &HttpRequest) -> ClientIp {
        let peer = req.peer_addr().map(|a| a.ip());
        let ip = match req.app_data::<web::Data<AppState>>() {
            Some(state) => state.config.proxies.client(peer, req.headers()),
            None => peer,
        };
        ClientIp { ip }
    }

    /// The key per-client limits count under.
    pub fn key(&self) -> String {
        crate::client_ip::limit_key(self.ip)
    }

    /// The client's IPv6 /48, for limits that count a site as well (`site_key`).
    pub fn site_key(&self) -> Option<String> {
        crate::client_ip::site_key(self.ip)
    }
}

impl FromRequest for ClientIp {
    type Error = ApiError;
    type Future = std::future::Ready<Result<ClientIp, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(ClientIp::of(req)))
    }
}

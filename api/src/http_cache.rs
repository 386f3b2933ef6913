//! Conditional reads for clients on slow networks: every successful JSON read carries a weak
//! `ETag`, and a request whose `If-None-Match` names it gets `304 Not Modified` with no body.
//! Handlers whose body changes without the resource changing (a listing's view counter) set
//! their own `ETag`; this layer then only compares. Responses to authenticated requests are
//! marked `private` so that no shared cache keeps one user's data for another.

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A weak entity tag for `bytes` (weak: the same JSON compressed or not is the same entity).
pub fn etag_of(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    let tag = format!("W/\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..16]));
    HeaderValue::from_str(&tag).expect("base64 is a valid header value")
}

/// Weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag equal once `W/` is ignored.
pub fn none_match(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let etag = bare(etag);
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == etag)
}

fn is_json(res: &HttpResponse<BoxBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

pub async fn conditional_get(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let authenticated = req.headers().contains_key(header::AUTHORIZATION);
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut res = next.call(req).await?.map_into_boxed_body();
    if !is_read || res.status() != StatusCode::OK {
        return Ok(res);
    }
    if authenticated && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    let (req, mut response) = res.into_parts();
    if !response.headers().contains_key(header::ETAG) {
        if !is_json(&response) {
            return Ok(ServiceResponse::new(req, response));
        }
        let (head, body) = response.into_parts();
        let bytes = to_bytes(body)
            .await
            .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
        let tag = etag_of(&bytes);
        response = head.set_body(BoxBody::new(bytes));
        response.headers_mut().insert(header::ETAG, tag);
    }
    let etag = response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if if_none_match.is_some_and(|inm| none_match(&inm, &etag)) {
        let mut not_modified = HttpResponse::NotModified();
        for name in [header::ETAG, header::CACHE_CONTROL] {
            if let Some(v) = response.headers().get(&name) {
                not_modified.insert_header((name.clone(), v.clone()));
            }
        }
        // The 200 varies by encoding (compression is added outside this layer, and only to
        // bodies), so the 304 says the same (RFC 9110 §15.4.5).
        not_modified.insert_header((header::VARY, HeaderValue::from_static("accept-encoding")));
        return Ok(ServiceResponse::new(req, not_modified.finish()));
    }
    Ok(ServiceResponse::new(req, response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_comparison_ignores_the_weak_prefix_and_reads_lists() {
        let tag = etag_of(b"{}");
        let tag = tag.to_str().unwrap();
        assert!(none_match(tag, tag));
        assert!(none_match(tag.trim_start_matches("W/"), tag));
        assert!(none_match(&format!("\"other\", {tag}"), tag));
        assert!(none_match("*", tag));
        assert!(!none_match("\"other\"", tag));
        assert_ne!(etag_of(b"{}"), etag_of(b"[]"));
    }
}

//! The links souk puts in emails. They point at the public URL of the API (`SOUK_PUBLIC_URL`),
//! whose routes answer them (a web front would proxy or rewrite them).

pub fn listing(base: &str, listing_id: i64) -> String {
    format!("{base}/v1/listings/{listing_id}")
}

pub fn conversation(base: &str, conversation_id: i64) -> String {
    format!("{base}/v1/conversations/{conversation_id}")
}

/// One-click renewal: GET shows a confirmation page, POST renews.
pub fn renewal(base: &str, token: &str) -> String {
    format!("{base}/v1/renewals/{token}")
}

/// One-click unsubscribe (RFC 8058): GET shows a confirmation page, POST unsubscribes.
pub fn unsubscribe(base: &str, token: &str) -> String {
    format!("{base}/v1/unsubscribe/{token}")
}

use serde::{Deserialize, Serialize};
use souk_store::{jobs, DbConn, StoreResult};

/// The job kind that delivers one email.
pub const SEND_EMAIL: &str = "send_email";

/// A rendered email. Rendering happens when the job is enqueued, so the worker needs no
/// templates and an email's content is fixed at the moment its cause committed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// One-click unsubscribe (RFC 8058) for alert emails; sent as List-Unsubscribe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailJob {
    pub email: Email,
}

/// Queues an email in the caller's transaction: if the change rolls back, so does the email.
pub fn enqueue_email(conn: &mut DbConn, email: Email) -> StoreResult<i64> {
    jobs::enqueue(conn, SEND_EMAIL, &EmailJob { email })
}

/// Escapes text for the HTML part.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

//! A message of a thread as one of its two people sees it.

use serde::Serialize;
use souk_store::conversations::Message;
use utoipa::ToSchema;

use crate::views::time;

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    /// True when the signed-in user wrote it.
    pub from_me: bool,
    pub body: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub fn message_view(m: Message, me: i64) -> MessageView {
    MessageView {
        id: m.id,
        from_me: m.sender_id == me,
        body: m.body,
        created_at: time(m.created_at),
    }
}

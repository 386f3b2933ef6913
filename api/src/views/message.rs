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
    /// What the app should warn about above this message: `scam_phrase`, `link` or
    /// `contact_details` (texts in ar/fr/en: `GET /v1/message-warnings`); null when nothing.
    #[schema(example = "scam_phrase")]
    pub warning: Option<String>,
    /// A photo sent in the thread (then `body` may be empty). Its URLs need your bearer token:
    /// only the two people of the thread can load it.
    pub photo: Option<MessagePhoto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePhoto {
    #[schema(example = "/v1/conversations/7/photos/3f1c0e9a2b4d6f8e1a3c5e7f9b0d2f4a/large.jpg")]
    pub large_url: String,
    pub thumb_url: String,
}

pub fn message_view(m: Message, me: i64) -> MessageView {
    MessageView {
        id: m.id,
        from_me: m.sender_id == me,
        body: m.body,
        created_at: time(m.created_at),
        warning: m.warning,
        photo: m.photo_key.map(|key| {
            let base = format!("/v1/conversations/{}/photos/{key}", m.conversation_id);
            MessagePhoto {
                large_url: format!("{base}/large.jpg"),
                thumb_url: format!("{base}/thumb.jpg"),
            }
        }),
    }
}

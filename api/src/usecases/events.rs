//! Events of the live streams (`GET /v1/me/events`), recorded in the transaction of their
//! cause for each user they concern; the caller then wakes those users' streams
//! (`EventHub::notify`) once the transaction has committed.

use serde::Serialize;
use souk_store::conversations::{Conversation, Message};
use souk_store::{events, DbConn};

use crate::error::ApiResult;
use crate::views::message::{message_view, MessageView};

#[derive(Serialize)]
struct MessageCreated {
    conversation_id: i64,
    listing_id: Option<i64>,
    message: MessageView,
}

/// `message.created` for both people of the thread (the sender's other devices show it too);
/// returns whom to wake.
pub fn message_created(conn: &mut DbConn, c: &Conversation, m: &Message) -> ApiResult<[i64; 2]> {
    let people = [c.buyer_id, c.seller_id];
    for user in people {
        let payload = MessageCreated {
            conversation_id: c.id,
            listing_id: c.listing_id,
            message: message_view(m.clone(), user),
        };
        let json = serde_json::to_string(&payload).expect("an event serialises");
        events::record(conn, user, "message.created", &json)?;
    }
    Ok(people)
}

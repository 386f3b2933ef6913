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

/// `conversation.read` when `reader` marked the thread read: to the reader's own devices (their
/// badges follow) and, unless the reader turned read receipts off, to the other side, who
/// then shows their messages as read. Returns whom to wake.
pub fn conversation_read(
    conn: &mut DbConn,
    c: &Conversation,
    reader: i64,
    receipts: bool,
) -> ApiResult<Vec<i64>> {
    let read_up_to = c.read_id_of(reader);
    let mine = serde_json::json!({
        "conversation_id": c.id,
        "reader": "me",
        "read_up_to": read_up_to,
        "unread": c.unread_of(reader),
    });
    events::record(conn, reader, "conversation.read", &mine.to_string())?;
    let mut wake = vec![reader];
    if receipts {
        let theirs = serde_json::json!({
            "conversation_id": c.id,
            "reader": "counterpart",
            "read_up_to": read_up_to,
        });
        let other = c.counterpart(reader);
        events::record(conn, other, "conversation.read", &theirs.to_string())?;
        wake.push(other);
    }
    Ok(wake)
}

/// `conversation.blocked` (or its lifting) for the blocker's own devices, which drop the thread
/// from the inbox (or bring it back). The blocked side is not told; their next message is
/// refused. Returns whom to wake.
pub fn conversation_blocked(
    conn: &mut DbConn,
    c: &Conversation,
    blocker: i64,
    blocked: bool,
) -> ApiResult<[i64; 1]> {
    let payload = serde_json::json!({
        "conversation_id": c.id,
        "blocked": blocked,
    });
    events::record(conn, blocker, "conversation.blocked", &payload.to_string())?;
    Ok([blocker])
}

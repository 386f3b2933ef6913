//! Events of the live streams (`GET /v1/me/events`), recorded in the transaction of their
//! cause for each user they concern; the caller then wakes those users' streams
//! (`EventHub::notify`) once the transaction has committed.

use serde::Serialize;
use souk_store::conversations::{Conversation, Message};
use souk_store::events::{self, Recorded};
use souk_store::DbConn;

use crate::error::ApiResult;
use crate::views::message::{message_view, MessageView};

#[derive(Serialize)]
struct MessageCreated {
    conversation_id: i64,
    listing_id: Option<i64>,
    message: MessageView,
}

/// `message.created` for both people of the thread (the sender's other devices show it too);
/// returns the events, to wake their streams with after commit.
pub fn message_created(
    conn: &mut DbConn,
    c: &Conversation,
    m: &Message,
) -> ApiResult<Vec<Recorded>> {
    let mut recorded = Vec::with_capacity(2);
    for user in [c.buyer_id, c.seller_id] {
        let payload = MessageCreated {
            conversation_id: c.id,
            listing_id: c.listing_id,
            message: message_view(m.clone(), user),
        };
        let json = serde_json::to_string(&payload).expect("an event serialises");
        recorded.push(events::record(conn, user, "message.created", &json)?);
    }
    Ok(recorded)
}

/// `conversation.read` when `reader` marked the thread read: to the reader's own devices (their
/// badges follow) and, unless the reader turned read receipts off, to the other side, who
/// then shows their messages as read. Returns the events.
pub fn conversation_read(
    conn: &mut DbConn,
    c: &Conversation,
    reader: i64,
    receipts: bool,
) -> ApiResult<Vec<Recorded>> {
    let read_up_to = c.read_id_of(reader);
    let mine = serde_json::json!({
        "conversation_id": c.id,
        "reader": "me",
        "read_up_to": read_up_to,
        "unread": c.unread_of(reader),
    });
    let mut recorded = vec![events::record(
        conn,
        reader,
        "conversation.read",
        &mine.to_string(),
    )?];
    if receipts {
        let theirs = serde_json::json!({
            "conversation_id": c.id,
            "reader": "counterpart",
            "read_up_to": read_up_to,
        });
        let other = c.counterpart(reader);
        recorded.push(events::record(
            conn,
            other,
            "conversation.read",
            &theirs.to_string(),
        )?);
    }
    Ok(recorded)
}

/// `conversation.blocked` (or its lifting) for the blocker's own devices, which drop the thread
/// from the inbox (or bring it back). The blocked side is not told; their next message is
/// refused. Returns the event.
pub fn conversation_blocked(
    conn: &mut DbConn,
    c: &Conversation,
    blocker: i64,
    blocked: bool,
) -> ApiResult<Vec<Recorded>> {
    let payload = serde_json::json!({
        "conversation_id": c.id,
        "blocked": blocked,
    });
    Ok(vec![events::record(
        conn,
        blocker,
        "conversation.blocked",
        &payload.to_string(),
    )?])
}

//! Email as the fallback of the live stream and push: a message is emailed only when its
//! reader has not read it after a delay (`SOUK_MESSAGE_EMAIL_DELAY_SECS`, 10 minutes by
//! default). Every message queues a delayed check; the first check that finds unread messages
//! emails all of the thread's unread ones at once and records the last it covered, in one
//! transaction with the email job, so no message is emailed twice and none is lost (the email
//! job keeps its own guarantee: once to the outbox, at most the message in flight repeated
//! over SMTP). Later checks find nothing new and end.

use serde::{Deserialize, Serialize};
use souk_store::conversations::{self, Conversation};
use souk_store::jobs::{self, Job};
use souk_store::{blocks, users, DbConn, StoreResult};

use crate::context::Worker;
use crate::email::enqueue_email;
use crate::{links, templates};

pub const MESSAGE_EMAIL: &str = "message_email";

/// Messages one email carries at most; the rest are a click away.
const MESSAGES_PER_EMAIL: i64 = 20;

#[derive(Debug, Serialize, Deserialize)]
pub struct MessageEmail {
    pub conversation_id: i64,
    pub reader_id: i64,
}

/// Queues the check for `reader_id`'s unread messages in the thread, due after `delay`.
pub fn enqueue_message_email(
    conn: &mut DbConn,
    c: &Conversation,
    reader_id: i64,
    delay: chrono::Duration,
) -> StoreResult<i64> {
    jobs::enqueue_at(
        conn,
        MESSAGE_EMAIL,
        &MessageEmail {
            conversation_id: c.id,
            reader_id,
        },
        souk_store::time::now() + delay,
    )
}

pub(crate) async fn run_message_email(w: &Worker, job: &Job) -> Result<(), String> {
    let m: MessageEmail =
        serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
    let base = w.cfg.public_url.clone();
    let sent = w
        .tx(move |c| email_unread(c, &m, &base))
        .await
        .map_err(|e| e.to_string())?;
    if sent {
        w.wake.notify_one();
    }
    Ok(())
}

/// In one transaction: the unread messages not emailed yet, one email with all of them, and
/// the mark of what it covered. Returns whether an email was queued.
fn email_unread(conn: &mut DbConn, m: &MessageEmail, base: &str) -> StoreResult<bool> {
    let c = match conversations::find(conn, m.conversation_id) {
        Ok(c) => c,
        Err(souk_store::StoreError::NotFound) => return Ok(false),
        Err(e) => return Err(e),
    };
    let reader = users::find_user(conn, m.reader_id)?;
    let sender_id = c.counterpart(reader.id);
    let sender = users::find_user(conn, sender_id)?;
    // Relayed to confirmed addresses only, so nobody can make souk mail a stranger by
    // registering their address; nothing from a sender banned since, or blocked.
    if reader.email_verified_at.is_none()
        || reader.deleted_at.is_some()
        || sender.banned_at.is_some()
        || blocks::between(conn, reader.id, sender_id)?
    {
        return Ok(false);
    }
    let after = c.emailed_id_of(reader.id).unwrap_or(0);
    let unread = conversations::unread_from(conn, &c, reader.id, after, MESSAGES_PER_EMAIL)?;
    let Some(last) = unread.last().map(|m| m.id) else {
        return Ok(false);
    };
    let text = unread
        .iter()
        .map(|m| match (m.body.is_empty(), &m.photo_key) {
            (true, Some(_)) => "📷",
            _ => m.body.as_str(),
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    let link = links::conversation(base, c.id);
    // A first contact tells the seller who writes (and the phone the buyer chose to give);
    // after that, a reply is a reply.
    let first_contact = reader.id == c.seller_id && c.seller_read_id.is_none() && after == 0;
    let email = if first_contact {
        templates::contact_to_seller(
            &(&reader).into(),
            &c.listing_title,
            &c.buyer_name,
            c.buyer_phone.as_deref(),
            &text,
            &link,
        )
    } else {
        let name = if sender_id == c.buyer_id {
            c.buyer_name.clone()
        } else {
            sender.display_name.clone()
        };
        templates::new_reply(&(&reader).into(), &name, &c.listing_title, &text, &link)
    };
    enqueue_email(conn, email)?;
    conversations::mark_emailed(conn, &c, reader.id, last)?;
    Ok(true)
}

//! Email as the fallback of the live stream and push: a message is emailed only when its
//! reader has not read it after a delay (`SOUK_MESSAGE_EMAIL_DELAY_SECS`, 10 minutes by
//! default). Every message queues a delayed check. A check leaves the email to the check of a
//! later message of the same sender (a burst of messages goes out as one email, after the delay
//! of its last), unless the oldest message waiting is three delays old; the check that sends
//! emails every unread message up to its own, and records the last it covered, in one
//! transaction with the email job under the thread's lock, so no message is emailed twice and
//! none is lost (the email job keeps its own guarantee: once to the outbox, at most the message
//! in flight repeated over SMTP).

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
    /// The message whose delay this check waits out: later messages wait for their own check,
    /// so none is emailed before its delay has passed.
    pub up_to_message_id: i64,
    /// The delay it waited, in seconds (a burst is held back at most three of them).
    #[serde(default = "default_delay_secs")]
    pub delay_secs: i64,
}

fn default_delay_secs() -> i64 {
    600
}

/// Queues the check for `reader_id`'s unread messages in the thread, due after `delay`.
pub fn enqueue_message_email(
    conn: &mut DbConn,
    c: &Conversation,
    reader_id: i64,
    message_id: i64,
    delay: chrono::Duration,
) -> StoreResult<i64> {
    jobs::enqueue_at(
        conn,
        MESSAGE_EMAIL,
        &MessageEmail {
            conversation_id: c.id,
            reader_id,
            up_to_message_id: message_id,
            delay_secs: delay.num_seconds(),
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
    // The thread's lock: two workers checking two messages of one thread at once must not
    // both email them.
    let c = match conversations::lock_thread(conn, m.conversation_id) {
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
    let unread = conversations::unread_from(
        conn,
        &c,
        reader.id,
        after,
        m.up_to_message_id,
        MESSAGES_PER_EMAIL,
    )?;
    let Some(last) = unread.last().map(|m| m.id) else {
        return Ok(false);
    };
    // A later message of the sender has a check of its own, due after this one: it will carry
    // these too, in one email, unless they have waited too long already.
    let later =
        conversations::latest_from(conn, &c, sender_id)?.is_some_and(|id| id > m.up_to_message_id);
    let held_since = souk_store::now() - chrono::Duration::seconds(3 * m.delay_secs.max(0));
    if later && unread[0].created_at > held_since {
        return Ok(false);
    }
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

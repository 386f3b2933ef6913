//! Threads between a buyer and a seller: who may read and write one (its two parties only),
//! and the one way a message enters a thread, whether it opens the thread or answers in it.
//! Threads, messages, read marks, blocks, reports and ratings all ask here.

use std::collections::BTreeMap;

use souk_domain::message_safety::Findings;
use souk_domain::notifications::PushKind;
use souk_domain::text::defang_links;
use souk_domain::Localized;
use souk_store::conversations::{self, Conversation, Message};
use souk_store::{blocks, users, DbConn};
use souk_worker::messages::enqueue_message_email;
use souk_worker::push::{enqueue_push, Notification};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};

/// A thread the user takes part in; anyone else gets 404, as if it did not exist.
pub fn my_conversation(conn: &mut DbConn, id: i64, user: AuthUser) -> ApiResult<Conversation> {
    let c = conversations::find(conn, id)?;
    if !c.is_participant(user.id) {
        return Err(ApiError::NotFound);
    }
    Ok(c)
}

/// Refuses a message between two people when either blocked the other.
/// Whether `user` may see the photo `key` of thread `id`: one of its two people, or a
/// moderator once the thread is reported (the evidence). Anyone else: not found, as if it did
/// not exist. The API's photo route and the console's thread page both ask here.
pub fn may_see_message_photo(
    conn: &mut DbConn,
    user: AuthUser,
    id: i64,
    key: &str,
) -> ApiResult<()> {
    let c = conversations::find(conn, id)?;
    let reader = if c.is_participant(user.id) {
        conversations::Reader::Party(user.id)
    } else if crate::usecases::roles::moderator(conn, user).is_ok()
        && souk_store::conversation_reports::is_reported(conn, id)?
    {
        conversations::Reader::Moderator
    } else {
        return Err(ApiError::NotFound);
    };
    conversations::message_with_photo(conn, id, key, reader)?
        .ok_or(ApiError::NotFound)
        .map(|_| ())
}

pub fn ensure_not_blocked(conn: &mut DbConn, c: &Conversation) -> ApiResult<()> {
    if blocks::between(conn, c.buyer_id, c.seller_id)? {
        return Err(ApiError::NotAllowed {
            code: "blocked",
            detail: "messages between you and this person are blocked",
        });
    }
    Ok(())
}

/// Whether `reader`'s read marks show to `other`: not when the reader turned read receipts
/// off, nor across a block either way. The thread view and the `conversation.read` event
/// both ask here.
pub fn shows_read_receipts(conn: &mut DbConn, reader: i64, other: i64) -> ApiResult<bool> {
    Ok(souk_store::preferences::of(conn, reader)?.read_receipts
        && !blocks::between(conn, reader, other)?)
}

/// The name the other side knows the sender by.
fn sender_name(conn: &mut DbConn, c: &Conversation, sender: i64) -> ApiResult<String> {
    Ok(if sender == c.buyer_id {
        c.buyer_name.clone()
    } else {
        users::find_user(conn, c.seller_id)?.display_name
    })
}

/// Writes `text` (already cleaned) into the thread as `sender`, in the caller's transaction:
/// - refused when either side blocked the other;
/// - checked for scam phrases, links and contact details: the message carries the gravest
///   warning found, for the app to show;
/// - until the seller answers, the buyer is a stranger and links in their messages are kept
///   as text (`defang_links`), in the thread and in the email alike;
/// - the other side gets a `message.created` event (both sides do, for their other devices),
///   one push notification per thread on the phone, and an email if the message is still
///   unread after `email_delay`.
///
/// Returns the message and the events to wake the streams with once committed.
pub fn send_message(
    conn: &mut DbConn,
    c: &Conversation,
    sender: i64,
    text: &str,
    photo_key: Option<&str>,
    email_delay: chrono::Duration,
) -> ApiResult<(Message, Vec<souk_store::events::Recorded>)> {
    ensure_not_blocked(conn, c)?;
    let scam = !souk_search::signals::scam_phrases().find(text).is_empty();
    let warning = Findings::of(text, scam).warning();
    let stranger = sender == c.buyer_id && !conversations::seller_has_replied(conn, c)?;
    let body = if stranger {
        defang_links(text)
    } else {
        text.to_string()
    };
    let m = conversations::add_message(
        conn,
        c,
        sender,
        &body,
        warning.map(|w| w.as_str()),
        photo_key,
    )?;
    let wake = crate::usecases::events::message_created(conn, c, &m)?;
    let reader = c.counterpart(sender);
    let name = sender_name(conn, c, sender)?;
    enqueue_push(conn, &message_notification(c, &m, reader, &name))?;
    enqueue_message_email(conn, c, reader, m.id, email_delay)?;
    Ok((m, wake))
}

/// The push of a new message: the sender and the ad as title, the text as body, one per
/// thread on the phone.
fn message_notification(c: &Conversation, m: &Message, reader: i64, name: &str) -> Notification {
    let title = &c.listing_title;
    let key = format!("thread-{}", c.id);
    Notification {
        user_id: reader,
        kind: PushKind::Message,
        title: Localized {
            ar: format!("{name} · {title}"),
            fr: format!("{name} · {title}"),
            en: format!("{name} · {title}"),
        },
        body: if m.body.is_empty() && m.photo_key.is_some() {
            "📷".to_string()
        } else {
            m.body.clone()
        },
        collapse_key: Some(key),
        data: BTreeMap::from([
            ("type".to_string(), "message".to_string()),
            ("conversation_id".to_string(), c.id.to_string()),
            ("message_id".to_string(), m.id.to_string()),
        ]),
        only_installations: None,
    }
}

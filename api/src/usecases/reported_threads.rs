//! Reported conversations, for the API (`/v1/mod/conversations`) and the console alike: only
//! threads one of their two people reported, with the reports and the messages as evidence
//! (withdrawn ones included); resolving closes the reports and is logged.

use souk_store::conversation_reports::{self, ConversationReport};
use souk_store::conversations::{self, Reader};
use souk_store::{moderation, DbConn};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::usecases::roles::moderator;
use crate::views::moderation::{
    EvidenceMessage, OpenThreadReport, ReportedThread, ReportedThreadPage, ResolvedThread,
};
use crate::views::time;

/// One reported thread with its open `reports` and its messages: the latest 200, and every
/// reported one however many came after it (a scammer could otherwise flood the thread to
/// push it out of sight).
pub fn reported_thread(
    conn: &mut DbConn,
    id: i64,
    reports: Vec<ConversationReport>,
) -> ApiResult<ReportedThread> {
    let c = conversations::find(conn, id)?;
    let mut messages = conversations::messages_of(conn, id, 200, Reader::Moderator)?;
    let missing: Vec<i64> = reports
        .iter()
        .filter_map(|r| r.message_id)
        .filter(|m| !messages.iter().any(|x| x.id == *m))
        .collect();
    if !missing.is_empty() {
        messages.extend(conversations::messages_by_ids(conn, id, &missing)?);
        messages.sort_by_key(|m| m.id);
    }
    Ok(ReportedThread {
        conversation_id: c.id,
        listing_id: c.listing_id,
        listing_title: c.listing_title.clone(),
        buyer_id: c.buyer_id,
        seller_id: c.seller_id,
        reports: reports
            .into_iter()
            .map(|r| OpenThreadReport {
                id: r.id,
                reporter_id: r.reporter_id,
                message_id: r.message_id,
                reason: r.reason,
                detail: r.detail,
                created_at: time(r.created_at),
            })
            .collect(),
        messages: messages
            .into_iter()
            .map(|m| EvidenceMessage {
                id: m.id,
                from: if m.sender_id == c.buyer_id {
                    "buyer"
                } else {
                    "seller"
                }
                .into(),
                sender_id: m.sender_id,
                body: m.body,
                warning: m.warning,
                photo_url: m
                    .photo_key
                    .map(|k| format!("/v1/conversations/{}/photos/{k}/large.jpg", c.id)),
                created_at: time(m.created_at),
            })
            .collect(),
    })
}

/// Threads with open reports, the longest waiting first (moderators and admins).
pub fn reported_threads_page(
    conn: &mut DbConn,
    user: AuthUser,
    page: i64,
    per_page: i64,
) -> ApiResult<ReportedThreadPage> {
    moderator(conn, user)?;
    let (threads, total) = conversation_reports::open_threads(conn, page, per_page)?;
    let mut items = Vec::with_capacity(threads.len());
    for (id, reports) in threads {
        items.push(reported_thread(conn, id, reports)?);
    }
    Ok(ReportedThreadPage {
        items,
        page,
        per_page,
        total,
    })
}

/// Closes a reported thread's open reports (after banning its author, or finding nothing),
/// logged. Only reported threads can be resolved.
pub fn resolve_reported_thread(
    conn: &mut DbConn,
    user: AuthUser,
    id: i64,
    reason: &str,
) -> ApiResult<ResolvedThread> {
    moderator(conn, user)?;
    if !conversation_reports::is_reported(conn, id)? {
        return Err(ApiError::NotFound);
    }
    let closed = conversation_reports::resolve_thread(conn, id, user.id)?;
    moderation::log(
        conn,
        Some(user.id),
        "resolve_thread",
        "conversation",
        id,
        reason,
    )?;
    Ok(ResolvedThread {
        conversation_id: id,
        closed_reports: closed,
    })
}

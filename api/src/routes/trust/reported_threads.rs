//! Reported conversations for moderators: only threads that one of their two people reported,
//! with the reports and the messages as evidence (all of them, withdrawn ones included).
//! Deciding (a ban, say) goes through the usual user actions; resolving closes the reports.

use actix_web::{get, post, web};
use serde::{Deserialize, Serialize};
use souk_domain::text::text_field;
use souk_domain::ValidationErrors;
use souk_store::conversations::{self, Reader};
use souk_store::{conversation_reports, moderation};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::params::{paging, ConversationId, PageQuery};
use crate::state::AppState;
use crate::usecases::roles::moderator;
use crate::views::time;

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceMessage {
    pub id: i64,
    /// `buyer` or `seller`.
    pub from: String,
    pub sender_id: i64,
    pub body: String,
    pub warning: Option<String>,
    /// A photo sent in the thread (moderators may load it while the thread is reported).
    pub photo_url: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenThreadReport {
    pub id: i64,
    pub reporter_id: i64,
    pub message_id: Option<i64>,
    pub reason: String,
    pub detail: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportedThread {
    pub conversation_id: i64,
    pub listing_id: Option<i64>,
    pub listing_title: String,
    pub buyer_id: i64,
    pub seller_id: i64,
    pub reports: Vec<OpenThreadReport>,
    /// The latest 200 messages, and every reported one, oldest first.
    pub messages: Vec<EvidenceMessage>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportedThreadPage {
    pub items: Vec<ReportedThread>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// Threads with open reports, the longest waiting first, each with its reports and messages
/// (moderators and admins). Threads nobody reported are never shown.
#[utoipa::path(tag = "moderation", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = ReportedThreadPage), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem)))]
#[get("/v1/mod/conversations")]
pub async fn reported_threads(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PageQuery>,
) -> ApiResult<web::Json<ReportedThreadPage>> {
    let (page, per_page) = paging(q.page, q.per_page.or(Some(20)))?;
    let per_page = per_page.min(50);
    let view = state
        .db(move |conn| {
            moderator(conn, user)?;
            let (threads, total) = conversation_reports::open_threads(conn, page, per_page)?;
            let mut items = Vec::with_capacity(threads.len());
            for (id, reports) in threads {
                let c = conversations::find(conn, id)?;
                let mut messages = conversations::messages_of(conn, id, 200, Reader::Moderator)?;
                // A reported message stays in the evidence however many came after it (a
                // scammer could otherwise flood the thread to push it out of sight).
                let missing: Vec<i64> = reports
                    .iter()
                    .filter_map(|r| r.message_id)
                    .filter(|m| !messages.iter().any(|x| x.id == *m))
                    .collect();
                if !missing.is_empty() {
                    messages.extend(conversations::messages_by_ids(conn, id, &missing)?);
                    messages.sort_by_key(|m| m.id);
                }
                items.push(ReportedThread {
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
                            photo_url: m.photo_key.map(|k| {
                                format!("/v1/conversations/{}/photos/{k}/large.jpg", c.id)
                            }),
                            created_at: time(m.created_at),
                        })
                        .collect(),
                });
            }
            Ok(ReportedThreadPage {
                items,
                page,
                per_page,
                total,
            })
        })
        .await?;
    Ok(web::Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveThread {
    /// What was decided, for the moderation log (3–500 characters).
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResolvedThread {
    pub conversation_id: i64,
    /// Open reports closed by this decision.
    pub closed_reports: usize,
}

/// Close a reported thread's open reports (after banning its author, or finding nothing);
/// logged. Only reported threads can be resolved.
#[utoipa::path(tag = "moderation", params(ConversationId), request_body = ResolveThread, security(("bearer" = [])),
    responses((status = 200, body = ResolvedThread), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/mod/conversations/{id}/resolve")]
pub async fn resolve_thread(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ConversationId>,
    body: Json<ResolveThread>,
) -> ApiResult<web::Json<ResolvedThread>> {
    let mut e = ValidationErrors::default();
    let reason = text_field(&mut e, "reason", &body.reason, 3, 500);
    e.into_result(())?;
    let id = path.id;
    let view = state
        .tx(move |conn| {
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
                &reason,
            )?;
            Ok(ResolvedThread {
                conversation_id: id,
                closed_reports: closed,
            })
        })
        .await?;
    Ok(web::Json(view))
}

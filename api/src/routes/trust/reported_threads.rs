//! Reported conversations for moderators: only threads that one of their two people reported,
//! with the reports and the messages as evidence (all of them, withdrawn ones included).
//! Deciding (a ban, say) goes through the usual user actions; resolving closes the reports.

use actix_web::{get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::params::{paging, ConversationId, PageQuery};
use crate::state::AppState;
use crate::usecases::moderation::reason_text;
use crate::usecases::reported_threads::{reported_threads_page, resolve_reported_thread};
use crate::views::moderation::{ReportedThreadPage, ResolvedThread};

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
        .db(move |conn| reported_threads_page(conn, user, page, per_page))
        .await?;
    Ok(web::Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveThread {
    /// What was decided, for the moderation log (3–500 characters).
    pub reason: String,
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
    let reason = reason_text(&body.reason)?;
    let id = path.id;
    let view = state
        .tx(move |conn| resolve_reported_thread(conn, user, id, &reason))
        .await?;
    Ok(web::Json(view))
}

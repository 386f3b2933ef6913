//! Safety inside a thread: blocking the other side, reporting a thread or a message, and the
//! texts of the warnings messages carry.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_domain::message_safety::{MessageWarning, ThreadReportReason};
use souk_domain::text::optional_text_field;
use souk_domain::ValidationErrors;
use souk_store::{blocks, conversation_reports, conversations};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::params::ConversationId;
use crate::state::AppState;
use crate::usecases::conversations::my_conversation;

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockState {
    pub conversation_id: i64,
    /// Whether you block the other side of this thread (and so all their threads with you).
    pub blocked: bool,
}

/// Block the other side of a thread: no new messages either way, in any of your threads with
/// them (403 `blocked`), and those threads leave your inbox (and your unread count) until you
/// unblock; they no longer see what you read. They are not told; your other devices get
/// `conversation.blocked`.
#[utoipa::path(tag = "contact", params(ConversationId), security(("bearer" = [])),
    responses((status = 200, body = BlockState), (status = 401, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
#[post("/v1/conversations/{id}/block")]
pub async fn block(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ConversationId>,
) -> ApiResult<web::Json<BlockState>> {
    set_block(state, user, path.id, true).await
}

/// Lift your block of the other side of a thread.
#[utoipa::path(tag = "contact", params(ConversationId), security(("bearer" = [])),
    responses((status = 200, body = BlockState), (status = 401, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
#[delete("/v1/conversations/{id}/block")]
pub async fn unblock(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ConversationId>,
) -> ApiResult<web::Json<BlockState>> {
    set_block(state, user, path.id, false).await
}

async fn set_block(
    state: web::Data<AppState>,
    user: AuthUser,
    id: i64,
    on: bool,
) -> ApiResult<web::Json<BlockState>> {
    let (view, wake) = state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            let c = my_conversation(conn, id, user)?;
            let other = c.counterpart(user.id);
            let changed = if on {
                blocks::block(conn, user.id, other)?
            } else {
                blocks::unblock(conn, user.id, other)?
            };
            let wake = if changed {
                crate::usecases::events::conversation_blocked(conn, &c, user.id, on)?
            } else {
                Vec::new()
            };
            Ok((
                BlockState {
                    conversation_id: c.id,
                    blocked: on,
                },
                wake,
            ))
        })
        .await?;
    state.events.notify(&wake).await;
    Ok(web::Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreadReport {
    /// `scam`, `harassment`, `spam`, `offensive` or `other`.
    #[schema(example = "scam")]
    pub reason: String,
    /// The message reported; the whole thread when absent.
    pub message_id: Option<i64>,
    /// What happened, in your words (up to 1,000 characters).
    pub detail: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadReportView {
    pub id: i64,
    pub conversation_id: i64,
    pub message_id: Option<i64>,
    pub reason: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Report a thread, or one message of it, to the moderators (one report per message or
/// thread; reporting again answers the first report). Moderators see reported threads only,
/// with their messages as evidence. You may also block the other side.
#[utoipa::path(tag = "contact", params(ConversationId), request_body = ThreadReport, security(("bearer" = [])),
    responses((status = 201, body = ThreadReportView), (status = 200, description = "already reported", body = ThreadReportView),
              (status = 401, body = crate::error::Problem),
              (status = 404, description = "no such thread, or the message is not in it", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
#[post("/v1/conversations/{id}/reports")]
pub async fn report(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ConversationId>,
    body: Json<ThreadReport>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let mut e = ValidationErrors::default();
    let reason = ThreadReportReason::parse(&body.reason);
    if reason.is_none() {
        e.push(
            "reason",
            "invalid_option",
            "scam, harassment, spam, offensive or other",
        );
    }
    let detail = optional_text_field(&mut e, "detail", body.detail.as_deref(), 1000);
    if body.message_id.is_some_and(|m| m < 1) {
        e.push("message_id", "invalid_value", "a message id");
    }
    e.into_result(())?;
    let reason = reason.expect("checked above");
    state
        .limiter
        .hit(
            &format!("report:{}", user.id),
            state.config.limits.report_per_hour,
            std::time::Duration::from_secs(3600),
        )
        .await?;
    let id = path.id;
    let message_id = body.message_id;
    let (r, created) = state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            let c = my_conversation(conn, id, user)?;
            if let Some(m) = message_id {
                conversations::message_in(conn, c.id, m)?;
            }
            Ok(conversation_reports::report(
                conn,
                c.id,
                message_id,
                user.id,
                reason.as_str(),
                detail.as_deref(),
            )?)
        })
        .await?;
    let view = ThreadReportView {
        id: r.id,
        conversation_id: r.conversation_id,
        message_id: r.message_id,
        reason: r.reason,
        created_at: crate::views::time(r.created_at),
    };
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WarningText {
    /// The `warning` a message carries.
    #[schema(example = "scam_phrase")]
    pub code: String,
    pub text: crate::views::Names,
}

/// The texts of the warnings messages carry (`warning` on a message), in Arabic, French and
/// English, for the app to show above the message.
#[utoipa::path(tag = "contact",
    responses((status = 200, body = Vec<WarningText>)))]
#[get("/v1/message-warnings")]
pub async fn warning_texts() -> HttpResponse {
    let texts: Vec<WarningText> = MessageWarning::ALL
        .into_iter()
        .map(|w| WarningText {
            code: w.as_str().into(),
            text: (&w.text()).into(),
        })
        .collect();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(texts)
}

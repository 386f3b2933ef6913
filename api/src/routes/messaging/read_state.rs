//! Read marks and unread counts: a thread is marked read up to a message; each thread and the
//! inbox as a whole count what is unread, cheaply (counters kept on the thread).

use actix_web::{get, post, web};
use serde::{Deserialize, Serialize};
use souk_store::conversations;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::params::ConversationId;
use crate::state::AppState;
use crate::usecases::conversations::{my_conversation, shows_read_receipts};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// The last message read (a message of this thread); the newest when absent (send `{}`).
    pub up_to_message_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadState {
    pub conversation_id: i64,
    /// The last message you have read in the thread.
    pub read_up_to: Option<i64>,
    /// Messages of the other side in this thread you have not read.
    pub unread: i32,
    /// Unread messages over your whole inbox.
    pub total_unread: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Unread {
    /// Unread messages over your inbox (threads with people you blocked are left out).
    pub messages: i64,
    /// Threads holding unread messages.
    pub threads: i64,
}

/// Mark a thread read up to a message (never backwards). The other side sees it as read
/// (`read_by_counterpart_up_to`, event `conversation.read`) unless you turned read receipts
/// off; your other devices get the event either way.
#[utoipa::path(tag = "contact", params(ConversationId), request_body = MarkRead, security(("bearer" = [])),
    responses((status = 200, body = ReadState), (status = 401, body = crate::error::Problem),
              (status = 404, description = "no such thread, or the message is not in it", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/conversations/{id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ConversationId>,
    body: Json<MarkRead>,
) -> ApiResult<web::Json<ReadState>> {
    let id = path.id;
    let up_to = body.into_inner().up_to_message_id;
    if up_to.is_some_and(|m| m < 1) {
        return Err(ApiError::field(
            "up_to_message_id",
            "invalid_value",
            "a message id",
        ));
    }
    let (view, wake) = state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            let c = my_conversation(conn, id, user)?;
            let up_to = match up_to {
                Some(m) => conversations::message_in(conn, c.id, m)?.id,
                None => match conversations::latest_message_id(conn, c.id)? {
                    Some(m) => m,
                    None => return Err(ApiError::NotFound),
                },
            };
            let (c, moved) = conversations::mark_read(conn, &c, user.id, up_to)?;
            let wake = if moved {
                let receipts = shows_read_receipts(conn, user.id, c.counterpart(user.id))?;
                crate::usecases::events::conversation_read(conn, &c, user.id, receipts)?
            } else {
                Vec::new()
            };
            let (total_unread, _) = conversations::unread_total(conn, user.id)?;
            let view = ReadState {
                conversation_id: c.id,
                read_up_to: c.read_id_of(user.id),
                unread: c.unread_of(user.id),
                total_unread,
            };
            Ok((view, wake))
        })
        .await?;
    state.events.notify(&wake).await;
    Ok(web::Json(view))
}

/// Your unread messages and the threads holding them: cheap enough for an app badge.
#[utoipa::path(tag = "contact", security(("bearer" = [])),
    responses((status = 200, body = Unread), (status = 401, body = crate::error::Problem)))]
#[get("/v1/me/unread")]
pub async fn my_unread(state: web::Data<AppState>, user: AuthUser) -> ApiResult<web::Json<Unread>> {
    let (messages, threads) = state
        .db(move |conn| Ok(conversations::unread_total(conn, user.id)?))
        .await?;
    Ok(web::Json(Unread { messages, threads }))
}

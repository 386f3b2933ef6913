//! Buyers contact sellers; both sides write in a thread. Each message reaches the other side
//! live, by push, and by email if still unread after a delay. Neither side ever sees the
//! other's email address.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_domain::account::phone_field;
use souk_domain::text::{clean_message, line_field};
use souk_domain::{ListingStatus, ValidationErrors};
use souk_store::conversations::{self, Conversation, Message, Reader};
use souk_store::{listings, users, DbConn};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::params::ConversationId;
use crate::params::{paging, ListingId, PageQuery};
use crate::state::AppState;
use crate::usecases::conversations::{my_conversation, send_message, shows_read_receipts};
use crate::views::message::{message_view, MessageView};
use crate::views::time;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    /// 2–2,000 characters.
    #[schema(example = "Salam, la voiture est toujours disponible ? Je suis à Blida.")]
    pub message: String,
    /// How the seller should call you (2–60 characters).
    #[schema(example = "Karim")]
    pub name: String,
    /// Your phone, only if you want the seller to call you; shown to the seller only.
    #[schema(example = "0661 12 34 56")]
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// 2–2,000 characters.
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationView {
    pub id: i64,
    /// Null once the ad has been purged; the title stays.
    pub listing_id: Option<i64>,
    pub listing_title: String,
    /// `buyer` or `seller`: your side of the thread.
    pub role: String,
    /// The other side's display name.
    pub counterpart_name: String,
    /// The buyer's phone when the buyer gave it; only ever shown to the seller.
    pub buyer_phone: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_message_at: chrono::DateTime<chrono::Utc>,
    /// Messages of the other side you have not read.
    pub unread: i32,
    /// The last of your messages the other side has read; null when they have read none or
    /// turned read receipts off.
    pub read_by_counterpart_up_to: Option<i64>,
    /// The whole thread in the detail view (latest 200), the last message in lists. Messages
    /// of an account banned since are withdrawn.
    pub messages: Vec<MessageView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationPage {
    pub items: Vec<ConversationView>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

pub(super) fn conversation_view(
    conn: &mut DbConn,
    c: Conversation,
    me: i64,
    messages: Vec<Message>,
) -> ApiResult<ConversationView> {
    let is_seller = c.seller_id == me;
    let counterpart_name = if is_seller {
        c.buyer_name.clone()
    } else {
        users::find_user(conn, c.seller_id)?.display_name
    };
    let counterpart = c.counterpart(me);
    let unread = c.unread_of(me);
    let read_by_counterpart_up_to = match c.read_id_of(counterpart) {
        Some(id) if shows_read_receipts(conn, counterpart, me)? => Some(id),
        _ => None,
    };
    Ok(ConversationView {
        id: c.id,
        listing_id: c.listing_id,
        listing_title: c.listing_title,
        role: if is_seller { "seller" } else { "buyer" }.into(),
        counterpart_name,
        buyer_phone: if is_seller { c.buyer_phone } else { None },
        created_at: time(c.created_at),
        last_message_at: time(c.last_message_at),
        unread,
        read_by_counterpart_up_to,
        messages: messages.into_iter().map(|m| message_view(m, me)).collect(),
    })
}

fn contact_fields(body: ContactRequest) -> ApiResult<(String, String, Option<String>)> {
    let mut e = ValidationErrors::default();
    let message = match clean_message(&body.message) {
        Ok(m) => m,
        Err(errs) => {
            e.0.extend(errs.0);
            String::new()
        }
    };
    let name = line_field(&mut e, "name", &body.name, 2, 60);
    let phone = phone_field(&mut e, "phone", body.phone.as_deref());
    e.into_result((message, name, phone))
        .map_err(ApiError::from)
}

/// One budget for first contacts and thread messages, per user.
pub(super) async fn contact_limit(state: &AppState, user: AuthUser) -> ApiResult<()> {
    state
        .limiter
        .hit(
            &format!("contact:{}", user.id),
            state.config.limits.contact_per_hour,
            std::time::Duration::from_secs(3600),
        )
        .await
}

/// Write to the seller of an active ad (your address must be confirmed). The first message
/// opens a thread (one per buyer and ad; later contacts continue it; new threads are limited
/// per day). The seller hears of it live, by push, and by email (without the buyer's address)
/// if it is still unread after a delay; links in a stranger's messages are kept as text until
/// the seller answers. A message with a scam phrase, a link or contact details carries a
/// `warning` (texts: `GET /v1/message-warnings`).
#[utoipa::path(tag = "contact", params(ListingId), request_body = ContactRequest, security(("bearer" = [])),
    responses((status = 201, body = ConversationView), (status = 401, body = crate::error::Problem),
              (status = 403, description = "email_not_confirmed: confirm your address first; blocked: one of you blocked the other", body = crate::error::Problem),
              (status = 404, body = crate::error::Problem),
              (status = 409, description = "own ad, or the ad is not active", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
#[post("/v1/listings/{id}/contact")]
pub async fn contact_seller(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
    body: Json<ContactRequest>,
) -> ApiResult<HttpResponse> {
    let (message, name, phone) = contact_fields(body.into_inner())?;
    contact_limit(&state, user).await?;
    let id = path.id;
    // A new thread (not a message in an existing one) counts against a daily budget: the
    // relay must not become a way to mail every seller on the site.
    let phone_required = state.config.require_phone_to_contact;
    let continues = state
        .db(move |conn| {
            let me = users::find_user(conn, user.id)?;
            if me.email_verified_at.is_none() {
                return Err(ApiError::NotAllowed {
                    code: "email_not_confirmed",
                    detail: "confirm your email address before contacting sellers",
                });
            }
            crate::auth::ensure_phone_if(phone_required, &me)?;
            Ok(conversations::find_between(conn, id, user.id)?.is_some())
        })
        .await?;
    if !continues {
        state
            .limiter
            .hit(
                &format!("threads:{}", user.id),
                state.config.limits.threads_per_day,
                std::time::Duration::from_secs(86_400),
            )
            .await?;
    }
    let delay = chrono::Duration::seconds(state.config.message_email_delay_secs);
    let view = state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            let listing = listings::get_visible_listing(conn, id)?;
            if listing.user_id == user.id {
                return Err(ApiError::Conflict {
                    code: "own_listing",
                    detail: "this is your own ad".into(),
                });
            }
            if listing.status()? != ListingStatus::Active {
                return Err(ApiError::Conflict {
                    code: "not_active",
                    detail: format!("the ad is {}", listing.status()?.as_str()),
                });
            }
            let c = conversations::open_thread(conn, &listing, user.id, &name, phone.as_deref())?;
            let (m, wake) = send_message(conn, &c, user.id, &message, None, delay)?;
            let c = conversations::find(conn, c.id)?;
            Ok((conversation_view(conn, c, user.id, vec![m])?, wake))
        })
        .await?;
    let (view, wake) = view;
    state.events.notify(&wake).await;
    state.wake_worker().await;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/conversations/{}", view.id)))
        .json(view))
}

/// Answer in a thread (buyer or seller). The other side gets it live, by push, and by email
/// if still unread after a delay.
#[utoipa::path(tag = "contact", params(ConversationId), request_body = NewMessage, security(("bearer" = [])),
    responses((status = 201, body = MessageView), (status = 401, body = crate::error::Problem),
              (status = 403, description = "blocked: one of you blocked the other", body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem),
              (status = 429, body = crate::error::Problem)))]
#[post("/v1/conversations/{id}/messages")]
pub async fn post_message(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ConversationId>,
    body: Json<NewMessage>,
) -> ApiResult<HttpResponse> {
    let message = clean_message(&body.into_inner().message)?;
    contact_limit(&state, user).await?;
    let id = path.id;
    let delay = chrono::Duration::seconds(state.config.message_email_delay_secs);
    let view = state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            let c = my_conversation(conn, id, user)?;
            let (m, wake) = send_message(conn, &c, user.id, &message, None, delay)?;
            Ok((message_view(m, user.id), wake))
        })
        .await?;
    let (view, wake) = view;
    state.events.notify(&wake).await;
    state.wake_worker().await;
    Ok(HttpResponse::Created().json(view))
}

/// One thread with its messages (participants only).
#[utoipa::path(tag = "contact", params(ConversationId), security(("bearer" = [])),
    responses((status = 200, body = ConversationView), (status = 401, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
#[get("/v1/conversations/{id}")]
pub async fn get_conversation(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ConversationId>,
) -> ApiResult<web::Json<ConversationView>> {
    let id = path.id;
    let view = state
        .db(move |conn| {
            let c = my_conversation(conn, id, user)?;
            let messages = conversations::messages_of(conn, c.id, 200, Reader::Party(user.id))?;
            conversation_view(conn, c, user.id, messages)
        })
        .await?;
    Ok(web::Json(view))
}

/// Your threads, as buyer and as seller, the most recently active first, each with its
/// last message and unread count. Threads with someone you blocked are left out.
#[utoipa::path(tag = "contact", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = ConversationPage), (status = 401, body = crate::error::Problem)))]
#[get("/v1/me/conversations")]
pub async fn my_conversations(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PageQuery>,
) -> ApiResult<web::Json<ConversationPage>> {
    let (page, per_page) = paging(q.page, q.per_page)?;
    let result = state
        .db(move |conn| {
            let (items, total) = conversations::list_for_user(conn, user.id, page, per_page)?;
            let ids: Vec<i64> = items.iter().map(|c| c.id).collect();
            let mut last: std::collections::HashMap<i64, Message> =
                conversations::last_messages(conn, &ids, Reader::Party(user.id))?
                    .into_iter()
                    .map(|m| (m.conversation_id, m))
                    .collect();
            let items = items
                .into_iter()
                .map(|c| {
                    let m = last.remove(&c.id).into_iter().collect();
                    conversation_view(conn, c, user.id, m)
                })
                .collect::<ApiResult<Vec<_>>>()?;
            Ok(ConversationPage {
                items,
                page,
                per_page,
                total,
            })
        })
        .await?;
    Ok(web::Json(result))
}

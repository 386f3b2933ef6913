//! Ratings after a real exchange (rules in `souk_domain::rating`): each side of a conversation
//! in which both wrote rates the other once, double-blind; the rated person may answer once;
//! moderators remove a rating (logged); a banned account's ratings stop counting.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_domain::rating::{validate, RATE_WITHIN_DAYS};
use souk_store::ratings::{self};
use souk_store::{moderation, now, users};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::params::ConversationId;
use crate::params::UserId;
use crate::state::AppState;
use crate::usecases::conversations::my_conversation;
use crate::usecases::ratings::summary_of;
use crate::views::rating::RatingSummary;
use crate::views::rating::{rating_view, RatingView};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRating {
    /// 1–5.
    pub stars: i32,
    /// Any of as_described, punctual, polite, responsive, fair_price.
    #[serde(default)]
    pub tags: Vec<String>,
    /// At most 500 characters, under the content rules (no contact details).
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingText {
    /// 2–500 characters.
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingsPage {
    pub summary: RatingSummary,
    /// The latest 50 visible ratings, newest first.
    pub items: Vec<RatingView>,
}

/// Rate the other side of a conversation in which you both wrote (once, within 30 days of its
/// last message; confirmed accounts only). Hidden until both rated or 14 days passed.
#[utoipa::path(tag = "ratings", params(ConversationId), request_body = NewRating, security(("bearer" = [])),
    responses((status = 201, body = RatingView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, description = "already_rated, no_exchange or too_late", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/conversations/{id}/rating")]
pub async fn rate(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ConversationId>,
    body: Json<NewRating>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let valid = validate(body.stars, &body.tags, body.comment.as_deref())?;
    if let Some(c) = &valid.comment {
        crate::content_rules::check_text("comment", c)?;
    }
    let id = path.id;
    let created = state
        .tx(move |conn| {
            let me = crate::auth::ensure_not_banned(conn, user.id)?;
            if me.email_verified_at.is_none() {
                return Err(ApiError::NotAllowed {
                    code: "email_not_confirmed",
                    detail: "confirm your email address before rating",
                });
            }
            let c = my_conversation(conn, id, user)?;
            if !ratings::both_wrote(conn, c.id, c.buyer_id, c.seller_id)? {
                return Err(ApiError::Conflict {
                    code: "no_exchange",
                    detail: "ratings follow an exchange: both sides must have written".into(),
                });
            }
            if now() - c.last_message_at > chrono::Duration::days(RATE_WITHIN_DAYS) {
                return Err(ApiError::Conflict {
                    code: "too_late",
                    detail: format!("ratings close {RATE_WITHIN_DAYS} days after the last message"),
                });
            }
            let r = ratings::insert(conn, c.id, user.id, c.counterpart(user.id), &valid)?;
            Ok(rating_view(&r, me.display_name))
        })
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// A user's visible ratings and their summary.
#[utoipa::path(tag = "ratings", params(UserId),
    responses((status = 200, body = RatingsPage), (status = 404, body = crate::error::Problem)))]
#[get("/v1/users/{id}/ratings")]
pub async fn user_ratings(
    state: web::Data<AppState>,
    path: web::Path<UserId>,
) -> ApiResult<web::Json<RatingsPage>> {
    let id = path.id;
    let page = state
        .db(move |conn| {
            let u = users::find_user(conn, id)?;
            if u.banned_at.is_some() {
                return Err(ApiError::NotFound);
            }
            let (summary, items) = summary_of(conn, id)?;
            Ok(RatingsPage { summary, items })
        })
        .await?;
    Ok(web::Json(page))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RatingId {
    /// Rating id.
    pub id: i64,
}

/// Answer a rating you received, once, publicly.
#[utoipa::path(tag = "ratings", params(RatingId), request_body = RatingText, security(("bearer" = [])),
    responses((status = 200, body = RatingView), (status = 404, body = crate::error::Problem),
              (status = 409, description = "already_answered", body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[post("/v1/ratings/{id}/answer")]
pub async fn answer(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<RatingId>,
    body: Json<RatingText>,
) -> ApiResult<web::Json<RatingView>> {
    let mut e = souk_domain::ValidationErrors::default();
    let text = souk_domain::text::text_field(&mut e, "text", &body.text, 2, 500);
    e.into_result(())?;
    crate::content_rules::check_text("text", &text)?;
    let id = path.id;
    let v = state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            let r = ratings::find(conn, id)?;
            if r.ratee_id != user.id || r.removed_at.is_some() {
                return Err(ApiError::NotFound);
            }
            if !ratings::answer(conn, id, &text)? {
                return Err(ApiError::Conflict {
                    code: "already_answered",
                    detail: "a rating is answered once".into(),
                });
            }
            let rater = users::find_user(conn, r.rater_id)?;
            Ok(rating_view(&ratings::find(conn, id)?, rater.display_name))
        })
        .await?;
    Ok(web::Json(v))
}

/// Remove a rating (moderators; logged with the reason).
#[utoipa::path(tag = "moderation", params(RatingId), request_body = RatingText, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
#[post("/v1/mod/ratings/{id}/remove")]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<RatingId>,
    body: Json<RatingText>,
) -> ApiResult<HttpResponse> {
    let mut e = souk_domain::ValidationErrors::default();
    let reason = souk_domain::text::text_field(&mut e, "text", &body.text, 3, 500);
    e.into_result(())?;
    let id = path.id;
    state
        .tx(move |conn| {
            crate::usecases::roles::moderator(conn, user)?;
            ratings::find(conn, id)?;
            ratings::remove(conn, id)?;
            moderation::log(conn, Some(user.id), "remove", "rating", id, &reason)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

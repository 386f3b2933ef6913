//! One decision on many ads: a selection of the queue, or every ad of one seller. Each ad is
//! decided as `/v1/mod/listings/{id}/{action}` would and logged on its own; each owner gets
//! one email for the ads of theirs hidden.

use actix_web::{post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::usecases::bulk_moderation::{ads_of_seller_for, decide_listings};
use crate::usecases::moderation::{reason_text, ListingDecision};
use crate::views::moderation::ModerationResult;

/// The most ads in one selection: a page of the queue.
const MAX_SELECTION: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectionDecision {
    /// The ads (1–100, each once).
    pub ids: Vec<i64>,
    /// dismiss, hide or restore.
    #[schema(example = "hide")]
    pub action: String,
    /// 3–500 characters; logged, and emailed with the ads hidden.
    pub reason: String,
}

fn listing_decision(action: &str) -> ApiResult<ListingDecision> {
    ListingDecision::parse(action)
        .ok_or_else(|| ApiError::field("action", "invalid_option", "dismiss, hide or restore"))
}

/// Decide the same about several ads (a selection of the queue): each as its own decision
/// would, each in the log; the owners get one email each for their ads hidden. All or none:
/// an unknown ad refuses the whole selection. A hiding leaves out the ads a moderator hid
/// already (sent twice, it decides nothing twice); the answer lists the ads decided.
#[utoipa::path(tag = "moderation", request_body = SelectionDecision, security(("bearer" = [])),
    responses((status = 200, body = Vec<ModerationResult>), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/mod/listings/decisions")]
pub async fn decide_selection(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<SelectionDecision>,
) -> ApiResult<web::Json<Vec<ModerationResult>>> {
    let body = body.into_inner();
    let decision = listing_decision(&body.action)?;
    let mut ids = body.ids;
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_SELECTION {
        return Err(ApiError::field("ids", "out_of_range", "1 to 100 ads"));
    }
    let reason = reason_text(&body.reason)?;
    let results = state
        .tx(move |conn| decide_listings(conn, user, &ids, decision, &|_| Ok(reason.clone())))
        .await?;
    state.wake_worker().await;
    Ok(web::Json(results))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SellerAction {
    /// The seller's user id.
    pub id: i64,
    /// hide or restore.
    pub action: String,
}

/// `hide` every ad of a seller visible or hidden pending review, or `restore` every ad of
/// theirs hidden (a ban's stay with the ban): the newest 500 in one call; call again for more.
/// A moderator's or an admin's ads: admins only, and never one's own (403).
#[utoipa::path(tag = "moderation", params(SellerAction), request_body = crate::routes::trust::moderation::ModerationReason,
    security(("bearer" = [])),
    responses((status = 200, body = Vec<ModerationResult>), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/mod/users/{id}/listings/{action}")]
pub async fn decide_all_of_seller(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<SellerAction>,
    body: Json<crate::routes::trust::moderation::ModerationReason>,
) -> ApiResult<web::Json<Vec<ModerationResult>>> {
    let SellerAction { id, action } = path.into_inner();
    let decision = listing_decision(&action)?;
    let reason = body.reason_for_ads()?;
    let results = state
        .tx(move |conn| {
            let ids = ads_of_seller_for(conn, user, id, decision)?;
            decide_listings(conn, user, &ids, decision, &|_| Ok(reason.clone()))
        })
        .await?;
    state.wake_worker().await;
    Ok(web::Json(results))
}

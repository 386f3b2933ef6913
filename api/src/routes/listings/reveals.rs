//! `POST /v1/listings/{id}/phone`: the seller's phone of an ad, revealed to a signed-in buyer.

use actix_web::{post, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::ClientIp;
use crate::params::ListingId;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedPhone {
    /// E.164, e.g. `+213551234567`.
    pub phone: String,
}

/// Reveal the seller's phone of an active ad (signed in). Each reveal is counted for the
/// seller's statistics and limited per viewer and per client, so numbers cannot be harvested.
#[utoipa::path(tag = "listings", params(ListingId), security(("bearer" = [])),
    responses((status = 200, body = RevealedPhone), (status = 404, body = crate::error::Problem),
              (status = 409, description = "no_phone: the ad shows no confirmed phone", body = crate::error::Problem),
              (status = 429, body = crate::error::Problem)))]
#[post("/v1/listings/{id}/phone")]
pub async fn reveal_phone(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientIp,
    path: web::Path<ListingId>,
) -> ApiResult<web::Json<RevealedPhone>> {
    let phone = crate::usecases::reveals::reveal_phone(&state, user.id, &client, path.id).await?;
    Ok(web::Json(RevealedPhone { phone }))
}

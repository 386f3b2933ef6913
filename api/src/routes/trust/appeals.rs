//! Appeals of moderation decisions, for apps: the owner of an ad a moderator hid appeals
//! from their account; a banned account, which cannot sign in, appeals with its email and
//! password. Once per decision; the outcome is emailed. Moderators decide them in the
//! console (`/mod/`).

use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_store::appeals::Appeal;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::extract::{ClientIp, Json};
use crate::params::ListingId;
use crate::state::AppState;
use crate::usecases::appeals::{appeal_ban, appeal_listing, message_text};
use crate::views::time;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppeal {
    /// Why the decision should be reviewed: 10–2,000 characters.
    #[schema(example = "La voiture est bien à moi, voici la carte grise à mon nom.")]
    pub message: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanAppeal {
    pub email: String,
    pub password: String,
    /// Why the ban should be lifted: 10–2,000 characters.
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppealView {
    pub id: i64,
    /// listing or user.
    pub target_kind: String,
    pub target_id: i64,
    /// pending, granted or denied.
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn view(a: Appeal) -> AppealView {
    AppealView {
        id: a.id,
        target_kind: a.target_kind,
        target_id: a.target_id,
        status: a.outcome.unwrap_or_else(|| "pending".into()),
        created_at: time(a.created_at),
    }
}

/// Appeal the hiding of your ad by a moderator (once per decision). Another moderator
/// reviews it; the outcome is emailed.
#[utoipa::path(tag = "moderation", params(ListingId), request_body = NewAppeal, security(("bearer" = [])),
    responses((status = 201, body = AppealView), (status = 401, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem),
              (status = 409, description = "already appealed, or not hidden by a moderator", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/listings/{id}/appeal")]
pub async fn appeal_hidden_listing(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
    body: Json<NewAppeal>,
) -> ApiResult<HttpResponse> {
    let message = message_text(&body.message)?;
    let id = path.id;
    let appeal = state
        .tx(move |conn| appeal_listing(conn, user, id, &message))
        .await?;
    Ok(HttpResponse::Created().json(view(appeal)))
}

/// Appeal your account's ban (once per ban). A banned account cannot sign in, so this takes
/// its email and password, under the same limits as signing in.
#[utoipa::path(tag = "moderation", request_body = BanAppeal,
    responses((status = 201, body = AppealView), (status = 401, body = crate::error::Problem),
              (status = 409, description = "already appealed, or not banned", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
#[post("/v1/auth/appeal")]
pub async fn appeal_account_ban(
    state: web::Data<AppState>,
    client: ClientIp,
    body: Json<BanAppeal>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let message = message_text(&body.message)?;
    let account = crate::usecases::sign_in::check_credentials(
        &state,
        &client.key(),
        &body.email,
        body.password,
        None,
    )
    .await?;
    let appeal = state
        .tx(move |conn| appeal_ban(conn, &account, &message))
        .await?;
    Ok(HttpResponse::Created().json(view(appeal)))
}

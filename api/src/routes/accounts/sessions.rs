//! Sessions: login (with per-client and per-address limits), refresh-token rotation, logout.

use actix_web::{post, web, HttpResponse};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use souk_store::tokens;
use souk_store::{now, DbConn};
use utoipa::ToSchema;

use crate::auth::secret::{random_hex, random_token, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::extract::ClientIp;
use crate::extract::Json;
use crate::state::AppState;
use crate::usecases::sign_in::check_password;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The `device_token` of an earlier login to this address from this app. With it, failed
    /// attempts by others on the address do not make you wait.
    #[schema(max_length = 2048)]
    pub device_token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Opaque; exchange it at /v1/auth/refresh. Single use: each refresh returns a new one.
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Lifetime of the access token in seconds.
    pub expires_in: i64,
    /// Login only: keep it and send it with your next logins to this address (valid a year).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

/// Issues a fresh token pair, starting a new refresh family when `family` is None.
fn issue_tokens(
    state: &AppState,
    conn: &mut DbConn,
    user_id: i64,
    family: Option<&str>,
) -> ApiResult<TokenPair> {
    let refresh_token = random_token();
    let family = family.map(str::to_string).unwrap_or_else(|| random_hex(16));
    let expires = now() + Duration::days(state.config.refresh_ttl_days);
    tokens::insert_refresh(conn, user_id, &family, &token_hash(&refresh_token), expires)?;
    Ok(TokenPair {
        access_token: state
            .jwt
            .issue_access(user_id, tokens::generation(conn, user_id)?)?,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.jwt.access_ttl_secs,
        device_token: None,
    })
}

/// Exchange email and password for tokens. Per client and per address limits apply; after a
/// few failed attempts on one address, each next attempt waits longer (up to 15 minutes),
/// except from a device that signed in to the account before under its current password
/// (`device_token`); a password reset ends the wait. Any spelling of the mailbox signs in
/// (`a.b+x@gmail.com` is `ab@gmail.com`).
#[utoipa::path(tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
#[post("/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    client: ClientIp,
    body: Json<LoginRequest>,
) -> ApiResult<web::Json<TokenPair>> {
    let body = body.into_inner();
    let user = check_password(
        &state,
        &client.key(),
        &body.email,
        body.password,
        body.device_token.as_deref(),
    )
    .await?;
    let device_token = state.jwt.issue_device(user.id, &user.password_hash)?;
    let st = state.clone();
    let mut pair = state
        .tx(move |conn| issue_tokens(&st, conn, user.id, None))
        .await?;
    pair.device_token = Some(device_token);
    Ok(web::Json(pair))
}

/// Rotate a refresh token. Presenting an already-used token revokes its whole family.
#[utoipa::path(tag = "accounts", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = crate::error::Problem)))]
#[post("/v1/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> ApiResult<web::Json<TokenPair>> {
    let hash = token_hash(body.refresh_token.trim());
    let st = state.clone();
    // The replay check commits even though the request fails, so it runs in its own step.
    let outcome = state
        .tx(move |conn| {
            let invalid = ApiError::Unauthorized { code: "invalid_token", detail: "the refresh token is invalid or expired" };
            let Some(t) = tokens::find_refresh(conn, &hash)? else { return Ok(Err(invalid)) };
            if t.revoked_at.is_some() || t.expires_at <= now() {
                return Ok(Err(invalid));
            }
            if t.used_at.is_some() || !tokens::mark_refresh_used(conn, t.id)? {
                tokens::revoke_family(conn, &t.family_id)?;
                tracing::warn!(user = t.user_id, "refresh token reused; family revoked");
                return Ok(Err(ApiError::Unauthorized {
                    code: "token_reused",
                    detail: "this refresh token was already used; every session of its login was signed out",
                }));
            }
            crate::auth::ensure_not_banned(conn, t.user_id)?;
            Ok(Ok(issue_tokens(&st, conn, t.user_id, Some(&t.family_id))?))
        })
        .await?;
    outcome.map(web::Json)
}

/// Sign out: the refresh token and every token rotated from it stop working.
#[utoipa::path(tag = "accounts", request_body = RefreshRequest, responses((status = 204)))]
#[post("/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let hash = token_hash(body.refresh_token.trim());
    state
        .tx(move |conn| {
            if let Some(t) = tokens::find_refresh(conn, &hash)? {
                tokens::revoke_family(conn, &t.family_id)?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

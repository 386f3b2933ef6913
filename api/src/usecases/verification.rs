//! Confirming an email address with the emailed token: by the API (`POST
//! /v1/auth/verify-email`, `GET /v1/auth/verify-email`) and by the email link's page.

use actix_web::HttpResponse;
use souk_store::tokens::{self, TokenPurpose};
use souk_store::users;

use crate::auth::secret::token_hash;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Consumes a confirmation token and marks the address confirmed (its ads are projected
/// again: suggestions count only confirmed sellers' ads).
pub async fn consume_verification(state: &AppState, token: &str) -> ApiResult<HttpResponse> {
    let hash = token_hash(token.trim());
    state
        .tx(
            move |conn| match tokens::consume_one_time(conn, TokenPurpose::VerifyEmail, &hash)? {
                Some(user) => Ok(users::mark_email_verified(conn, user)?),
                None => Err(ApiError::bad_request(
                    "invalid_token",
                    "this link is invalid, expired or already used",
                )),
            },
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

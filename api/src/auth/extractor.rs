use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use crate::error::ApiError;
use crate::state::AppState;

/// The signed-in user, from `Authorization: Bearer <access token>`. Checked without a
/// database round trip; tokens live 15 minutes, less when their session ends.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: i64,
    /// The session generation the token was issued under (`auth::generations`).
    pub generation: i64,
    /// When the token expires (Unix seconds): a request that outlives it (a live stream) ends
    /// then.
    pub expires_at: i64,
}

impl AuthUser {
    /// Whether the token this request came with would still be accepted now: not expired, its
    /// session not ended by a ban, a deletion or a password reset since.
    pub fn still_valid(&self, state: &AppState) -> bool {
        chrono::Utc::now().timestamp() < self.expires_at
            && state.generations.is_current(self.id, self.generation)
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .ok_or(ApiError::Unauthorized {
            code: "missing_token",
            detail: "send an access token as `Authorization: Bearer <token>`",
        })?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or(ApiError::Unauthorized {
            code: "missing_token",
            detail: "the Authorization scheme must be Bearer",
        })?;
    let (id, generation, expires_at) =
        state
            .jwt
            .verify_access(token.trim())
            .ok_or(ApiError::Unauthorized {
                code: "invalid_token",
                detail: "the access token is invalid or expired; refresh it",
            })?;
    // A ban, a deletion or a password reset since it was issued ended it (in memory: no query).
    if !state.generations.is_current(id, generation) {
        return Err(ApiError::Unauthorized {
            code: "token_revoked",
            detail: "this session was ended; sign in again",
        });
    }
    Ok(AuthUser {
        id,
        generation,
        expires_at,
    })
}

//! Registration, login, token refresh and logout, email verification, password reset, /me.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use souk_domain::account::{check_password, normalize_email, validate_registration};
use souk_domain::{Language, ValidationErrors};
use souk_store::tokens::{self, TokenPurpose};
use souk_store::users::{self, NewUser, User};
use souk_store::{now, DbConn, StoreError};
use souk_worker::templates;
use utoipa::{IntoParams, ToSchema};

use crate::auth::password::hash_password;
use crate::auth::secret::{random_token, token_hash};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ClientIp;
use crate::extract::Json;
use crate::state::AppState;
use crate::usecases::verification::consume_verification;
use crate::views::time;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "amine@example.dz")]
    pub email: String,
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
    #[schema(example = "Amine")]
    pub display_name: String,
    /// Algerian number; stored as +213XXXXXXXXX.
    #[schema(example = "0551 23 45 67")]
    pub phone: Option<String>,
    /// Language of the emails souk sends you: ar, fr or en. Defaults to the first of these in
    /// `Accept-Language`, else fr.
    #[schema(example = "ar")]
    pub language: Option<String>,
}

/// What a signed-in user may change about their account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    /// ar, fr or en.
    pub language: Option<String>,
    /// Emails about price drops on your favourites (an unsubscribe link turns them off).
    pub price_drop_alerts: Option<bool>,
    /// Your wilaya (1–69), shown on your public profile.
    pub wilaya: Option<i32>,
    /// Show your phone on your public profile.
    pub phone_public: Option<bool>,
}

/// The language asked for in a body, else the client's `Accept-Language`, else French.
fn language_of(req: &HttpRequest, asked: Option<&str>) -> ApiResult<Language> {
    match asked {
        Some(l) => Language::parse(l).ok_or_else(|| {
            let mut e = ValidationErrors::default();
            e.push("language", "invalid_language", "one of ar, fr, en");
            e.into()
        }),
        None => Ok(req
            .headers()
            .get("accept-language")
            .and_then(|v| v.to_str().ok())
            .and_then(Language::from_accept_language)
            .unwrap_or_default()),
    }
}

/// The signed-in user's own account. Only ever sent to that user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub email_verified: bool,
    /// The phone was confirmed by a code sent to it (`POST /v1/me/phone`).
    pub phone_verified: bool,
    /// ar, fr or en: the language of your emails.
    pub language: String,
    pub price_drop_alerts: bool,
    pub wilaya: Option<i32>,
    pub phone_public: bool,
    /// user, moderator or admin.
    pub role: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<User> for Me {
    fn from(u: User) -> Self {
        Me {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            phone: u.phone,
            email_verified: u.email_verified_at.is_some(),
            phone_verified: u.phone_verified_at.is_some(),
            language: u.language,
            price_drop_alerts: u.price_drop_alerts,
            wilaya: u.wilaya,
            phone_public: u.phone_public,
            role: u.role,
            created_at: time(u.created_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// The token from the email.
    pub token: String,
}

/// The link's query. Extra parameters are ignored: mail clients append tracking ones.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TokenQuery {
    /// The token from the email.
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    pub token: String,
    pub new_password: String,
}

const VERIFY_TTL_HOURS: i64 = 48;
const RESET_TTL_MINUTES: i64 = 60;

fn queue_verification(state: &AppState, conn: &mut DbConn, user: &User) -> ApiResult<()> {
    let token = random_token();
    tokens::insert_one_time(
        conn,
        user.id,
        TokenPurpose::VerifyEmail,
        &token_hash(&token),
        now() + Duration::hours(VERIFY_TTL_HOURS),
    )?;
    let link = format!(
        "{}/v1/auth/verify-email?token={token}",
        state.config.public_url
    );
    let email = templates::verify_email(&user.into(), &link);
    souk_worker::email::enqueue_email(conn, email)?;
    Ok(())
}

/// Create an account. A verification email is queued in the same transaction.
#[utoipa::path(tag = "accounts", request_body = RegisterRequest,
    responses((status = 201, body = Me), (status = 409, description = "email taken", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
#[post("/v1/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ClientIp,
    body: Json<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    let limits = &state.config.limits;
    state
        .limiter
        .hit(
            &format!("register:{}", client.key()),
            limits.register_per_hour,
            std::time::Duration::from_secs(3600),
        )
        .await?;
    let body = body.into_inner();
    let language = language_of(&req, body.language.as_deref())?;
    let reg = validate_registration(
        &body.email,
        &body.password,
        &body.display_name,
        body.phone.as_deref(),
    )?;
    // A name is shown on every ad and rating: the rules of public text apply.
    crate::content_rules::check_text("display_name", &reg.display_name)?;
    // Registering sends a confirmation email: counted with the resends, by mailbox.
    confirmation_allowance(&state, &reg.email).await?;
    let hash = state
        .passwords
        .run(move || hash_password(&body.password))
        .await??;
    let st = state.clone();
    let user = state
        .tx(move |conn| {
            let user = users::create_user(
                conn,
                NewUser {
                    email: &reg.email,
                    password_hash: &hash,
                    display_name: &reg.display_name,
                    phone: reg.phone.as_deref(),
                    language: language.as_str(),
                },
            )?;
            queue_verification(&st, conn, &user)?;
            Ok(user)
        })
        .await?;
    state.wake_worker().await;
    Ok(HttpResponse::Created().json(Me::from(user)))
}

/// Confirm an email address with the emailed token.
#[utoipa::path(tag = "accounts", request_body = TokenBody,
    responses((status = 204), (status = 400, body = crate::error::Problem)))]
#[post("/v1/auth/verify-email")]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: Json<TokenBody>,
) -> ApiResult<HttpResponse> {
    consume_verification(&state, &body.token).await
}

/// The link in the verification email: a page with a button that confirms (mail scanners
/// open links, so a plain GET confirms nothing).
#[utoipa::path(tag = "accounts", params(TokenQuery),
    responses((status = 200, description = "a page with a Confirm button", content_type = "text/html", body = String),
              (status = 400, body = crate::error::Problem)))]
#[get("/v1/auth/verify-email")]
pub async fn verify_email_link(q: web::Query<TokenQuery>) -> ApiResult<HttpResponse> {
    let token = q.token.trim();
    // Only a token's own characters reach the form's address (no `../`, no query).
    if token.is_empty()
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::bad_request(
            "invalid_token",
            "this link is invalid, expired or already used",
        ));
    }
    Ok(crate::routes::accounts::email_links::confirm_page(
        "Confirmer l'adresse / تأكيد البريد / Confirm your address",
        &format!("/v1/verifications/{token}"),
        "Confirmer / تأكيد / Confirm",
    ))
}

/// Confirmation emails to one mailbox an hour, counted by the mailbox (not the account): an
/// account deleted and registered again starts no new count.
async fn confirmation_allowance(state: &AppState, email: &str) -> ApiResult<()> {
    state
        .limiter
        .hit(
            &format!("verify:{}", souk_domain::account::canonical_email(email)),
            state.config.limits.reset_per_hour,
            std::time::Duration::from_secs(3600),
        )
        .await
}

/// Send a new verification email to the signed-in user.
#[utoipa::path(tag = "accounts", security(("bearer" = [])),
    responses((status = 202), (status = 409, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
#[post("/v1/auth/verify-email/resend")]
pub async fn resend_verification(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<HttpResponse> {
    let account = state
        .db(move |conn| Ok(users::find_user(conn, user.id)?))
        .await?;
    confirmation_allowance(&state, &account.email).await?;
    let st = state.clone();
    state
        .tx(move |conn| {
            let u = users::find_user(conn, user.id)?;
            if u.email_verified_at.is_some() {
                return Err(ApiError::Conflict {
                    code: "already_verified",
                    detail: "this email is already confirmed".into(),
                });
            }
            queue_verification(&st, conn, &u)
        })
        .await?;
    state.wake_worker().await;
    Ok(HttpResponse::Accepted().finish())
}

/// Ask for a password-reset email. Always 202, whether or not the address has an account.
#[utoipa::path(tag = "accounts", request_body = ResetRequest,
    responses((status = 202), (status = 429, body = crate::error::Problem)))]
#[post("/v1/auth/password-reset")]
pub async fn request_reset(
    state: web::Data<AppState>,
    client: ClientIp,
    body: Json<ResetRequest>,
) -> ApiResult<HttpResponse> {
    let hour = std::time::Duration::from_secs(3600);
    let per_hour = state.config.limits.reset_per_hour;
    state
        .limiter
        .hit(&format!("reset-ip:{}", client.key()), per_hour * 4, hour)
        .await?;
    let Some(email) = normalize_email(&body.email) else {
        return Ok(HttpResponse::Accepted().finish());
    };
    // Over the limit for an address: say nothing, so the limit reveals nothing either.
    if state
        .limiter
        .hit(
            &format!("reset:{}", souk_domain::account::canonical_email(&email)),
            per_hour,
            hour,
        )
        .await
        .is_err()
    {
        return Ok(HttpResponse::Accepted().finish());
    }
    state
        .tx(move |conn| {
            // Any spelling of the mailbox; the mail goes to the address the account has,
            // which delivers to that same mailbox.
            if let Some(u) = users::find_user_by_mailbox(conn, &email)? {
                let token = random_token();
                let expires = now() + Duration::minutes(RESET_TTL_MINUTES);
                tokens::insert_one_time(
                    conn,
                    u.id,
                    TokenPurpose::ResetPassword,
                    &token_hash(&token),
                    expires,
                )?;
                souk_worker::email::enqueue_email(
                    conn,
                    templates::reset_password(&(&u).into(), &token),
                )?;
            }
            Ok(())
        })
        .await?;
    state.wake_worker().await;
    Ok(HttpResponse::Accepted().finish())
}

/// What a password reset gives back.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordReset {
    /// Send it with your next logins (as after a login): failed attempts by others on your
    /// address then do not make you wait.
    pub device_token: String,
}

/// Set a new password with the emailed token; every session of the account is signed out,
/// failed logins on the address stop counting and device tokens of the old password stop
/// working. Limited per client.
#[utoipa::path(tag = "accounts", request_body = ResetConfirm,
    responses((status = 200, body = PasswordReset), (status = 400, body = crate::error::Problem), (status = 422, body = crate::error::Problem),
              (status = 429, body = crate::error::Problem)))]
#[post("/v1/auth/password-reset/confirm")]
pub async fn confirm_reset(
    state: web::Data<AppState>,
    client: ClientIp,
    body: Json<ResetConfirm>,
) -> ApiResult<HttpResponse> {
    let per_hour = state.config.limits.reset_per_hour;
    state
        .limiter
        .hit(
            &format!("reset-confirm:{}", client.key()),
            per_hour * 4,
            std::time::Duration::from_secs(3600),
        )
        .await?;
    let body = body.into_inner();
    let mut errors = ValidationErrors::default();
    check_password(&mut errors, "new_password", &body.new_password);
    errors.into_result(())?;
    let token = token_hash(body.token.trim());
    let invalid = || {
        ApiError::bad_request(
            "invalid_token",
            "this code is invalid, expired or already used",
        )
    };
    // The token first: a stranger's guesses cost a lookup, not an argon2id run (19 MiB).
    let peek = token.clone();
    state
        .db(move |conn| {
            Ok(tokens::peek_one_time(
                conn,
                TokenPurpose::ResetPassword,
                &peek,
            )?)
        })
        .await?
        .ok_or_else(invalid)?;
    let new_password = body.new_password;
    let hash = state
        .passwords
        .run(move || hash_password(&new_password))
        .await??;
    let user = state
        .tx(move |conn| {
            // Used up here, in the transaction: the peek above proves nothing by itself.
            let user = tokens::consume_one_time(conn, TokenPurpose::ResetPassword, &token)?
                .ok_or_else(invalid)?;
            users::set_password_hash(conn, user, &hash)?;
            // A reset proves control of the mailbox, which also verifies it.
            users::mark_email_verified(conn, user)?;
            tokens::revoke_all_for_user(conn, user)?;
            tokens::consume_all(conn, user, TokenPurpose::ResetPassword)?;
            Ok(users::find_user(conn, user)?)
        })
        .await?;
    state.sessions_ended(user.id).await;
    crate::usecases::sign_in::end_address_wait(&state, &user.email).await;
    let device_token = state.jwt.issue_device(user.id, &user.password_hash)?;
    Ok(HttpResponse::Ok().json(PasswordReset { device_token }))
}

/// The signed-in user's account.
#[utoipa::path(tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::error::Problem)))]
#[get("/v1/me")]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<web::Json<Me>> {
    let u = state
        .db(move |c| {
            users::find_user(c, user.id).map_err(|e| match e {
                // A token outliving its account (deleted since) is no longer a session.
                StoreError::NotFound => ApiError::Unauthorized {
                    code: "invalid_token",
                    detail: "this account no longer exists",
                },
                other => other.into(),
            })
        })
        .await?;
    Ok(web::Json(Me::from(u)))
}

/// Change your account's settings: email language, price-drop alerts, public profile.
#[utoipa::path(tag = "accounts", request_body = MePatch, security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[patch("/v1/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: Json<MePatch>,
) -> ApiResult<web::Json<Me>> {
    let body = body.into_inner();
    let language = match body.language.as_deref() {
        Some(l) => Some(language_of(&req, Some(l))?),
        None => None,
    };
    if let Some(w) = body.wilaya {
        if souk_domain::geography().wilaya(w).is_none() {
            return Err(ApiError::field(
                "wilaya",
                "unknown_wilaya",
                "no wilaya has this code",
            ));
        }
    }
    let u = state
        .tx(move |c| {
            crate::auth::ensure_not_banned(c, user.id)?;
            users::update_settings(
                c,
                user.id,
                &users::Settings {
                    language: language.map(|l| l.as_str()),
                    price_drop_alerts: body.price_drop_alerts,
                    wilaya: body.wilaya,
                    phone_public: body.phone_public,
                },
            )?;
            Ok(users::find_user(c, user.id)?)
        })
        .await?;
    Ok(web::Json(Me::from(u)))
}

//! The links in emails that work without signing in: one-click renewal of an ad and one-click
//! unsubscribe (RFC 8058). A GET only shows a page with a button, since mail scanners open
//! links; the POST does the action. Tokens are single-use and stored hashed.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use souk_store::tokens::{self, TokenPurpose};
use souk_store::{listings, saved_searches, users};
use utoipa::{IntoParams, ToSchema};

use crate::auth::secret::token_hash;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::usecases::renewal;
use crate::views::time;

#[derive(Debug, Deserialize, IntoParams)]
pub struct EmailToken {
    /// The token from the email's link.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Renewed {
    pub listing_id: i64,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Unsubscribed {
    /// `saved_search` (that search is deleted) or `price_drop_alerts` (turned off).
    pub stopped: String,
}

fn invalid_token() -> ApiError {
    ApiError::bad_request(
        "invalid_token",
        "this link is invalid, expired or already used",
    )
}

fn escape(s: &str) -> String {
    souk_worker::email::html_escape(s)
}

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
             <meta name=\"referrer\" content=\"no-referrer\"><title>{0}</title></head>\
             <body style=\"font-family:sans-serif;max-width:30em;margin:2em auto\"><h1>{0}</h1>{1}</body></html>",
            escape(title),
            body
        ))
}

pub(crate) fn confirm_page(title: &str, action: &str, button: &str) -> HttpResponse {
    page(
        title,
        &format!(
            "<form method=\"post\" action=\"{}\"><button type=\"submit\">{}</button></form>",
            escape(action),
            escape(button)
        ),
    )
}

/// Whether `token` is shaped like the tokens this site emails (`souk_store::tokens::mint`):
/// `<subject>.<random>`, the subject letters and digits (an ad's id, `s<id>`, `p`), the random
/// part URL-safe base64. Only such a token goes into a page's form target: a crafted one that
/// decodes to a path (`../../v1/…`) made our page post to another endpoint.
fn shaped_like_ours(token: &str) -> bool {
    let Some((subject, random)) = token.split_once('.') else {
        return false;
    };
    token.len() <= 200
        && !subject.is_empty()
        && !random.is_empty()
        && subject.chars().all(|c| c.is_ascii_alphanumeric())
        && random
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// The page behind the renewal link of an expiry email: a button that renews.
#[utoipa::path(tag = "email links", params(EmailToken),
    responses((status = 200, description = "a page with a Renew button", content_type = "text/html", body = String),
              (status = 404, description = "not a token this site emails", body = crate::error::Problem)))]
#[get("/v1/renewals/{token}")]
pub async fn renewal_page(path: web::Path<EmailToken>) -> HttpResponse {
    if !shaped_like_ours(&path.token) {
        return ApiError::NotFound.error_response();
    }
    confirm_page(
        "Renouveler l'annonce / تجديد الإعلان / Renew the ad",
        &format!("/v1/renewals/{}", path.token),
        "Renouveler / تجديد / Renew",
    )
}

/// Renew an ad with the single-use token of its expiry email, without signing in.
#[utoipa::path(tag = "email links", params(EmailToken),
    responses((status = 200, body = Renewed), (status = 400, body = crate::error::Problem),
              (status = 409, description = "sold or deleted since", body = crate::error::Problem)))]
#[post("/v1/renewals/{token}")]
pub async fn renew_by_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<EmailToken>,
) -> ApiResult<HttpResponse> {
    let token = path.into_inner().token;
    let listing_id: i64 = token
        .split_once('.')
        .and_then(|(id, _)| id.parse().ok())
        .ok_or_else(invalid_token)?;
    // The token names its owner (peeked here, consumed in the transaction): the per-ad limit
    // counts against the owner, never against whoever holds a made-up token.
    let hash = token_hash(&token);
    let peeked = hash.clone();
    let owner = state
        .db(move |conn| {
            Ok(tokens::peek_one_time(
                conn,
                TokenPurpose::RenewListing,
                &peeked,
            )?)
        })
        .await?
        .ok_or_else(invalid_token)?;
    renewal::limit_changes(&state, owner, listing_id).await?;
    let expires = renewal::new_expiry(&state);
    let st = state.clone();
    let renewed = state
        .tx(move |conn| {
            let user = tokens::consume_one_time(conn, TokenPurpose::RenewListing, &hash)?
                .ok_or_else(invalid_token)?;
            listings::lock_listing(conn, listing_id)?;
            let l = listings::get_visible_listing(conn, listing_id).map_err(|_| invalid_token())?;
            if l.user_id != user {
                return Err(invalid_token());
            }
            let l = renewal::renew(&st, conn, user, &l, expires)?;
            Ok(Renewed {
                listing_id: l.id,
                expires_at: time(l.expires_at),
            })
        })
        .await?;
    state.wake_worker().await;
    if wants_html(&req) {
        return Ok(page(
            "✓",
            &format!(
                "<p>Annonce renouvelée jusqu'au {0} / تم تجديد الإعلان حتى {0} / Ad renewed until {0}.</p>",
                renewed.expires_at.format("%Y-%m-%d")
            ),
        ));
    }
    Ok(HttpResponse::Ok().json(renewed))
}

/// Confirm an email address with the token of the verification email (the page's button).
#[utoipa::path(tag = "email links", params(EmailToken),
    responses((status = 204), (status = 200, description = "a confirmation page, to browsers", content_type = "text/html", body = String),
              (status = 400, body = crate::error::Problem)))]
#[post("/v1/verifications/{token}")]
pub async fn confirm_verification(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<EmailToken>,
) -> ApiResult<HttpResponse> {
    let done = crate::usecases::verification::consume_verification(&state, &path.token).await?;
    if wants_html(&req) {
        return Ok(page(
            "✓",
            "<p>Adresse confirmée / تم تأكيد البريد / Address confirmed.</p>",
        ));
    }
    Ok(done)
}

/// The page behind an alert email's unsubscribe link: a button that unsubscribes.
#[utoipa::path(tag = "email links", params(EmailToken),
    responses((status = 200, description = "a page with an Unsubscribe button", content_type = "text/html", body = String),
              (status = 404, description = "not a token this site emails", body = crate::error::Problem)))]
#[get("/v1/unsubscribe/{token}")]
pub async fn unsubscribe_page(path: web::Path<EmailToken>) -> HttpResponse {
    if !shaped_like_ours(&path.token) {
        return ApiError::NotFound.error_response();
    }
    confirm_page(
        "Se désabonner / إلغاء الاشتراك / Unsubscribe",
        &format!("/v1/unsubscribe/{}", path.token),
        "Se désabonner / إلغاء / Unsubscribe",
    )
}

/// One-click unsubscribe (RFC 8058; mail clients POST here): stops the saved search or the
/// price-drop alerts the email was about.
#[utoipa::path(tag = "email links", params(EmailToken),
    responses((status = 200, body = Unsubscribed), (status = 400, body = crate::error::Problem)))]
#[post("/v1/unsubscribe/{token}")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<EmailToken>,
) -> ApiResult<HttpResponse> {
    let token = path.into_inner().token;
    let (subject, _) = token.split_once('.').ok_or_else(invalid_token)?;
    let saved_search: Option<i64> = match subject {
        "p" => None,
        s => Some(
            s.strip_prefix('s')
                .and_then(|id| id.parse().ok())
                .ok_or_else(invalid_token)?,
        ),
    };
    let stopped = state
        .tx(move |conn| {
            let user =
                tokens::consume_one_time(conn, TokenPurpose::Unsubscribe, &token_hash(&token))?
                    .ok_or_else(invalid_token)?;
            Ok(match saved_search {
                Some(id) => {
                    saved_searches::delete(conn, user, id)?;
                    "saved_search"
                }
                None => {
                    users::update_settings(
                        conn,
                        user,
                        &users::Settings {
                            price_drop_alerts: Some(false),
                            ..Default::default()
                        },
                    )?;
                    "price_drop_alerts"
                }
            })
        })
        .await?;
    if wants_html(&req) {
        return Ok(page(
            "✓",
            "<p>Vous ne recevrez plus ces alertes / لن تصلك هذه التنبيهات بعد الآن / You will not get these alerts any more.</p>",
        ));
    }
    Ok(HttpResponse::Ok().json(Unsubscribed {
        stopped: stopped.into(),
    }))
}

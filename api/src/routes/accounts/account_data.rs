//! Leaving with one's data (law 18-07): an archive of everything held about the account, built
//! by the worker and linked by email; and deleting the account.

use actix_web::http::header;
use actix_web::{delete, get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_store::account_data::{self, EXPORT_READY};
use souk_store::jobs;
use utoipa::{IntoParams, ToSchema};

use crate::auth::password::verify_password;
use crate::auth::secret::{random_token, token_hash};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;

/// How long an archive can be downloaded.
const EXPORT_KEEP_DAYS: i64 = 7;
/// Archives an account may have built a day (each reads every row and photo of the account).
const EXPORTS_PER_DAY: u32 = 3;
/// Downloads of one archive a day.
const DOWNLOADS_PER_DAY: u32 = 20;
/// Wrong passwords allowed on deletion an hour.
const DELETE_TRIES_PER_HOUR: u32 = 5;

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportStatus {
    /// building: the worker is writing it, a link will be emailed; ready: this request answers
    /// with the archive.
    pub status: String,
    pub requested_at: chrono::DateTime<chrono::Utc>,
}

/// The archive, streamed from its storage (a large store's archive is not read into memory); each
/// export may be downloaded `DOWNLOADS_PER_DAY` times.
async fn archive_response(state: &AppState, export_id: i64) -> ApiResult<HttpResponse> {
    state
        .limiter
        .hit(
            &format!("export-download:{export_id}"),
            DOWNLOADS_PER_DAY,
            std::time::Duration::from_secs(86_400),
        )
        .await?;
    let archive = souk_store::files::export_object(export_id);
    let chunks = state
        .files
        .get_stream(souk_store::files::Area::Exports, &archive)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"souk-data-{export_id}.zip\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(chunks))
}

/// Everything souk holds about your account (profile, ads with photos, messages, favourites,
/// saved searches, ratings given and received, statistics) as a ZIP archive. The first call
/// asks the worker to build it and answers 202; a link is emailed when it is ready (valid 7
/// days); once ready, this call answers with the archive itself.
#[utoipa::path(tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "the archive", content_type = "application/zip", body = Vec<u8>),
              (status = 202, body = ExportStatus), (status = 401, body = crate::error::Problem),
              (status = 429, body = crate::error::Problem)))]
#[get("/v1/me/export")]
pub async fn export_my_data(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let latest = state
        .db(move |c| Ok(account_data::latest_export(c, user.id)?))
        .await?;
    let export = match latest {
        Some(e) if e.status == EXPORT_READY => return archive_response(&state, e.id).await,
        Some(e) => e,
        None => {
            state
                .limiter
                .hit(
                    &format!("export:{}", user.id),
                    EXPORTS_PER_DAY,
                    std::time::Duration::from_secs(86_400),
                )
                .await?;
            let token = random_token();
            let hash = token_hash(&token);
            let created = state
                .tx(move |conn| {
                    crate::auth::ensure_not_banned(conn, user.id)?;
                    let keep = chrono::Duration::days(EXPORT_KEEP_DAYS);
                    let id = account_data::create_export(conn, user.id, &hash, keep)?;
                    souk_worker::export::queue_export(conn, id, &token)?;
                    account_data::find_export(conn, id)?.ok_or(ApiError::NotFound)
                })
                .await?;
            state.wake_worker().await;
            created
        }
    };
    Ok(HttpResponse::Accepted().json(ExportStatus {
        status: "building".into(),
        requested_at: crate::views::time(export.created_at),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportToken {
    /// The token of the emailed link.
    pub token: String,
}

/// The archive, by the link of the email (no sign-in: the link is the secret).
#[utoipa::path(tag = "accounts", params(ExportToken),
    responses((status = 200, description = "the archive", content_type = "application/zip", body = Vec<u8>),
              (status = 404, body = crate::error::Problem)))]
#[get("/v1/exports/{token}")]
pub async fn download_export(
    state: web::Data<AppState>,
    path: web::Path<ExportToken>,
) -> ApiResult<HttpResponse> {
    let hash = token_hash(&path.token);
    let export = state
        .db(move |c| Ok(account_data::find_export_by_token(c, &hash)?))
        .await?
        .filter(|e| e.status == EXPORT_READY)
        .ok_or(ApiError::NotFound)?;
    archive_response(&state, export.id).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccount {
    /// The account's password, to confirm.
    pub password: String,
}

/// Delete your account. Your ads leave search at once, every session ends, no email or text
/// is sent to you again, and your profile keeps no personal data; messages you wrote stay
/// readable by the other side under an anonymous name. Deleted ads and their photos are
/// purged after the retention for deleted ads (`SOUK_RETENTION_DELETED_DAYS`, 30 days).
#[utoipa::path(tag = "accounts", request_body = DeleteAccount, security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::Problem),
              (status = 403, description = "wrong_password", body = crate::error::Problem),
              (status = 429, body = crate::error::Problem)))]
#[delete("/v1/me")]
pub async fn delete_me(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<DeleteAccount>,
) -> ApiResult<HttpResponse> {
    state
        .limiter
        .hit(
            &format!("delete-me:{}", user.id),
            DELETE_TRIES_PER_HOUR,
            std::time::Duration::from_secs(3600),
        )
        .await?;
    let hash = state
        .db(move |c| Ok(souk_store::users::find_user(c, user.id)?.password_hash))
        .await?;
    let password = body.into_inner().password;
    let ok = state
        .passwords
        .run(move || verify_password(&password, &hash))
        .await?;
    if !ok {
        return Err(ApiError::NotAllowed {
            code: "wrong_password",
            detail: "the password does not match",
        });
    }
    let deleted = state
        .tx(move |conn| {
            // A banned account is kept: deleting it would clear the ban for the same mailbox.
            let u = crate::auth::ensure_not_banned(conn, user.id)?;
            let queued = pending_messages_to(conn, &u)?;
            jobs::cancel(conn, &queued)?;
            Ok(account_data::delete_account(conn, user.id)?)
        })
        .await?;
    state.sessions_ended(user.id).await;
    state.remove_photo_files(deleted.image_keys).await;
    let archives = deleted
        .export_ids
        .into_iter()
        .map(souk_store::files::export_object)
        .collect();
    state
        .files
        .remove(souk_store::files::Area::Exports, archives)
        .await;
    tracing::info!(user = user.id, "account deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// Queued emails and texts to the account's address or phone: they must not go out after the
/// deletion (the address is gone from the row, not from the queue).
fn pending_messages_to(
    conn: &mut souk_store::DbConn,
    u: &souk_store::users::User,
) -> ApiResult<Vec<i64>> {
    let mut needles = vec![serde_json::to_string(&u.email).unwrap_or_default()];
    if let Some(phone) = &u.phone {
        needles.push(serde_json::to_string(phone).unwrap_or_default());
    }
    Ok(
        jobs::queued_of_kinds(conn, &[souk_worker::SEND_EMAIL, souk_worker::sms::SEND_SMS])?
            .into_iter()
            .filter(|j| needles.iter().any(|n| j.payload.contains(n.as_str())))
            .map(|j| j.id)
            .collect(),
    )
}

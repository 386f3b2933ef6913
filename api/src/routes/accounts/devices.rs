//! Phones registered for push notifications, and what the user wants to be told: read
//! receipts, push by kind, quiet hours (Algiers time).

use actix_web::{delete, get, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_domain::notifications::{format_clock, parse_clock};
use souk_domain::ValidationErrors;
use souk_store::devices::{self, NewDevice, Refused};
use souk_store::preferences;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::views::time;

/// Devices one account keeps; registering more forgets the one seen longest ago.
const DEVICES_PER_ACCOUNT: i64 = 10;

#[derive(Debug, Deserialize, IntoParams)]
pub struct InstallationPath {
    /// The app's own random id for this installation (8–128 letters, digits, `-`, `_`).
    pub installation_id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRegistration {
    /// `android`, `ios` or `web`.
    #[schema(example = "android")]
    pub platform: String,
    /// The FCM registration token of this installation.
    pub token: String,
    #[schema(example = "2.4.1")]
    pub app_version: Option<String>,
    /// `ar`, `fr` or `en`: the language of the notifications.
    #[schema(example = "ar")]
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceView {
    pub installation_id: String,
    pub platform: String,
    pub app_version: Option<String>,
    pub language: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
}

fn installation_id(raw: &str) -> ApiResult<String> {
    let ok = (8..=128).contains(&raw.len())
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(ApiError::field(
            "installation_id",
            "invalid_value",
            "8–128 letters, digits, '-' or '_'",
        ));
    }
    Ok(raw.to_string())
}

fn registration_fields(
    b: &DeviceRegistration,
) -> ApiResult<(String, String, Option<String>, Option<String>)> {
    let mut e = ValidationErrors::default();
    if !matches!(b.platform.as_str(), "android" | "ios" | "web") {
        e.push("platform", "invalid_option", "android, ios or web");
    }
    let token_ok =
        (16..=4096).contains(&b.token.len()) && b.token.chars().all(|c| c.is_ascii_graphic());
    if !token_ok {
        e.push(
            "token",
            "invalid_value",
            "a push token (16–4,096 printable characters)",
        );
    }
    let version = b
        .app_version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty());
    if version.is_some_and(|v| v.len() > 32 || !v.chars().all(|c| c.is_ascii_graphic())) {
        e.push(
            "app_version",
            "invalid_value",
            "up to 32 printable characters",
        );
    }
    if b.language
        .as_deref()
        .is_some_and(|l| !matches!(l, "ar" | "fr" | "en"))
    {
        e.push("language", "invalid_option", "ar, fr or en");
    }
    e.into_result((
        b.platform.clone(),
        b.token.clone(),
        version.map(str::to_string),
        b.language.clone(),
    ))
    .map_err(ApiError::from)
}

/// Register this installation for push notifications, or refresh it (the app calls this at
/// each start and when its token changes; `last_seen_at` is kept). A token belongs to one
/// account at a time: the installation signing in to another account moves with it; a token
/// or installation held by another account under another pairing is refused (409).
#[utoipa::path(tag = "account", params(InstallationPath), request_body = DeviceRegistration, security(("bearer" = [])),
    responses((status = 201, body = DeviceView), (status = 200, description = "refreshed", body = DeviceView),
              (status = 401, body = crate::error::Problem),
              (status = 409, description = "installation_taken or token_taken", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[put("/v1/me/devices/{installation_id}")]
pub async fn register_device(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<InstallationPath>,
    body: Json<DeviceRegistration>,
) -> ApiResult<HttpResponse> {
    let installation = installation_id(&path.installation_id)?;
    let (platform, token, version, language) = registration_fields(&body)?;
    let (device, created) = state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            let new = NewDevice {
                installation_id: &installation,
                platform: &platform,
                token: &token,
                app_version: version.as_deref(),
                language: language.as_deref(),
            };
            let registered = match devices::register(conn, user.id, &new)? {
                Ok(r) => r,
                Err(Refused::InstallationTaken) => {
                    return Err(ApiError::Conflict {
                        code: "installation_taken",
                        detail: "this installation is registered to another account".into(),
                    })
                }
                Err(Refused::TokenTaken) => {
                    return Err(ApiError::Conflict {
                        code: "token_taken",
                        detail: "this push token is registered to another account".into(),
                    })
                }
            };
            let mine = devices::of_user(conn, user.id)?;
            for stale in mine.iter().skip(DEVICES_PER_ACCOUNT as usize) {
                devices::remove(conn, user.id, &stale.installation_id)?;
            }
            Ok(registered)
        })
        .await?;
    let view = DeviceView {
        installation_id: device.installation_id,
        platform: device.platform,
        app_version: device.app_version,
        language: device.language,
        created_at: time(device.created_at),
        last_seen_at: time(device.last_seen_at),
    };
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Stop push notifications to this installation (at sign-out).
#[utoipa::path(tag = "account", params(InstallationPath), security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::Problem),
              (status = 404, description = "not a device of yours", body = crate::error::Problem)))]
#[delete("/v1/me/devices/{installation_id}")]
pub async fn remove_device(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<InstallationPath>,
) -> ApiResult<HttpResponse> {
    let installation = installation_id(&path.installation_id)?;
    let removed = state
        .tx(move |conn| Ok(devices::remove(conn, user.id, &installation)?))
        .await?;
    if !removed {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushSwitches {
    pub messages: bool,
    pub price_drops: bool,
    pub saved_searches: bool,
    pub expiry: bool,
    pub payments: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// `HH:MM`, Algiers time.
    #[schema(example = "22:00")]
    pub from: String,
    #[schema(example = "07:00")]
    pub until: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// Whether the other side of your threads sees what you have read.
    pub read_receipts: bool,
    pub push: PushSwitches,
    /// No push in this window except security and payment notices; null: none.
    pub quiet_hours: Option<QuietHours>,
}

fn settings_view(p: &preferences::Preferences) -> NotificationSettings {
    NotificationSettings {
        read_receipts: p.read_receipts,
        push: PushSwitches {
            messages: p.push_messages,
            price_drops: p.push_price_drops,
            saved_searches: p.push_saved_searches,
            expiry: p.push_expiry,
            payments: p.push_payments,
        },
        quiet_hours: match (p.quiet_from, p.quiet_until) {
            (Some(from), Some(until)) => Some(QuietHours {
                from: format_clock(from),
                until: format_clock(until),
            }),
            _ => None,
        },
    }
}

/// Your read receipts, push switches and quiet hours.
#[utoipa::path(tag = "account", security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings), (status = 401, body = crate::error::Problem)))]
#[get("/v1/me/notification-settings")]
pub async fn get_settings(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<NotificationSettings>> {
    let p = state
        .db(move |conn| Ok(preferences::of(conn, user.id)?))
        .await?;
    Ok(web::Json(settings_view(&p)))
}

/// Replace your read receipts, push switches and quiet hours (all fields).
#[utoipa::path(tag = "account", request_body = NotificationSettings, security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings), (status = 401, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[put("/v1/me/notification-settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<NotificationSettings>,
) -> ApiResult<web::Json<NotificationSettings>> {
    let b = body.into_inner();
    let quiet = match &b.quiet_hours {
        None => None,
        Some(q) => {
            let mut e = ValidationErrors::default();
            let from = parse_clock(&q.from);
            let until = parse_clock(&q.until);
            if from.is_none() {
                e.push("quiet_hours.from", "invalid_value", "HH:MM");
            }
            if until.is_none() {
                e.push("quiet_hours.until", "invalid_value", "HH:MM");
            }
            e.into_result(())?;
            Some((from.expect("checked"), until.expect("checked")))
        }
    };
    let saved = state
        .tx(move |conn| {
            let mut p = preferences::of(conn, user.id)?;
            p.read_receipts = b.read_receipts;
            p.push_messages = b.push.messages;
            p.push_price_drops = b.push.price_drops;
            p.push_saved_searches = b.push.saved_searches;
            p.push_expiry = b.push.expiry;
            p.push_payments = b.push.payments;
            p.quiet_from = quiet.map(|q| q.0);
            p.quiet_until = quiet.map(|q| q.1);
            Ok(preferences::save(conn, p)?)
        })
        .await?;
    Ok(web::Json(settings_view(&saved)))
}

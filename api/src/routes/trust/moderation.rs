//! Reports from users, and what moderators do about them: dismiss, hide, restore, ban, unban.
//! Every action is written to the moderation log, readable by moderators.

use std::collections::BTreeMap;

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_domain::signals::{flag_score, FlagKind};
use souk_domain::text::{optional_text_field, text_field};
use souk_domain::trust::{ReportReason, Role};
use souk_domain::ValidationErrors;
use souk_store::moderation::{
    self, HIDDEN_BY_BAN, HIDDEN_BY_FLAGS, HIDDEN_BY_MODERATOR, HIDDEN_BY_REPORTS,
};
use souk_store::{listings, signals, tokens, users, DbConn};
use souk_worker::email::enqueue_email;
use souk_worker::signals::hide_pending_review;
use souk_worker::templates;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::params::ListingId;
use crate::state::AppState;
use crate::usecases::roles::moderator;
use crate::views::time;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// scam, prohibited, duplicate, wrong_category, offensive, sold or other.
    #[schema(example = "scam")]
    pub reason: String,
    /// At most 1,000 characters.
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: i64,
    pub listing_id: i64,
    pub reason: String,
    pub comment: Option<String>,
    pub reporter_id: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Why a moderator acts; it is logged and, for a hidden ad, emailed to its owner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationReason {
    /// 3–500 characters.
    #[schema(example = "Arnaque signalée par plusieurs acheteurs")]
    pub reason: String,
}

/// What an automatic check found about an ad.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagView {
    pub id: i64,
    /// duplicate_photo, duplicate_text, scam_phrase or suspicious_price.
    pub kind: String,
    /// The other account's older ad the photo or text was copied from.
    pub other_listing_id: Option<i64>,
    /// The finding: distance in bits and photo ids (copies), the phrases (scam_phrase), the
    /// price and the comparables' quartiles (suspicious_price).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub evidence: serde_json::Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// An ad in the moderation queue: its open reports and the open findings of the automatic
/// checks.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportedListing {
    pub listing_id: i64,
    pub title: String,
    pub seller_id: i64,
    pub hidden: bool,
    /// Why it is hidden: moderator, reports, flags or ban.
    pub hidden_by: Option<String>,
    /// When its first open report or flag came.
    pub first_reported_at: chrono::DateTime<chrono::Utc>,
    pub reports: Vec<ReportView>,
    pub flags: Vec<FlagView>,
    /// Summed weight of the open flags' kinds (each kind once); the ad is hidden pending
    /// review from `SOUK_FLAG_SCORE_TO_HIDE`.
    pub flag_score: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogEntryView {
    pub id: i64,
    /// Null for automatic actions (an ad hidden by reports).
    pub moderator_id: Option<i64>,
    pub action: String,
    /// listing or user.
    pub target_kind: String,
    pub target_id: i64,
    pub reason: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn flag_view(f: signals::Flag) -> FlagView {
    FlagView {
        id: f.id,
        kind: f.kind,
        other_listing_id: f.other_listing_id,
        evidence: serde_json::from_str(&f.evidence).unwrap_or_default(),
        created_at: time(f.created_at),
    }
}

fn report_view(r: moderation::Report) -> ReportView {
    ReportView {
        id: r.id,
        listing_id: r.listing_id,
        reason: r.reason,
        comment: r.comment,
        reporter_id: r.reporter_id,
        created_at: time(r.created_at),
    }
}

fn reason_text(r: &ModerationReason) -> ApiResult<String> {
    let mut e = ValidationErrors::default();
    let reason = text_field(&mut e, "reason", &r.reason, 3, 500);
    Ok(e.into_result(reason)?)
}

/// Report an ad (one report per user and ad). An ad reported by enough distinct users is
/// hidden until a moderator decides.
#[utoipa::path(tag = "moderation", params(ListingId), request_body = NewReport, security(("bearer" = [])),
    responses((status = 201, body = ReportView), (status = 401, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem),
              (status = 409, description = "already reported, or your own ad", body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
#[post("/v1/listings/{id}/report")]
pub async fn report_listing(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingId>,
    body: Json<NewReport>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let mut e = ValidationErrors::default();
    let reason = ReportReason::parse(&body.reason);
    if reason.is_none() {
        e.push(
            "reason",
            "invalid_option",
            "scam, prohibited, duplicate, wrong_category, offensive, sold or other",
        );
    }
    let comment = optional_text_field(&mut e, "comment", body.comment.as_deref(), 1000);
    e.into_result(())?;
    let reason = reason.expect("checked above");
    state
        .limiter
        .hit(
            &format!("report:{}", user.id),
            state.config.limits.report_per_hour,
            std::time::Duration::from_secs(3600),
        )
        .await?;
    let id = path.id;
    let threshold = state.config.reports_to_hide;
    let (view, hidden) = state
        .tx(move |conn| {
            crate::auth::ensure_not_banned(conn, user.id)?;
            listings::lock_listing(conn, id)?;
            let l = listings::get_visible_listing(conn, id)?;
            if l.user_id == user.id {
                return Err(ApiError::Conflict {
                    code: "own_listing",
                    detail: "this is your own ad".into(),
                });
            }
            let r = moderation::report(conn, id, user.id, reason.as_str(), comment.as_deref())
                .map_err(|e| match e {
                    souk_store::StoreError::Conflict(_) => ApiError::Conflict {
                        code: "already_reported",
                        detail: "you reported this ad already".into(),
                    },
                    other => other.into(),
                })?;
            // Weighed, not counted: unconfirmed and brand-new accounts, aliases of one
            // mailbox and reporters whose reports keep being dismissed cannot take a
            // competitor's ad down (souk_domain::trust::report_weight).
            let reporters = moderation::open_reporter_records(conn, id)?;
            let weight = souk_domain::trust::reports_weight(&reporters);
            let mut hidden = false;
            if weight >= threshold as f64 {
                let why = format!(
                    "reported by {} users; waiting for a moderator",
                    reporters.len()
                );
                hidden = hide_pending_review(conn, &l, HIDDEN_BY_REPORTS, &why, &why)?;
            }
            Ok((report_view(r), hidden))
        })
        .await?;
    if hidden {
        tracing::info!(listing = id, "ad hidden by reports");
        state.wake_worker().await;
    }
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQueueQuery {
    /// Only reports with this reason.
    pub reason: Option<String>,
}

/// The queue: open reports and open findings of the automatic checks, grouped by ad, the ad
/// reported or flagged first on top. `reason` keeps the ads with a report of that reason.
#[utoipa::path(tag = "moderation", params(ReportQueueQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<ReportedListing>), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[get("/v1/mod/reports")]
pub async fn report_queue(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ReportQueueQuery>,
) -> ApiResult<web::Json<Vec<ReportedListing>>> {
    let reason = match q.into_inner().reason {
        None => None,
        Some(r) => Some(
            ReportReason::parse(&r)
                .ok_or_else(|| ApiError::field("reason", "invalid_option", "a report reason"))?,
        ),
    };
    let groups = state
        .db(move |conn| {
            moderator(conn, user)?;
            let open = moderation::open_reports(conn, reason.map(|r| r.as_str()), 1000)?;
            let mut reports: BTreeMap<i64, Vec<ReportView>> = BTreeMap::new();
            for r in open {
                reports
                    .entry(r.listing_id)
                    .or_default()
                    .push(report_view(r));
            }
            let mut flags: BTreeMap<i64, Vec<FlagView>> = BTreeMap::new();
            let open_flags = match reason {
                // Filtering by a report reason: the flags of the ads it keeps.
                Some(_) => {
                    signals::open_flags_of(conn, &reports.keys().copied().collect::<Vec<_>>())?
                }
                None => signals::open_flags(conn, 1000)?,
            };
            for f in open_flags {
                flags.entry(f.listing_id).or_default().push(flag_view(f));
            }
            let ids: Vec<i64> = reports.keys().chain(flags.keys()).copied().collect();
            let ads: std::collections::HashMap<i64, souk_store::listings::Listing> =
                moderation::listings_by_ids(conn, &ids)?
                    .into_iter()
                    .map(|l| (l.id, l))
                    .collect();
            let mut queue: Vec<ReportedListing> = ads
                .values()
                .map(|l| {
                    let reports = reports.remove(&l.id).unwrap_or_default();
                    let flags = flags.remove(&l.id).unwrap_or_default();
                    let first = reports
                        .iter()
                        .map(|r| r.created_at)
                        .chain(flags.iter().map(|f| f.created_at))
                        .min()
                        .unwrap_or_default();
                    ReportedListing {
                        listing_id: l.id,
                        title: l.title.clone(),
                        seller_id: l.user_id,
                        hidden: l.hidden_at.is_some(),
                        hidden_by: l.hidden_by.clone(),
                        first_reported_at: first,
                        flag_score: flag_score(
                            flags.iter().filter_map(|f| FlagKind::parse(&f.kind)),
                        ),
                        reports,
                        flags,
                    }
                })
                .collect();
            // Ads hidden pending review wait on a moderator: they come first.
            queue.sort_by_key(|g| (!g.hidden, g.first_reported_at, g.listing_id));
            Ok(queue)
        })
        .await?;
    Ok(web::Json(groups))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListingAction {
    /// Listing id.
    pub id: i64,
    /// dismiss (reports and flags unfounded; an ad hidden by them comes back), hide, or restore.
    pub action: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationResult {
    pub action: String,
    pub target_id: i64,
    /// Whether the ad is hidden now (listing actions), or the user banned (user actions).
    pub in_effect: bool,
}

/// Act on a reported or flagged ad: `dismiss`, `hide` (the owner gets an email with the
/// reason) or `restore`. Every open report and flag of the ad is closed with the decision.
#[utoipa::path(tag = "moderation", params(ListingAction), request_body = ModerationReason, security(("bearer" = [])),
    responses((status = 200, body = ModerationResult), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/mod/listings/{id}/{action}")]
pub async fn act_on_listing(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<ListingAction>,
    body: Json<ModerationReason>,
) -> ApiResult<web::Json<ModerationResult>> {
    let ListingAction { id, action } = path.into_inner();
    if !matches!(action.as_str(), "dismiss" | "hide" | "restore") {
        return Err(ApiError::NotFound);
    }
    let reason = reason_text(&body)?;
    let result = state
        .tx(move |conn| {
            moderator(conn, user)?;
            listings::lock_listing(conn, id)?;
            let l = listings::get_listing(conn, id)?;
            let owner = users::find_user(conn, l.user_id)?;
            // Whatever brings an ad back must not bring back a banned seller's ad: it stays
            // hidden as part of the ban, and an unban decides.
            let bring_back = |conn: &mut DbConn| -> ApiResult<()> {
                moderation::unhide_listing(conn, id)?;
                if owner.banned_at.is_some() {
                    moderation::hide_listing(conn, id, HIDDEN_BY_BAN, "the seller is banned")?;
                }
                Ok(())
            };
            match action.as_str() {
                "hide" => {
                    // A ban's hiding becomes the moderator's: an unban will not undo it.
                    moderation::unhide_listing(conn, id)?;
                    moderation::hide_listing(conn, id, HIDDEN_BY_MODERATOR, &reason)?;
                    moderation::resolve_reports(conn, id, moderation::RESOLVED_UPHELD)?;
                    signals::resolve_flags(conn, id, moderation::RESOLVED_UPHELD)?;
                    enqueue_email(
                        conn,
                        templates::listing_hidden(&(&owner).into(), &l.title, &reason),
                    )?;
                }
                "restore" => {
                    bring_back(conn)?;
                    moderation::resolve_reports(conn, id, "restored")?;
                    signals::resolve_flags(conn, id, "restored")?;
                }
                _ => {
                    if matches!(
                        l.hidden_by.as_deref(),
                        Some(HIDDEN_BY_REPORTS | HIDDEN_BY_FLAGS)
                    ) {
                        bring_back(conn)?;
                    }
                    moderation::resolve_reports(conn, id, "dismissed")?;
                    signals::resolve_flags(conn, id, "dismissed")?;
                }
            }
            moderation::log(conn, Some(user.id), &action, "listing", id, &reason)?;
            let now_hidden = listings::get_listing(conn, id)?.hidden_at.is_some();
            Ok(ModerationResult {
                action,
                target_id: id,
                in_effect: now_hidden,
            })
        })
        .await?;
    state.wake_worker().await;
    Ok(web::Json(result))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserAction {
    /// User id.
    pub id: i64,
    /// ban or unban.
    pub action: String,
}

/// `ban` a user (every ad of theirs hidden, every session revoked, login refused with
/// `/problems/account_banned`) or `unban` them (the ads the ban hid come back).
#[utoipa::path(tag = "moderation", params(UserAction), request_body = ModerationReason, security(("bearer" = [])),
    responses((status = 200, body = ModerationResult), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/v1/mod/users/{id}/{action}")]
pub async fn act_on_user(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<UserAction>,
    body: Json<ModerationReason>,
) -> ApiResult<web::Json<ModerationResult>> {
    let UserAction { id, action } = path.into_inner();
    if !matches!(action.as_str(), "ban" | "unban") {
        return Err(ApiError::NotFound);
    }
    let reason = reason_text(&body)?;
    let result = state
        .tx(move |conn| {
            let my_role = moderator(conn, user)?;
            let target = users::find_user(conn, id)?;
            let target_role = Role::parse(&target.role).unwrap_or(Role::User);
            if id == user.id || (target_role != Role::User && my_role != Role::Admin) {
                return Err(ApiError::Forbidden(
                    "moderators are banned by an admin only, and never by themselves",
                ));
            }
            if action == "ban" {
                moderation::ban_user(conn, id, &reason)?;
                tokens::revoke_all_for_user(conn, id)?;
            } else {
                moderation::unban_user(conn, id)?;
            }
            moderation::log(conn, Some(user.id), &action, "user", id, &reason)?;
            Ok(ModerationResult {
                in_effect: users::find_user(conn, id)?.banned_at.is_some(),
                action,
                target_id: id,
            })
        })
        .await?;
    if result.action == "ban" {
        state.sessions_ended(result.target_id).await;
    }
    Ok(web::Json(result))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Entries older than this id (the last id of the previous page).
    pub before: Option<i64>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

/// The moderation log, newest first: who did what, to what, when and why.
#[utoipa::path(tag = "moderation", params(LogQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<LogEntryView>), (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[get("/v1/mod/log")]
pub async fn moderation_log(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<LogQuery>,
) -> ApiResult<web::Json<Vec<LogEntryView>>> {
    let q = q.into_inner();
    let limit = crate::extract::bounded_param("limit", q.limit, 50, 200)?;
    let entries = state
        .db(move |conn| {
            moderator(conn, user)?;
            Ok(moderation::log_entries(conn, q.before, limit)?)
        })
        .await?;
    Ok(web::Json(
        entries
            .into_iter()
            .map(|e| LogEntryView {
                id: e.id,
                moderator_id: e.moderator_id,
                action: e.action,
                target_kind: e.target_kind,
                target_id: e.target_id,
                reason: e.reason,
                created_at: time(e.created_at),
            })
            .collect(),
    ))
}

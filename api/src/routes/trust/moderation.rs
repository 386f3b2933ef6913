//! Reports from users, and what moderators do about them: dismiss, hide, restore, ban, unban.
//! Every action is written to the moderation log, readable by moderators.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_domain::text::optional_text_field;
use souk_domain::trust::ReportReason;
use souk_domain::ValidationErrors;
use souk_store::listings;
use souk_store::moderation::{self, HIDDEN_BY_REPORTS};
use souk_worker::signals::hide_pending_review;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::params::ListingId;
use crate::state::AppState;
use crate::usecases::moderation::{
    decide_listing, decide_user, reason_text, review_queue, ListingDecision, QueueFilter,
    UserDecision,
};
use crate::usecases::roles::moderator;
use crate::views::moderation::{report_view, ModerationResult, ReportView, ReportedListing};
use crate::views::time;
use souk_store::review_queue::QueueKind;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// scam, prohibited, duplicate, wrong_category, offensive, sold or other.
    #[schema(example = "scam")]
    pub reason: String,
    /// At most 1,000 characters.
    pub comment: Option<String>,
}

/// Why a moderator acts; it is logged and, for a hidden ad, emailed to its owner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationReason {
    /// 3–500 characters.
    #[schema(example = "Arnaque signalée par plusieurs acheteurs")]
    pub reason: String,
    /// For `ban` only: the ban's length in days (1–3,650), after which it is lifted by
    /// itself; absent, the ban is for good.
    #[schema(example = 7)]
    pub days: Option<u32>,
}

impl ModerationReason {
    /// The reason of a decision about ads, where a period means nothing (422 with one).
    pub fn reason_for_ads(&self) -> ApiResult<String> {
        if self.days.is_some() {
            return Err(ApiError::field(
                "days",
                "not_allowed",
                "a period is for a ban",
            ));
        }
        reason_text(&self.reason)
    }
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
    /// Only ads with an open report of this reason.
    pub reason: Option<String>,
    /// `reports` (ads with an open report) or `flags` (ads with an open finding); both when
    /// absent.
    pub kind: Option<String>,
    /// Only ads of this category key.
    pub category: Option<String>,
    /// Only ads of this wilaya code (1–58).
    pub wilaya: Option<i32>,
    /// Ads skipped (0–100,000).
    pub offset: Option<i64>,
    /// Ads on the page (1–200, 100 when absent).
    pub limit: Option<i64>,
}

impl ReportQueueQuery {
    fn filter(self) -> ApiResult<QueueFilter> {
        let mut e = ValidationErrors::default();
        let reason = self.reason.as_deref().and_then(|r| {
            let parsed = ReportReason::parse(r);
            if parsed.is_none() {
                e.push("reason", "invalid_option", "a report reason");
            }
            parsed
        });
        let kind = match self.kind.as_deref() {
            None => QueueKind::All,
            Some("reports") => QueueKind::Reports,
            Some("flags") => QueueKind::Findings,
            Some(_) => {
                e.push("kind", "invalid_option", "reports or flags");
                QueueKind::All
            }
        };
        if self
            .category
            .as_ref()
            .is_some_and(|c| c.is_empty() || c.len() > 64)
        {
            e.push("category", "invalid", "a category key");
        }
        if self.wilaya.is_some_and(|w| !(1..=58).contains(&w)) {
            e.push("wilaya", "out_of_range", "a wilaya code, 1 to 58");
        }
        let offset = self.offset.unwrap_or(0);
        if !(0..=100_000).contains(&offset) {
            e.push("offset", "out_of_range", "0 to 100,000");
        }
        let limit = self.limit.unwrap_or(100);
        if !(1..=200).contains(&limit) {
            e.push("limit", "out_of_range", "1 to 200");
        }
        e.into_result(QueueFilter {
            kind,
            reason,
            category: self.category,
            wilaya: self.wilaya,
            offset,
            limit,
        })
        .map_err(Into::into)
    }
}

/// The queue: open reports and open findings of the automatic checks, grouped by ad; ads
/// hidden pending review first, then the one reported or flagged first. A page at a time
/// (`offset`, `limit`); `X-Total-Count` says how many ads the filters keep.
#[utoipa::path(tag = "moderation", params(ReportQueueQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<ReportedListing>,
                headers(("x-total-count" = i64, description = "Ads the filters keep, on every page"))),
              (status = 401, body = crate::error::Problem),
              (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[get("/v1/mod/reports")]
pub async fn report_queue(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ReportQueueQuery>,
) -> ApiResult<HttpResponse> {
    let filter = q.into_inner().filter()?;
    let (groups, total) = state
        .db(move |conn| review_queue(conn, user, &filter))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("x-total-count", total.to_string()))
        .json(groups))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListingAction {
    /// Listing id.
    pub id: i64,
    /// dismiss (reports and flags unfounded; an ad hidden by them comes back), hide, or restore.
    pub action: String,
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
    let decision = ListingDecision::parse(&action).ok_or(ApiError::NotFound)?;
    let reason = body.reason_for_ads()?;
    let result = state
        .tx(move |conn| decide_listing(conn, user, id, decision, &reason))
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
/// `/problems/account_banned`), for `days` or for good, or `unban` them (the ads the ban hid
/// come back). A ban for a period is lifted by itself within a minute of its end.
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
    let decision = UserDecision::parse(&action)
        .ok_or(ApiError::NotFound)?
        .with_days(body.days)?;
    let reason = reason_text(&body.reason)?;
    let result = state
        .tx(move |conn| decide_user(conn, user, id, decision, &reason))
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
    /// Only entries of this action (ban, hide, dismiss, restore, unban, role, …).
    pub action: Option<String>,
    /// Only entries by this moderator.
    pub moderator_id: Option<i64>,
    /// Only entries about this kind of target (listing, user, conversation, rating, …).
    pub target_kind: Option<String>,
    /// Only entries about this target id (with `target_kind`).
    pub target_id: Option<i64>,
}

/// The moderation log, newest first: who did what, to what, when and why; filtered by
/// action, moderator and target.
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
    let mut e = ValidationErrors::default();
    for (field, value) in [("action", &q.action), ("target_kind", &q.target_kind)] {
        if value.as_ref().is_some_and(|v| v.is_empty() || v.len() > 32) {
            e.push(field, "invalid", "1 to 32 characters");
        }
    }
    if q.target_id.is_some() && q.target_kind.is_none() {
        e.push(
            "target_kind",
            "required",
            "a target id is read with its kind",
        );
    }
    e.into_result(())?;
    let filter = moderation::LogFilter {
        action: q.action,
        moderator_id: q.moderator_id,
        target_kind: q.target_kind,
        target_id: q.target_id,
    };
    let entries = state
        .db(move |conn| {
            moderator(conn, user)?;
            Ok(moderation::log_entries(conn, &filter, q.before, limit)?)
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

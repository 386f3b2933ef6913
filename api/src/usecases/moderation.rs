//! Moderation: the review queue and the decisions on ads and accounts, one home for the
//! API (`/v1/mod/...`) and the console (`/mod/`), so that a decision does the same thing and
//! lands in the same log whichever way it is taken. Each runs inside the caller's transaction.

use std::collections::HashMap;

use souk_domain::signals::{flag_score, FlagKind};
use souk_domain::text::text_field;
use souk_domain::trust::{ReportReason, Role};
use souk_domain::ValidationErrors;
use souk_store::moderation::{
    self, HIDDEN_BY_BAN, HIDDEN_BY_FLAGS, HIDDEN_BY_MODERATOR, HIDDEN_BY_REPORTS,
};
use souk_store::review_queue::{self, QueueKind, QueueQuery};
use souk_store::{listings, signals, tokens, users, DbConn};
use souk_worker::email::enqueue_email;
use souk_worker::templates;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::usecases::roles::moderator;
use crate::views::moderation::{
    flag_view, report_view, FlagView, ModerationResult, ReportView, ReportedListing,
};
use crate::views::time;

/// What a moderator decides about a reported or flagged ad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingDecision {
    /// Reports and flags unfounded; an ad hidden by them comes back.
    Dismiss,
    /// Hidden with a reason, emailed to the owner.
    Hide,
    /// Back, whatever hid it (but a banned seller's ad stays hidden with the ban).
    Restore,
}

impl ListingDecision {
    pub fn parse(s: &str) -> Option<ListingDecision> {
        match s {
            "dismiss" => Some(ListingDecision::Dismiss),
            "hide" => Some(ListingDecision::Hide),
            "restore" => Some(ListingDecision::Restore),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ListingDecision::Dismiss => "dismiss",
            ListingDecision::Hide => "hide",
            ListingDecision::Restore => "restore",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserDecision {
    /// For `days`, or for good (`None`).
    Ban {
        days: Option<u32>,
    },
    Unban,
}

/// The longest ban for a period; longer is for good.
pub const MAX_BAN_DAYS: u32 = 3650;

impl UserDecision {
    /// `ban` (for good) or `unban`; a period is set apart (`with_days`).
    pub fn parse(s: &str) -> Option<UserDecision> {
        match s {
            "ban" => Some(UserDecision::Ban { days: None }),
            "unban" => Some(UserDecision::Unban),
            _ => None,
        }
    }

    /// A ban for `days` (1 to `MAX_BAN_DAYS`; none: for good); an unban stays one.
    pub fn with_days(self, days: Option<u32>) -> ApiResult<UserDecision> {
        match (self, days) {
            (UserDecision::Ban { .. }, Some(d)) if !(1..=MAX_BAN_DAYS).contains(&d) => Err(
                ApiError::field("days", "out_of_range", "1 to 3,650 days, or none for good"),
            ),
            (UserDecision::Ban { .. }, days) => Ok(UserDecision::Ban { days }),
            (UserDecision::Unban, None) => Ok(UserDecision::Unban),
            (UserDecision::Unban, Some(_)) => Err(ApiError::field(
                "days",
                "not_allowed",
                "a period is for a ban",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserDecision::Ban { .. } => "ban",
            UserDecision::Unban => "unban",
        }
    }
}

/// A decision's reason: 3–500 characters; logged, and emailed with a hidden ad.
pub fn reason_text(raw: &str) -> ApiResult<String> {
    let mut e = ValidationErrors::default();
    let reason = text_field(&mut e, "reason", raw, 3, 500);
    Ok(e.into_result(reason)?)
}

/// The queue's filters and page, as `/v1/mod/reports` and the console take them.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub kind: QueueKind,
    /// Ads with an open report of this reason.
    pub reason: Option<ReportReason>,
    pub category: Option<String>,
    pub wilaya: Option<i32>,
    pub offset: i64,
    pub limit: i64,
}

/// A page of the queue: open reports and open findings of the automatic checks, grouped by
/// ad; ads hidden pending review first, then the one reported or flagged first; filtered and
/// cut by the database, with the number of ads the filter keeps.
pub fn review_queue(
    conn: &mut DbConn,
    user: AuthUser,
    filter: &QueueFilter,
) -> ApiResult<(Vec<ReportedListing>, i64)> {
    moderator(conn, user)?;
    let (page, total) = review_queue::queue_page(
        conn,
        &QueueQuery {
            kind: filter.kind,
            reason: filter.reason.map(|r| r.as_str().to_string()),
            category: filter.category.clone(),
            wilaya: filter.wilaya,
            offset: filter.offset,
            limit: filter.limit,
        },
    )?;
    let ids: Vec<i64> = page.iter().map(|e| e.listing_id).collect();
    let mut reports: HashMap<i64, Vec<ReportView>> = HashMap::new();
    // Filtered by a reason, the ads show the reports of that reason.
    let wanted = filter.reason.map(|r| r.as_str());
    for r in moderation::open_reports_of_ads(conn, &ids)?
        .into_iter()
        .filter(|r| wanted.is_none_or(|w| r.reason == w))
    {
        reports
            .entry(r.listing_id)
            .or_default()
            .push(report_view(r));
    }
    let mut flags: HashMap<i64, Vec<FlagView>> = HashMap::new();
    for f in signals::open_flags_of(conn, &ids)? {
        flags.entry(f.listing_id).or_default().push(flag_view(f));
    }
    let mut ads: HashMap<i64, listings::Listing> = moderation::listings_by_ids(conn, &ids)?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let queue = page
        .iter()
        .filter_map(|e| {
            let l = ads.remove(&e.listing_id)?;
            let flags = flags.remove(&l.id).unwrap_or_default();
            Some(ReportedListing {
                listing_id: l.id,
                title: l.title,
                category: l.category,
                wilaya: l.wilaya,
                seller_id: l.user_id,
                hidden: l.hidden_at.is_some(),
                hidden_by: l.hidden_by,
                first_reported_at: time(e.first_at),
                flag_score: flag_score(flags.iter().filter_map(|f| FlagKind::parse(&f.kind))),
                reports: reports.remove(&l.id).unwrap_or_default(),
                flags,
            })
        })
        .collect();
    Ok((queue, total))
}

/// Decides about ad `id`: every open report and flag of it is closed with the decision, and
/// the decision logged. Call it in a transaction.
pub fn decide_listing(
    conn: &mut DbConn,
    user: AuthUser,
    id: i64,
    decision: ListingDecision,
    reason: &str,
) -> ApiResult<ModerationResult> {
    moderator(conn, user)?;
    let (result, hidden) = apply_listing_decision(conn, user, id, decision, reason)?;
    if let Some((owner, title)) = hidden {
        enqueue_email(
            conn,
            templates::listing_hidden(&(&owner).into(), &title, reason),
        )?;
    }
    Ok(result)
}

/// `decide_listing` without the role check and the owner's email: what it did, and for an
/// ad hidden, its owner and title (a decision on many ads emails each owner once).
pub(crate) fn apply_listing_decision(
    conn: &mut DbConn,
    user: AuthUser,
    id: i64,
    decision: ListingDecision,
    reason: &str,
) -> ApiResult<(ModerationResult, Option<(users::User, String)>)> {
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
    match decision {
        ListingDecision::Hide => {
            // A ban's hiding becomes the moderator's: an unban will not undo it.
            moderation::unhide_listing(conn, id)?;
            moderation::hide_listing(conn, id, HIDDEN_BY_MODERATOR, reason)?;
            moderation::resolve_reports(conn, id, moderation::RESOLVED_UPHELD)?;
            signals::resolve_flags(conn, id, moderation::RESOLVED_UPHELD)?;
        }
        ListingDecision::Restore => {
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
    moderation::log(
        conn,
        Some(user.id),
        decision.as_str(),
        "listing",
        id,
        reason,
    )?;
    let now_hidden = listings::get_listing(conn, id)?.hidden_at.is_some();
    let result = ModerationResult {
        action: decision.as_str().into(),
        target_id: id,
        in_effect: now_hidden,
    };
    let hidden = (decision == ListingDecision::Hide).then_some((owner, l.title));
    Ok((result, hidden))
}

/// Bans (every ad hidden, every session revoked, login refused; for a number of days, after
/// which the worker lifts it, or for good) or unbans (the ads the ban
/// hid come back) account `id`. Moderators are banned by an admin only, and nobody by
/// themselves. Call it in a transaction; after a ban, end the sessions the process knows
/// (`AppState::sessions_ended`).
pub fn decide_user(
    conn: &mut DbConn,
    user: AuthUser,
    id: i64,
    decision: UserDecision,
    reason: &str,
) -> ApiResult<ModerationResult> {
    let my_role = moderator(conn, user)?;
    let target = users::find_user(conn, id)?;
    let target_role = Role::parse(&target.role).unwrap_or(Role::User);
    if id == user.id || (target_role != Role::User && my_role != Role::Admin) {
        return Err(ApiError::Forbidden(
            "moderators are banned by an admin only, and never by themselves",
        ));
    }
    let logged = match decision {
        UserDecision::Ban { days } => {
            let until = days.map(|d| souk_store::now() + chrono::Duration::days(d.into()));
            moderation::ban_user(conn, id, reason, until)?;
            tokens::revoke_all_for_user(conn, id)?;
            match days {
                Some(d) => format!("{reason} ({d} d)"),
                None => reason.to_string(),
            }
        }
        UserDecision::Unban => {
            moderation::unban_user(conn, id)?;
            reason.to_string()
        }
    };
    moderation::log(conn, Some(user.id), decision.as_str(), "user", id, &logged)?;
    Ok(ModerationResult {
        in_effect: users::find_user(conn, id)?.banned_at.is_some(),
        action: decision.as_str().into(),
        target_id: id,
    })
}

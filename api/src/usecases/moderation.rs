//! Moderation: the review queue and the decisions on ads and accounts, one home for the
//! API (`/v1/mod/...`) and the console (`/mod/`), so that a decision does the same thing and
//! lands in the same log whichever way it is taken. Each runs inside the caller's transaction.

use std::collections::BTreeMap;

use souk_domain::signals::{flag_score, FlagKind};
use souk_domain::text::text_field;
use souk_domain::trust::{ReportReason, Role};
use souk_domain::ValidationErrors;
use souk_store::moderation::{
    self, HIDDEN_BY_BAN, HIDDEN_BY_FLAGS, HIDDEN_BY_MODERATOR, HIDDEN_BY_REPORTS,
};
use souk_store::{listings, signals, tokens, users, DbConn};
use souk_worker::email::enqueue_email;
use souk_worker::templates;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::usecases::roles::moderator;
use crate::views::moderation::{
    flag_view, report_view, FlagView, ModerationResult, ReportView, ReportedListing,
};

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
    Ban,
    Unban,
}

impl UserDecision {
    pub fn parse(s: &str) -> Option<UserDecision> {
        match s {
            "ban" => Some(UserDecision::Ban),
            "unban" => Some(UserDecision::Unban),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserDecision::Ban => "ban",
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

/// The queue: open reports and open findings of the automatic checks, grouped by ad; ads
/// hidden pending review first, then the one reported or flagged first. `reason` keeps the
/// ads with a report of that reason.
pub fn review_queue(
    conn: &mut DbConn,
    user: AuthUser,
    reason: Option<ReportReason>,
) -> ApiResult<Vec<ReportedListing>> {
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
        Some(_) => signals::open_flags_of(conn, &reports.keys().copied().collect::<Vec<_>>())?,
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
                category: l.category.clone(),
                wilaya: l.wilaya,
                seller_id: l.user_id,
                hidden: l.hidden_at.is_some(),
                hidden_by: l.hidden_by.clone(),
                first_reported_at: first,
                flag_score: flag_score(flags.iter().filter_map(|f| FlagKind::parse(&f.kind))),
                reports,
                flags,
            }
        })
        .collect();
    // Ads hidden pending review wait on a moderator: they come first.
    queue.sort_by_key(|g| (!g.hidden, g.first_reported_at, g.listing_id));
    Ok(queue)
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
            enqueue_email(
                conn,
                templates::listing_hidden(&(&owner).into(), &l.title, reason),
            )?;
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
    Ok(ModerationResult {
        action: decision.as_str().into(),
        target_id: id,
        in_effect: now_hidden,
    })
}

/// Bans (every ad hidden, every session revoked, login refused) or unbans (the ads the ban
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
    if decision == UserDecision::Ban {
        moderation::ban_user(conn, id, reason)?;
        tokens::revoke_all_for_user(conn, id)?;
    } else {
        moderation::unban_user(conn, id)?;
    }
    moderation::log(conn, Some(user.id), decision.as_str(), "user", id, reason)?;
    Ok(ModerationResult {
        in_effect: users::find_user(conn, id)?.banned_at.is_some(),
        action: decision.as_str().into(),
        target_id: id,
    })
}

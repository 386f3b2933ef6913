//! One decision on many ads: a selection of the queue, or every ad of one seller. Each ad goes
//! through the same decision as one (`moderation::apply_listing_decision`) and has its own
//! line in the log; each owner gets one email for the ads of theirs hidden, not one per ad.

use std::collections::BTreeMap;

use souk_store::{listings, moderation, users, DbConn};
use souk_worker::email::enqueue_email;
use souk_worker::templates;

use souk_domain::trust::Role;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::usecases::moderation::{apply_listing_decision, ListingDecision};
use crate::usecases::roles::moderator;
use crate::views::moderation::ModerationResult;

/// The most ads one decision takes: a page of the queue, or the newest ads of a seller. A
/// seller with more is decided again (or banned: a ban hides all of them).
pub const MAX_ADS_PER_DECISION: usize = 500;

/// Applies `decision` to every ad of `ids` (at most `MAX_ADS_PER_DECISION`), the reason in
/// each owner's words (`reason_for` gets the owner), then emails each owner once for the ads
/// hidden; an ad a moderator hid already is left as it is by a hiding (not in the results).
/// Call it in a transaction.
pub fn decide_listings(
    conn: &mut DbConn,
    user: AuthUser,
    ids: &[i64],
    decision: ListingDecision,
    reason_for: &dyn Fn(&users::User) -> ApiResult<String>,
) -> ApiResult<Vec<ModerationResult>> {
    moderator(conn, user)?;
    if ids.len() > MAX_ADS_PER_DECISION {
        return Err(ApiError::field(
            "ids",
            "too_many",
            "at most 500 ads in one decision",
        ));
    }
    // One lock order for every decision on many ads: two at once cannot deadlock.
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut results = Vec::with_capacity(ids.len());
    // Owner id → (owner, reason, titles hidden).
    let mut hidden: BTreeMap<i64, (users::User, String, Vec<String>)> = BTreeMap::new();
    let mut reasons: BTreeMap<i64, String> = BTreeMap::new();
    for id in ids {
        let ad = listings::get_listing(conn, id)?;
        // Hidden by a moderator already (a second submission): hidden again, its owner
        // would be told twice.
        if decision == ListingDecision::Hide
            && ad.hidden_by.as_deref() == Some(moderation::HIDDEN_BY_MODERATOR)
        {
            continue;
        }
        let owner_id = ad.user_id;
        let reason = match reasons.get(&owner_id) {
            Some(r) => r.clone(),
            None => {
                let r = reason_for(&users::find_user(conn, owner_id)?)?;
                reasons.insert(owner_id, r.clone());
                r
            }
        };
        let (result, gone) = apply_listing_decision(conn, user, id, decision, &reason)?;
        if let Some((owner, title)) = gone {
            hidden
                .entry(owner.id)
                .or_insert_with(|| (owner, reason.clone(), Vec::new()))
                .2
                .push(title);
        }
        results.push(result);
    }
    for (owner, reason, titles) in hidden.values() {
        let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
        enqueue_email(
            conn,
            templates::listings_hidden(&owner.into(), &titles, reason),
        )?;
    }
    Ok(results)
}

/// The ads of seller `seller_id` a decision on all of them takes: for `Hide`, those not
/// hidden by a moderator already; for `Restore`, those hidden (a ban's stay with the ban);
/// newest first, at most `MAX_ADS_PER_DECISION`. A dismissal is about one ad's reports and
/// is refused.
pub fn ads_of_seller_for(
    conn: &mut DbConn,
    user: AuthUser,
    seller_id: i64,
    decision: ListingDecision,
) -> ApiResult<Vec<i64>> {
    // As for a ban: a moderator's or an admin's ads are an admin's decision, and nobody's
    // own.
    let my_role = moderator(conn, user)?;
    let seller = users::find_user(conn, seller_id)?;
    let seller_role = Role::parse(&seller.role).unwrap_or(Role::User);
    if seller_id == user.id || (seller_role != Role::User && my_role != Role::Admin) {
        return Err(ApiError::Forbidden(
            "a moderator's ads are decided by an admin only, and never by themselves",
        ));
    }
    let which = match decision {
        ListingDecision::Hide => moderation::SellerAds::NotHiddenByModerator,
        ListingDecision::Restore => moderation::SellerAds::Hidden,
        ListingDecision::Dismiss => {
            return Err(ApiError::field(
                "all_of_seller",
                "not_allowed",
                "a dismissal is for one ad's reports: hide or restore all of a seller's ads",
            ))
        }
    };
    Ok(moderation::seller_ads_for_decision(
        conn,
        seller_id,
        which,
        MAX_ADS_PER_DECISION as i64,
    )?)
}

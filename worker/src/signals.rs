//! The trust checks of a posted or edited ad, off the request path: photos copied from
//! another account's ad, a text copied from one, scam phrases, a bait price. Each finding is a
//! flag for moderators with its evidence; past the configured score the ad is hidden until a
//! moderator decides. Queued in the transaction of the change, so no change goes unchecked.

use serde::{Deserialize, Serialize};
use serde_json::json;
use souk_domain::price_hint::FairPrice;
use souk_domain::signals::{flag_score, FlagKind, PHOTO_MAX_DISTANCE, TEXT_MAX_DISTANCE};
use souk_domain::ListingStatus;
use souk_search::signals::{scam_phrases, text_simhash};
use souk_store::jobs::{self, Job};
use souk_store::listings::Listing;
use souk_store::moderation::{self, HIDDEN_BY_FLAGS};
use souk_store::signals::{
    add_flag, near_copies, open_flag_kinds, photo_hashes, photo_key, replace_text_fingerprint,
    Among, NearCopy, KIND_PHOTO, KIND_TEXT,
};
use souk_store::{listings, users, DbConn, StoreError, StoreResult};

use crate::context::Worker;
use crate::email::enqueue_email;
use crate::templates;

pub const TRUST_CHECK: &str = "trust_check";
/// Copies of one photo or text flagged at most: the evidence for a moderator, not a census.
const COPIES_FLAGGED: usize = 3;

#[derive(Debug, Serialize, Deserialize)]
pub struct TrustCheck {
    pub listing_id: i64,
    /// The comparables' prices when the ad was posted or edited (the API reads them from the
    /// search index, which the worker does not have).
    #[serde(default)]
    pub fair_price: Option<FairPrice>,
}

/// Queues the checks of an ad; call in the transaction that posts or changes it.
pub fn queue_check(
    conn: &mut DbConn,
    listing_id: i64,
    fair_price: Option<FairPrice>,
) -> StoreResult<()> {
    jobs::enqueue(
        conn,
        TRUST_CHECK,
        &TrustCheck {
            listing_id,
            fair_price,
        },
    )?;
    Ok(())
}

pub async fn run_check(w: &Worker, job: &Job) -> Result<(), String> {
    let check: TrustCheck =
        serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
    let hide_at = w.cfg.flag_score_to_hide;
    w.tx(move |conn| check_listing(conn, &check, hide_at))
        .await
        .map_err(|e| e.to_string())
}

/// Other accounts' older fingerprints near this one, when the oldest of all near ones is not
/// the owner's: whoever had the photo or text first is not the copier, so copying a rival's
/// photo early cannot get the rival's own re-post flagged.
fn copied_from(
    conn: &mut DbConn,
    kind: i32,
    hash: u64,
    max: u32,
    key: i64,
    owner: i64,
) -> StoreResult<Vec<NearCopy>> {
    let older = near_copies(conn, kind, hash, max, Among::Older { before_key: key })?;
    // The first may be gone (its photo removed, its ad purged): its fingerprint is kept.
    let past = souk_store::past_fingerprints::first_before(conn, kind, hash, max, key)?;
    let first_user = match (older.first(), past) {
        (Some(live), Some((past_key, past_user))) if past_key < live.key_id => Some(past_user),
        (Some(live), _) => Some(live.user_id),
        (None, past) => past.map(|(_, user)| user),
    };
    if first_user.is_none_or(|first| first == owner) {
        return Ok(Vec::new());
    }
    Ok(older
        .into_iter()
        .filter(|c| c.user_id != owner)
        .take(COPIES_FLAGGED)
        .collect())
}

/// Runs every check of one ad and records what they find. Safe to run again: a finding
/// already recorded is not recorded twice.
pub fn check_listing(conn: &mut DbConn, check: &TrustCheck, hide_at: u32) -> StoreResult<()> {
    let id = check.listing_id;
    // Two workers checking the same ad would both find the same flag new.
    listings::lock_listing(conn, id)?;
    let l = match listings::get_listing(conn, id) {
        Ok(l) => l,
        Err(StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e),
    };
    if l.status()? != ListingStatus::Active {
        return Ok(());
    }
    for (photo_id, hash) in photo_hashes(conn, id)? {
        let Some(key) = photo_key(conn, photo_id)? else {
            continue;
        };
        let copies = copied_from(conn, KIND_PHOTO, hash, PHOTO_MAX_DISTANCE, key, l.user_id)?;
        for c in copies {
            let evidence =
                json!({"photo_id": photo_id, "other_photo_id": c.photo_id, "distance": c.distance});
            add_flag(
                conn,
                id,
                FlagKind::DuplicatePhoto,
                Some(c.listing_id),
                &evidence,
            )?;
        }
    }
    let simhash = text_simhash(&l.title, &l.description);
    let key = replace_text_fingerprint(conn, id, l.user_id, simhash)?;
    if let (Some(hash), Some(key)) = (simhash, key) {
        let copies = copied_from(conn, KIND_TEXT, hash, TEXT_MAX_DISTANCE, key, l.user_id)?;
        for c in copies {
            let evidence = json!({"distance": c.distance});
            add_flag(
                conn,
                id,
                FlagKind::DuplicateText,
                Some(c.listing_id),
                &evidence,
            )?;
        }
    }
    let phrases = scam_phrases().find(&format!("{}\n{}", l.title, l.description));
    if !phrases.is_empty() {
        add_flag(
            conn,
            id,
            FlagKind::ScamPhrase,
            None,
            &json!({ "phrases": phrases }),
        )?;
    }
    if let (Some(fair), Some(price)) = (check.fair_price, l.price) {
        if fair.is_suspicious(price) {
            let evidence = json!({"price": price, "p25": fair.p25, "median": fair.median, "p75": fair.p75, "comparables": fair.n});
            add_flag(conn, id, FlagKind::SuspiciousPrice, None, &evidence)?;
        }
    }
    let kinds = open_flag_kinds(conn, id)?;
    if hide_at > 0 && flag_score(kinds.iter().copied()) >= hide_at && l.hidden_at.is_none() {
        let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        let why = format!("automatic checks ({})", names.join(", "));
        // The owner learns that the ad waits for a review, not which check fired.
        let told = "waiting for a moderator's review";
        if hide_pending_review(conn, &l, HIDDEN_BY_FLAGS, &why, told)? {
            tracing::info!(listing = id, %why, "ad hidden pending review");
        }
    }
    Ok(())
}

/// An automatic hiding (by reports or by flags) until a moderator decides: the ad leaves
/// search, the log says why (`why`), the owner is emailed `told`. False when it was hidden
/// already.
pub fn hide_pending_review(
    conn: &mut DbConn,
    l: &Listing,
    by: &str,
    why: &str,
    told: &str,
) -> StoreResult<bool> {
    if !moderation::hide_listing(conn, l.id, by, why)? {
        return Ok(false);
    }
    moderation::log(conn, None, "hide", "listing", l.id, why)?;
    let owner = users::find_user(conn, l.user_id)?;
    enqueue_email(
        conn,
        templates::listing_hidden(&(&owner).into(), &l.title, told),
    )?;
    Ok(true)
}

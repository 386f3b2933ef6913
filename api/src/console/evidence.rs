//! Everything the item page shows about a reported or flagged ad, read in one go: the ad, its
//! photos, its reports with each reporter's weight, the findings with what they found (the
//! copied photo beside ours, the other ad's text, the phrases, the price against its
//! comparables), and the seller's file.

use souk_store::listings::Listing;
use souk_store::moderation::{LogEntry, Report};
use souk_store::photos::Photo;
use souk_store::signals::Flag;
use souk_store::users::User;
use souk_store::{listings, moderation, photos, ratings, signals, users, DbConn};

use crate::error::ApiResult;

pub struct Evidence {
    pub listing: Listing,
    pub photos: Vec<Photo>,
    /// With each reporter's weight (`souk_domain::trust::report_weight`).
    pub reports: Vec<(Report, f64)>,
    pub flags: Vec<Flag>,
    /// Photos the findings name (ours and the copied ones), by id.
    pub named_photos: Vec<Photo>,
    /// The other ads the findings name.
    pub other_ads: Vec<Listing>,
    pub seller: User,
    pub seller_active_ads: i64,
    /// (count, weighted average) of the seller's visible ratings.
    pub seller_ratings: (usize, f64),
    pub past_decisions: Vec<LogEntry>,
}

pub fn gather(conn: &mut DbConn, id: i64) -> ApiResult<Evidence> {
    let listing = listings::get_listing(conn, id)?;
    let photos = photos::list_photos(conn, id)?;
    let weights = moderation::open_reporters(conn, id)?;
    let reports = moderation::open_reports_of(conn, id)?
        .into_iter()
        .map(|r| {
            // Unconfirmed reporters are not among the records: they weigh nothing.
            let weight = weights
                .iter()
                .find(|(reporter, _)| *reporter == r.reporter_id)
                .map_or(0.0, |(_, rec)| souk_domain::trust::report_weight(rec));
            (r, weight)
        })
        .collect();
    let flags = signals::open_flags_of(conn, &[id])?;
    let mut photo_ids = Vec::new();
    for f in &flags {
        let ev: serde_json::Value = serde_json::from_str(&f.evidence).unwrap_or_default();
        for k in ["photo_id", "other_photo_id"] {
            if let Some(p) = ev[k].as_i64() {
                photo_ids.push(p);
            }
        }
    }
    let named_photos = photos::find_photos(conn, &photo_ids)?;
    let other_ids: Vec<i64> = flags.iter().filter_map(|f| f.other_listing_id).collect();
    let other_ads = moderation::listings_by_ids(conn, &other_ids)?;
    let seller = users::find_user(conn, listing.user_id)?;
    let seller_active_ads = listings::count_active_of_user(conn, seller.id)?;
    let visible = ratings::visible_for(conn, seller.id)?;
    let weight: f64 = visible.iter().map(|r| r.weight).sum();
    let average = if weight > 0.0 {
        visible
            .iter()
            .map(|r| r.rating.stars as f64 * r.weight)
            .sum::<f64>()
            / weight
    } else {
        0.0
    };
    let past_decisions = moderation::log_about(conn, seller.id, 20)?;
    Ok(Evidence {
        listing,
        photos,
        reports,
        flags,
        named_photos,
        other_ads,
        seller,
        seller_active_ads,
        seller_ratings: (visible.len(), average),
        past_decisions,
    })
}

/// Words of `a` that `b` has too (a copied text's shared part), at least 4 letters long.
pub fn shared_words(a: &str, b: &str) -> Vec<String> {
    let words_of = |t: &str| -> std::collections::HashSet<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 4)
            .map(str::to_lowercase)
            .collect()
    };
    let theirs = words_of(b);
    let mut shared: Vec<String> = words_of(a)
        .into_iter()
        .filter(|w| theirs.contains(w))
        .collect();
    shared.sort();
    shared
}

//! Alerts to buyers: price drops on their favourites, and new ads matching their saved
//! searches. New ads are matched by the same search engine as `GET /v1/search`, over a small
//! index in memory holding only the ads posted since the searches were last looked at.

use std::collections::HashMap;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use souk_domain::ListingStatus;
use souk_search::{SearchIndex, SearchRequest, Sort};
use souk_store::jobs::{self, Job};
use souk_store::saved_searches::{self, SavedSearch, DAILY, INSTANT};
use souk_store::tokens::{self, TokenPurpose};
use souk_store::{favorites, feed, listings, users, DbConn, StoreError, StoreResult};

use crate::context::{RunnerError, Worker};
use crate::email::enqueue_email;
use crate::links;
use crate::projection::docs_of;
use crate::templates::{self, AdLine};

/// The job kind that tells favouriters about a lower price.
pub const PRICE_DROP: &str = "price_drop";
/// New ads looked at per pass; more wait for the next pass.
const NEW_ADS_PER_PASS: i64 = 2000;
const SEARCHES_PER_PASS: i64 = 500;
/// Ads listed in one alert email.
const ADS_PER_ALERT: usize = 20;
const UNSUBSCRIBE_TOKEN_DAYS: i64 = 180;
/// A price drop is worth an email from 5 % down (1/20 of the old price).
const MIN_DROP_DIVISOR: i64 = 20;
/// How long the lowest announced price is remembered.
const REMEMBER_ALERT_DAYS: i64 = 30;

#[derive(Debug, Serialize, Deserialize)]
pub struct PriceDrop {
    pub listing_id: i64,
    pub old_price: i64,
}

/// Queues the price-drop fan-out when an edit lowers the price of a favourited ad; call in the
/// edit's transaction.
pub fn queue_price_drop(
    conn: &mut DbConn,
    listing_id: i64,
    old_price: Option<i64>,
    new_price: Option<i64>,
) -> StoreResult<bool> {
    let (Some(old_price), Some(new)) = (old_price, new_price) else {
        return Ok(false);
    };
    // Compared with the lowest price already announced in the last weeks, not only with the
    // price before this edit: raising a price and lowering it again must not mail everyone
    // again. And one alert a day per ad at most.
    let (alerted, alerted_at) = listings::price_alert_state(conn, listing_id)?;
    let recent =
        alerted_at.is_some_and(|t| souk_store::now() - t < Duration::days(REMEMBER_ALERT_DAYS));
    let reference = match alerted {
        Some(a) if recent => old_price.min(a),
        _ => old_price,
    };
    let too_soon = alerted_at.is_some_and(|t| souk_store::now() - t < Duration::hours(24));
    // A real drop only: cutting a dinar at a time must not flood the favouriters.
    if too_soon
        || new > reference - reference / MIN_DROP_DIVISOR
        || favorites::count_for_listing(conn, listing_id)? == 0
    {
        return Ok(false);
    }
    listings::record_price_alert(conn, listing_id, new)?;
    jobs::enqueue(
        conn,
        PRICE_DROP,
        &PriceDrop {
            listing_id,
            old_price,
        },
    )?;
    Ok(true)
}

/// One email per favouriter (not the seller, not those who turned price alerts off), all
/// queued in one transaction: either every favouriter gets one or the job runs again.
pub async fn fan_out_price_drop(w: &Worker, job: &Job) -> Result<(), String> {
    let drop: PriceDrop =
        serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
    let base = w.cfg.public_url.clone();
    let claimed = job.clone();
    let queued = w
        .tx(move |conn| {
            // Done in the same transaction as the emails it queues: a crash between the two
            // would otherwise queue every email again.
            jobs::mark_done(conn, &claimed)?;
            let l = match listings::get_listing(conn, drop.listing_id) {
                Ok(l) => l,
                Err(StoreError::NotFound) => return Ok(0),
                Err(e) => return Err(e),
            };
            // Raised again, hidden or gone since: nothing to tell.
            if l.status()? != ListingStatus::Active
                || l.hidden_at.is_some()
                || l.price.is_none_or(|p| p >= drop.old_price)
            {
                return Ok(0);
            }
            let mut n = 0;
            for u in favorites::favouriters(conn, l.id)? {
                if u.id != l.user_id {
                    // Their phones hear of it (as their push settings say), one per ad.
                    price_drop_push(conn, u.id, &l.title, l.id, l.price)?;
                }
                // Alerts go to confirmed addresses only: souk must not mail strangers.
                if u.id == l.user_id || !u.price_drop_alerts || u.email_verified_at.is_none() {
                    continue;
                }
                let token = tokens::mint(
                    conn,
                    u.id,
                    TokenPurpose::Unsubscribe,
                    "p",
                    souk_store::now() + Duration::days(UNSUBSCRIBE_TOKEN_DAYS),
                )?;
                let ad = AdLine {
                    title: l.title.clone(),
                    price: l.price,
                    url: links::listing(&base, l.id),
                };
                enqueue_email(
                    conn,
                    templates::price_drop(
                        &(&u).into(),
                        ad,
                        drop.old_price,
                        &links::unsubscribe(&base, &token),
                    ),
                )?;
                n += 1;
            }
            Ok(n)
        })
        .await
        .map_err(|e| e.to_string())?;
    if queued > 0 {
        w.wake.notify_one();
    }
    Ok(())
}

fn price_drop_push(
    conn: &mut DbConn,
    user: i64,
    title: &str,
    listing: i64,
    price: Option<i64>,
) -> StoreResult<()> {
    let price = price.map(|p| format!("{p} DA")).unwrap_or_default();
    crate::push::enqueue_push(
        conn,
        &crate::push::Notification {
            user_id: user,
            kind: souk_domain::notifications::PushKind::PriceDrop,
            title: souk_domain::Localized {
                ar: format!("انخفض السعر: {title}"),
                fr: format!("Prix en baisse : {title}"),
                en: format!("Price drop: {title}"),
            },
            body: price,
            collapse_key: Some(format!("price-{listing}")),
            data: std::collections::BTreeMap::from([
                ("type".to_string(), "price_drop".to_string()),
                ("listing_id".to_string(), listing.to_string()),
            ]),
            only_installations: None,
        },
    )?;
    Ok(())
}

/// The stored query of a saved search back as query-string pairs.
pub fn query_pairs(stored: &str) -> Vec<(String, String)> {
    serde_json::from_str::<Vec<(String, String)>>(stored).unwrap_or_default()
}

/// One pass over instant searches (every pass) and daily ones (once a day each), page by
/// page so every saved search is looked at.
pub async fn saved_search_alerts(w: &Worker) -> Result<usize, RunnerError> {
    let mut sent = 0;
    for frequency in [INSTANT, DAILY] {
        let mut after = 0;
        loop {
            let (base, settle) = (w.cfg.public_url.clone(), w.cfg.alert_settle);
            let (emails, last) = w
                .tx(move |conn| alert_page(conn, frequency, after, settle, &base))
                .await?;
            sent += emails;
            match last {
                Some(id) => after = id,
                None => break,
            }
        }
    }
    if sent > 0 {
        tracing::info!(emails = sent, "saved search alerts queued");
        w.wake.notify_one();
    }
    Ok(sent)
}

/// Looks at one page of saved searches (ids above `after`); returns the emails queued and
/// the last id of the page, `None` when there are no more.
fn alert_page(
    conn: &mut DbConn,
    frequency: &'static str,
    after: i64,
    settle: Duration,
    base: &str,
) -> StoreResult<(usize, Option<i64>)> {
    let t = souk_store::now();
    let sent_before = if frequency == DAILY {
        t - Duration::days(1)
    } else {
        t
    };
    let searches =
        saved_searches::claim_due(conn, frequency, sent_before, after, SEARCHES_PER_PASS)?;
    let Some(last) = searches.last().map(|s| s.id) else {
        return Ok((0, None));
    };
    let Some(from) = searches.iter().map(|s| s.last_listing_id).min() else {
        return Ok((0, None));
    };
    let settled = t - settle;
    let mut new_ads = feed::active_after(conn, from, NEW_ADS_PER_PASS)?;
    if let Some(cut) = new_ads.iter().position(|l| l.created_at > settled) {
        new_ads.truncate(cut);
    }
    let Some(upto) = new_ads.last().map(|l| l.id) else {
        return Ok((0, Some(last)));
    };
    let owners: HashMap<i64, i64> = new_ads.iter().map(|l| (l.id, l.user_id)).collect();
    let index = SearchIndex::in_memory().map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let docs = docs_of(conn, &new_ads)?;
    index
        .upsert(&docs)
        .and_then(|_| index.commit(&Default::default()))
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut emails = 0;
    for s in searches {
        let hits = matches(&index, &s, &owners);
        if !hits.is_empty() {
            new_matches_live(conn, &s, &hits)?;
        }
        let owner = users::find_user(conn, s.user_id)?;
        // Alerts go to confirmed addresses only: souk must not mail strangers.
        let sent = !hits.is_empty() && owner.email_verified_at.is_some();
        if sent {
            let token = tokens::mint(
                conn,
                s.user_id,
                TokenPurpose::Unsubscribe,
                &format!("s{}", s.id),
                t + Duration::days(UNSUBSCRIBE_TOKEN_DAYS),
            )?;
            let ads = hits
                .into_iter()
                .map(|h| AdLine {
                    title: h.summary.title,
                    price: h.summary.price,
                    url: links::listing(base, h.summary.id),
                })
                .collect();
            enqueue_email(
                conn,
                templates::saved_search_alert(
                    &(&owner).into(),
                    &s.name,
                    ads,
                    &links::unsubscribe(base, &token),
                ),
            )?;
            emails += 1;
        }
        saved_searches::advance(conn, s.id, upto.max(s.last_listing_id), sent)?;
    }
    Ok((emails, Some(last)))
}

/// New ads for a saved search reach its owner's live stream (`saved_search.matched`) and their
/// phones (one notification per saved search, the newest replacing the last), whatever their
/// email address; the email stays for confirmed addresses.
fn new_matches_live(
    conn: &mut DbConn,
    s: &SavedSearch,
    hits: &[souk_search::Hit],
) -> StoreResult<()> {
    let ids: Vec<i64> = hits.iter().map(|h| h.summary.id).collect();
    let event = serde_json::json!({
        "saved_search_id": s.id,
        "name": s.name,
        "listing_ids": ids,
    });
    souk_store::events::record(conn, s.user_id, "saved_search.matched", &event.to_string())?;
    let n = hits.len();
    let name = &s.name;
    crate::push::enqueue_push(
        conn,
        &crate::push::Notification {
            user_id: s.user_id,
            kind: souk_domain::notifications::PushKind::SavedSearch,
            title: souk_domain::Localized {
                ar: format!("إعلانات جديدة: {name} ({n})"),
                fr: format!("Nouvelles annonces : {name} ({n})"),
                en: format!("New ads: {name} ({n})"),
            },
            body: hits
                .iter()
                .map(|h| h.summary.title.as_str())
                .take(3)
                .collect::<Vec<_>>()
                .join(" · "),
            collapse_key: Some(format!("saved-search-{}", s.id)),
            data: std::collections::BTreeMap::from([
                ("type".to_string(), "saved_search".to_string()),
                ("saved_search_id".to_string(), s.id.to_string()),
            ]),
            only_installations: None,
        },
    )?;
    Ok(())
}

/// The new ads (above the search's watermark, not the searcher's own) that the search finds.
fn matches(
    index: &SearchIndex,
    s: &SavedSearch,
    owners: &HashMap<i64, i64>,
) -> Vec<souk_search::Hit> {
    let Ok(mut req) = SearchRequest::from_pairs(&query_pairs(&s.query)) else {
        tracing::warn!(
            saved_search = s.id,
            "stored query no longer parses; skipped"
        );
        return Vec::new();
    };
    req.limit = 100;
    req.facets = false;
    req.cursor = None;
    req.sort = Some(if req.q.is_some() {
        Sort::Relevance
    } else {
        Sort::Newest
    });
    if req.validate().is_err() {
        return Vec::new();
    }
    let now_us = chrono::Utc::now().timestamp_micros();
    match index.search(&req, now_us) {
        Ok(r) => r
            .hits
            .into_iter()
            .filter(|h| h.summary.id > s.last_listing_id)
            .filter(|h| owners.get(&h.summary.id) != Some(&s.user_id))
            .take(ADS_PER_ALERT)
            .collect(),
        Err(e) => {
            tracing::warn!(saved_search = s.id, error = %e, "saved search failed");
            Vec::new()
        }
    }
}

//! The fair price of an ad or a draft: what comparable active ads of other sellers ask, read
//! from the search index. Called when an ad is shown, posted, edited or renewed, and for a draft.

use souk_domain::price_hint::{peers, FairPrice};
use souk_domain::Attributes;

use crate::state::AppState;

/// The comparables' quartiles for an ad or a draft (other sellers' ads than `seller`'s),
/// `None` when there are too few, the category has none, or the index is still being built.
pub fn fair_price(
    state: &AppState,
    category: &str,
    attributes: &Attributes,
    wilaya: i32,
    seller: Option<i64>,
) -> Option<FairPrice> {
    let peers = peers(category, attributes, wilaya)?;
    if !state.search.is_ready() {
        return None;
    }
    let now_us = chrono::Utc::now().timestamp_micros();
    match state
        .search
        .index()
        .comparable_prices(&peers, seller, now_us)
    {
        Ok(prices) => FairPrice::of(prices),
        Err(e) => {
            tracing::warn!(error = %e, "comparable prices failed");
            None
        }
    }
}

//! A fair-price hint as an ad or a draft shows it.

use serde::Serialize;
use souk_domain::price_hint::{FairPrice, Position};
use utoipa::ToSchema;

use crate::views::{price_display, Names};

/// What comparable active ads ask. Present only with at least 5 comparables: cars (brand,
/// model, year ± 1, mileage band of 50,000 km), phones and tablets (brand, model, storage,
/// condition), real estate (type, wilaya, rooms, surface ± 20 %).
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceHint {
    /// DZD.
    pub median: i64,
    pub p25: i64,
    pub p75: i64,
    /// Comparable ads counted.
    pub n: usize,
    /// Where this ad's price stands: below (under p25), fair, above (over p75); null
    /// without a price.
    pub position: Option<String>,
    /// The same figures in the category's display unit, per language.
    pub median_display: Option<Names>,
    pub p25_display: Option<Names>,
    pub p75_display: Option<Names>,
}

fn position_name(p: Position) -> &'static str {
    match p {
        Position::Below => "below",
        Position::Fair => "fair",
        Position::Above => "above",
    }
}

pub fn hint_view(category: &str, fair: FairPrice, price: Option<i64>) -> PriceHint {
    PriceHint {
        median: fair.median,
        p25: fair.p25,
        p75: fair.p75,
        n: fair.n,
        position: price.map(|p| position_name(fair.position(p)).to_string()),
        median_display: price_display(category, Some(fair.median)),
        p25_display: price_display(category, Some(fair.p25)),
        p75_display: price_display(category, Some(fair.p75)),
    }
}

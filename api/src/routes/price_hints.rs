//! Fair-price hints: what comparable active ads ask (median and quartiles), on an ad and for a
//! draft at posting time. Read from the search index (one posting list and two columns), so
//! a hint costs about what a search does.

use actix_web::{post, web};
use serde::{Deserialize, Serialize};
use souk_domain::price_hint::{peers, FairPrice, Position};
use souk_domain::{catalog, AttributeKind, AttributeValue, Attributes};
use utoipa::ToSchema;

use crate::client_ip::ClientIp;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::routes::listing_input::PriceInput;
use crate::routes::views::{price_display, Names};
use crate::state::AppState;

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

/// A draft as far as comparables go.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceHintDraft {
    #[schema(example = "cars")]
    pub category: String,
    /// The category's attributes as far as known (others are ignored).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>, example = json!({"brand": "renault", "model": "Clio 4", "year": 2017, "mileage_km": 120000}))]
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Wilaya code (real estate compares within a wilaya).
    pub wilaya: Option<i32>,
    /// The price the seller thinks of, to place it (whole DZD or `{amount, unit}`).
    pub price: Option<PriceInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceHintAnswer {
    /// Null when fewer than 5 comparable ads are active, or the category has no comparables.
    pub price_hint: Option<PriceHint>,
}

/// The attributes of a draft that fit its category, without requiring the rest.
fn draft_attributes(
    category: &str,
    input: &serde_json::Map<String, serde_json::Value>,
) -> ApiResult<Attributes> {
    let leaf = catalog()
        .get(category)
        .filter(|c| c.is_leaf())
        .ok_or_else(|| ApiError::field("category", "unknown_category", "a leaf category slug"))?;
    let mut out = Attributes::new();
    for spec in &leaf.attributes {
        let value = match (&spec.kind, input.get(&spec.key)) {
            (AttributeKind::Integer { .. }, Some(v)) => v.as_i64().map(AttributeValue::Integer),
            (AttributeKind::Enum { .. } | AttributeKind::Text { .. }, Some(v)) => v
                .as_str()
                .filter(|s| s.chars().count() <= 100)
                .map(|s| AttributeValue::Text(s.to_string())),
            _ => None,
        };
        if let Some(v) = value {
            out.insert(spec.key.clone(), v);
        }
    }
    Ok(out)
}

/// What comparable active ads ask, for a draft: the seller sees the fair range before posting.
#[utoipa::path(tag = "listings", request_body = PriceHintDraft,
    responses((status = 200, body = PriceHintAnswer), (status = 400, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
#[post("/v1/price-hints")]
pub async fn price_hint_for_draft(
    state: web::Data<AppState>,
    client: ClientIp,
    body: Json<PriceHintDraft>,
) -> ApiResult<web::Json<PriceHintAnswer>> {
    state
        .limiter
        .hit(
            &format!("hint:{}", client.key()),
            state.config.limits.hints_per_minute,
            std::time::Duration::from_secs(60),
        )
        .await?;
    let draft = body.into_inner();
    let attributes = draft_attributes(&draft.category, &draft.attributes)?;
    let price = draft.price.map(PriceInput::dzd).transpose()?;
    let wilaya = draft.wilaya.unwrap_or_default();
    let fair = fair_price(&state, &draft.category, &attributes, wilaya, None);
    Ok(web::Json(PriceHintAnswer {
        price_hint: fair.map(|f| hint_view(&draft.category, f, price)),
    }))
}

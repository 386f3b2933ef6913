//! Fair-price hints: what comparable active ads ask (median and quartiles), on an ad and for a
//! draft at posting time. Read from the search index (one posting list and two columns), so
//! a hint costs about what a search does.

use actix_web::{post, web};
use serde::{Deserialize, Serialize};
use souk_domain::{catalog, AttributeKind, AttributeValue, Attributes};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::extract::ClientIp;
use crate::extract::Json;
use crate::routes::listings::input::PriceInput;
use crate::state::AppState;
use crate::usecases::fair_price::fair_price;
use crate::views::price_hint::hint_view;
use crate::views::price_hint::PriceHint;

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

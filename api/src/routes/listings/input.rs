//! What a client sends to post or edit an ad, and how it becomes a domain draft or patch;
//! prices as whole dinars or as an amount in millions or milliards.

use serde::Deserialize;
use souk_domain::price::{to_dzd, PriceUnit};
use souk_domain::{Delivery, ListingDraft, ListingPatch};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::params::explicit;

/// A price: whole dinars, or an amount in a unit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PriceInput {
    /// Whole dinars (DZD).
    Dzd(i64),
    /// `{"amount": 230, "unit": "million"}`: 230 millions = 2,300,000 DZD.
    InUnit(PriceInUnit),
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceInUnit {
    #[schema(example = 230)]
    pub amount: f64,
    /// `dzd`, `million` (10,000 DZD) or `milliard` (10,000,000 DZD).
    #[schema(example = "million")]
    pub unit: String,
}

impl PriceInput {
    /// In whole dinars; a bad unit or an amount that is not whole dinars is a field error.
    pub fn dzd(self) -> ApiResult<i64> {
        match self {
            PriceInput::Dzd(n) => Ok(n),
            PriceInput::InUnit(p) => {
                let unit = PriceUnit::parse(&p.unit).ok_or_else(|| {
                    ApiError::field("price.unit", "invalid_option", "dzd, million or milliard")
                })?;
                to_dzd(p.amount, unit).ok_or_else(|| {
                    ApiError::field(
                        "price.amount",
                        "invalid_price",
                        "a positive amount that makes whole dinars (at most 4 decimals in millions)",
                    )
                })
            }
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewListing {
    #[schema(
        example = "Peugeot 208 2019 diesel très propre",
        min_length = 5,
        max_length = 120
    )]
    pub title: String,
    #[schema(min_length = 10, max_length = 5000)]
    pub description: String,
    /// Slug of a leaf category, e.g. `cars`.
    #[schema(example = "cars")]
    pub category: String,
    /// Checked against the category's attribute schema.
    #[serde(default)]
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>, example = json!({"brand": "peugeot", "model": "208", "year": 2019, "mileage_km": 85000, "fuel": "diesel", "gearbox": "manual"}))]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Whole dinars (`2450000`), or an amount in a unit as the category speaks of it
    /// (`{"amount": 245, "unit": "million"}`; 1 million = 10,000 DZD, 1 milliard = 10,000,000
    /// DZD; decimals allowed for millions). Null or absent means "price on request". A price far
    /// outside the category's usual band is refused with the likely intended price
    /// (`unlikely_price`) unless `price_confirmed` is true.
    #[schema(value_type = Option<PriceInput>, example = json!({"amount": 245, "unit": "million"}))]
    pub price: Option<PriceInput>,
    /// The price is right even though it is unusual for the category.
    #[serde(default)]
    pub price_confirmed: bool,
    #[serde(default)]
    pub negotiable: bool,
    /// Open to an exchange (troc).
    #[serde(default)]
    pub exchange: bool,
    #[schema(example = 16)]
    pub wilaya: i32,
    #[schema(example = 1601)]
    pub commune: i32,
    /// Defaults to the commune's point.
    pub location: Option<LatLon>,
    /// Show the account's phone number on the ad.
    #[serde(default)]
    pub show_phone: bool,
    /// Goods only: `none` (default), `seller` (the seller delivers) or `courier`.
    #[schema(example = "courier")]
    pub delivery: Option<String>,
}

/// `none`, `seller` or `courier`; anything else is a field error.
fn delivery(raw: Option<&str>) -> ApiResult<Option<Delivery>> {
    raw.map(|d| {
        Delivery::parse(d)
            .ok_or_else(|| ApiError::field("delivery", "invalid_option", "none, seller or courier"))
    })
    .transpose()
}

impl NewListing {
    pub fn into_draft(self) -> ApiResult<ListingDraft> {
        let n = self;
        Ok(ListingDraft {
            delivery: delivery(n.delivery.as_deref())?.unwrap_or_default(),
            price: n.price.map(PriceInput::dzd).transpose()?,
            price_confirmed: n.price_confirmed,
            title: n.title,
            description: n.description,
            category: n.category,
            attributes: n.attributes,
            negotiable: n.negotiable,
            exchange: n.exchange,
            wilaya: n.wilaya,
            commune: n.commune,
            location: n.location.map(|l| (l.lat, l.lon)),
            show_phone: n.show_phone,
        })
    }
}

/// Fields to change; absent fields stay as they are. The result is validated as a whole.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    /// Replaces all attributes.
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// As when posting (whole dinars or `{amount, unit}`); null sets "price on request".
    #[serde(default, deserialize_with = "explicit")]
    #[schema(value_type = Option<PriceInput>)]
    pub price: Option<Option<PriceInput>>,
    /// The new price is right even though it is unusual for the category.
    pub price_confirmed: Option<bool>,
    /// `none`, `seller` or `courier`.
    pub delivery: Option<String>,
    pub negotiable: Option<bool>,
    pub exchange: Option<bool>,
    pub wilaya: Option<i32>,
    pub commune: Option<i32>,
    pub location: Option<LatLon>,
    pub show_phone: Option<bool>,
}

impl ListingUpdate {
    pub fn into_patch(self) -> ApiResult<ListingPatch> {
        let u = self;
        Ok(ListingPatch {
            delivery: delivery(u.delivery.as_deref())?,
            price: match u.price {
                None => None,
                Some(None) => Some(None),
                Some(Some(p)) => Some(Some(p.dzd()?)),
            },
            price_confirmed: u.price_confirmed,
            title: u.title,
            description: u.description,
            category: u.category,
            attributes: u.attributes,
            negotiable: u.negotiable,
            exchange: u.exchange,
            wilaya: u.wilaya,
            commune: u.commune,
            location: u.location.map(|l| (l.lat, l.lon)),
            show_phone: u.show_phone,
        })
    }
}

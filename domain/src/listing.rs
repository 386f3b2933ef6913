//! What makes a listing valid, whoever submits it.

use serde::{Deserialize, Serialize};

use crate::attributes::{validate_attributes, Attributes};
use crate::category::Catalog;
use crate::error::ValidationErrors;
use crate::geo::{distance_km, in_algeria, Geography};
use crate::language::Language;
use crate::price::{check_price, group_digits, price_display, PriceProblem, Pricing, PRICE_MAX};
use crate::text::{char_len, clean_text, refuse_line_breaks};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListingStatus {
    Active,
    Sold,
    Expired,
    Deleted,
}

impl ListingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ListingStatus::Active => "active",
            ListingStatus::Sold => "sold",
            ListingStatus::Expired => "expired",
            ListingStatus::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "active" => ListingStatus::Active,
            "sold" => ListingStatus::Sold,
            "expired" => ListingStatus::Expired,
            "deleted" => ListingStatus::Deleted,
            _ => return None,
        })
    }
}

pub const TITLE_MIN: usize = 5;
pub const TITLE_MAX: usize = 120;
pub const DESCRIPTION_MIN: usize = 10;
pub const DESCRIPTION_MAX: usize = 5000;
/// A pin farther than this from its commune's point was put there by mistake.
pub const LOCATION_MAX_KM_FROM_COMMUNE: f64 = 60.0;

/// A listing as submitted, before validation. `attributes` is raw JSON, checked against the
/// category's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingDraft {
    pub title: String,
    pub description: String,
    pub category: String,
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub price: Option<i64>,
    pub negotiable: bool,
    pub exchange: bool,
    pub wilaya: i32,
    pub commune: i32,
    pub location: Option<(f64, f64)>,
    pub show_phone: bool,
    /// The seller confirmed a price outside the category's usual band.
    pub price_confirmed: bool,
    pub delivery: Delivery,
}

/// Whether the seller ships, for ads of goods ("livraison 58 wilayas").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delivery {
    #[default]
    None,
    /// The seller delivers himself.
    Seller,
    /// By courier (Yalidine, ZR Express, EMS…).
    Courier,
}

impl Delivery {
    pub fn parse(s: &str) -> Option<Delivery> {
        match s {
            "none" => Some(Delivery::None),
            "seller" => Some(Delivery::Seller),
            "courier" => Some(Delivery::Courier),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::None => "none",
            Delivery::Seller => "seller",
            Delivery::Courier => "courier",
        }
    }
}

/// What makes two ads "the same text": title and description lowercased, every run of
/// characters that are not letters or digits (any script) one space. A seller reposting an
/// ad with another price or a changed comma is still reposting it.
pub fn text_fingerprint(title: &str, description: &str) -> String {
    let mut out = String::with_capacity(title.len() + description.len() + 1);
    for c in title.chars().chain(['\n']).chain(description.chars()) {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    out.trim_end().to_string()
}

/// Categories whose ads are not goods to ship.
const NOT_SHIPPED: [&str; 3] = ["real-estate", "jobs", "services"];

/// A partial update: `None` keeps the field. `price: Some(None)` means "on request".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListingPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    pub price: Option<Option<i64>>,
    pub negotiable: Option<bool>,
    pub exchange: Option<bool>,
    pub wilaya: Option<i32>,
    pub commune: Option<i32>,
    pub location: Option<(f64, f64)>,
    pub show_phone: Option<bool>,
    pub price_confirmed: Option<bool>,
    pub delivery: Option<Delivery>,
}

impl ListingPatch {
    /// Applies the patch. Moving to another commune without a new pin drops the old pin, so the
    /// listing falls back to the new commune's point instead of keeping a stale one.
    pub fn apply(self, mut draft: ListingDraft) -> ListingDraft {
        let commune_changed = self.commune.is_some_and(|c| c != draft.commune);
        // A stored price is not judged again when an edit touches neither it nor the category.
        draft.price_confirmed = self
            .price_confirmed
            .unwrap_or(self.price.is_none() && self.category.is_none());
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { draft.$f = v; } )* };
        }
        set!(
            title,
            description,
            category,
            attributes,
            price,
            negotiable,
            exchange,
            wilaya,
            commune,
            show_phone,
            delivery
        );
        if let Some(loc) = self.location {
            draft.location = Some(loc);
        } else if commune_changed {
            draft.location = None;
        }
        draft
    }
}

/// A listing that passed every rule; what the store writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidListing {
    pub title: String,
    pub description: String,
    pub category: String,
    pub attributes: Attributes,
    pub price: Option<i64>,
    pub negotiable: bool,
    pub exchange: bool,
    pub wilaya: i32,
    pub commune: i32,
    pub lat: f64,
    pub lon: f64,
    pub show_phone: bool,
    pub delivery: Delivery,
}

/// The category's band: a placeholder or an implausible price is a field error that says what
/// was probably meant; `price_confirmed` lets an unusual but true price through.
fn check_price_for(errors: &mut ValidationErrors, pricing: &Pricing, p: i64) {
    let shown = |dzd: i64| price_display(dzd, pricing, Language::Fr);
    match check_price(pricing, p) {
        Ok(()) => {}
        Err(PriceProblem::Placeholder) => errors.push(
            "price",
            "placeholder_price",
            "this looks like a stand-in, not a price: leave it empty for 'price on request'",
        ),
        Err(PriceProblem::LikelyUnitMistake(likely)) => errors.push(
            "price",
            "unlikely_price",
            format!(
                "did you mean {} = {} DZD? If {} DZD is right, send it again with price_confirmed: true",
                shown(likely),
                group_digits(likely),
                group_digits(p)
            ),
        ),
        Err(PriceProblem::Implausible) => errors.push(
            "price",
            "unlikely_price",
            format!(
                "ads of this category are usually priced {} to {}; if {} DZD is right, send it again with price_confirmed: true",
                shown(pricing.min),
                shown(pricing.max),
                group_digits(p)
            ),
        ),
    }
}

impl ListingDraft {
    pub fn validate(
        self,
        catalog: &Catalog,
        geo: &Geography,
    ) -> Result<ValidListing, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let title = if refuse_line_breaks(&mut errors, "title", &self.title) {
            String::new()
        } else {
            checked_text(&mut errors, "title", &self.title, TITLE_MIN, TITLE_MAX)
        };
        let description = checked_text(
            &mut errors,
            "description",
            &self.description,
            DESCRIPTION_MIN,
            DESCRIPTION_MAX,
        );

        let mut attributes = Attributes::new();
        match catalog.get(&self.category) {
            None => errors.push("category", "unknown_category", "no category has this slug"),
            Some(c) if !c.is_leaf() => errors.push(
                "category",
                "not_a_leaf",
                format!(
                    "post in one of the subcategories: {}",
                    c.children.join(", ")
                ),
            ),
            Some(c) => match validate_attributes(&c.attributes, &self.attributes) {
                Ok(a) => attributes = a,
                Err(e) => errors.0.extend(e.0),
            },
        }

        if let Some(p) = self.price {
            if !(0..=PRICE_MAX).contains(&p) {
                errors.push(
                    "price",
                    "out_of_range",
                    format!("between 0 and {PRICE_MAX} DZD, or null for 'on request'"),
                );
            } else if let Some(c) = catalog
                .get(&self.category)
                .filter(|_| !self.price_confirmed)
            {
                check_price_for(&mut errors, &c.pricing, p);
            }
        }

        if self.delivery != Delivery::None {
            let root = catalog.path(&self.category).first().map(|c| c.slug.clone());
            if root.is_some_and(|r| NOT_SHIPPED.contains(&r.as_str())) {
                errors.push(
                    "delivery",
                    "not_deliverable",
                    "delivery is for ads of goods, not property, jobs or services",
                );
            }
        }

        let mut point = (0.0, 0.0);
        match (geo.wilaya(self.wilaya), geo.commune(self.commune)) {
            (None, _) => errors.push("wilaya", "unknown_wilaya", "no wilaya has this code"),
            (Some(_), None) => errors.push("commune", "unknown_commune", "no commune has this id"),
            (Some(w), Some(c)) if c.wilaya_code != w.code => errors.push(
                "commune",
                "commune_not_in_wilaya",
                format!("{} is not in wilaya {}", c.name_latin, w.code),
            ),
            (Some(_), Some(c)) => {
                point = (c.lat, c.lon);
                if let Some((lat, lon)) = self.location {
                    if !lat.is_finite() || !lon.is_finite() || !in_algeria(lat, lon) {
                        errors.push(
                            "location",
                            "outside_algeria",
                            "the point must be in Algeria",
                        );
                    } else if distance_km((lat, lon), (c.lat, c.lon)) > LOCATION_MAX_KM_FROM_COMMUNE
                    {
                        errors.push(
                            "location",
                            "far_from_commune",
                            format!(
                                "the point is more than {LOCATION_MAX_KM_FROM_COMMUNE} km from {}",
                                c.name_latin
                            ),
                        );
                    } else {
                        point = (lat, lon);
                    }
                }
            }
        }

        errors.into_result(ValidListing {
            title,
            description,
            category: self.category,
            attributes,
            price: self.price,
            negotiable: self.negotiable,
            exchange: self.exchange,
            wilaya: self.wilaya,
            commune: self.commune,
            lat: point.0,
            lon: point.1,
            show_phone: self.show_phone,
            delivery: self.delivery,
        })
    }
}

fn checked_text(
    errors: &mut ValidationErrors,
    field: &'static str,
    raw: &str,
    min: usize,
    max: usize,
) -> String {
    match clean_text(raw) {
        None => {
            errors.push(
                field,
                "invalid_characters",
                "control characters are not allowed",
            );
            String::new()
        }
        Some(t) => {
            let n = char_len(&t);
            if n < min {
                errors.push(field, "too_short", format!("at least {min} characters"));
            } else if n > max {
                errors.push(field, "too_long", format!("at most {max} characters"));
            }
            t
        }
    }
}

/// Decimals of an ad's coordinates shown to the public: three, about 110 m north–south and
/// 90 m east–west in Algeria. The exact pin stays in the database and the index (radius
/// searches); the public sees the neighbourhood, not the seller's door.
pub const PUBLIC_COORDINATE_DECIMALS: i32 = 3;

/// An ad's point as the public sees it (`PUBLIC_COORDINATE_DECIMALS`).
pub fn public_point(lat: f64, lon: f64) -> (f64, f64) {
    let scale = 10f64.powi(PUBLIC_COORDINATE_DECIMALS);
    ((lat * scale).round() / scale, (lon * scale).round() / scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{catalog, geography};
    use serde_json::json;

    fn draft() -> ListingDraft {
        ListingDraft {
            title: "بيجو 208 نظيفة".into(),
            description: "Voiture très propre, première main, papiers en règle.".into(),
            category: "cars".into(),
            attributes: json!({"brand": "peugeot", "year": 2019, "fuel": "diesel"})
                .as_object()
                .unwrap()
                .clone(),
            price: Some(2_500_000),
            negotiable: true,
            exchange: false,
            wilaya: 16,
            commune: 1601,
            location: None,
            show_phone: false,
            price_confirmed: false,
            delivery: Delivery::None,
        }
    }

    #[test]
    fn reposts_with_other_punctuation_or_case_have_one_fingerprint() {
        assert_eq!(
            text_fingerprint(
                "Golf 7 TDI, très propre!",
                "Première main.\nPrix: à débattre"
            ),
            text_fingerprint("golf 7 tdi très propre", "première  main prix à débattre")
        );
        assert_ne!(
            text_fingerprint("Golf 7", "Première main"),
            text_fingerprint("Golf 6", "Première main")
        );
    }

    #[test]
    fn a_car_priced_230_dinars_is_a_unit_mistake_with_its_likely_price() {
        let mut d = draft();
        d.price = Some(230);
        let e = d.clone().validate(catalog(), geography()).unwrap_err();
        assert_eq!(e.0[0].code, "unlikely_price");
        assert!(
            e.0[0].message.contains("230 millions = 2 300 000 DZD"),
            "{}",
            e.0[0].message
        );
        d.price_confirmed = true;
        assert!(d.clone().validate(catalog(), geography()).is_ok());
        d.price_confirmed = false;
        d.price = Some(123_456);
        let e = d.validate(catalog(), geography()).unwrap_err();
        assert_eq!(e.0[0].code, "placeholder_price");
    }

    fn fields(e: ValidationErrors) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn valid_draft_gets_the_commune_point() {
        let v = draft().validate(catalog(), geography()).unwrap();
        let c = geography().commune(1601).unwrap();
        assert_eq!((v.lat, v.lon), (c.lat, c.lon));
    }

    #[test]
    fn wrong_places_are_refused() {
        let mut d = draft();
        d.commune = 3101; // Oran
        assert_eq!(
            fields(d.validate(catalog(), geography()).unwrap_err()),
            vec!["commune"]
        );
        let mut d = draft();
        d.location = Some((48.85, 2.35)); // Paris
        assert_eq!(
            fields(d.validate(catalog(), geography()).unwrap_err()),
            vec!["location"]
        );
        let mut d = draft();
        d.location = Some((35.69, -0.63)); // Oran, 350 km away
        assert_eq!(
            fields(d.validate(catalog(), geography()).unwrap_err()),
            vec!["location"]
        );
    }

    #[test]
    fn all_errors_come_together() {
        let mut d = draft();
        d.title = "a".into();
        d.category = "vehicles".into();
        d.price = Some(-1);
        assert_eq!(
            fields(d.validate(catalog(), geography()).unwrap_err()),
            vec!["title", "category", "price"]
        );
    }

    #[test]
    fn moving_commune_drops_a_stale_pin() {
        let mut d = draft();
        d.location = Some((36.75, 3.05));
        let patched = ListingPatch {
            commune: Some(1602),
            ..Default::default()
        }
        .apply(d);
        assert_eq!(patched.location, None);
    }
}

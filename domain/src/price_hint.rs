//! Fair-price hints: which active ads are comparable to an ad, and what their prices say.
//!
//! Comparables share a *peer key* (exact: the same category and, by category, the same brand
//! and model, storage and condition, or property type, wilaya and rooms) and fall within the
//! same *bands* (close year and mileage, close surface). The search index stores the key as a
//! term and the band attributes as columns, so a hint reads one posting list.

use serde::{Deserialize, Serialize};

use crate::attributes::Attributes;

/// Fewer comparables than this give no hint: a median of three ads says little.
pub const MIN_COMPARABLES: usize = 5;
/// A price under this share of the comparables' first quartile is a `suspicious_price` signal.
pub const SUSPICIOUS_SHARE_OF_P25: f64 = 0.5;

/// A numeric attribute that must fall in `[min, max]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    pub key: String,
    pub min: i64,
    pub max: i64,
}

/// What makes ads comparable to one ad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peers {
    pub key: String,
    pub bands: Vec<Band>,
}

/// Model names as people type them: case, spaces and punctuation aside, letters and digits
/// apart ("Clio4", "clio 4", "CLIO-4" are one model).
pub fn model_key(model: &str) -> Option<String> {
    let mut out = String::new();
    let mut last: Option<char> = None;
    for c in model.chars().flat_map(char::to_lowercase) {
        if !c.is_alphanumeric() {
            last = None;
            continue;
        }
        let boundary = last.is_some_and(|l| l.is_numeric() != c.is_numeric());
        if (last.is_none() || boundary) && !out.is_empty() {
            out.push(' ');
        }
        out.push(c);
        last = Some(c);
    }
    (!out.is_empty()).then_some(out)
}

fn text<'a>(a: &'a Attributes, key: &str) -> Option<&'a str> {
    a.get(key).and_then(|v| v.as_str())
}

fn int(a: &Attributes, key: &str) -> Option<i64> {
    a.get(key).and_then(|v| v.as_i64())
}

/// Mileage bands of 50,000 km, the last open: a car at 60,000 km compares with 50–99,999.
fn mileage_band(km: i64) -> (i64, i64) {
    let lo = (km.max(0) / 50_000 * 50_000).min(250_000);
    let hi = if lo >= 250_000 { i64::MAX } else { lo + 49_999 };
    (lo, hi)
}

/// The peer key alone (what the index stores for an ad), or `None` for ads without
/// comparables (other categories, or a car without brand and model).
pub fn peer_key(category: &str, attributes: &Attributes, wilaya: i32) -> Option<String> {
    peers(category, attributes, wilaya).map(|p| p.key)
}

/// Comparables of an ad: cars (brand, model, year ± 1, mileage band), phones and tablets
/// (brand, model, storage, condition), real estate (type, wilaya, rooms, surface ± 20 %).
pub fn peers(category: &str, a: &Attributes, wilaya: i32) -> Option<Peers> {
    match category {
        "cars" | "motorcycles" | "trucks" => {
            let brand = text(a, "brand")?;
            let model = model_key(text(a, "model")?)?;
            let mut bands = Vec::new();
            if let Some(y) = int(a, "year") {
                bands.push(Band {
                    key: "year".into(),
                    min: y.saturating_sub(1),
                    max: y.saturating_add(1),
                });
            }
            if let Some(km) = int(a, "mileage_km") {
                let (min, max) = mileage_band(km);
                bands.push(Band {
                    key: "mileage_km".into(),
                    min,
                    max,
                });
            }
            Some(Peers {
                key: format!("{category}|{brand}|{model}"),
                bands,
            })
        }
        "smartphones" | "tablets" => {
            let brand = text(a, "brand")?;
            let model = model_key(text(a, "model")?)?;
            let storage = int(a, "storage_gb").map_or_else(|| "?".into(), |s| s.to_string());
            let condition = text(a, "condition").unwrap_or("?");
            Some(Peers {
                key: format!("{category}|{brand}|{model}|{storage}|{condition}"),
                bands: Vec::new(),
            })
        }
        "real-estate-sale" | "real-estate-rent" | "real-estate-holiday-rent" => {
            let kind = text(a, "property_type")?;
            let rooms = int(a, "rooms").map_or_else(|| "?".into(), |r| r.to_string());
            let bands = int(a, "surface_m2")
                .filter(|s| *s > 0)
                .map(|s| Band {
                    key: "surface_m2".into(),
                    min: s.saturating_mul(4) / 5,
                    max: s.saturating_mul(6) / 5,
                })
                .into_iter()
                .collect();
            Some(Peers {
                key: format!("{category}|{kind}|{wilaya}|{rooms}"),
                bands,
            })
        }
        _ => None,
    }
}

/// Where a price stands among its comparables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    Below,
    Fair,
    Above,
}

/// The comparables' quartiles, in DZD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FairPrice {
    pub p25: i64,
    pub median: i64,
    pub p75: i64,
    /// Comparable ads counted.
    pub n: usize,
}

impl FairPrice {
    /// Quartiles of `prices` (any order), or `None` under `MIN_COMPARABLES`.
    pub fn of(mut prices: Vec<i64>) -> Option<FairPrice> {
        if prices.len() < MIN_COMPARABLES {
            return None;
        }
        prices.sort_unstable();
        let q = |f: f64| {
            // Linear interpolation between closest ranks.
            let pos = f * (prices.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            let t = pos - lo as f64;
            (prices[lo] as f64 * (1.0 - t) + prices[hi] as f64 * t).round() as i64
        };
        Some(FairPrice {
            p25: q(0.25),
            median: q(0.5),
            p75: q(0.75),
            n: prices.len(),
        })
    }

    pub fn position(&self, price: i64) -> Position {
        if price < self.p25 {
            Position::Below
        } else if price > self.p75 {
            Position::Above
        } else {
            Position::Fair
        }
    }

    /// Far below what comparable ads ask: the bait of an advance-payment scam.
    pub fn is_suspicious(&self, price: i64) -> bool {
        (price as f64) < self.p25 as f64 * SUSPICIOUS_SHARE_OF_P25
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AttributeValue;

    fn attrs(pairs: &[(&str, AttributeValue)]) -> Attributes {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn model_names_as_typed_are_one_key() {
        assert_eq!(model_key("Clio4").as_deref(), Some("clio 4"));
        assert_eq!(model_key(" CLIO - 4 ").as_deref(), Some("clio 4"));
        assert_eq!(model_key("Note 12 Pro+").as_deref(), Some("note 12 pro"));
        assert_eq!(model_key("--"), None);
    }

    #[test]
    fn cars_compare_by_model_year_and_mileage() {
        let a = attrs(&[
            ("brand", AttributeValue::Text("renault".into())),
            ("model", AttributeValue::Text("Clio 4".into())),
            ("year", AttributeValue::Integer(2017)),
            ("mileage_km", AttributeValue::Integer(120_000)),
        ]);
        let p = peers("cars", &a, 16).unwrap();
        assert_eq!(p.key, "cars|renault|clio 4");
        assert_eq!(
            p.bands,
            [
                Band {
                    key: "year".into(),
                    min: 2016,
                    max: 2018
                },
                Band {
                    key: "mileage_km".into(),
                    min: 100_000,
                    max: 149_999
                }
            ]
        );
        assert_eq!(peer_key("laptops", &a, 16), None);
    }

    #[test]
    fn quartiles_positions_and_the_suspicious_bait() {
        assert_eq!(FairPrice::of(vec![1, 2, 3, 4]), None);
        let f = FairPrice::of(vec![100, 200, 300, 400, 500]).unwrap();
        assert_eq!((f.p25, f.median, f.p75, f.n), (200, 300, 400, 5));
        assert_eq!(f.position(150), Position::Below);
        assert_eq!(f.position(300), Position::Fair);
        assert_eq!(f.position(401), Position::Above);
        assert!(f.is_suspicious(99));
        assert!(!f.is_suspicious(100));
    }
}

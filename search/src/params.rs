//! The query-string form of a search (`GET /v1/search?...`, saved searches).

use souk_domain::price::PriceUnit;
use souk_domain::price::PRICE_MAX;
use souk_domain::ValidationErrors;

use crate::request::{Near, SearchRequest, Sort, MAX_LIST_VALUES};

/// Query parameters a search may have: the fixed ones plus a leaf's attributes fit easily.
pub const MAX_PARAMETERS: usize = 64;

fn number<T: std::str::FromStr>(e: &mut ValidationErrors, name: &str, v: &str) -> Option<T> {
    match v.trim().parse() {
        Ok(x) => Some(x),
        Err(_) => {
            e.push(
                name.to_string(),
                "invalid_number",
                format!("{v:?} is not a number"),
            );
            None
        }
    }
}

fn boolean(e: &mut ValidationErrors, name: &str, v: &str) -> Option<bool> {
    match v {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => {
            e.push(name.to_string(), "invalid_boolean", "true or false");
            None
        }
    }
}

impl SearchRequest {
    /// Builds a request from the pairs of a query string (repeated keys allowed), reporting
    /// every shape error at once. Call `validate` on the result for the rules.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<SearchRequest, ValidationErrors> {
        let mut e = ValidationErrors::default();
        let mut r = SearchRequest {
            limit: 20,
            facets: true,
            ..Default::default()
        };
        let mut radius = None;
        let mut near = None;
        let (mut price_min, mut price_max) = (None, None);
        let mut price_unit = PriceUnit::Dzd;
        if pairs.len() > MAX_PARAMETERS {
            e.push(
                "query",
                "too_many_parameters",
                format!("at most {MAX_PARAMETERS} query parameters"),
            );
            return Err(e);
        }
        // One more than allowed is kept, so validation can say the list is too long.
        let list = |v: &str| -> Vec<String> {
            v.split(',')
                .filter(|s| !s.is_empty())
                .take(MAX_LIST_VALUES + 1)
                .map(str::to_string)
                .collect()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "q" => r.q = Some(v.clone()).filter(|s| !s.trim().is_empty()),
                "category" => r.category = Some(v.clone()),
                "wilaya" => {
                    for w in list(v) {
                        if r.wilayas.len() > MAX_LIST_VALUES {
                            break;
                        }
                        r.wilayas.extend(number::<i32>(&mut e, "wilaya", &w));
                    }
                }
                "commune" => r.commune = number(&mut e, k, v),
                "seller" => r.seller = number(&mut e, k, v),
                "price_min" => price_min = number::<f64>(&mut e, k, v),
                "price_max" => price_max = number::<f64>(&mut e, k, v),
                "price_unit" => match PriceUnit::parse(v) {
                    Some(u) => price_unit = u,
                    None => e.push("price_unit", "invalid_option", "dzd, million or milliard"),
                },
                "negotiable" => r.negotiable = boolean(&mut e, k, v),
                "exchange" => r.exchange = boolean(&mut e, k, v),
                "with_photos" => r.with_photos = boolean(&mut e, k, v),
                "delivery" => r.delivery = boolean(&mut e, k, v),
                "urgent" => r.urgent = boolean(&mut e, k, v),
                "facets" => r.facets = boolean(&mut e, k, v).unwrap_or(true),
                "near" => match v.split_once(',') {
                    Some((a, b)) => {
                        near =
                            number::<f64>(&mut e, "near", a).zip(number::<f64>(&mut e, "near", b))
                    }
                    None => e.push("near", "invalid_point", "near=lat,lon"),
                },
                "radius_km" => radius = number::<f64>(&mut e, k, v),
                "sort" => match Sort::parse(v) {
                    Some(s) => r.sort = Some(s),
                    None => e.push(
                        "sort",
                        "invalid_option",
                        "relevance, newest, price_asc, price_desc or distance",
                    ),
                },
                "limit" => r.limit = number(&mut e, k, v).unwrap_or(0),
                "cursor" => r.cursor = Some(v.clone()),
                other => {
                    if let Some(key) = other.strip_suffix("_min") {
                        let entry = r.ints.entry(key.to_string()).or_default();
                        entry.min = number(&mut e, other, v);
                    } else if let Some(key) = other.strip_suffix("_max") {
                        let entry = r.ints.entry(key.to_string()).or_default();
                        entry.max = number(&mut e, other, v);
                    } else {
                        let values = r.enums.entry(other.to_string()).or_default();
                        values.extend(list(v));
                        values.truncate(MAX_LIST_VALUES + 1);
                    }
                }
            }
        }
        // Bounds in the unit asked for (`price_max=300&price_unit=million`), compared in DZD.
        let in_dzd = |e: &mut ValidationErrors, field: &str, amount: Option<f64>| {
            let amount = amount?;
            let dzd = amount * price_unit.dzd() as f64;
            if dzd.is_finite() && (0.0..=PRICE_MAX as f64).contains(&dzd) {
                Some(dzd.round() as i64)
            } else {
                e.push(
                    field,
                    "out_of_range",
                    format!("between 0 and {PRICE_MAX} DZD"),
                );
                None
            }
        };
        r.price.min = in_dzd(&mut e, "price_min", price_min);
        r.price.max = in_dzd(&mut e, "price_max", price_max);
        if let Some((lat, lon)) = near {
            r.near = Some(Near {
                lat,
                lon,
                radius_km: radius.unwrap_or(25.0),
            });
        } else if radius.is_some() {
            e.push("radius_km", "needs_near", "radius_km needs near=lat,lon");
        }
        e.into_result(r)
    }
}

//! Paid visibility: what each product costs and when it may be bought. Prices are data
//! (`reference/products.json`, in dinars; one credit is one dinar), so a site changes them
//! without a release.

use std::sync::OnceLock;

use chrono::{Duration, NaiveDateTime};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct BumpOffer {
    /// Credits (dinars) a bump costs.
    pub price: i64,
    /// An ad goes back to the top at most this often.
    pub min_hours_between: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Products {
    pub currency: String,
    pub bump: BumpOffer,
}

pub fn products() -> &'static Products {
    static P: OnceLock<Products> = OnceLock::new();
    P.get_or_init(|| {
        serde_json::from_str(include_str!("../reference/products.json"))
            .expect("domain/reference/products.json is valid")
    })
}

/// When an ad may be bumped again: its last bump plus the minimum interval. `None`: now.
pub fn next_bump_at(bumped_at: Option<NaiveDateTime>, now: NaiveDateTime) -> Option<NaiveDateTime> {
    let at = bumped_at? + Duration::hours(products().bump.min_hours_between);
    (at > now).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bump_waits_a_day_after_the_last_one() {
        let t0 = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let h = |n: i64| t0 + Duration::hours(n);
        assert_eq!(next_bump_at(None, h(1)), None);
        assert_eq!(next_bump_at(Some(h(30)), h(40)), Some(h(54)));
        assert_eq!(next_bump_at(Some(h(30)), h(54)), None);
        assert!(products().bump.price > 0);
    }
}

//! Paid visibility: what each product and store plan costs and what it gives. Prices are data
//! in dinars (one credit is one dinar): `reference/products.json` by default, or a site's own
//! list, which the services read with their configuration (`SOUK_PRODUCTS_FILE`, see
//! `souk_worker::price_list`) and `install` at start, so a site changes them without a
//! release. The domain reads no file and no environment.

use std::sync::OnceLock;

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::Localized;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct BumpOffer {
    /// Credits (dinars) a bump costs.
    pub price: i64,
    /// An ad goes back to the top at most this often.
    pub min_hours_between: i64,
}

/// A mark bought by the day (featured, urgent).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DailyOffer {
    pub price_per_day: i64,
    /// The most days one purchase may add.
    pub max_days: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ScheduleLimits {
    pub max_every_days: i64,
    pub max_weeks: i64,
}

/// A store's monthly plan: what one period costs and includes.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Plan {
    pub key: String,
    pub name: Localized,
    pub price: i64,
    pub period_days: i64,
    /// Ads that may be posted per period.
    pub ads: i32,
    /// Bumps included per period (then paid in credits).
    pub bumps: i32,
    /// Featured days included per period (then paid in credits).
    pub featured_days: i32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Products {
    pub currency: String,
    pub bump: BumpOffer,
    pub featured: DailyOffer,
    pub urgent: DailyOffer,
    pub scheduled_bumps: ScheduleLimits,
    /// Active ads a store may have without a plan.
    pub store_free_active_ads: i64,
    pub plans: Vec<Plan>,
}

/// A mark an ad can carry for some days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Featured,
    Urgent,
}

impl Mark {
    pub fn parse(s: &str) -> Option<Mark> {
        match s {
            "featured" => Some(Mark::Featured),
            "urgent" => Some(Mark::Urgent),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Featured => "featured",
            Mark::Urgent => "urgent",
        }
    }
}

impl Products {
    pub fn plan(&self, key: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.key == key)
    }

    pub fn offer(&self, mark: Mark) -> &DailyOffer {
        match mark {
            Mark::Featured => &self.featured,
            Mark::Urgent => &self.urgent,
        }
    }

    /// What makes a price list unusable (a negative price, a plan without a period, ...).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |ok: bool, what: &str| {
            if !ok {
                out.push(what.to_string());
            }
        };
        check(self.bump.price > 0, "bump.price must be positive");
        check(self.bump.min_hours_between >= 0, "bump.min_hours_between");
        for (name, o) in [("featured", &self.featured), ("urgent", &self.urgent)] {
            check(o.price_per_day > 0, &format!("{name}.price_per_day"));
            check((1..=365).contains(&o.max_days), &format!("{name}.max_days"));
        }
        check(
            self.scheduled_bumps.max_every_days >= 1,
            "scheduled_bumps.max_every_days",
        );
        check(
            self.scheduled_bumps.max_weeks >= 1,
            "scheduled_bumps.max_weeks",
        );
        check(self.store_free_active_ads >= 0, "store_free_active_ads");
        for p in &self.plans {
            check(p.price > 0, &format!("plans.{}.price", p.key));
            check(
                (1..=366).contains(&p.period_days),
                &format!("plans.{}.period_days", p.key),
            );
            check(
                p.ads >= 0 && p.bumps >= 0 && p.featured_days >= 0,
                &format!("plans.{}", p.key),
            );
        }
        out
    }
}

impl Products {
    /// Parses and checks a price list (JSON as `reference/products.json`).
    pub fn parse(text: &str) -> Result<Products, String> {
        let p: Products = serde_json::from_str(text).map_err(|e| format!("products: {e}"))?;
        let problems = p.problems();
        if !problems.is_empty() {
            return Err(format!("products: {}", problems.join(", ")));
        }
        Ok(p)
    }

    /// The bundled price list.
    pub fn bundled() -> Products {
        Products::parse(include_str!("../reference/products.json"))
            .unwrap_or_else(|e| panic!("domain/reference/products.json: {e}"))
    }
}

static IN_FORCE: OnceLock<Products> = OnceLock::new();

/// Puts a site's price list in force, once, at start (before anything reads `products`);
/// `Err` when one is in force already.
pub fn install(p: Products) -> Result<(), String> {
    IN_FORCE
        .set(p)
        .map_err(|_| "a price list is in force already".to_string())
}

/// The price list in force: the one installed at start, else the bundled one.
pub fn products() -> &'static Products {
    IN_FORCE.get_or_init(Products::bundled)
}

/// When an ad may be bumped again: its last bump plus the minimum interval. `None`: now.
pub fn next_bump_at(bumped_at: Option<NaiveDateTime>, now: NaiveDateTime) -> Option<NaiveDateTime> {
    let at = bumped_at? + Duration::hours(products().bump.min_hours_between);
    (at > now).then_some(at)
}

/// The end of a mark bought for `days` more: days are added to a mark still running, so
/// buying twice never loses a paid day.
pub fn extended_until(
    current: Option<NaiveDateTime>,
    now: NaiveDateTime,
    days: i64,
) -> NaiveDateTime {
    current.filter(|c| *c > now).unwrap_or(now) + Duration::days(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn a_bump_waits_a_day_after_the_last_one() {
        let h = |n: i64| t0() + Duration::hours(n);
        assert_eq!(next_bump_at(None, h(1)), None);
        assert_eq!(next_bump_at(Some(h(30)), h(40)), Some(h(54)));
        assert_eq!(next_bump_at(Some(h(30)), h(54)), None);
        assert!(products().bump.price > 0);
    }

    #[test]
    fn buying_days_again_adds_to_the_days_left() {
        let d = |n: i64| t0() + Duration::days(n);
        assert_eq!(extended_until(None, d(0), 3), d(3));
        assert_eq!(extended_until(Some(d(2)), d(0), 3), d(5));
        assert_eq!(
            extended_until(Some(d(-1)), d(0), 3),
            d(3),
            "a lapsed mark starts now"
        );
    }

    #[test]
    fn the_bundled_price_list_is_valid_and_a_bad_one_is_refused() {
        let p = Products::bundled();
        assert!(p.problems().is_empty());
        assert!(p.plan("pro").is_some() && p.plan("gold").is_none());
        let mut bad = p.clone();
        bad.featured.price_per_day = 0;
        bad.plans[0].period_days = 0;
        assert_eq!(bad.problems().len(), 2);
        // A site's file is parsed and checked the same way before it is put in force.
        let text = serde_json::to_string(&bad).unwrap();
        let refused = Products::parse(&text).unwrap_err();
        assert!(refused.contains("products:"), "{refused}");
        assert!(Products::parse("{not json").is_err());
        let good = serde_json::to_string(&p).unwrap();
        assert!(Products::parse(&good).is_ok());
    }
}

//! Prices as Algerians say them. Prices are stored in whole dinars (DZD), but cars and
//! property are spoken of in *millions* of centimes (1 million = 10,000 DZD; 1 milliard =
//! 10,000,000 DZD): "230 millions" is 2,300,000 DZD. Each category says which unit its ads use
//! and which band of prices is plausible (`reference/categories.json`); a price far outside
//! the band is most often a unit mistake (230 typed into a dinar field), which is caught with
//! the price the seller probably meant.

use serde::{Deserialize, Serialize};

use crate::language::{Language, Localized};

/// DZD in one million centimes.
/// 100 billion dinars: above any real ad, below anything that could overflow a sum.
pub const PRICE_MAX: i64 = 100_000_000_000;

pub const MILLION: i64 = 10_000;
/// DZD in one milliard centimes.
pub const MILLIARD: i64 = 10_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PriceUnit {
    #[default]
    Dzd,
    Million,
    Milliard,
}

impl PriceUnit {
    pub fn parse(s: &str) -> Option<PriceUnit> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dzd" | "da" => Some(PriceUnit::Dzd),
            "million" | "millions" => Some(PriceUnit::Million),
            "milliard" | "milliards" => Some(PriceUnit::Milliard),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PriceUnit::Dzd => "dzd",
            PriceUnit::Million => "million",
            PriceUnit::Milliard => "milliard",
        }
    }

    /// DZD in one of this unit.
    pub fn dzd(self) -> i64 {
        match self {
            PriceUnit::Dzd => 1,
            PriceUnit::Million => MILLION,
            PriceUnit::Milliard => MILLIARD,
        }
    }
}

/// What a price is for, when it is not the thing itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PricePer {
    Month,
    Night,
}

/// A category's pricing: the unit its ads are spoken of in and the plausible band (DZD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Pricing {
    pub unit: PriceUnit,
    pub min: i64,
    pub max: i64,
    #[serde(default)]
    pub per: Option<PricePer>,
}

impl Default for Pricing {
    fn default() -> Self {
        Pricing {
            unit: PriceUnit::Dzd,
            min: 0,
            max: PRICE_MAX,
            per: None,
        }
    }
}

/// `amount` in `unit` as whole dinars: decimals are allowed as long as they make whole dinars
/// ("105.5 millions" = 1,055,000 DZD); `None` for a negative, fractional-dinar or absurd amount.
pub fn to_dzd(amount: f64, unit: PriceUnit) -> Option<i64> {
    if !amount.is_finite() || amount < 0.0 {
        return None;
    }
    let dzd = amount * unit.dzd() as f64;
    if dzd > PRICE_MAX as f64 {
        return None;
    }
    let whole = dzd.round();
    ((dzd - whole).abs() < 1e-6).then_some(whole as i64)
}

/// What is wrong with a price for its category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceProblem {
    /// 1, 1111, 123456…: a stand-in for "call me", not a price.
    Placeholder,
    /// Outside the band, and ×10,000 (or ÷10,000) of it would be inside: the seller most
    /// likely typed millions into a dinar field (or the reverse). The likely price, in DZD.
    LikelyUnitMistake(i64),
    /// Outside the band, no likely mistake.
    Implausible,
}

/// Prices people type when they mean "ask me": a single 1, one digit repeated (1111, 99999),
/// or the counting run 123, 1234 … 123456789.
pub fn is_placeholder(dzd: i64) -> bool {
    if dzd == 1 {
        return true;
    }
    let digits = dzd.to_string();
    if digits.len() < 3 {
        return false;
    }
    let first = digits.as_bytes()[0];
    let repeated = digits.bytes().all(|b| b == first) && first != b'0';
    let counting = "123456789".starts_with(&digits);
    repeated || counting
}

/// Checks `dzd` against the category's band. Zero (free, a gift) is always accepted.
pub fn check_price(pricing: &Pricing, dzd: i64) -> Result<(), PriceProblem> {
    if dzd == 0 {
        return Ok(());
    }
    if is_placeholder(dzd) {
        return Err(PriceProblem::Placeholder);
    }
    let within = |p: i64| (pricing.min..=pricing.max).contains(&p);
    if within(dzd) {
        return Ok(());
    }
    let guess = if dzd < pricing.min {
        dzd.checked_mul(MILLION)
    } else {
        (dzd % MILLION == 0).then_some(dzd / MILLION)
    };
    match guess.filter(|g| within(*g)) {
        Some(g) => Err(PriceProblem::LikelyUnitMistake(g)),
        None => Err(PriceProblem::Implausible),
    }
}

/// Whole-number groups of three, separated by spaces: 2 300 000.
pub fn group_digits(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// `value / per` with at most two decimals, trailing zeros dropped, French with a comma.
fn decimal(value: i64, per: i64, lang: Language) -> String {
    let whole = value / per;
    let cents = ((value % per) * 100 + per / 2) / per;
    let (whole, cents) = if cents == 100 {
        (whole + 1, 0)
    } else {
        (whole, cents)
    };
    let mut s = group_digits(whole);
    if cents > 0 {
        let frac = format!("{cents:02}");
        let frac = frac.trim_end_matches('0');
        s.push(if lang == Language::Fr { ',' } else { '.' });
        s.push_str(frac);
    }
    s
}

/// The price as a reader says it, in the category's unit: "230 millions", "230 مليون",
/// "38 000 DA", "1,5 milliard", "45 000 DA / mois".
pub fn price_display(dzd: i64, pricing: &Pricing, lang: Language) -> String {
    let amount = match pricing.unit {
        PriceUnit::Dzd => dinars(dzd, lang),
        PriceUnit::Million | PriceUnit::Milliard if dzd >= MILLIARD => {
            let n = decimal(dzd, MILLIARD, lang);
            let plural = dzd >= 2 * MILLIARD;
            match lang {
                Language::Ar => format!("{n} مليار"),
                Language::Fr => format!("{n} {}", if plural { "milliards" } else { "milliard" }),
                Language::En => format!("{n} billion centimes"),
            }
        }
        PriceUnit::Million | PriceUnit::Milliard if dzd >= MILLION => {
            let n = decimal(dzd, MILLION, lang);
            let plural = dzd >= 2 * MILLION;
            match lang {
                Language::Ar => format!("{n} مليون"),
                Language::Fr => format!("{n} {}", if plural { "millions" } else { "million" }),
                Language::En => format!("{n} million centimes"),
            }
        }
        _ => dinars(dzd, lang),
    };
    match (pricing.per, lang) {
        (None, _) => amount,
        (Some(PricePer::Month), Language::Ar) => format!("{amount} / شهريا"),
        (Some(PricePer::Month), Language::Fr) => format!("{amount} / mois"),
        (Some(PricePer::Month), Language::En) => format!("{amount} / month"),
        (Some(PricePer::Night), Language::Ar) => format!("{amount} / الليلة"),
        (Some(PricePer::Night), Language::Fr) => format!("{amount} / nuit"),
        (Some(PricePer::Night), Language::En) => format!("{amount} / night"),
    }
}

fn dinars(dzd: i64, lang: Language) -> String {
    let n = group_digits(dzd);
    match lang {
        Language::Ar => format!("{n} دج"),
        Language::Fr => format!("{n} DA"),
        Language::En => format!("{n} DZD"),
    }
}

/// The display string in every language (the client shows the reader's).
pub fn price_display_all(dzd: i64, pricing: &Pricing) -> Localized {
    Localized {
        ar: price_display(dzd, pricing, Language::Ar),
        fr: price_display(dzd, pricing, Language::Fr),
        en: price_display(dzd, pricing, Language::En),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cars() -> Pricing {
        Pricing {
            unit: PriceUnit::Million,
            min: 100_000,
            max: 100_000_000,
            per: None,
        }
    }

    #[test]
    fn amounts_in_units_become_whole_dinars() {
        assert_eq!(to_dzd(230.0, PriceUnit::Million), Some(2_300_000));
        assert_eq!(to_dzd(105.5, PriceUnit::Million), Some(1_055_000));
        assert_eq!(to_dzd(1.2, PriceUnit::Milliard), Some(12_000_000));
        assert_eq!(to_dzd(38_000.0, PriceUnit::Dzd), Some(38_000));
        assert_eq!(
            to_dzd(38_000.5, PriceUnit::Dzd),
            None,
            "no centimes of a dinar"
        );
        assert_eq!(to_dzd(-1.0, PriceUnit::Million), None);
        assert_eq!(to_dzd(f64::NAN, PriceUnit::Million), None);
        assert_eq!(to_dzd(1e12, PriceUnit::Milliard), None);
    }

    #[test]
    fn a_price_typed_in_millions_into_dinars_is_caught_with_the_likely_price() {
        assert_eq!(
            check_price(&cars(), 230),
            Err(PriceProblem::LikelyUnitMistake(2_300_000))
        );
        assert_eq!(check_price(&cars(), 2_300_000), Ok(()));
        // The reverse: dinars typed where millions were meant, seen as ×10,000 too much.
        assert_eq!(
            check_price(&cars(), 2_300_000_000),
            Err(PriceProblem::LikelyUnitMistake(230_000))
        );
        assert_eq!(check_price(&cars(), 5), Err(PriceProblem::Implausible));
        assert_eq!(check_price(&cars(), 0), Ok(()), "free");
    }

    #[test]
    fn placeholders_are_not_prices() {
        for p in [1, 111, 1111, 99_999, 123, 1234, 123_456, 123_456_789] {
            assert!(is_placeholder(p), "{p}");
        }
        for p in [0, 10, 12, 100, 2_300_000, 1_000_000, 124, 45_000] {
            assert!(!is_placeholder(p), "{p}");
        }
    }

    #[test]
    fn display_follows_the_category_unit_and_language() {
        let p = cars();
        assert_eq!(price_display(2_300_000, &p, Language::Fr), "230 millions");
        assert_eq!(price_display(2_300_000, &p, Language::Ar), "230 مليون");
        assert_eq!(price_display(1_055_000, &p, Language::Fr), "105,5 millions");
        assert_eq!(
            price_display(1_055_000, &p, Language::En),
            "105.5 million centimes"
        );
        assert_eq!(price_display(15_000_000, &p, Language::Fr), "1,5 milliard");
        assert_eq!(price_display(23_000_000, &p, Language::Fr), "2,3 milliards");
        let phones = Pricing::default();
        assert_eq!(price_display(38_000, &phones, Language::Fr), "38 000 DA");
        assert_eq!(price_display(38_000, &phones, Language::Ar), "38 000 دج");
        let rent = Pricing {
            per: Some(PricePer::Month),
            ..Pricing::default()
        };
        assert_eq!(
            price_display(45_000, &rent, Language::Fr),
            "45 000 DA / mois"
        );
    }
}

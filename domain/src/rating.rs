//! Ratings after a real exchange: a conversation in which both sides wrote is the proof of a
//! transaction. Each side rates the other once per conversation, within 30 days of its last
//! message; ratings are double-blind (hidden until both sides rated or 14 days passed), so
//! nobody rates in retaliation.

use crate::error::ValidationErrors;
use crate::text::optional_text_field;

/// Days after a conversation's last message during which its sides may rate each other.
pub const RATE_WITHIN_DAYS: i64 = 30;
/// Days after which a rating shows even if the other side never rated.
pub const BLIND_DAYS: i64 = 14;
pub const COMMENT_MAX: usize = 500;
/// The tags a rating may carry.
pub const TAGS: [&str; 5] = [
    "as_described",
    "punctual",
    "polite",
    "responsive",
    "fair_price",
];

/// A rating as submitted, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidRating {
    pub stars: i32,
    pub tags: Vec<String>,
    pub comment: Option<String>,
}

pub fn validate(
    stars: i32,
    tags: &[String],
    comment: Option<&str>,
) -> Result<ValidRating, ValidationErrors> {
    let mut e = ValidationErrors::default();
    if !(1..=5).contains(&stars) {
        e.push("stars", "out_of_range", "between 1 and 5");
    }
    let mut clean: Vec<String> = Vec::new();
    for t in tags {
        if !TAGS.contains(&t.as_str()) {
            e.push("tags", "invalid_option", TAGS.join(", "));
        } else if !clean.contains(t) {
            clean.push(t.clone());
        }
    }
    let comment = optional_text_field(&mut e, "comment", comment, COMMENT_MAX);
    e.into_result(ValidRating {
        stars,
        tags: clean,
        comment,
    })
}

/// How much a rating counts in an average, weighed like a report (`trust::report_weight`):
/// by the rater's account age when they rated, a quarter before a week, a half before a month,
/// fully from then; a confirmed phone vouches for a young account as a week's age does. A
/// rival's fresh accounts move an average little.
pub fn rater_weight(account_age_days_when_rated: i64, phone_confirmed: bool) -> f64 {
    use crate::trust::{FULL_WEIGHT_DAYS, HALF_WEIGHT_DAYS};
    let by_age = match account_age_days_when_rated {
        d if d < HALF_WEIGHT_DAYS => 0.25,
        d if d < FULL_WEIGHT_DAYS => 0.5,
        _ => 1.0,
    };
    if phone_confirmed {
        f64::max(by_age, 0.5)
    } else {
        by_age
    }
}

/// The weighted average of `(stars, weight)` to one decimal, `None` without ratings.
pub fn weighted_average(ratings: impl IntoIterator<Item = (i32, f64)>) -> Option<f64> {
    let (sum, weight) = ratings
        .into_iter()
        .fold((0.0, 0.0), |(s, w), (stars, weight)| {
            (s + f64::from(stars) * weight, w + weight)
        });
    (weight > 0.0).then(|| ((sum / weight) * 10.0).round() / 10.0)
}

/// Whether a rating shows: once the other side rated too, or after `BLIND_DAYS`.
pub fn is_visible(age_days: i64, other_side_rated: bool) -> bool {
    other_side_rated || age_days >= BLIND_DAYS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_checked() {
        let r = validate(
            5,
            &["polite".into(), "polite".into()],
            Some(" Très sérieux "),
        )
        .unwrap();
        assert_eq!(r.tags, vec!["polite"]);
        assert_eq!(r.comment.as_deref(), Some("Très sérieux"));
        let e = validate(6, &["rich".into()], None).unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["stars", "tags"]);
    }

    #[test]
    fn double_blind_until_both_rated_or_two_weeks() {
        assert!(!is_visible(3, false));
        assert!(is_visible(3, true));
        assert!(is_visible(14, false));
    }
}

//! What the public sees of someone's ratings: visible ones only, the average weighted by the
//! raters' standing. Shown on the ratings page and on the seller's profile.

use souk_domain::rating::weighted_average;
use souk_store::{ratings, DbConn};

use crate::error::ApiResult;
use crate::views::rating::{rating_view, RatingSummary, RatingView};

/// What the public sees of someone's ratings (visible ones only).
pub fn summary_of(conn: &mut DbConn, user_id: i64) -> ApiResult<(RatingSummary, Vec<RatingView>)> {
    let visible = ratings::visible_for(conn, user_id)?;
    let mut distribution = [0i64; 5];
    for v in &visible {
        distribution[(v.rating.stars.clamp(1, 5) - 1) as usize] += 1;
    }
    let count = visible.len() as i64;
    // Weighted by the raters' standing (souk_domain::rating::rater_weight).
    let average = weighted_average(visible.iter().map(|v| (v.rating.stars, v.weight)));
    let items = visible
        .into_iter()
        .take(50)
        .map(|v| rating_view(&v.rating, v.rater_name))
        .collect();
    Ok((
        RatingSummary {
            count,
            average,
            distribution,
        },
        items,
    ))
}

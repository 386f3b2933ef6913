//! Ratings as profiles and rating pages show them.

use serde::Serialize;
use souk_store::ratings::Rating;
use utoipa::ToSchema;

use crate::views::time;

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingView {
    pub id: i64,
    pub stars: i32,
    pub tags: Vec<String>,
    pub comment: Option<String>,
    /// The rated person's public answer.
    pub answer: Option<String>,
    /// The rater's display name.
    pub rater_name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingSummary {
    pub count: i64,
    /// Null before any visible rating.
    pub average: Option<f64>,
    /// Counts of 1 to 5 stars.
    pub distribution: [i64; 5],
}

pub fn rating_view(r: &Rating, rater_name: String) -> RatingView {
    RatingView {
        id: r.id,
        stars: r.stars,
        tags: r.tag_list(),
        comment: r.comment.clone(),
        answer: r.answer.clone(),
        rater_name,
        created_at: time(r.created_at),
    }
}

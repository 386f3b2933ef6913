//! What moderators see of the queue and of their decisions, in the API and in the console.

use serde::Serialize;
use souk_store::{moderation, signals};
use utoipa::ToSchema;

use crate::views::time;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: i64,
    pub listing_id: i64,
    pub reason: String,
    pub comment: Option<String>,
    pub reporter_id: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// What an automatic check found about an ad.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagView {
    pub id: i64,
    /// duplicate_photo, duplicate_text, scam_phrase or suspicious_price.
    pub kind: String,
    /// The other account's older ad the photo or text was copied from.
    pub other_listing_id: Option<i64>,
    /// The finding: distance in bits and photo ids (copies), the phrases (scam_phrase), the
    /// price and the comparables' quartiles (suspicious_price).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub evidence: serde_json::Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// An ad in the moderation queue: its open reports and the open findings of the automatic
/// checks.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportedListing {
    pub listing_id: i64,
    pub title: String,
    /// The ad's category key (`/v1/categories`).
    pub category: String,
    /// The ad's wilaya code.
    pub wilaya: i32,
    pub seller_id: i64,
    pub hidden: bool,
    /// Why it is hidden: moderator, reports, flags or ban.
    pub hidden_by: Option<String>,
    /// When its first open report or flag came.
    pub first_reported_at: chrono::DateTime<chrono::Utc>,
    pub reports: Vec<ReportView>,
    pub flags: Vec<FlagView>,
    /// Summed weight of the open flags' kinds (each kind once); the ad is hidden pending
    /// review from `SOUK_FLAG_SCORE_TO_HIDE`.
    pub flag_score: u32,
}

pub fn flag_view(f: signals::Flag) -> FlagView {
    FlagView {
        id: f.id,
        kind: f.kind,
        other_listing_id: f.other_listing_id,
        evidence: serde_json::from_str(&f.evidence).unwrap_or_default(),
        created_at: time(f.created_at),
    }
}

pub fn report_view(r: moderation::Report) -> ReportView {
    ReportView {
        id: r.id,
        listing_id: r.listing_id,
        reason: r.reason,
        comment: r.comment,
        reporter_id: r.reporter_id,
        created_at: time(r.created_at),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationResult {
    pub action: String,
    pub target_id: i64,
    /// Whether the ad is hidden now (listing actions), or the user banned (user actions).
    pub in_effect: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceMessage {
    pub id: i64,
    /// `buyer` or `seller`.
    pub from: String,
    pub sender_id: i64,
    pub body: String,
    pub warning: Option<String>,
    /// A photo sent in the thread (moderators may load it while the thread is reported).
    pub photo_url: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenThreadReport {
    pub id: i64,
    pub reporter_id: i64,
    pub message_id: Option<i64>,
    pub reason: String,
    pub detail: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportedThread {
    pub conversation_id: i64,
    pub listing_id: Option<i64>,
    pub listing_title: String,
    pub buyer_id: i64,
    pub seller_id: i64,
    pub reports: Vec<OpenThreadReport>,
    /// The latest 200 messages, and every reported one, oldest first.
    pub messages: Vec<EvidenceMessage>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportedThreadPage {
    pub items: Vec<ReportedThread>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResolvedThread {
    pub conversation_id: i64,
    /// Open reports closed by this decision.
    pub closed_reports: usize,
}

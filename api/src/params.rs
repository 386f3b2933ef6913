//! Request parameters shared by several contexts' routes: the ids in paths, page numbers, the
//! absent-or-null distinction of partial updates. Parsing only; no rule lives here.

use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiResult;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListingId {
    /// Listing id.
    pub id: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserId {
    /// User id.
    pub id: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ConversationId {
    /// Conversation id.
    pub id: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub const PER_PAGE_MAX: i64 = 100;
/// Offset pagination gets slow deep down; search (with cursors) serves deep browsing.
pub const PAGE_MAX: i64 = 500;

pub fn paging(page: Option<i64>, per_page: Option<i64>) -> ApiResult<(i64, i64)> {
    let page = crate::extract::bounded_param("page", page, 1, PAGE_MAX)?;
    let per_page = crate::extract::bounded_param("per_page", per_page, 20, PER_PAGE_MAX)?;
    Ok((page, per_page))
}

/// Distinguishes an absent field (keep) from an explicit null (clear).
pub fn explicit<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PhotoUpload {
    /// JPEG, PNG or WebP, at most 10 MB.
    #[schema(value_type = String, format = Binary)]
    photo: Vec<u8>,
}

//! Response shapes built from store rows. Rows never leave as JSON directly, so a new column
//! cannot leak (the seller's email is not even loaded into these types).

pub mod message;
pub mod moderation;
pub mod price_hint;
pub mod rating;
pub mod search_page;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use souk_domain::{catalog, geography, Localized};
use souk_store::listings::Listing;
use souk_store::photos::Photo;
use souk_store::users::User;
use utoipa::ToSchema;

use crate::error::ApiError;

pub fn time(t: NaiveDateTime) -> DateTime<Utc> {
    souk_store::time::to_utc(t)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Names {
    pub ar: String,
    pub fr: String,
    pub en: String,
}

impl From<&Localized> for Names {
    fn from(l: &Localized) -> Self {
        Names {
            ar: l.ar.clone(),
            fr: l.fr.clone(),
            en: l.en.clone(),
        }
    }
}

/// The price as readers say it in each language, in the category's unit ("230 millions",
/// "230 مليون", "38 000 DA", "45 000 DA / mois"); null when the price is on request.
pub fn price_display(category: &str, price: Option<i64>) -> Option<Names> {
    let pricing = catalog()
        .get(category)
        .map(|c| c.pricing)
        .unwrap_or_default();
    price.map(|p| Names::from(&souk_domain::price::price_display_all(p, &pricing)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRef {
    pub slug: String,
    pub name: Names,
    /// Slugs from the root down to this category.
    pub path: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceRef {
    /// Wilaya code or commune id.
    pub id: i32,
    pub name_latin: String,
    pub name_ar: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoView {
    pub id: i64,
    pub position: i32,
    pub width: i32,
    pub height: i32,
    pub thumb_url: String,
    pub large_url: String,
}

impl From<&Photo> for PhotoView {
    fn from(p: &Photo) -> Self {
        PhotoView {
            id: p.id,
            position: p.position,
            width: p.width,
            height: p.height,
            thumb_url: photo_url(&p.storage_key, "thumb"),
            large_url: photo_url(&p.storage_key, "large"),
        }
    }
}

/// The public base of photo links (`SOUK_PHOTOS_PUBLIC_URL`), set once at start; unset,
/// photos are linked through the API.
static PHOTOS_PUBLIC_URL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Sets where photo links point, once per process (a second call changes nothing: the
/// links of one process never disagree).
pub fn link_photos_at(base: Option<&str>) {
    let _ = PHOTOS_PUBLIC_URL.set(base.map(str::to_string));
}

/// The link of a public image: through the API, or at the public base, where the file's
/// path in the bucket's `photos/` prefix follows the base.
pub fn photo_url(key: &str, size: &str) -> String {
    match PHOTOS_PUBLIC_URL.get() {
        Some(Some(base)) => format!("{base}/{}", souk_store::files::image_object(key, size)),
        _ => format!("/v1/photos/{key}/{size}.jpg"),
    }
}

/// What a buyer may know about a seller. No email, ever, and no phone number: a confirmed
/// number the seller shows on the ad is revealed by `POST /v1/listings/{id}/phone`, counted
/// and limited, so that scrapers cannot harvest numbers from ads.
#[derive(Debug, Serialize, ToSchema)]
pub struct SellerView {
    pub id: i64,
    pub display_name: String,
    /// The seller shows a confirmed phone on this ad: reveal it with
    /// `POST /v1/listings/{id}/phone`.
    pub phone_available: bool,
    /// The seller confirmed their phone by a code sent to it.
    pub phone_verified: bool,
    pub member_since: DateTime<Utc>,
}

/// The seller's store, shown with each of its ads.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoreBadge {
    pub slug: String,
    pub name: String,
}

impl From<&souk_store::stores::Store> for StoreBadge {
    fn from(s: &souk_store::stores::Store) -> Self {
        StoreBadge {
            slug: s.slug.clone(),
            name: s.name.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListingView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub category: CategoryRef,
    /// Values typed by the category's schema (see GET /v1/categories).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub attributes: serde_json::Value,
    /// Integer DZD; null means "price on request".
    pub price: Option<i64>,
    /// The price as readers say it, per language, in the category's unit.
    pub price_display: Option<Names>,
    /// Whether the seller ships: none, seller or courier.
    pub delivery: String,
    pub negotiable: bool,
    pub exchange: bool,
    pub wilaya: PlaceRef,
    pub commune: PlaceRef,
    pub location: GeoPoint,
    /// active, sold, expired or deleted.
    pub status: String,
    pub views: i64,
    pub show_phone: bool,
    pub photos: Vec<PhotoView>,
    pub seller: SellerView,
    /// The seller's store, when they have one.
    pub store: Option<StoreBadge>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// What comparable active ads ask, on `GET /v1/listings/{id}` (null elsewhere, and with
    /// fewer than 5 comparables).
    pub price_hint: Option<crate::views::price_hint::PriceHint>,
}

/// One line of a result list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingSummary {
    pub id: i64,
    pub title: String,
    pub price: Option<i64>,
    /// The price as readers say it, per language, in the category's unit.
    pub price_display: Option<Names>,
    /// Whether the seller ships: none, seller or courier.
    pub delivery: String,
    pub negotiable: bool,
    pub category: String,
    pub wilaya: PlaceRef,
    pub commune: PlaceRef,
    pub status: String,
    /// True while moderation keeps the ad out of sight (only its owner sees it listed).
    pub hidden: bool,
    pub thumbnail_url: Option<String>,
    pub store: Option<StoreBadge>,
    pub created_at: DateTime<Utc>,
    /// The seller's average and count of visible ratings (public lists; null elsewhere).
    pub seller_rating: Option<crate::seller_ratings::SellerRating>,
    /// A featured ad of `promoted` (public lists).
    pub promoted: bool,
    /// The urgent badge is running (public lists).
    pub urgent: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListingPage {
    pub items: Vec<ListingSummary>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    /// Pass as `cursor` for the next page (public browse only); absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Public browse: up to 2 featured ads of this category and place, to show above `items`
    /// marked as promoted (one among this page's hits leaves `items` for its slot: never twice
    /// on a page); empty elsewhere.
    pub promoted: Vec<ListingSummary>,
}

/// A public list is served by the index, which holds active, visible ads only.
impl From<crate::views::search_page::SearchHit> for ListingSummary {
    fn from(h: crate::views::search_page::SearchHit) -> Self {
        ListingSummary {
            id: h.id,
            title: h.title,
            price: h.price,
            price_display: h.price_display,
            delivery: h.delivery,
            negotiable: h.negotiable,
            category: h.category,
            wilaya: h.wilaya,
            commune: h.commune,
            status: "active".into(),
            hidden: false,
            thumbnail_url: h.thumbnail_url,
            store: h.store,
            created_at: h.created_at,
            seller_rating: h.seller_rating,
            promoted: h.promoted,
            urgent: h.urgent,
        }
    }
}

pub fn wilaya_ref(code: i32) -> PlaceRef {
    match geography().wilaya(code) {
        Some(w) => PlaceRef {
            id: w.code,
            name_latin: w.name_latin.clone(),
            name_ar: w.name_ar.clone(),
        },
        None => PlaceRef {
            id: code,
            name_latin: String::new(),
            name_ar: String::new(),
        },
    }
}

pub fn commune_ref(id: i32) -> PlaceRef {
    match geography().commune(id) {
        Some(c) => PlaceRef {
            id: c.id,
            name_latin: c.name_latin.clone(),
            name_ar: c.name_ar.clone(),
        },
        None => PlaceRef {
            id,
            name_latin: String::new(),
            name_ar: String::new(),
        },
    }
}

pub fn category_ref(slug: &str) -> CategoryRef {
    let path = catalog().path(slug);
    match path.last() {
        Some(c) => CategoryRef {
            slug: c.slug.clone(),
            name: Names::from(&c.name),
            path: path.iter().map(|p| p.slug.clone()).collect(),
        },
        None => CategoryRef {
            slug: slug.into(),
            name: Names {
                ar: String::new(),
                fr: String::new(),
                en: String::new(),
            },
            path: vec![],
        },
    }
}

pub fn listing_view(
    l: Listing,
    photos: &[Photo],
    seller: &User,
    store: Option<StoreBadge>,
) -> Result<ListingView, ApiError> {
    let attributes =
        serde_json::to_value(l.attributes()?).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(ListingView {
        id: l.id,
        category: category_ref(&l.category),
        attributes,
        price_display: price_display(&l.category, l.price),
        delivery: l.delivery.clone(),
        price: l.price,
        negotiable: l.negotiable,
        exchange: l.exchange,
        wilaya: wilaya_ref(l.wilaya),
        commune: commune_ref(l.commune),
        location: {
            let (lat, lon) = souk_domain::listing::public_point(l.lat, l.lon);
            GeoPoint { lat, lon }
        },
        status: l.status()?.as_str().to_string(),
        views: l.views,
        show_phone: l.show_phone,
        photos: photos.iter().map(PhotoView::from).collect(),
        seller: SellerView {
            id: seller.id,
            display_name: seller.display_name.clone(),
            phone_available: l.show_phone
                && seller.phone.is_some()
                && seller.phone_verified_at.is_some(),
            phone_verified: seller.phone_verified_at.is_some(),
            member_since: time(seller.created_at),
        },
        store,
        created_at: time(l.created_at),
        updated_at: time(l.updated_at),
        expires_at: time(l.expires_at),
        price_hint: None,
        title: l.title,
        description: l.description,
    })
}

/// Summaries with the first photo of each listing as thumbnail and the seller's store
/// (`stores` by owner id).
pub fn summaries(
    listings: Vec<Listing>,
    photos: &[Photo],
    stores: &HashMap<i64, StoreBadge>,
) -> Vec<ListingSummary> {
    let mut first: HashMap<i64, &Photo> = HashMap::new();
    for p in photos {
        first.entry(p.listing_id).or_insert(p);
    }
    listings
        .into_iter()
        .map(|l| ListingSummary {
            status: l
                .status()
                .map(|s| s.as_str())
                .unwrap_or("active")
                .to_string(),
            thumbnail_url: first.get(&l.id).map(|p| photo_url(&p.storage_key, "thumb")),
            hidden: l.hidden_at.is_some(),
            store: stores.get(&l.user_id).cloned(),
            id: l.id,
            price_display: price_display(&l.category, l.price),
            delivery: l.delivery.clone(),
            price: l.price,
            negotiable: l.negotiable,
            category: l.category,
            wilaya: wilaya_ref(l.wilaya),
            commune: commune_ref(l.commune),
            created_at: time(l.created_at),
            seller_rating: None,
            title: l.title,
            promoted: false,
            urgent: false,
        })
        .collect()
}

//! Listings: posting, reading, editing, selling, renewing and deleting ads, their photos, favourites, the seller's statistics and fair-price hints.
//! `routes` registers each handler and documents it in the OpenAPI document in one call.

pub mod ads;
pub mod favorites;
pub mod input;
pub mod photos;
pub mod price_hints;
pub mod reveals;
pub mod stats;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(stats::listing_stats)
        .service(stats::store_stats)
        .service(price_hints::price_hint_for_draft)
        .service(favorites::add_favorite)
        .service(favorites::remove_favorite)
        .service(favorites::my_favorites)
        .service(ads::my_listings)
        .service(ads::create_listing)
        .service(ads::browse)
        .service(ads::get_listing)
        .service(ads::update_listing)
        .service(ads::delete_listing)
        .service(ads::mark_sold)
        .service(ads::renew_listing)
        .service(photos::upload_photo)
        .service(photos::delete_photo)
        .service(photos::serve_photo)
        .service(reveals::reveal_phone);
}

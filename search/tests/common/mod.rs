//! Ads and indexes for the search crate's tests (`mod common;` in each test file).

use souk_domain::{geography, Attributes};
use souk_search::{ListingDoc, SearchIndex};

/// The searches' clock.
pub const NOW: i64 = 1_800_000_000_000_000;
pub const DAY: i64 = 86_400_000_000;

/// An active ad of `category` in the first commune of `wilaya`, its title for description, no
/// attributes, posted a day before `NOW` (plus `id` microseconds, so freshness only breaks
/// ties, newest id first).
pub fn ad(id: i64, title: &str, category: &str, wilaya: i32) -> ListingDoc {
    let commune = geography().communes_of(wilaya).next().unwrap();
    ListingDoc {
        id,
        title: title.into(),
        description: title.into(),
        category: category.into(),
        attributes: Attributes::new(),
        price: Some(100_000),
        negotiable: false,
        exchange: false,
        wilaya,
        commune: commune.id,
        lat: commune.lat,
        lon: commune.lon,
        created_at_us: NOW - DAY + id,
        bumped_at_us: None,
        featured_until_us: None,
        urgent_until_us: None,
        expires_at_us: NOW + 30 * DAY,
        thumbnail: None,
        seller_id: id,
        seller_since_us: None,
        store: None,
        delivery: "none".into(),
    }
}

/// An in-memory index holding `docs`, committed.
pub fn indexed(docs: &[ListingDoc]) -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    index.upsert(docs).unwrap();
    index.commit(&Default::default()).unwrap();
    index
}

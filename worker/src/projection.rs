//! How a listing row becomes a search document. Shared by the API's index (feed and rebuild)
//! and the worker's saved-search alerts, so both see ads the same way.

use souk_domain::ListingStatus;
use souk_search::{ListingDoc, StoreRef};
use souk_store::listings::Listing;

/// The index's view of a listing: `None` when it must not be searchable (hidden, sold, expired,
/// deleted, or past its date).
pub fn listing_doc(
    l: &Listing,
    thumbnail: Option<String>,
    store: Option<StoreRef>,
    marks: souk_store::promotions::Marks,
    seller_since: Option<chrono::NaiveDateTime>,
) -> Option<ListingDoc> {
    if l.status().ok()? != ListingStatus::Active || l.hidden_at.is_some() {
        return None;
    }
    Some(ListingDoc {
        id: l.id,
        title: l.title.clone(),
        description: l.description.clone(),
        category: l.category.clone(),
        attributes: l.attributes().ok()?,
        price: l.price,
        negotiable: l.negotiable,
        exchange: l.exchange,
        wilaya: l.wilaya,
        commune: l.commune,
        lat: l.lat,
        lon: l.lon,
        created_at_us: l.created_at.and_utc().timestamp_micros(),
        bumped_at_us: l.bumped_at.map(|b| b.and_utc().timestamp_micros()),
        // Marks already past are left out (the worker's sweep re-projects them once past).
        featured_until_us: until_us(marks.0),
        urgent_until_us: until_us(marks.1),
        expires_at_us: l.expires_at.and_utc().timestamp_micros(),
        thumbnail,
        seller_id: l.user_id,
        seller_since_us: seller_since.map(|t| t.and_utc().timestamp_micros()),
        store,
        delivery: l.delivery.clone(),
    })
}

/// A promotion's end in µs, while it is still ahead.
fn until_us(t: Option<chrono::NaiveDateTime>) -> Option<i64> {
    t.filter(|t| *t > souk_store::now())
        .map(|t| t.and_utc().timestamp_micros())
}

/// The index documents of `rows` (those that must be searchable), each with its first photo
/// as thumbnail and its seller's store; one photo query and one store query per batch.
pub fn docs_of(
    conn: &mut souk_store::DbConn,
    rows: &[Listing],
) -> souk_store::StoreResult<Vec<ListingDoc>> {
    let ids: Vec<i64> = rows.iter().map(|l| l.id).collect();
    let mut thumbs: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    for p in souk_store::photos::photos_of(conn, &ids)? {
        thumbs.entry(p.listing_id).or_insert(p.storage_key);
    }
    let mut owners: Vec<i64> = rows.iter().map(|l| l.user_id).collect();
    owners.sort_unstable();
    owners.dedup();
    let stores: std::collections::HashMap<i64, StoreRef> =
        souk_store::stores::of_owners(conn, &owners)?
            .into_iter()
            .map(|s| {
                (
                    s.owner_id,
                    StoreRef {
                        slug: s.slug,
                        name: s.name,
                    },
                )
            })
            .collect();
    let marks = souk_store::promotions::marks_of_many(conn, &ids)?;
    let vouched: std::collections::HashMap<i64, chrono::NaiveDateTime> =
        souk_store::users::vouched_since(conn, &owners)?
            .into_iter()
            .collect();
    Ok(rows
        .iter()
        .filter_map(|l| {
            listing_doc(
                l,
                thumbs.remove(&l.id),
                stores.get(&l.user_id).cloned(),
                marks.get(&l.id).copied().unwrap_or_default(),
                vouched.get(&l.user_id).copied(),
            )
        })
        .collect())
}

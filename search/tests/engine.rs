//! The engine's shortcuts against its plain path and against a brute-force count over the same
//! documents: relevance pages without per-document work, the combined category-in-wilaya
//! filter, and ads past their date before any sweep removed them.

use souk_domain::catalog;
use souk_search::{Facets, ListingDoc, SearchIndex, SearchRequest};

const NOW: i64 = 1_800_000_000_000_000;
const DAY: i64 = 86_400_000_000;
const WILAYAS: [i32; 4] = [16, 31, 25, 9];

fn leaves() -> Vec<String> {
    let mut v: Vec<String> = catalog()
        .leaves_under("vehicles")
        .into_iter()
        .map(String::from)
        .collect();
    let others: Vec<String> = catalog()
        .leaves()
        .map(|c| c.slug.clone())
        .filter(|s| !v.contains(s))
        .take(2)
        .collect();
    v.extend(others);
    v
}

/// 400 ads over a few leaves and wilayas; titles repeat "peugeot" 1–3 times so that scores
/// differ and also tie.
fn docs() -> Vec<ListingDoc> {
    let leaves = leaves();
    (1..=400)
        .map(|i: i64| {
            let n = (i % 3 + 1) as usize;
            let title = format!("{} occasion {}", "peugeot ".repeat(n), i % 7);
            let wilaya = WILAYAS[(i as usize) % WILAYAS.len()];
            ListingDoc {
                id: i,
                title: if i % 5 == 0 {
                    format!("renault clio {i}")
                } else {
                    title
                },
                description: "bon état".into(),
                category: leaves[(i as usize / 4) % leaves.len()].clone(),
                attributes: Default::default(),
                price: Some(100_000 + i * 1000),
                negotiable: false,
                exchange: false,
                wilaya,
                commune: wilaya * 100 + 1,
                lat: 36.0,
                lon: 3.0,
                created_at_us: NOW - i * 1000,
                bumped_at_us: None,
                featured_until_us: None,
                urgent_until_us: None,
                expires_at_us: NOW + 30 * DAY,
                thumbnail: None,
                seller_id: 1,
                seller_since_us: None,
                store: None,
                delivery: "none".into(),
            }
        })
        .collect()
}

fn index_of(docs: &[ListingDoc]) -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    index.upsert(docs).unwrap();
    index.commit(&Default::default()).unwrap();
    index
}

fn ids(index: &SearchIndex, req: &SearchRequest) -> (u64, Vec<i64>, Option<String>) {
    let r = index.search(req, NOW).unwrap();
    (
        r.total,
        r.hits.iter().map(|h| h.summary.id).collect(),
        r.next_cursor,
    )
}

/// Every leaf's count in the category facet equals its count among `docs`.
fn assert_category_facet<'a>(facets: &Facets, docs: impl Iterator<Item = &'a ListingDoc> + Clone) {
    for leaf in leaves() {
        let n = docs.clone().filter(|d| d.category == leaf).count() as u64;
        let got = facets
            .category
            .iter()
            .find(|c| c.slug == leaf)
            .map_or(0, |c| c.count);
        assert_eq!(got, n, "category {leaf}");
    }
}

#[test]
fn a_relevance_page_without_facets_equals_the_full_pass() {
    let docs = docs();
    let index = index_of(&docs);
    let expected = docs.iter().filter(|d| d.title.contains("peugeot")).count() as u64;
    let req = |facets: bool, limit: usize, cursor: Option<String>| SearchRequest {
        q: Some("peugeot".into()),
        facets,
        limit,
        cursor,
        ..Default::default()
    };
    // facets=true takes the per-document path; facets=false the pruned one.
    let (total_full, hits_full, _) = ids(&index, &req(true, 100, None));
    let (total_fast, hits_fast, _) = ids(&index, &req(false, 100, None));
    assert_eq!(total_full, expected);
    assert_eq!(total_fast, expected);
    assert_eq!(hits_fast, hits_full);

    // Small pages through the cursor walk the same list.
    let mut walked = Vec::new();
    let mut cursor = None;
    loop {
        let (_, page, next) = ids(&index, &req(false, 7, cursor));
        walked.extend(page);
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(walked[..hits_full.len()], hits_full[..]);
}

#[test]
fn category_in_wilaya_counts_like_the_two_filters_apart() {
    let docs = docs();
    let index = index_of(&docs);
    let vehicles: Vec<String> = catalog()
        .leaves_under("vehicles")
        .into_iter()
        .map(String::from)
        .collect();
    let chosen = [16, 25];
    let r = index
        .search(
            &SearchRequest {
                category: Some("vehicles".into()),
                wilayas: chosen.to_vec(),
                facets: true,
                limit: 500,
                ..Default::default()
            },
            NOW,
        )
        .unwrap();
    let in_vehicles = |d: &&ListingDoc| vehicles.contains(&d.category);
    let in_chosen = |d: &&ListingDoc| chosen.contains(&d.wilaya);
    let expected: Vec<i64> = docs
        .iter()
        .filter(in_vehicles)
        .filter(in_chosen)
        .map(|d| d.id)
        .collect();
    assert!(!expected.is_empty() && expected.len() < docs.len() / 2);
    assert_eq!(r.total, expected.len() as u64);
    let mut got: Vec<i64> = r.hits.iter().map(|h| h.summary.id).collect();
    got.sort_unstable();
    assert_eq!(got, expected);

    // The wilaya facet ignores the wilaya filter, the category facet the category filter.
    let facets = r.facets.unwrap();
    for w in WILAYAS {
        let n = docs
            .iter()
            .filter(in_vehicles)
            .filter(|d| d.wilaya == w)
            .count() as u64;
        assert_eq!(facets.wilaya.get(&w).copied().unwrap_or(0), n, "wilaya {w}");
    }
    assert_category_facet(&facets, docs.iter().filter(in_chosen));
}

#[test]
fn ads_past_their_date_leave_search_before_the_sweep() {
    let mut docs = docs();
    for d in docs.iter_mut().filter(|d| d.id % 2 == 0) {
        d.expires_at_us = NOW - DAY;
    }
    let index = index_of(&docs);
    let expected: Vec<i64> = docs
        .iter()
        .filter(|d| d.expires_at_us > NOW && d.title.contains("peugeot"))
        .map(|d| d.id)
        .collect();
    for facets in [false, true] {
        let r = index
            .search(
                &SearchRequest {
                    q: Some("peugeot".into()),
                    facets,
                    limit: 500,
                    ..Default::default()
                },
                NOW,
            )
            .unwrap();
        assert_eq!(r.total, expected.len() as u64, "facets={facets}");
        let mut got: Vec<i64> = r.hits.iter().map(|h| h.summary.id).collect();
        got.sort_unstable();
        assert_eq!(got, expected, "facets={facets}");
    }
    // A day earlier every ad was still current.
    let r = index
        .search(
            &SearchRequest {
                q: Some("peugeot".into()),
                limit: 1,
                ..Default::default()
            },
            NOW - 2 * DAY,
        )
        .unwrap();
    assert_eq!(
        r.total,
        docs.iter().filter(|d| d.title.contains("peugeot")).count() as u64
    );
}

#[test]
fn radius_in_a_category_counts_like_the_two_filters_apart() {
    let mut docs = docs();
    for d in docs.iter_mut() {
        d.lat = 36.0 + (d.id % 20) as f64 * 0.05;
        d.lon = 3.0 + (d.id % 17) as f64 * 0.06;
    }
    let index = index_of(&docs);
    let (lat, lon, radius_km) = (36.4, 3.4, 30.0);
    let vehicles: Vec<String> = catalog()
        .leaves_under("vehicles")
        .into_iter()
        .map(String::from)
        .collect();
    let r = index
        .search(
            &SearchRequest {
                category: Some("vehicles".into()),
                near: Some(souk_search::Near {
                    lat,
                    lon,
                    radius_km,
                }),
                sort: Some(souk_search::Sort::Distance),
                facets: true,
                limit: 500,
                ..Default::default()
            },
            NOW,
        )
        .unwrap();
    let within =
        |d: &&ListingDoc| souk_search::cells::distance_km((lat, lon), (d.lat, d.lon)) <= radius_km;
    let in_vehicles = |d: &&ListingDoc| vehicles.contains(&d.category);
    let expected = docs.iter().filter(within).filter(in_vehicles).count() as u64;
    assert!(expected > 0 && expected < docs.iter().filter(in_vehicles).count() as u64);
    assert_eq!(r.total, expected);
    let d: Vec<f64> = r.hits.iter().map(|h| h.distance_km.unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]) && d.iter().all(|x| *x <= radius_km));
    // The category facet ignores the category filter but keeps the radius.
    let facets = r.facets.unwrap();
    assert_category_facet(&facets, docs.iter().filter(within));
}

//! A page its words do not fill: the other ads of the category the words name come after the
//! ads that say them (`Matching::Related`), through every page; a full page is left alone.

mod common;

use common::{indexed, NOW};
use souk_search::{ListingDoc, SearchIndex, SearchRequest, SearchResults};

/// An Algiers ad (`common::ad`).
fn ad(id: i64, title: &str, category: &str) -> ListingDoc {
    common::ad(id, title, category, 16)
}

fn index() -> SearchIndex {
    indexed(&[
        ad(1, "حاسوب محمول أسوس", "laptops"),
        ad(2, "Lenovo ThinkPad T480 i5", "laptops"),
        ad(3, "MacBook Air M1 256Go", "laptops"),
        ad(4, "حاسوب مكتبي HP", "desktops"),
        ad(5, "Samsung Galaxy A52", "smartphones"),
        ad(6, "iPhone 13 128Go bleu", "smartphones"),
        ad(7, "iphone 13 nqi", "smartphones"),
        ad(8, "حاسوب محمول ديل", "laptops"),
        ad(9, "حاسوب محمول لينوفو", "laptops"),
        ad(10, "iphone 13 nqi 128", "smartphones"),
        ad(11, "iphone 13 nqi bleu", "smartphones"),
    ])
}

fn search(index: &SearchIndex, q: &str, limit: usize, cursor: Option<String>) -> SearchResults {
    let req = SearchRequest {
        q: Some(q.into()),
        limit,
        cursor,
        ..Default::default()
    };
    req.validate().unwrap();
    index.search(&req, NOW).unwrap()
}

fn ids(r: &SearchResults) -> Vec<i64> {
    r.hits.iter().map(|h| h.summary.id).collect()
}

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort();
    ids
}

#[test]
fn a_category_word_also_finds_the_ads_of_its_category_after_those_that_say_it() {
    let index = index();
    let r = search(&index, "حاسوب محمول", 10, None);
    assert!(r.related, "the words alone fill three slots of ten");
    let found = ids(&r);
    assert_eq!(
        sorted(found[..3].to_vec()),
        vec![1, 8, 9],
        "the ads that say the words come first: {found:?}"
    );
    // Then every other laptop; not the desktop that says `حاسوب` only, nor a phone.
    assert_eq!(sorted(found[3..].to_vec()), vec![2, 3], "{found:?}");
    assert_eq!(r.total, 5);
}

#[test]
fn words_that_find_a_page_of_ads_are_not_widened_whatever_the_page_size() {
    let mut ads: Vec<ListingDoc> = (1..=20)
        .map(|i| ad(i, &format!("حاسوب محمول رقم {i}"), "laptops"))
        .collect();
    ads.push(ad(21, "Lenovo ThinkPad T480 i5", "laptops"));
    let index = indexed(&ads);
    for limit in [3, 20, 50] {
        let r = search(&index, "حاسوب محمول", limit, None);
        assert!(!r.related, "limit {limit}");
        assert_eq!(r.total, 20, "limit {limit}");
        assert!(!ids(&r).contains(&21), "limit {limit}");
    }
    // One ad fewer and the page size still does not decide: every size widens alike.
    let index = indexed(&ads[1..]);
    for limit in [3, 50] {
        let r = search(&index, "حاسوب محمول", limit, None);
        assert!(r.related, "limit {limit}");
        assert_eq!(r.total, 20, "limit {limit}");
    }
}

#[test]
fn the_cursor_walks_the_widened_list_without_skipping_or_repeating() {
    let index = index();
    let first = search(&index, "حاسوب محمول", 4, None);
    assert!(first.related);
    assert_eq!(first.hits.len(), 4);
    let second = search(&index, "حاسوب محمول", 4, first.next_cursor.clone());
    assert!(
        second.related,
        "the cursor keeps the matching of the first page"
    );
    let mut all = ids(&first);
    all.extend(ids(&second));
    assert_eq!(sorted(all), vec![1, 2, 3, 8, 9]);
    assert!(second.next_cursor.is_none());
}

#[test]
fn a_word_that_describes_the_ad_only_ranks_when_widened() {
    let index = index();
    let r = search(&index, "iphone 13 nqi", 10, None);
    assert!(r.related);
    let found = ids(&r);
    // The ones that say `nqi` first, then the other iPhone 13; never the Samsung.
    assert_eq!(sorted(found[..3].to_vec()), vec![7, 10, 11], "{found:?}");
    assert_eq!(found[3..], [6], "{found:?}");
}

#[test]
fn a_category_filter_bounds_what_the_words_stand_for() {
    let index = index();
    // Filtered to phones, the laptops the words stand for cannot widen the page.
    let req = SearchRequest {
        q: Some("حاسوب محمول".into()),
        category: Some("smartphones".into()),
        limit: 10,
        ..Default::default()
    };
    req.validate().unwrap();
    let r = index.search(&req, NOW).unwrap();
    assert!(!r.related);
    assert_eq!(r.total, 0);
    // Filtered to laptops, they do.
    let req = SearchRequest {
        category: Some("laptops".into()),
        ..req
    };
    let r = index.search(&req, NOW).unwrap();
    assert!(r.related);
    assert_eq!(sorted(ids(&r)), vec![1, 2, 3, 8, 9]);
}

#[test]
fn a_word_many_ads_use_is_not_taken_for_a_slip() {
    let index = indexed(&[
        ad(1, "Coran ancien", "books"),
        ad(2, "Coran tajwid", "books"),
        ad(3, "Coran hafs grand format", "books"),
        ad(4, "Peugeot 208 Oran", "cars"),
        ad(5, "Housse iPhone 13", "phone-accessories"),
        ad(6, "Maison F4 Blida", "real-estate-sale"),
    ]);
    // `coran` is one edit from `oran`, `housse` from `house`: words of their own.
    assert_eq!(
        sorted(ids(&search(&index, "coran", 10, None))),
        vec![1, 2, 3]
    );
    assert_eq!(ids(&search(&index, "housse", 10, None)), vec![5]);
    // A word no ad uses is: `peugot` is `peugeot`.
    assert_eq!(ids(&search(&index, "peugot", 10, None)), vec![4]);
}

#[test]
fn a_forged_cursor_cannot_ask_a_query_that_names_no_category_for_the_related_step() {
    use base64::Engine;
    let index = index();
    let forged = |q: &str| {
        let cursor = serde_json::json!({
            "s": "relevance", "r": f64::MAX.to_bits(), "i": u64::MAX, "f": true, "p": false, "w": true
        });
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&cursor).unwrap());
        search(&index, q, 10, Some(cursor))
    };
    // `lenovo` names no category: the flag is ignored.
    let r = forged("lenovo");
    assert!(!r.related);
    assert_eq!(sorted(ids(&r)), vec![2, 9]);
    // Category words may take it: it costs what a page of that category costs.
    assert!(forged("حاسوب محمول").related);
}

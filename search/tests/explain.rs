//! A ranking explained: the named model first, then its neighbour, then the accessory that
//! names it; the explanation says why (the model-name clause met, the accessory's demotion).

mod common;

use common::{indexed, NOW};
use souk_domain::{AttributeValue, Attributes};
use souk_search::{ListingDoc, SearchIndex, SearchRequest};

/// `common::ad`, described as in good repair, with Apple's `model` when it has one.
fn ad(id: i64, title: &str, category: &str, model: Option<&str>, wilaya: i32) -> ListingDoc {
    let mut doc = common::ad(id, title, category, wilaya);
    doc.description = format!("{title}, bon état");
    if let Some(m) = model {
        let mut attributes = Attributes::new();
        attributes.insert("brand".into(), AttributeValue::Text("apple".into()));
        attributes.insert("model".into(), AttributeValue::Text(m.into()));
        doc.attributes = attributes;
    }
    doc
}

fn index() -> SearchIndex {
    indexed(&[
        ad(
            1,
            "iPhone 13 Pro 256 Go",
            "smartphones",
            Some("iPhone 13 Pro"),
            16,
        ),
        ad(2, "iPhone 13 128 Go", "smartphones", Some("iPhone 13"), 16),
        ad(3, "Coque iPhone 13 silicone", "phone-accessories", None, 16),
        ad(
            4,
            "iPhone 13 128 Go Oran",
            "smartphones",
            Some("iPhone 13"),
            31,
        ),
    ])
}

fn search(index: &SearchIndex, q: &str) -> (Vec<i64>, Vec<souk_search::explain::Explanation>) {
    let req = SearchRequest {
        q: Some(q.into()),
        limit: 10,
        ..Default::default()
    };
    req.validate().unwrap();
    let results = index.search(&req, NOW).unwrap();
    let explained = index.explain(&req, &results, NOW).unwrap();
    (
        results.hits.iter().map(|h| h.summary.id).collect(),
        explained,
    )
}

#[test]
fn the_named_model_first_and_the_explanation_says_why() {
    let index = index();
    let (ids, explained) = search(&index, "iphone 13");
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert!(ids[..2].contains(&2) && ids[..2].contains(&4), "{ids:?}");
    assert_eq!(ids[2..], [1, 3], "the 13 Pro, then the case");
    let by_id = |id: i64| explained.iter().find(|e| e.id == id).unwrap();
    let iphone = by_id(2);
    assert!(
        iphone
            .clauses
            .iter()
            .any(|c| c.what == "model name «iphone 13»"),
        "{iphone:?}"
    );
    assert!(iphone.demotions.is_empty(), "{iphone:?}");
    assert!(
        !by_id(1)
            .clauses
            .iter()
            .any(|c| c.what.starts_with("model name «iphone 13»")),
        "the 13 Pro's name is not «iphone 13»: {:?}",
        by_id(1)
    );
    let case = by_id(3);
    assert_eq!(case.demotions.len(), 1, "{case:?}");
    assert!(case.demotions[0].what.contains("accessory"), "{case:?}");
    // The scores explained are the order shown.
    let scores: Vec<f32> = ids.iter().map(|id| by_id(*id).score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(explained.iter().all(|e| e.matching == "exact"));
}

#[test]
fn an_accessory_query_keeps_its_accessory_first_and_a_place_its_place() {
    let index = index();
    let (ids, explained) = search(&index, "coque iphone 13");
    // Only the case holds every word; one hit being few, the phones come after it (all words
    // but one), the case undemoted.
    assert_eq!(ids[0], 3, "{ids:?}");
    assert!(explained[0].demotions.is_empty(), "{explained:?}");

    let (ids, explained) = search(&index, "iphone 13 oran");
    assert_eq!(ids[0], 4, "{ids:?}");
    let others: Vec<_> = explained.iter().filter(|e| e.id != 4).collect();
    assert!(
        others
            .iter()
            .all(|e| e.demotions.iter().any(|d| d.what.contains("places"))),
        "{others:?}"
    );
}

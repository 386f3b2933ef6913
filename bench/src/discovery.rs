//! Suggestions and similar ads at scale, in process and over HTTP: every prefix (from the
//! second letter) of names buyers type in either script, a few with a slip; the similar ads
//! of ads spread over the database.

use std::time::Instant;

use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use souk_domain::Attributes;
use souk_search::similar::SimilarTo;
use souk_search::suggest::Lang;

/// Names typed letter by letter (brands, models, categories, places; both scripts, French
/// and Darija spellings, two slips).
const TYPED: &[&str] = &[
    "peugeot 208",
    "بيجو",
    "renault clio",
    "رونو",
    "samsung galaxy",
    "سامسونج",
    "iphone 13",
    "ايفون",
    "toyota",
    "تويوتا",
    "volkswagen golf",
    "appartement",
    "شقة",
    "voiture",
    "سيارة",
    "oran",
    "وهران",
    "constantine",
    "tizi ouzou",
    "condor",
    "climatiseur",
    "peugoet",
    "samsnug",
];

/// Every prefix of two letters or more of the typed names.
pub fn prefixes() -> Vec<String> {
    let mut out = Vec::new();
    for name in TYPED {
        let chars: Vec<char> = name.chars().collect();
        for n in 2..=chars.len() {
            out.push(chars[..n].iter().collect());
        }
    }
    out
}

pub fn suggest_in_process(index: &souk_search::SearchIndex, typed: &[String]) -> crate::Stats {
    let mut s = crate::Stats::default();
    for t in typed {
        let started = Instant::now();
        let found = index.suggest(t, Lang::Fr, 8);
        s.lat.push(started.elapsed());
        s.totals.push(found.len() as i64);
    }
    s
}

pub async fn suggest_over_http(
    client: &reqwest::Client,
    base: &str,
    typed: &[String],
) -> crate::Stats {
    #[derive(serde::Deserialize)]
    struct List {
        suggestions: Vec<serde::de::IgnoredAny>,
    }
    let mut s = crate::Stats::default();
    for t in typed {
        let started = Instant::now();
        let found = match client
            .get(format!("{base}/v1/search/suggest"))
            .query(&[("q", t.as_str())])
            .send()
            .await
        {
            Ok(r) => r.json::<List>().await.map(|l| l.suggestions.len()),
            Err(e) => Err(e),
        };
        s.lat.push(started.elapsed());
        s.totals.push(found.map_or(-1, |n| n as i64));
    }
    s
}

#[derive(QueryableByName)]
pub struct Ad {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    category: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    attributes: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    wilaya: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    price: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    user_id: i64,
}

/// `n` active ads spread over the table, of every category.
pub fn ads(conn: &mut PgConnection, n: usize) -> Result<Vec<Ad>, diesel::result::Error> {
    diesel::sql_query(format!(
        "SELECT id, title, category, attributes, wilaya, price, user_id FROM listings \
         WHERE status = 'active' AND id % 89 = 0 ORDER BY id LIMIT {n}"
    ))
    .load(conn)
}

pub fn similar_in_process(index: &souk_search::SearchIndex, ads: &[Ad]) -> crate::Stats {
    let now = chrono::Utc::now().timestamp_micros();
    let mut s = crate::Stats::default();
    for ad in ads {
        let attributes: Attributes = serde_json::from_str(&ad.attributes).unwrap_or_default();
        let started = Instant::now();
        let to = SimilarTo {
            id: ad.id,
            title: &ad.title,
            category: &ad.category,
            attributes: &attributes,
            price: ad.price,
            wilaya: ad.wilaya,
            seller_id: ad.user_id,
        };
        let found = index.similar(&to, 10, now).map_or(-1, |h| h.len() as i64);
        s.lat.push(started.elapsed());
        s.totals.push(found);
    }
    s
}

pub async fn similar_over_http(client: &reqwest::Client, base: &str, ads: &[Ad]) -> crate::Stats {
    #[derive(serde::Deserialize)]
    struct List {
        items: Vec<serde::de::IgnoredAny>,
    }
    let mut s = crate::Stats::default();
    for ad in ads {
        let started = Instant::now();
        let found = match client
            .get(format!("{base}/v1/listings/{}/similar", ad.id))
            .send()
            .await
        {
            Ok(r) => r.json::<List>().await.map(|l| l.items.len()),
            Err(e) => Err(e),
        };
        s.lat.push(started.elapsed());
        s.totals.push(found.map_or(-1, |n| n as i64));
    }
    s
}

/// One line of a result: p50 / p99 and what the answers held.
pub fn line(what: &str, way: &str, s: &crate::Stats) -> String {
    let answered: Vec<i64> = s.totals.iter().copied().filter(|n| *n >= 0).collect();
    format!(
        "{what:9} {way:11} p50 {:7.3} ms  p99 {:7.3} ms  {} calls, {:.1} results on average, {} failed",
        s.pct(0.5),
        s.pct(0.99),
        s.lat.len(),
        answered.iter().sum::<i64>() as f64 / answered.len().max(1) as f64,
        s.totals.len() - answered.len()
    )
}

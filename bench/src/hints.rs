//! Fair-price hints at scale: drafts taken from the database's own ads (cars, phones and
//! tablets, real estate), their comparables read from the index as the API does, in process
//! and over HTTP (`POST /v1/price-hints`).

use std::time::Instant;

use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use souk_domain::price_hint::{peers, FairPrice};
use souk_domain::Attributes;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    category: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    attributes: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    wilaya: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    price: Option<i64>,
}

pub struct Draft {
    pub category: String,
    pub attributes: Attributes,
    pub wilaya: i32,
    pub price: Option<i64>,
}

/// `n` drafts spread over the table (every k-th active ad of a category with comparables).
pub fn drafts(conn: &mut PgConnection, n: usize) -> Result<Vec<Draft>, diesel::result::Error> {
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT category, attributes, wilaya, price FROM listings \
         WHERE status = 'active' AND id % 97 = 0 AND category IN \
         ('cars', 'motorcycles', 'trucks', 'smartphones', 'tablets', 'real-estate-sale', \
          'real-estate-rent', 'real-estate-holiday-rent') ORDER BY id LIMIT {n}"
    ))
    .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Draft {
                attributes: serde_json::from_str(&r.attributes).ok()?,
                category: r.category,
                wilaya: r.wilaya,
                price: r.price,
            })
        })
        .collect())
}

pub struct Timings {
    /// Latencies (the search mix's `Stats`, its totals unused).
    pub stats: crate::Stats,
    /// Drafts that got a hint (at least five comparables).
    pub with_hint: usize,
    pub comparables: usize,
}

impl Timings {
    pub fn line(&self, way: &str) -> String {
        format!(
            "price hints {way:11} p50 {:7.3} ms  p99 {:7.3} ms  {} drafts, {} with a hint, {:.0} comparables on average",
            self.stats.pct(0.5),
            self.stats.pct(0.99),
            self.stats.lat.len(),
            self.with_hint,
            self.comparables as f64 / self.stats.lat.len().max(1) as f64
        )
    }
}

pub fn in_process(index: &souk_search::SearchIndex, drafts: &[Draft]) -> Timings {
    let now = chrono::Utc::now().timestamp_micros();
    let mut t = Timings {
        stats: crate::Stats::default(),
        with_hint: 0,
        comparables: 0,
    };
    for d in drafts {
        let started = Instant::now();
        let prices = peers(&d.category, &d.attributes, d.wilaya)
            .map(|p| index.comparable_prices(&p, None, now).unwrap_or_default())
            .unwrap_or_default();
        t.comparables += prices.len();
        let hint = FairPrice::of(prices);
        t.stats.lat.push(started.elapsed());
        t.with_hint += usize::from(hint.is_some());
    }
    t
}

pub async fn over_http(client: &reqwest::Client, base: &str, drafts: &[Draft]) -> Timings {
    let mut t = Timings {
        stats: crate::Stats::default(),
        with_hint: 0,
        comparables: 0,
    };
    for d in drafts {
        let body = serde_json::json!({
            "category": d.category, "attributes": d.attributes, "wilaya": d.wilaya, "price": d.price,
        });
        let started = Instant::now();
        let answer: serde_json::Value = match client
            .post(format!("{base}/v1/price-hints"))
            .json(&body)
            .send()
            .await
        {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => continue,
        };
        t.stats.lat.push(started.elapsed());
        if let Some(n) = answer["price_hint"]["n"].as_u64() {
            t.with_hint += 1;
            t.comparables += n as usize;
        }
    }
    t
}

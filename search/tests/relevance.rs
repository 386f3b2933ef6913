//! The relevance set: hand-judged queries over a fixed corpus of ads (`search/relevance/`),
//! in both scripts, French, Darija in Latin letters, typos, model numbers, category words and
//! places. Reports recall@10 and MRR@10 overall and per kind, and fails below the floors,
//! which were set from the measured figures (search/relevance/README.md): a ranking change
//! that loses relevance does not land.
//!
//! `SOUK_RELEVANCE_MISSES=1 cargo test -p souk-search --test relevance -- --nocapture` lists
//! every query whose first hit is not a relevant ad or whose first ten miss some;
//! `SOUK_RELEVANCE_EXPLAIN='<query>'` explains that query's hits.

use std::collections::BTreeMap;

use serde::Deserialize;
use souk_domain::{geography, AttributeValue, Attributes};
use souk_search::query::Matching;
use souk_search::{ListingDoc, SearchIndex, SearchRequest};

/// The targets of the ranking (issue 28), which the graded set meets (all 432 queries:
/// recall@10 0.958, MRR@10 0.958, nDCG@10 0.927; search/relevance/README.md): a change that
/// takes the set under one of them fails.
const RECALL_FLOOR: f64 = 0.95;
const MRR_FLOOR: f64 = 0.93;
const NDCG_FLOOR: f64 = 0.90;

const NOW: i64 = 1_800_000_000_000_000;
const DAY: i64 = 86_400_000_000;

#[derive(Deserialize)]
struct Ad {
    id: i64,
    title: String,
    description: String,
    category: String,
    #[serde(default)]
    attributes: BTreeMap<String, serde_json::Value>,
    price: Option<i64>,
    wilaya: i32,
}

/// One judged query: grade 2 for `relevant` (what the buyer wants), 1 for `acceptable`,
/// 0 for every other ad (`distractors` names the hard ones; they count as any other 0).
#[derive(Deserialize)]
struct Judged {
    q: String,
    relevant: Vec<i64>,
    #[serde(default)]
    acceptable: Vec<i64>,
    kind: String,
    /// Written blind to the ranking (after it was built), with hard distractors.
    #[serde(default)]
    blind: bool,
}

impl Judged {
    fn grade(&self, id: i64) -> u32 {
        if self.relevant.contains(&id) {
            2
        } else if self.acceptable.contains(&id) {
            1
        } else {
            0
        }
    }
}

fn corpus() -> Vec<ListingDoc> {
    let ads: Vec<Ad> =
        serde_json::from_str(include_str!("../relevance/corpus.json")).expect("corpus.json");
    ads.into_iter()
        .map(|ad| {
            let commune = geography()
                .communes_of(ad.wilaya)
                .next()
                .expect("a commune in the wilaya");
            let attributes: Attributes = ad
                .attributes
                .into_iter()
                .filter_map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => AttributeValue::Text(s),
                        serde_json::Value::Number(n) => AttributeValue::Integer(n.as_i64()?),
                        serde_json::Value::Bool(b) => AttributeValue::Bool(b),
                        _ => return None,
                    };
                    Some((k, v))
                })
                .collect();
            ListingDoc {
                id: ad.id,
                title: ad.title,
                description: ad.description,
                category: ad.category,
                attributes,
                price: ad.price,
                negotiable: false,
                exchange: false,
                wilaya: ad.wilaya,
                commune: commune.id,
                lat: commune.lat,
                lon: commune.lon,
                // Posted in id order, a few hours apart: freshness may only break ties.
                created_at_us: NOW - 30 * DAY + ad.id * 3_600_000_000,
                bumped_at_us: None,
                featured_until_us: None,
                urgent_until_us: None,
                expires_at_us: NOW + 30 * DAY,
                thumbnail: None,
                seller_id: ad.id,
                seller_since_us: None,
                store: None,
                delivery: "none".into(),
            }
        })
        .collect()
}

/// The measures of one query's first ten hits.
struct Measured {
    /// Grade-2 ads among the first ten, of at most ten.
    recall: f64,
    /// 1 / rank of the first grade-2 ad.
    reciprocal_rank: f64,
    /// DCG@10 with gains 2^grade - 1, over the DCG of the best order of the judged ads.
    ndcg: f64,
    /// The first hit is graded 0.
    wrong_first: bool,
}

fn measure(j: &Judged, hits: &[i64]) -> Measured {
    let dcg = |grades: &mut dyn Iterator<Item = u32>| -> f64 {
        grades
            .take(10)
            .enumerate()
            .map(|(i, g)| ((1u32 << g) - 1) as f64 / ((i + 2) as f64).log2())
            .sum()
    };
    // The best order: every grade-2 ad, then every grade-1 ad.
    let mut ideal = j
        .relevant
        .iter()
        .map(|_| 2)
        .chain(j.acceptable.iter().map(|_| 1));
    let found = hits.iter().filter(|id| j.grade(**id) == 2).count();
    let first = hits.iter().position(|id| j.grade(*id) == 2);
    Measured {
        recall: found as f64 / j.relevant.len().min(10) as f64,
        reciprocal_rank: first.map_or(0.0, |p| 1.0 / (p + 1) as f64),
        ndcg: dcg(&mut hits.iter().map(|id| j.grade(*id))) / dcg(&mut ideal),
        wrong_first: hits.first().is_some_and(|id| j.grade(*id) == 0),
    }
}

#[derive(Default)]
struct Score {
    queries: usize,
    recall: f64,
    reciprocal_rank: f64,
    ndcg: f64,
    wrong_first: usize,
}

impl Score {
    fn add(&mut self, m: &Measured) {
        self.queries += 1;
        self.recall += m.recall;
        self.reciprocal_rank += m.reciprocal_rank;
        self.ndcg += m.ndcg;
        self.wrong_first += usize::from(m.wrong_first);
    }
    fn mean(&self, sum: f64) -> f64 {
        sum / self.queries.max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.mean(self.recall)
    }
    fn mrr(&self) -> f64 {
        self.mean(self.reciprocal_rank)
    }
    fn ndcg(&self) -> f64 {
        self.mean(self.ndcg)
    }
    fn row(&self, name: &str) -> String {
        format!(
            "{name:<16} {:>7}  {:>9.3}  {:>6.3}  {:>7.3}  {:>11.3}",
            self.queries,
            self.recall(),
            self.mrr(),
            self.ndcg(),
            self.mean(self.wrong_first as f64)
        )
    }
}

#[test]
fn the_judged_queries_find_their_ads_first() {
    let docs = corpus();
    let titles: BTreeMap<i64, String> = docs.iter().map(|d| (d.id, d.title.clone())).collect();
    let index = SearchIndex::in_memory().unwrap();
    index.upsert(&docs).unwrap();
    index.commit(&Default::default()).unwrap();
    let judged: Vec<Judged> =
        serde_json::from_str(include_str!("../relevance/queries.json")).expect("queries.json");
    assert!(judged.len() >= 200, "{} judged queries", judged.len());
    let show_misses = std::env::var_os("SOUK_RELEVANCE_MISSES").is_some();

    let mut all = Score::default();
    let mut by_kind: BTreeMap<String, Score> = BTreeMap::new();
    let mut by_set: BTreeMap<&str, Score> = BTreeMap::new();
    for j in &judged {
        let req = SearchRequest {
            q: Some(j.q.clone()),
            limit: 10,
            ..Default::default()
        };
        req.validate().unwrap_or_else(|e| panic!("{}: {e:?}", j.q));
        let results = index.search(&req, NOW).unwrap();
        if std::env::var("SOUK_RELEVANCE_EXPLAIN").is_ok_and(|q| q == j.q) {
            for e in index.explain(&req, &results, NOW).unwrap() {
                println!("EXPLAIN {} {} {e:?}", titles[&e.id], j.grade(e.id));
            }
        }
        let hits: Vec<i64> = results.hits.iter().map(|h| h.summary.id).collect();
        let m = measure(j, &hits);
        all.add(&m);
        by_kind.entry(j.kind.clone()).or_default().add(&m);
        let set = if j.blind { "blind set" } else { "first set" };
        by_set.entry(set).or_default().add(&m);
        if show_misses && (m.ndcg < 0.999 || m.recall < 1.0) {
            let top: Vec<String> = hits
                .iter()
                .take(3)
                .map(|id| format!("{id}:{} {}", j.grade(*id), titles[id]))
                .collect();
            println!(
                "MISS [{}] {:?}: nDCG {:.2}, recall {:.2}, of {} ({}), want {:?}, got {top:?}",
                j.kind,
                j.q,
                m.ndcg,
                m.recall,
                results.total,
                Matching::from_flags(results.fuzzy, results.partial, results.related).as_str(),
                j.relevant
            );
            if m.recall < 1.0 {
                // Where the grade-2 ads outside the first ten are: further down, or not found.
                let deeper = index
                    .search(
                        &SearchRequest {
                            limit: 50,
                            ..req.clone()
                        },
                        NOW,
                    )
                    .unwrap();
                let deeper: Vec<i64> = deeper.hits.iter().map(|h| h.summary.id).collect();
                for id in j.relevant.iter().filter(|id| !hits.contains(id)) {
                    let rank = deeper.iter().position(|d| d == id).map(|p| p + 1);
                    println!("    missing {id} {:?} at {rank:?}", titles[id]);
                }
            }
        }
    }
    println!("kind             queries  recall@10  MRR@10  nDCG@10  wrong first");
    for (kind, s) in &by_kind {
        println!("{}", s.row(kind));
    }
    for (set, s) in &by_set {
        println!("{}", s.row(set));
    }
    println!("{}", all.row("all"));
    println!(
        "all, unrounded: recall@10 {:.4}, MRR@10 {:.4}, nDCG@10 {:.4}",
        all.recall(),
        all.mrr(),
        all.ndcg()
    );
    for (name, value, floor) in [
        ("recall@10", all.recall(), RECALL_FLOOR),
        ("MRR@10", all.mrr(), MRR_FLOOR),
        ("nDCG@10", all.ndcg(), NDCG_FLOOR),
    ] {
        assert!(value >= floor, "{name} {value:.3} under the floor {floor}");
    }
}

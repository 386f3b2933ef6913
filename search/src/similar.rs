//! Similar ads: the active ads of the same leaf category that share the most telling of an
//! ad's name words (title, brand, model), then re-ranked by price and place, other sellers'
//! ads first. The words are `cat_head` terms (a word within a category), so the candidates
//! come from one pruned union of short posting lists (block-max WAND), never a category scan.

use std::cmp::Ordering;

use souk_domain::Attributes;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Term};

use crate::doc::{head_terms, head_words};
use crate::index::SearchIndex;
use crate::request::{SearchRequest, Sort};
use crate::results::Hit;
use crate::schema::in_category;
use crate::SearchError;

/// Candidates read by words before re-ranking: enough for a page of other sellers' ads when
/// one seller has several of the best.
const CANDIDATES: usize = 60;
/// At most this many of the ad's words drive the lookup.
const MAX_WORDS: usize = 16;
/// Weights of the re-ranking: words (scaled to the best candidate: 1), price, wilaya.
const PRICE_WEIGHT: f64 = 0.35;
const WILAYA_WEIGHT: f64 = 0.2;

/// The ad to find others like. It need not be active (a sold ad's page shows alternatives).
pub struct SimilarTo<'a> {
    pub id: i64,
    pub title: &'a str,
    pub category: &'a str,
    pub attributes: &'a Attributes,
    pub price: Option<i64>,
    pub wilaya: i32,
    pub seller_id: i64,
}

struct Candidate {
    address: DocAddress,
    id: u64,
    other_seller: bool,
    score: f64,
}

/// 1 for the same price, falling to 0 at half or double it.
fn price_closeness(a: Option<i64>, b: Option<i64>) -> f64 {
    match (a, b) {
        (Some(a), Some(b)) if a > 0 && b > 0 => {
            let ratio = (a as f64 / b as f64).ln().abs() / std::f64::consts::LN_2;
            (1.0 - ratio).max(0.0)
        }
        _ => 0.0,
    }
}

impl SearchIndex {
    /// Up to `limit` active ads like `ad` (never `ad` itself), best first: other sellers' ads
    /// before the same seller's, then by shared words, price and place.
    pub fn similar(
        &self,
        ad: &SimilarTo,
        limit: usize,
        now_us: i64,
    ) -> Result<Vec<Hit>, SearchError> {
        let searcher = self.reader.searcher();
        let Some(leaf) = self.dict.category_ord(ad.category) else {
            return Ok(Vec::new());
        };
        let mut words = head_terms(&head_words(ad.title, ad.category, ad.attributes)).words;
        words.sort();
        words.dedup();
        // The most telling words first (the rarest in the category), if there are too many.
        if words.len() > MAX_WORDS {
            let df = |w: &String| {
                let t = Term::from_field_text(self.fields.cat_head, &in_category(leaf, w));
                searcher.doc_freq(&t).unwrap_or(0)
            };
            words.sort_by_cached_key(df);
            words.truncate(MAX_WORDS);
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|w| -> (Occur, Box<dyn Query>) {
                let term = Term::from_field_text(self.fields.cat_head, &in_category(leaf, w));
                (
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                )
            })
            .collect();
        let by_words = if clauses.is_empty() {
            Vec::new()
        } else {
            searcher.search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(CANDIDATES).order_by_score(),
            )?
        };
        let best = by_words
            .first()
            .map_or(1.0, |(s, _)| f64::from(*s).max(1e-6));
        let mut candidates = Vec::with_capacity(by_words.len());
        for (score, address) in by_words {
            let segment = searcher.segment_reader(address.segment_ord);
            let columns = self.columns.get(segment, &self.fields)?;
            let doc = address.doc_id;
            let (Some(id), Some(seller)) = (columns.id.first(doc), columns.seller.first(doc))
            else {
                continue;
            };
            if id as i64 == ad.id || columns.expires.first(doc).is_some_and(|e| e <= now_us) {
                continue;
            }
            let price = columns.ints[&self.fields.price].first(doc);
            let wilaya = columns.wilaya.first(doc).map(|w| w as i32);
            let mut s = f64::from(score) / best;
            s += PRICE_WEIGHT * price_closeness(price, ad.price);
            if wilaya == Some(ad.wilaya) {
                s += WILAYA_WEIGHT;
            }
            candidates.push(Candidate {
                address,
                id,
                other_seller: seller as i64 != ad.seller_id,
                score: s,
            });
        }
        let (mut theirs, mut own) = self.ranked(&searcher, candidates, limit)?;
        // Too few other sellers' ads share words (a short or unusual title): the category's
        // newest, in the ad's wilaya and then anywhere, come next.
        for wilayas in [vec![ad.wilaya], Vec::new()] {
            if theirs.len() >= limit {
                break;
            }
            let req = SearchRequest {
                category: Some(ad.category.to_string()),
                sort: Some(Sort::Newest),
                limit: limit * 2 + 1,
                wilayas,
                ..Default::default()
            };
            for h in self.search_cached(&req, now_us)?.hits {
                let id = h.summary.id;
                let known = theirs.iter().chain(own.iter()).any(|k| k.summary.id == id);
                if id == ad.id || known {
                    continue;
                }
                if h.summary.seller_id == ad.seller_id {
                    own.push(h);
                } else {
                    theirs.push(h);
                }
            }
        }
        theirs.extend(own);
        theirs.truncate(limit);
        Ok(theirs)
    }

    /// The best candidates as hits: other sellers' and the ad's own seller's, each best first.
    fn ranked(
        &self,
        searcher: &tantivy::Searcher,
        mut candidates: Vec<Candidate>,
        limit: usize,
    ) -> Result<(Vec<Hit>, Vec<Hit>), SearchError> {
        candidates.sort_by(|a, b| {
            b.other_seller
                .cmp(&a.other_seller)
                .then(b.score.partial_cmp(&a.score).unwrap_or(Ordering::Equal))
                .then(b.id.cmp(&a.id))
        });
        candidates.truncate(limit);
        let (mut theirs, mut own) = (Vec::new(), Vec::new());
        for c in candidates {
            let hit = Hit {
                summary: self.summary_at(searcher, c.address)?,
                distance_km: None,
            };
            if c.other_seller {
                theirs.push(hit);
            } else {
                own.push(hit);
            }
        }
        Ok((theirs, own))
    }
}

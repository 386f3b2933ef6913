//! Running a search: plan, main pass (hits + facets without own filter), one extra counting
//! pass per facet that has a filter, fuzzy retry when the exact words find little.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use souk_domain::catalog;
use tantivy::schema::Value;
use tantivy::{DocAddress, TantivyDocument};

use crate::collect::{Counts, FacetSpec, SearchCollector};
use crate::doc::Summary;
use crate::index::SearchIndex;
use crate::query::{plan, FacetKey, Matching, Plan};
use crate::request::{SearchRequest, Sort};
use crate::results::{CategoryCount, Facets, Hit, SearchResults};
use crate::SearchError;

/// Below this many exact hits, a first page is retried with one typo allowed per long word.
const FUZZY_BELOW: u64 = 3;
/// Below this many hits (a default page), a first page by relevance is retried with what its
/// words stand for (`Matching::Related`). A constant, not the page's size: the same query
/// must find the same ads whatever page size a client asks for.
const RELATED_BELOW: u64 = 20;

#[derive(Serialize, Deserialize)]
struct Cursor {
    s: String,
    r: u64,
    i: u64,
    #[serde(default)]
    f: bool,
    /// All words but one (`Matching::AllButOne`).
    #[serde(default)]
    p: bool,
    /// Words or what they stand for (`Matching::Related`).
    #[serde(default)]
    w: bool,
}

fn encode_cursor(sort: Sort, rank: f64, id: u64, matching: Matching) -> String {
    let c = Cursor {
        s: sort.as_str().into(),
        r: rank.to_bits(),
        i: id,
        f: matching.is_fuzzy(),
        p: matching == Matching::AllButOne,
        w: matching == Matching::Related,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap_or_default())
}

fn decode_cursor(s: &str, sort: Sort) -> Result<((f64, u64), Matching), SearchError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| SearchError::BadCursor)?;
    let c: Cursor = serde_json::from_slice(&bytes).map_err(|_| SearchError::BadCursor)?;
    if c.s != sort.as_str() {
        return Err(SearchError::BadCursor);
    }
    let rank = f64::from_bits(c.r);
    if rank.is_nan() {
        return Err(SearchError::BadCursor);
    }
    Ok(((rank, c.i), Matching::from_flags(c.f, c.p, c.w)))
}

/// Whether the related step could widen `req` (`text::may_widen`).
fn may_widen(req: &SearchRequest) -> bool {
    req.q
        .as_deref()
        .is_some_and(|q| crate::text::may_widen(q, req.category.as_deref()))
}

impl SearchIndex {
    /// Like `search`, answered from a result of the same request when the index has not
    /// changed since and it is under a second old (see `cache`). For lists many clients ask
    /// alike (browse pages); searches with words vary too much to gain.
    pub fn search_cached(
        &self,
        req: &SearchRequest,
        now_us: i64,
    ) -> Result<SearchResults, SearchError> {
        let version = self.version.load(std::sync::atomic::Ordering::Acquire);
        let key = format!("{req:?}");
        if let Some(hit) = self.results.get(version, &key, now_us) {
            return Ok(hit);
        }
        let results = self.search(req, now_us)?;
        self.results.put(version, key, now_us, &results);
        Ok(results)
    }

    /// The plan of `req` under `matching` (words weighed by the whole index), with the checks
    /// that depend on the time of the search.
    pub(crate) fn plan_at(&self, req: &SearchRequest, matching: Matching, now_us: i64) -> Plan {
        let searcher = self.reader.searcher();
        let df = |t: &tantivy::Term| searcher.doc_freq(t).unwrap_or(0);
        let lookup = crate::query::Lookup {
            df: &df,
            docs: searcher.num_docs(),
        };
        let mut p = plan(req, &self.fields, &self.dict, matching, &lookup);
        p.until(req, &self.fields, now_us);
        p
    }

    /// Runs a request that passed `SearchRequest::validate`: the page, then the featured ads
    /// for its slots, taken among every featured ad matching it, the page's own hits
    /// included: those leave the page's organic list for their slot above it (never twice on
    /// a page; on a narrow search, where the featured ad is among the few hits, the seller who
    /// paid sees it on top). The cursor and the page numbers were set by the organic list as
    /// it was, so the next page neither skips nor repeats an ad.
    pub fn search(&self, req: &SearchRequest, now_us: i64) -> Result<SearchResults, SearchError> {
        // One exact plan for the featured slots and (without a cursor's other matching) the page.
        let exact = self.plan_at(req, Matching::Exact, now_us);
        let mut results = self.page(req, now_us, &exact)?;
        results.promoted = self.promoted_for(req, &exact, now_us)?;
        let lifted: Vec<i64> = results.promoted.iter().map(|h| h.summary.id).collect();
        results.hits.retain(|h| !lifted.contains(&h.summary.id));
        Ok(results)
    }

    /// The hits of a page: exact words first, then retries when they find little.
    fn page(
        &self,
        req: &SearchRequest,
        now_us: i64,
        exact: &Plan,
    ) -> Result<SearchResults, SearchError> {
        let sort = req.effective_sort();
        let (after, cursor_matching) = match &req.cursor {
            Some(c) => {
                let (a, m) = decode_cursor(c, sort)?;
                (Some(a), m)
            }
            None => (None, Matching::Exact),
        };
        let words = req.q.as_deref().map_or(0, crate::request::query_words);
        // A cursor cannot ask for typo tolerance the query's length would not get.
        let cursor_matching = if words > crate::request::MAX_FUZZY_WORDS {
            Matching::Exact
        } else {
            cursor_matching
        };
        // A cursor is the client's to send back: it cannot ask for the related step on a
        // query that could not take it (that would walk whole categories).
        let cursor_matching = if cursor_matching == Matching::Related
            && !(sort == Sort::Relevance && may_widen(req))
        {
            Matching::Exact
        } else {
            cursor_matching
        };
        let given = (cursor_matching == Matching::Exact).then_some(exact);
        let mut results = self.run(req, sort, after, now_us, cursor_matching, given)?;
        let first_page = cursor_matching == Matching::Exact && after.is_none();
        if !first_page || words == 0 || words > crate::request::MAX_FUZZY_WORDS {
            return Ok(results);
        }
        // Few exact matches: one typo per long word, then (for several words) all words but
        // one, so one unknown or misspelt word does not empty the page.
        let mut retries = Vec::new();
        if results.total < FUZZY_BELOW {
            retries.push(Matching::Fuzzy);
            let meaningful = req
                .q
                .as_deref()
                .map_or(0, |q| crate::analysis::analyzer().query_words(q).len());
            if meaningful >= 2 {
                retries.push(Matching::AllButOne);
            }
        }
        for matching in retries {
            if results.total >= FUZZY_BELOW {
                break;
            }
            let retry = self.run(req, sort, after, now_us, matching, None)?;
            if retry.total > results.total {
                results = retry;
            }
        }
        // Words that find less than a page: the other ads of the categories they name.
        if results.total < RELATED_BELOW && sort == Sort::Relevance && may_widen(req) {
            let related = self.plan_at(req, Matching::Related, now_us);
            if related.widens() {
                let retry =
                    self.run(req, sort, after, now_us, Matching::Related, Some(&related))?;
                if retry.total > results.total {
                    results = retry;
                }
            }
        }
        Ok(results)
    }

    fn facet_spec(&self, req: &SearchRequest) -> FacetSpec {
        if !req.facets {
            return FacetSpec::default();
        }
        let leaf = req
            .category
            .as_deref()
            .and_then(|c| catalog().get(c))
            .filter(|c| c.is_leaf());
        let enums = leaf
            .map(|l| {
                l.attributes
                    .iter()
                    .filter_map(|a| {
                        self.dict
                            .enum_values
                            .get(&a.key)
                            .map(|v| (a.key.clone(), v.len()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        FacetSpec {
            leaf: true,
            wilaya: true,
            enums,
        }
    }

    fn run(
        &self,
        req: &SearchRequest,
        sort: Sort,
        after: Option<(f64, u64)>,
        now_us: i64,
        matching: Matching,
        given: Option<&Plan>,
    ) -> Result<SearchResults, SearchError> {
        let built;
        let p = match given {
            Some(p) => p,
            None => {
                built = self.plan_at(req, matching, now_us);
                &built
            }
        };
        let searcher = self.reader.searcher();
        let spec = self.facet_spec(req);
        let n_categories = self.dict.categories.len();
        let prune = p.is_one_term();
        let collector = |top: usize, facets: FacetSpec, after| SearchCollector {
            fields: &self.fields,
            columns: &self.columns,
            prune,
            sort,
            top,
            after,
            near: req.near,
            ranges: p.ranges.clone(),
            now_us,
            facets,
            n_categories,
            demotions: Some(&p.demotions),
        };

        // Facets with an active filter are counted without it, in passes of their own, so
        // clients can offer the other values of a multi-select.
        let filtered: Vec<FacetKey> = p.facet_filters.iter().map(|(k, _)| k.clone()).collect();
        let main_spec = FacetSpec {
            leaf: spec.leaf && !filtered.contains(&FacetKey::Category),
            wilaya: spec.wilaya && !filtered.contains(&FacetKey::Wilaya),
            enums: spec
                .enums
                .iter()
                .filter(|(k, _)| !filtered.contains(&FacetKey::Enum(k.clone())))
                .cloned()
                .collect(),
        };
        let main = searcher.search(
            &*p.query(None),
            &collector(req.offset + req.limit + 1, main_spec.clone(), after),
        )?;

        let mut counts = main.counts.clone();
        let mut enum_counts: BTreeMap<String, Vec<u64>> = main_spec
            .enums
            .iter()
            .map(|(k, _)| k.clone())
            .zip(main.counts.enums.iter().cloned())
            .collect();
        if req.facets {
            for key in &filtered {
                let only = match key {
                    FacetKey::Category => FacetSpec {
                        leaf: true,
                        ..Default::default()
                    },
                    FacetKey::Wilaya => FacetSpec {
                        wilaya: true,
                        ..Default::default()
                    },
                    FacetKey::Enum(k) => match spec.enums.iter().find(|(e, _)| e == k) {
                        Some(e) => FacetSpec {
                            enums: vec![e.clone()],
                            ..Default::default()
                        },
                        None => continue,
                    },
                };
                let pass = searcher.search(&*p.query(Some(key)), &collector(0, only, None))?;
                match key {
                    FacetKey::Category => counts.leaf = pass.counts.leaf,
                    FacetKey::Wilaya => counts.wilaya = pass.counts.wilaya,
                    FacetKey::Enum(k) => {
                        enum_counts.insert(
                            k.clone(),
                            pass.counts.enums.into_iter().next().unwrap_or_default(),
                        );
                    }
                }
            }
        }

        let mut ranked = main.hits;
        ranked.drain(..req.offset.min(ranked.len()));
        let next_cursor = if ranked.len() > req.limit {
            ranked.truncate(req.limit);
            ranked
                .last()
                .map(|h| encode_cursor(sort, h.rank, h.id, matching))
        } else {
            None
        };
        let mut hits = Vec::with_capacity(ranked.len());
        for h in ranked {
            hits.push(Hit {
                summary: self.summary_at(&searcher, DocAddress::new(h.segment, h.doc))?,
                distance_km: h.distance_km,
            });
        }
        let facets = req.facets.then(|| self.facets_from(&counts, &enum_counts));
        Ok(SearchResults {
            total: main.counts.total,
            hits,
            facets,
            next_cursor,
            fuzzy: matching.is_fuzzy(),
            partial: matching == Matching::AllButOne,
            related: matching == Matching::Related,
            promoted: Vec::new(),
        })
    }

    /// The stored summary of a hit.
    pub(crate) fn summary_at(
        &self,
        searcher: &tantivy::Searcher,
        address: DocAddress,
    ) -> Result<Summary, SearchError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let bytes = doc
            .get_first(self.fields.summary)
            .and_then(|v| v.as_bytes())
            .unwrap_or_default();
        serde_json::from_slice(bytes).map_err(|e| SearchError::Index(e.to_string()))
    }

    fn facets_from(&self, counts: &Counts, enums: &BTreeMap<String, Vec<u64>>) -> Facets {
        let cat = catalog();
        // Leaf counts roll up to every ancestor.
        let mut by_slug: BTreeMap<&str, u64> = BTreeMap::new();
        for (ord, n) in counts.leaf.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            if let Some(slug) = self.dict.categories.get(ord) {
                for node in cat.path(slug) {
                    *by_slug.entry(node.slug.as_str()).or_default() += n;
                }
            }
        }
        let category = cat
            .all()
            .filter_map(|c| {
                by_slug.get(c.slug.as_str()).map(|n| CategoryCount {
                    slug: c.slug.clone(),
                    parent: c.parent.clone(),
                    count: *n,
                })
            })
            .collect();
        let wilaya = counts
            .wilaya
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(w, n)| (w as i32, *n))
            .collect();
        let attributes = enums
            .iter()
            .map(|(key, values)| {
                let m = values
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .filter_map(|(o, n)| {
                        self.dict
                            .enum_value(key, o as u64)
                            .map(|v| (v.to_string(), *n))
                    })
                    .collect();
                (key.clone(), m)
            })
            .collect();
        Facets {
            category,
            wilaya,
            attributes,
        }
    }
}

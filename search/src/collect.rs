//! One pass over the matching documents: exact checks the index cannot do (distance, expiry),
//! the top hits for the sort, and facet counts, all from fast columns.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::Weight;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::cells::distance_km;
use crate::columns::ColumnCache;
use crate::intent::{Demoting, Demotions};
use crate::request::{Near, Sort};
use crate::schema::Fields;

/// A candidate hit. `rank` orders hits best-first (higher is better) whatever the sort;
/// ties go to the higher id.
#[derive(Debug, Clone, Copy)]
pub struct Ranked {
    pub rank: f64,
    pub id: u64,
    pub segment: SegmentOrdinal,
    pub doc: DocId,
    pub distance_km: Option<f64>,
}

impl Ranked {
    fn key(&self) -> (f64, u64) {
        (self.rank, self.id)
    }
}

fn cmp_key(a: (f64, u64), b: (f64, u64)) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Min-heap wrapper: the worst kept hit on top, so it is the one evicted.
struct Worst(Ranked);
impl PartialEq for Worst {
    fn eq(&self, o: &Self) -> bool {
        cmp_key(self.0.key(), o.0.key()) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Worst {
    fn cmp(&self, o: &Self) -> Ordering {
        cmp_key(o.0.key(), self.0.key())
    }
}

/// Which facets to count, by the column they are read from.
#[derive(Clone, Default)]
pub struct FacetSpec {
    pub leaf: bool,
    pub wilaya: bool,
    /// (attribute key, number of dictionary values)
    pub enums: Vec<(String, usize)>,
}

#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub total: u64,
    pub leaf: Vec<u64>,
    pub wilaya: Vec<u64>,
    pub enums: Vec<Vec<u64>>,
}

impl Counts {
    fn new(spec: &FacetSpec, n_categories: usize) -> Counts {
        Counts {
            total: 0,
            leaf: if spec.leaf {
                vec![0; n_categories]
            } else {
                Vec::new()
            },
            wilaya: if spec.wilaya {
                vec![0; 128]
            } else {
                Vec::new()
            },
            enums: spec.enums.iter().map(|(_, n)| vec![0; *n]).collect(),
        }
    }

    fn add(&mut self, o: &Counts) {
        self.total += o.total;
        for (a, b) in [(&mut self.leaf, &o.leaf), (&mut self.wilaya, &o.wilaya)] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.enums.iter_mut().zip(&o.enums) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }
}

/// The collector: `top` hits after `after` (a cursor) for `sort`, plus `facets` counts.
pub struct SearchCollector<'a> {
    pub fields: &'a Fields,
    pub columns: &'a ColumnCache,
    /// The query's count is cheap (see `Plan::is_one_term`): with nothing to do per document,
    /// take the total from it and the best hits from a pruned pass.
    pub prune: bool,
    pub sort: Sort,
    pub top: usize,
    pub after: Option<(f64, u64)>,
    pub near: Option<Near>,
    /// (field, min, max) checked on the field's fast column; a missing value fails.
    pub ranges: Vec<(tantivy::schema::Field, i64, i64)>,
    pub now_us: i64,
    pub facets: FacetSpec,
    pub n_categories: usize,
    /// Score factors for ads that disagree with the query's intent (relevance sort only).
    pub demotions: Option<&'a Demotions>,
}

pub struct Fruit {
    pub hits: Vec<Ranked>,
    pub counts: Counts,
}

pub struct SegmentSearch {
    segment: SegmentOrdinal,
    prune: bool,
    id: Column<u64>,
    /// `None` when no ad of the segment is past its date at `now_us`.
    expires: Option<Column<i64>>,
    sort_col: Option<Column<i64>>,
    lat: Column<f64>,
    lon: Column<f64>,
    leaf: Option<Column<u64>>,
    wilaya: Option<Column<u64>>,
    enums: Vec<Column<u64>>,
    sort: Sort,
    top: usize,
    after: Option<(f64, u64)>,
    near: Option<Near>,
    ranges: Vec<(Column<i64>, i64, i64)>,
    now_us: i64,
    heap: BinaryHeap<Worst>,
    counts: Counts,
    demoting: Option<Demoting>,
}

impl Collector for SearchCollector<'_> {
    type Fruit = Fruit;
    type Child = SegmentSearch;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentSearch> {
        let cols = self.columns.get(reader, self.fields)?;
        let sort_col = match self.sort {
            Sort::Newest => Some(cols.created.clone()),
            Sort::PriceAsc | Sort::PriceDesc => cols.ints.get(&self.fields.price).cloned(),
            Sort::Relevance | Sort::Distance => None,
        };
        let mut enums = Vec::new();
        for (key, _) in &self.facets.enums {
            enums.extend(cols.enums.get(key).cloned());
        }
        let mut ranges = Vec::new();
        for (f, lo, hi) in &self.ranges {
            // A column missing here would let everything through: fail the query instead.
            let col = cols.ints.get(f).cloned().ok_or_else(|| {
                tantivy::TantivyError::SchemaError("range on a field without a column".into())
            })?;
            ranges.push((col, *lo, *hi));
        }
        Ok(SegmentSearch {
            segment,
            prune: self.prune,
            id: cols.id.clone(),
            expires: Some(cols.expires.clone()).filter(|c| c.min_value() <= self.now_us),
            sort_col,
            lat: cols.lat.clone(),
            lon: cols.lon.clone(),
            leaf: self.facets.leaf.then(|| cols.leaf.clone()),
            wilaya: self.facets.wilaya.then(|| cols.wilaya.clone()),
            enums,
            sort: self.sort,
            top: self.top,
            after: self.after,
            near: self.near,
            ranges,
            now_us: self.now_us,
            heap: BinaryHeap::with_capacity(self.top + 1),
            counts: Counts::new(&self.facets, self.n_categories),
            demoting: self
                .demotions
                .filter(|d| !d.is_empty() && self.sort == Sort::Relevance && self.top > 0)
                .map(|d| Demoting::new(d, &cols)),
        })
    }

    fn requires_scoring(&self) -> bool {
        // Counting passes (no hits wanted) skip scoring whatever the sort.
        self.sort == Sort::Relevance && self.top > 0
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Fruit> {
        let mut child = self.for_segment(segment, reader)?;
        let alive = reader.alive_bitset();
        if child.needs_only_best_scores() {
            // Nothing to check or count per document: the total is the query's own count and
            // the best hits come from block-max pruning, which skips what cannot enter them.
            child.counts.total = u64::from(weight.count(reader)?);
            // A demotion only lowers a score, so a document whose own score cannot beat the
            // threshold cannot beat it demoted either: pruning stays exact.
            weight.for_each_pruning(f32::NEG_INFINITY, reader, &mut |doc, score| {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    let score = child.demoted(doc, score);
                    child.offer(f64::from(score), doc, None);
                }
                child.score_threshold()
            })?;
        } else if self.requires_scoring() {
            weight.for_each(reader, &mut |doc, score| {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    child.collect(doc, score);
                }
            })?;
        } else {
            weight.for_each_no_score(reader, &mut |docs| {
                for &doc in docs {
                    if alive.is_none_or(|a| a.is_alive(doc)) {
                        child.collect(doc, 0.0);
                    }
                }
            })?;
        }
        Ok(child.harvest())
    }

    fn merge_fruits(&self, fruits: Vec<Fruit>) -> tantivy::Result<Fruit> {
        let mut counts = Counts::new(&self.facets, self.n_categories);
        let mut hits = Vec::new();
        for f in fruits {
            counts.add(&f.counts);
            hits.extend(f.hits);
        }
        hits.sort_by(|a, b| cmp_key(b.key(), a.key()));
        hits.truncate(self.top);
        Ok(Fruit { hits, counts })
    }
}

impl SegmentSearch {
    fn demoted(&self, doc: DocId, score: Score) -> Score {
        self.demoting
            .as_ref()
            .map_or(score, |d| score * d.factor(doc))
    }

    /// Relevance order with no cursor, filter, expiry or facet to apply per document.
    fn needs_only_best_scores(&self) -> bool {
        self.prune
            && self.sort == Sort::Relevance
            && self.top > 0
            && self.after.is_none()
            && self.expires.is_none()
            && self.ranges.is_empty()
            && self.near.is_none()
            && self.leaf.is_none()
            && self.wilaya.is_none()
            && self.enums.is_empty()
    }

    /// Keeps the hit if it is among the `top` best after the cursor.
    fn offer(&mut self, rank: f64, doc: DocId, distance_km: Option<f64>) {
        // The id only breaks ties: most documents lose on rank alone, without reading it.
        let full = self.heap.len() >= self.top;
        if full && self.heap.peek().is_some_and(|w| rank < w.0.rank) {
            return;
        }
        if self.after.is_some_and(|(r, _)| rank > r) {
            return;
        }
        let id = self.id.first(doc).unwrap_or(0);
        if let Some(after) = self.after {
            if cmp_key((rank, id), after) != Ordering::Less {
                return;
            }
        }
        let hit = Ranked {
            rank,
            id,
            segment: self.segment,
            doc,
            distance_km,
        };
        if self.heap.len() < self.top {
            self.heap.push(Worst(hit));
        } else if let Some(worst) = self.heap.peek() {
            if cmp_key(hit.key(), worst.0.key()) == Ordering::Greater {
                self.heap.pop();
                self.heap.push(Worst(hit));
            }
        }
    }

    /// Scores a document must beat to be offered: just below the worst kept one once the
    /// heap is full, so an equal score with a higher id still gets in.
    fn score_threshold(&self) -> Score {
        match self.heap.peek() {
            Some(worst) if self.heap.len() >= self.top => (worst.0.rank as Score).next_down(),
            _ => Score::NEG_INFINITY,
        }
    }
}

impl SegmentCollector for SegmentSearch {
    type Fruit = Fruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        // Ads past their date leave search at once, even before the expiry sweep writes it.
        if let Some(e) = &self.expires {
            if e.first(doc).is_some_and(|e| e <= self.now_us) {
                return;
            }
        }
        for (col, lo, hi) in &self.ranges {
            if !col.first(doc).is_some_and(|v| v >= *lo && v <= *hi) {
                return;
            }
        }
        let mut distance = None;
        if let Some(n) = self.near {
            let (Some(lat), Some(lon)) = (self.lat.first(doc), self.lon.first(doc)) else {
                return;
            };
            let d = distance_km((n.lat, n.lon), (lat, lon));
            if d > n.radius_km {
                return;
            }
            distance = Some(d);
        }
        self.counts.total += 1;
        if let Some(c) = &self.leaf {
            if let Some(v) = c.first(doc) {
                if let Some(slot) = self.counts.leaf.get_mut(v as usize) {
                    *slot += 1;
                }
            }
        }
        if let Some(c) = &self.wilaya {
            if let Some(v) = c.first(doc) {
                if let Some(slot) = self.counts.wilaya.get_mut(v as usize) {
                    *slot += 1;
                }
            }
        }
        for (col, counts) in self.enums.iter().zip(self.counts.enums.iter_mut()) {
            if let Some(v) = col.first(doc) {
                if let Some(slot) = counts.get_mut(v as usize) {
                    *slot += 1;
                }
            }
        }
        if self.top == 0 {
            return;
        }
        let rank = match self.sort {
            Sort::Relevance => f64::from(self.demoted(doc, score)),
            Sort::Newest => self
                .sort_col
                .as_ref()
                .and_then(|c| c.first(doc))
                .map_or(f64::MIN, |v| v as f64),
            // Ads without a price ("on request") come last either way.
            Sort::PriceAsc => self
                .sort_col
                .as_ref()
                .and_then(|c| c.first(doc))
                .map_or(f64::MIN, |v| -(v as f64)),
            Sort::PriceDesc => self
                .sort_col
                .as_ref()
                .and_then(|c| c.first(doc))
                .map_or(f64::MIN, |v| v as f64),
            Sort::Distance => distance.map_or(f64::MIN, |d| -d),
        };
        self.offer(rank, doc, distance);
    }
    fn harvest(self) -> Fruit {
        Fruit {
            hits: self.heap.into_iter().map(|w| w.0).collect(),
            counts: self.counts,
        }
    }
}

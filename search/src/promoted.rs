//! Featured slots: up to `SLOTS` featured ads above a page, taken among those that match the
//! page's own query and filters, in turn. They are searched on the index's shelf (the featured
//! ads alone, about a hundredth of the index), so the slots cost a fraction of the page.

use std::sync::atomic::Ordering;

use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocSet, TERMINATED};

use crate::collect::{FacetSpec, SearchCollector};
use crate::index::SearchIndex;
use crate::query::{Matching, Plan};
use crate::request::{SearchRequest, Sort};
use crate::results::Hit;
use crate::SearchError;

/// Featured ads shown above a page.
pub const SLOTS: usize = 2;
/// With a price or attribute range or a radius, the newest this many eligible ads take turns
/// (a page matching more rotates among the most recently featured or bumped); without, every
/// matching ad does, and this many places at most are walked to fill the slots.
pub const MAX_ELIGIBLE: usize = 256;

/// Which of `n` eligible ads (in id order) the page of turn `turn` shows: consecutive turns
/// walk the list `SLOTS` at a time, so over `n` pages each ad is shown equally often.
pub fn turn_picks(turn: u64, n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let start = (turn.wrapping_mul(SLOTS as u64) % n as u64) as usize;
    (0..SLOTS.min(n)).map(|i| (start + i) % n).collect()
}

impl SearchIndex {
    /// The featured ads for a page of `req`: every word of the query exact (a paid slot is
    /// never shown for a query it only nearly matches), every filter, featured at `now_us`.
    pub fn pick_promoted(&self, req: &SearchRequest, now_us: i64) -> Result<Vec<Hit>, SearchError> {
        self.promoted_for(req, &self.plan_at(req, Matching::Exact, now_us), now_us)
    }

    /// `pick_promoted` with the page's exact plan (`SearchIndex::plan_at`), built once for both
    /// (the page's own hits among them: the caller takes those out of the page).
    /// Its words were weighed by the whole index, as for the page itself: the shelf alone would
    /// call most words rare and let sound-alike spellings in.
    pub(crate) fn promoted_for(
        &self,
        req: &SearchRequest,
        p: &Plan,
        now_us: i64,
    ) -> Result<Vec<Hit>, SearchError> {
        let Some(shelf) = self.shelf.as_deref() else {
            return Ok(Vec::new());
        };
        let searcher = shelf.reader.searcher();
        if searcher.num_docs() == 0 {
            return Ok(Vec::new());
        }
        if p.ranges.is_empty() && req.near.is_none() {
            // Nothing to check per document but the mark's end: walk to this turn's places.
            return self.walk_picks(shelf, &searcher, &*p.query(None), now_us);
        }
        let mut ranges = p.ranges.clone();
        ranges.push((
            self.fields.featured_until,
            now_us.saturating_add(1),
            i64::MAX,
        ));
        let collector = SearchCollector {
            fields: &shelf.fields,
            columns: &shelf.columns,
            prune: false,
            sort: Sort::Newest,
            top: MAX_ELIGIBLE,
            after: None,
            near: req.near,
            ranges,
            now_us,
            facets: FacetSpec::default(),
            n_categories: shelf.dict.categories.len(),
            demotions: None,
        };
        let mut eligible = searcher.search(&*p.query(None), &collector)?.hits;
        if eligible.is_empty() {
            return Ok(Vec::new());
        }
        eligible.sort_by_key(|h| h.id);
        let turn = self.rotation.fetch_add(1, Ordering::Relaxed);
        turn_picks(turn, eligible.len())
            .into_iter()
            .map(|i| {
                let h = eligible[i];
                Ok(Hit {
                    summary: shelf.summary_at(&searcher, DocAddress::new(h.segment, h.doc))?,
                    distance_km: h.distance_km,
                })
            })
            .collect()
    }
}

impl SearchIndex {
    /// The slots of a page whose query alone decides the featured ads it matches (no range,
    /// no radius): the matches are numbered in index order (their count is the query's own,
    /// without visiting them) and the turn's places are walked to, so a broad page costs
    /// a walk of the posting lists, not a pass over every match. A match whose mark or ad
    /// has ended (until the worker's sweep takes it off the shelf) passes its turn on.
    fn walk_picks(
        &self,
        shelf: &SearchIndex,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        now_us: i64,
    ) -> Result<Vec<Hit>, SearchError> {
        let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
        let readers = searcher.segment_readers();
        let mut counts = Vec::with_capacity(readers.len());
        for r in readers {
            counts.push(u64::from(weight.count(r)?));
        }
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return Ok(Vec::new());
        }
        let turn = self.rotation.fetch_add(1, Ordering::Relaxed);
        let mut place = turn.wrapping_mul(SLOTS as u64) % total;
        let mut picked: Vec<Hit> = Vec::with_capacity(SLOTS);
        for _ in 0..total.min(MAX_ELIGIBLE as u64) {
            if picked.len() == SLOTS.min(total as usize) {
                break;
            }
            // The segment holding this place, and the place within it.
            let (mut segment, mut within) = (0, place);
            while within >= counts[segment] {
                within -= counts[segment];
                segment += 1;
            }
            let reader = &readers[segment];
            let mut docs = weight.scorer(reader, 1.0)?;
            let alive = reader.alive_bitset();
            let mut doc = docs.doc();
            let mut seen = 0;
            while doc != TERMINATED {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    if seen == within {
                        break;
                    }
                    seen += 1;
                }
                doc = docs.advance();
            }
            place = (place + 1) % total;
            if doc == TERMINATED {
                continue;
            }
            let cols = shelf.columns.get(reader, &shelf.fields)?;
            let running = cols
                .ints
                .get(&shelf.fields.featured_until)
                .and_then(|c| c.first(doc))
                .is_some_and(|until| until > now_us);
            let live = cols.expires.first(doc).is_none_or(|e| e > now_us);
            if !running || !live {
                continue;
            }
            let summary = shelf.summary_at(searcher, DocAddress::new(segment as u32, doc))?;
            if picked.iter().all(|h| h.summary.id != summary.id) {
                picked.push(Hit {
                    summary,
                    distance_km: None,
                });
            }
        }
        Ok(picked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_eligible_ad_gets_the_same_share_of_pages() {
        for n in 1..=7usize {
            let mut shown = vec![0usize; n];
            for turn in 0..(n as u64 * 10) {
                let picks = turn_picks(turn, n);
                assert_eq!(picks.len(), SLOTS.min(n));
                let mut distinct = picks.clone();
                distinct.dedup();
                assert_eq!(distinct.len(), picks.len(), "an ad twice on one page");
                for i in picks {
                    shown[i] += 1;
                }
            }
            let (min, max) = (shown.iter().min(), shown.iter().max());
            assert_eq!(min, max, "{n} eligible: {shown:?}");
        }
        assert!(turn_picks(5, 0).is_empty());
    }
}

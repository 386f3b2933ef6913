//! Following the change feed so that nothing is missed, even when transactions commit out of
//! order: change ids above the watermark that were already applied are remembered, and a gap
//! (an id not yet visible) holds the watermark back until it shows up or is old enough to be a
//! rolled-back transaction.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use souk_search::Checkpoint;
use souk_store::{feed, DbConn, StoreError};

use super::{docs_of, SearchService};

/// A missing id older than this belonged to a transaction that rolled back.
pub const GAP_TIMEOUT: Duration = Duration::from_secs(60);
const BATCH: i64 = 5_000;

pub struct FeedState {
    pub watermark: i64,
    pub applied_above: BTreeSet<i64>,
    gaps_seen: HashMap<i64, Instant>,
}

impl FeedState {
    pub fn new(c: Checkpoint) -> FeedState {
        FeedState {
            watermark: c.watermark,
            applied_above: c.applied_above.into_iter().collect(),
            gaps_seen: HashMap::new(),
        }
    }

    fn checkpoint(&self, fingerprint: String) -> Checkpoint {
        Checkpoint {
            fingerprint,
            watermark: self.watermark,
            applied_above: self.applied_above.iter().copied().collect(),
        }
    }

    /// Moves the watermark over applied ids and over gaps that timed out.
    fn advance(&mut self, now: Instant) {
        loop {
            let next = self.watermark + 1;
            if self.applied_above.remove(&next) {
                self.watermark = next;
                self.gaps_seen.remove(&next);
                continue;
            }
            if self.applied_above.is_empty() {
                self.gaps_seen.clear();
                return;
            }
            let first_seen = *self.gaps_seen.entry(next).or_insert(now);
            if now.duration_since(first_seen) >= GAP_TIMEOUT {
                self.gaps_seen.remove(&next);
                self.watermark = next;
                continue;
            }
            return;
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] souk_search::SearchError),
}

/// Applies the listings changed since the last call; returns how many changes were applied.
/// Blocking: call from a blocking thread.
pub fn follow_once(service: &SearchService, conn: &mut DbConn) -> Result<usize, FeedError> {
    let mut state = service.feed.lock().unwrap_or_else(|p| p.into_inner());
    let index = service.index();
    if index.needs_shelf_fill() {
        // An index opened from disk has an empty shelf of featured ads.
        let n = super::fill_shelf(&index, conn)?;
        tracing::info!(featured = n, "featured ads back on the search shelf");
    }
    let mut applied = 0;
    loop {
        let rows = feed::changes_after(conn, state.watermark, BATCH)?;
        let fresh: Vec<(i64, i64)> = rows
            .into_iter()
            .filter(|(id, _)| !state.applied_above.contains(id))
            .collect();
        if fresh.is_empty() {
            let before = state.watermark;
            state.advance(Instant::now());
            if state.watermark != before {
                service
                    .index()
                    .commit(&state.checkpoint(service.index().fingerprint()))?;
            }
            service.mark_caught_up();
            return Ok(applied);
        }
        let mut listing_ids: Vec<i64> = fresh.iter().map(|(_, l)| *l).collect();
        listing_ids.sort_unstable();
        listing_ids.dedup();
        apply_listings(service, conn, &listing_ids)?;
        for (id, _) in &fresh {
            state.applied_above.insert(*id);
        }
        applied += fresh.len();
        state.advance(Instant::now());
        let index = service.index();
        index.commit(&state.checkpoint(index.fingerprint()))?;
        if fresh.len() < BATCH as usize {
            service.mark_caught_up();
            return Ok(applied);
        }
    }
}

/// Re-reads the listings and puts each in the index or takes it out, as its row says now.
pub fn apply_listings(
    service: &SearchService,
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<(), FeedError> {
    let rows = feed::listings_by_ids(conn, ids)?;
    let docs = docs_of(conn, &rows)?;
    let kept: std::collections::HashSet<i64> = docs.iter().map(|d| d.id).collect();
    let gone: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !kept.contains(id))
        .collect();
    let index = service.index();
    index.remove(&gone);
    index.upsert(&docs)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_commits_hold_the_watermark_until_the_gap_fills() {
        let mut s = FeedState::new(Checkpoint::default());
        let t0 = Instant::now();
        // 1 and 3 are visible, 2 is still in flight.
        s.applied_above.extend([1, 3]);
        s.advance(t0);
        assert_eq!(s.watermark, 1);
        assert!(s.applied_above.contains(&3));
        // 2 commits later and is applied: the watermark passes both.
        s.applied_above.insert(2);
        s.advance(t0 + Duration::from_secs(1));
        assert_eq!((s.watermark, s.applied_above.len()), (3, 0));
    }

    #[test]
    fn a_rolled_back_id_stops_blocking_after_the_timeout() {
        let mut s = FeedState::new(Checkpoint::default());
        let t0 = Instant::now();
        s.applied_above.extend([1, 3]);
        s.advance(t0);
        s.advance(t0 + GAP_TIMEOUT / 2);
        assert_eq!(s.watermark, 1);
        s.advance(t0 + GAP_TIMEOUT);
        assert_eq!(s.watermark, 3);
    }
}

//! Public reads on a PostgreSQL streaming replica (`DATABASE_REPLICA_URL`).
//!
//! Which reads: the public pages anyone may open without signing in (an ad, a seller's
//! profile, a store), read by someone not signed in. A signed-in reader reads the primary, so
//! whatever they just wrote shows at once, whatever the replica's lag; anonymous readers have
//! written nothing. The search index follows the change feed on the primary: a paused replica
//! would show a transaction in flight at the pause as a gap in the feed that outlives the gap
//! timeout, and the follower would pass over a change that was only late.
//!
//! How stale: every `POLL` the watcher notes where the primary's log ends, and how far the
//! replica has replayed it. The replica holds everything the primary had at the newest noted
//! moment whose position it has replayed: its staleness is that moment's age. Past
//! `SOUK_REPLICA_MAX_LAG_SECS`, or unreachable, public reads go to the primary until it catches
//! up.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use souk_store::replication::{primary_position, replayed_position};
use souk_store::Pool;
use tokio::sync::watch;

const POLL: Duration = Duration::from_millis(250);
/// Positions of the primary remembered; a replica further behind is simply stale.
const HISTORY: Duration = Duration::from_secs(120);

pub struct Replica {
    pub pool: Pool,
    max_lag: Duration,
    fresh: AtomicBool,
    staleness_ms: AtomicU64,
    /// When the watcher last finished a measurement (ms after `born`): a watcher stuck on a
    /// dead connection must not leave an old verdict standing.
    measured_ms: AtomicU64,
    born: Instant,
}

impl Replica {
    pub fn new(pool: Pool, max_lag: Duration) -> Replica {
        Replica {
            pool,
            max_lag,
            // Not used until the watcher has measured it once.
            fresh: AtomicBool::new(false),
            staleness_ms: AtomicU64::new(u64::MAX),
            measured_ms: AtomicU64::new(0),
            born: Instant::now(),
        }
    }

    /// True while the replica is within the allowed lag, by a measurement recent enough to say
    /// so.
    pub fn fresh(&self) -> bool {
        let now = self.born.elapsed().as_millis() as u64;
        let measured = self.measured_ms.load(Ordering::Relaxed);
        self.fresh.load(Ordering::Relaxed)
            && now.saturating_sub(measured) <= self.max_lag.as_millis() as u64
    }

    /// A read failed on the replica: leave it until the next measurement says otherwise.
    pub fn failed(&self) {
        self.fresh.store(false, Ordering::Relaxed);
    }

    fn record(&self, staleness: Option<Duration>) {
        let fresh = staleness.is_some_and(|s| s <= self.max_lag);
        if fresh != self.fresh.swap(fresh, Ordering::Relaxed) {
            if fresh {
                tracing::info!("read replica caught up: public reads go to it");
            } else {
                tracing::warn!(
                    ?staleness,
                    "read replica behind or unreachable: public reads go to the primary"
                );
            }
        }
        let ms = staleness.map_or(u64::MAX, |s| s.as_millis() as u64);
        self.staleness_ms.store(ms, Ordering::Relaxed);
        self.measured_ms
            .store(self.born.elapsed().as_millis() as u64, Ordering::Relaxed);
        metrics::gauge!("souk_replica_staleness_seconds")
            .set(staleness.map_or(f64::INFINITY, |s| s.as_secs_f64()));
    }

    /// Measures the replica's staleness every `POLL` until `shutdown`.
    pub async fn watch(self: Arc<Self>, primary: Pool, mut shutdown: watch::Receiver<bool>) {
        let mut noted: VecDeque<(Instant, u64)> = VecDeque::new();
        loop {
            let (p, r) = (primary.clone(), self.pool.clone());
            let measured = tokio::task::spawn_blocking(move || {
                let at = Instant::now();
                let end = primary_position(&mut *p.get().ok()?).ok()?;
                let replayed = replayed_position(&mut *r.get().ok()?).ok().flatten();
                Some((at, end, replayed))
            })
            .await
            .ok()
            .flatten();
            match measured {
                Some((at, end, replayed)) => {
                    noted.push_back((at, end));
                    while noted.len() > 1
                        && noted.front().is_some_and(|(t, _)| t.elapsed() > HISTORY)
                    {
                        noted.pop_front();
                    }
                    self.record(replayed.and_then(|r| staleness(&noted, r)));
                }
                // The primary is away: the requests will say so; the replica is not used.
                None => self.record(None),
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// The age of the newest noted primary position the replica has replayed; `None` when it has
/// replayed none of them (further behind than the history).
fn staleness(noted: &VecDeque<(Instant, u64)>, replayed: u64) -> Option<Duration> {
    noted
        .iter()
        .rev()
        .find(|(_, end)| *end <= replayed)
        .map(|(at, _)| at.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness_is_the_age_of_the_newest_position_replayed() {
        let now = Instant::now();
        let noted: VecDeque<(Instant, u64)> = [
            (now - Duration::from_secs(3), 100),
            (now - Duration::from_secs(2), 200),
            (now - Duration::from_secs(1), 300),
        ]
        .into();
        let s = staleness(&noted, 250).unwrap();
        assert!(
            s >= Duration::from_secs(2) && s < Duration::from_secs(3),
            "{s:?}"
        );
        assert!(staleness(&noted, 300).unwrap() < Duration::from_secs(2));
        assert_eq!(staleness(&noted, 50), None);
    }
}

//! Counts ad views without a database write per read: into Redis (flushed to the database by
//! the worker), or, without Redis or while it is down, into this process's memory, flushed
//! here every few seconds. Featured-slot impressions and clicks (one or two per search page)
//! are always counted in memory and flushed with them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use souk_store::stats::Stat;
use souk_store::writer::WriterUse;
use souk_store::Pool;
use souk_worker::RedisLink;
use tokio::sync::watch;

/// Ads per transaction when flushing counts: a flush after a busy second holds thousands,
/// and one transaction over all of them would keep the SQLite writer from requests meanwhile.
const FLUSH_CHUNK: usize = 100;

#[derive(Default)]
pub struct ViewCounter {
    redis: Option<RedisLink>,
    pending: Mutex<HashMap<i64, i64>>,
    promoted: Mutex<HashMap<(i64, PromotedStat), i64>>,
}

/// What happened to an ad in a featured slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromotedStat {
    Impression,
    Click,
}

impl PromotedStat {
    fn stat(self) -> Stat {
        match self {
            PromotedStat::Impression => Stat::PromotedImpressions,
            PromotedStat::Click => Stat::PromotedClicks,
        }
    }
}

impl ViewCounter {
    pub fn new(redis: Option<RedisLink>) -> ViewCounter {
        ViewCounter {
            redis,
            pending: Mutex::default(),
            promoted: Mutex::default(),
        }
    }

    pub async fn count(&self, listing_id: i64) {
        if let Some(r) = &self.redis {
            if r.add_views(listing_id, 1).await {
                return;
            }
        }
        *self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(listing_id)
            .or_default() += 1;
    }

    /// Counts `what` for each of `ids`; no database write until the flush.
    pub fn count_promoted(&self, ids: &[i64], what: PromotedStat) {
        let mut m = self.promoted.lock().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            *m.entry((*id, what)).or_default() += 1;
        }
    }

    fn take(&self) -> (HashMap<i64, i64>, HashMap<(i64, PromotedStat), i64>) {
        (
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner())),
            std::mem::take(&mut *self.promoted.lock().unwrap_or_else(|p| p.into_inner())),
        )
    }

    /// Writes the views counted in memory to the database, `FLUSH_CHUNK` ads a transaction so
    /// the one SQLite writer goes back to requests between them; what fails is kept for the
    /// next flush.
    pub fn flush(&self, pool: &Pool) {
        let (views, promoted) = self.take();
        write_in_chunks(pool, views, &self.pending, "view counts", |c, id, n| {
            souk_store::listings::increment_views(c, id, n)
        });
        write_in_chunks(
            pool,
            promoted,
            &self.promoted,
            "promoted counts",
            |c, (id, what), n| souk_store::stats::bump(c, id, what.stat(), n),
        );
    }

    /// Flushes every `every` until `stop`, and once more on the way out.
    pub async fn run_flusher(
        self: std::sync::Arc<Self>,
        pool: Pool,
        every: Duration,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            let stopping = tokio::select! {
                _ = tokio::time::sleep(every) => false,
                _ = stop.changed() => true,
            };
            let me = self.clone();
            let p = pool.clone();
            let _ = tokio::task::spawn_blocking(move || me.flush(&p)).await;
            if stopping || *stop.borrow() {
                return;
            }
        }
    }
}

/// Writes `counts` with `write`, `FLUSH_CHUNK` a transaction taken as background work; the
/// counts of a chunk that fails go back into `kept` for the next flush.
fn write_in_chunks<K: Copy + Eq + std::hash::Hash>(
    pool: &Pool,
    counts: HashMap<K, i64>,
    kept: &Mutex<HashMap<K, i64>>,
    what: &str,
    write: impl Fn(&mut souk_store::DbConn, K, i64) -> Result<(), souk_store::StoreError>,
) {
    let counts: Vec<(K, i64)> = counts.into_iter().collect();
    for chunk in counts.chunks(FLUSH_CHUNK) {
        let written =
            souk_store::writer::take_writer(pool, WriterUse::Background).and_then(|mut conn| {
                souk_store::db::write_transaction(&mut conn, |c| {
                    chunk.iter().try_for_each(|(key, n)| write(c, *key, *n))
                })
            });
        if let Err(e) = written {
            tracing::warn!(error = %e, "{what} not written; kept for the next flush");
            let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
            for (key, n) in chunk {
                *kept.entry(*key).or_default() += n;
            }
        }
    }
}

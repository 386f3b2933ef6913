//! Rebuilding an index from the database: on first start, and by `souk-api reindex` into a
//! new generation while the running service keeps searching the old one.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::ProgressBar;
use souk_search::{Checkpoint, SearchIndex};
use souk_store::{feed, now, DbConn, DbUrl};
use tokio::sync::watch;

use super::feed::{follow_once, FeedError, GAP_TIMEOUT};
use super::{docs_of, SearchService};

const PAGE: i64 = 5_000;

/// Fills `index` with every active listing and returns the checkpoint it was committed with.
/// Following starts from the last change older than the gap timeout, so changes that commit
/// while the rebuild runs are applied afterwards.
/// It reads over a connection of its own, not the service's pool, so requests never wait on it.
pub fn rebuild(
    conn: &mut DbConn,
    index: &SearchIndex,
    progress: &ProgressBar,
) -> Result<Checkpoint, FeedError> {
    let conn = &mut *conn;
    let cutoff = now() - chrono::Duration::from_std(GAP_TIMEOUT).unwrap_or_default();
    let watermark = feed::last_change_before(conn, cutoff)?;
    progress.set_length(feed::count_active(conn)?.max(0) as u64);
    index.clear()?;
    let mut after = 0;
    loop {
        let page = feed::active_after(conn, after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        index.add_new(&docs_of(conn, &page)?)?;
        progress.inc(page.len() as u64);
    }
    let checkpoint = Checkpoint {
        fingerprint: index.fingerprint(),
        watermark,
        applied_above: Vec::new(),
    };
    index.commit(&checkpoint)?;
    progress.finish();
    Ok(checkpoint)
}

/// Keeps `service` in step with the database until `shutdown`: a first rebuild if needed,
/// then the change feed every `poll`, and adoption of generations rebuilt elsewhere. Uses one
/// database connection of its own, opened (and reopened after errors) from `database_url`.
pub async fn run(
    service: Arc<SearchService>,
    database_url: String,
    needs_rebuild: bool,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let conn: Arc<Mutex<Option<DbConn>>> = Arc::new(Mutex::new(None));
    let url = DbUrl::parse(&database_url);
    let mut first = needs_rebuild;
    while !*shutdown.borrow() {
        let started = std::time::Instant::now();
        let (s, c, u) = (service.clone(), conn.clone(), url.clone());
        let rebuild_now = std::mem::take(&mut first);
        let pass = tokio::task::spawn_blocking(move || -> Result<usize, FeedError> {
            let mut slot = c.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some(souk_store::db::establish(&u)?);
            }
            let conn = slot.as_mut().expect("just set");
            let result = step(&s, conn, rebuild_now);
            if result.is_err() {
                *slot = None;
            }
            result
        })
        .await;
        match pass {
            Ok(Ok(n)) if n > 0 => {
                let secs = started.elapsed().as_secs_f64();
                metrics::histogram!("search_feed_pass_seconds").record(secs);
                tracing::debug!(
                    changes = n,
                    ms = secs * 1000.0,
                    "search index followed the feed"
                );
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                first |= rebuild_now;
                tracing::warn!(error = %e, "search index could not follow the feed");
            }
            Err(e) => tracing::error!(error = %e, "search follower panicked"),
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
        }
    }
}

fn step(
    service: &SearchService,
    conn: &mut DbConn,
    rebuild_first: bool,
) -> Result<usize, FeedError> {
    if rebuild_first {
        let started = std::time::Instant::now();
        let c = rebuild(conn, &service.index(), &ProgressBar::hidden())?;
        service.index().finish_rebuild(super::FOLLOW_HEAP)?;
        *service.feed.lock().unwrap_or_else(|p| p.into_inner()) = super::FeedState::new(c);
        service.set_ready();
        crate::telemetry::release_freed_memory();
        tracing::info!(
            docs = service.index().num_docs(),
            ms = started.elapsed().as_millis() as u64,
            "search index built"
        );
    }
    service.adopt_new_generation()?;
    if !service.is_ready() {
        return Ok(0);
    }
    follow_once(service, conn)
}

//! Periodic tasks of an ad's life: warn before expiry, expire, purge. Each batch is one
//! transaction holding the status change, the change-feed rows and the emails it causes.

use chrono::Duration;
use souk_store::listings::Listing;
use souk_store::tokens::{self, TokenPurpose};
use souk_store::{lifecycle, moderation, users, DbConn, StoreResult};

use crate::context::{RunnerError, Worker};
use crate::email::enqueue_email;
use crate::{links, templates};

/// Renewal links stay valid this long after the email (a renewal also works once expired).
const RENEW_TOKEN_DAYS: i64 = 30;

fn renewal_link(conn: &mut DbConn, base: &str, l: &Listing) -> StoreResult<String> {
    let token = tokens::mint(
        conn,
        l.user_id,
        TokenPurpose::RenewListing,
        &l.id.to_string(),
        souk_store::now() + Duration::days(RENEW_TOKEN_DAYS),
    )?;
    Ok(links::renewal(base, &token))
}

/// Queues the expiry warning (with a one-click renewal link) for ads expiring soon.
pub async fn warn_expiring(w: &Worker) -> Result<usize, RunnerError> {
    in_batches(w, "expiry warnings queued", || {
        let (within, batch, base) = (w.cfg.warn_before, w.cfg.batch, w.cfg.public_url.clone());
        w.tx(move |conn| {
            let due = lifecycle::warn_expiring_listings(conn, within, batch)?;
            for l in &due {
                let owner = users::find_user(conn, l.user_id)?;
                let link = renewal_link(conn, &base, l)?;
                let day = l.expires_at.format("%Y-%m-%d").to_string();
                enqueue_email(
                    conn,
                    templates::expiry_warning(&(&owner).into(), &l.title, &day, &link),
                )?;
                crate::push::notices::ad_expiry(conn, l.user_id, l.id, &l.title, true)?;
            }
            Ok(due.len())
        })
    })
    .await
}

/// The sweep: ads past their date become expired (and leave search through the change feed);
/// each owner gets a notice with a renewal link.
pub async fn expire_due(w: &Worker) -> Result<usize, RunnerError> {
    in_batches(w, "ads expired", || async {
        let (batch, base) = (w.cfg.batch, w.cfg.public_url.clone());
        let (n, wake) = w
            .tx(move |conn| {
                let expired = lifecycle::expire_due_listings(conn, batch)?;
                // Their threads' buyers see it live (`conversation.ad_closed`).
                let mut wake = Vec::new();
                for l in &expired {
                    wake.extend(crate::live::ad_closed(conn, l.id, "expired")?);
                }
                for l in expired.iter().filter(|l| l.hidden_at.is_none()) {
                    let owner = users::find_user(conn, l.user_id)?;
                    let link = renewal_link(conn, &base, l)?;
                    enqueue_email(
                        conn,
                        templates::expired_notice(&(&owner).into(), &l.title, &link),
                    )?;
                    crate::push::notices::ad_expiry(conn, l.user_id, l.id, &l.title, false)?;
                }
                Ok((expired.len(), wake))
            })
            .await?;
        crate::live::publish_wake(w.redis.as_ref(), &wake).await;
        Ok(n)
    })
    .await
}

/// Deletes for good the ads deleted or expired longer ago than the retention periods, then
/// their photo files.
pub async fn purge(w: &Worker) -> Result<usize, RunnerError> {
    in_batches(w, "old ads purged", || async {
        let t = souk_store::now();
        let (deleted_before, expired_before) =
            (t - w.cfg.deleted_retention, t - w.cfg.expired_retention);
        let batch = w.cfg.batch;
        let (n, keys) = w
            .tx(move |conn| lifecycle::purge_listings(conn, deleted_before, expired_before, batch))
            .await?;
        w.files
            .remove_images(souk_store::files::Area::Photos, &keys)
            .await;
        Ok(n)
    })
    .await
}

/// Forgets deleted accounts' mailboxes (and the ratings kept with them) once they are
/// `MAILBOX_MEMORY_DAYS` old.
pub async fn forget_mailboxes(w: &Worker) -> Result<usize, RunnerError> {
    in_batches(w, "deleted accounts' mailboxes forgotten", || async {
        let before =
            souk_store::now() - chrono::Duration::days(souk_domain::account::MAILBOX_MEMORY_DAYS);
        let batch = w.cfg.batch;
        w.tx(move |conn| souk_store::account_data::forget_deleted_mailboxes(conn, before, batch))
            .await
    })
    .await
}

/// Live-stream events are kept this long: a client away longer reloads its inbox instead of
/// resuming its stream.
pub const EVENT_MEMORY_DAYS: i64 = 7;

/// Forgets live-stream events older than `EVENT_MEMORY_DAYS`.
pub async fn forget_events(w: &Worker) -> Result<usize, RunnerError> {
    in_batches(w, "live-stream events forgotten", || async {
        let before = souk_store::now() - chrono::Duration::days(EVENT_MEMORY_DAYS);
        let batch = w.cfg.batch;
        w.tx(move |conn| souk_store::events::forget_before(conn, before, batch))
            .await
    })
    .await
}

/// Forgets the fingerprints of removed photos and purged ads once their time is up.
pub async fn forget_fingerprints(w: &Worker) -> Result<usize, RunnerError> {
    in_batches(w, "past fingerprints forgotten", || async {
        let batch = w.cfg.batch;
        w.tx(move |conn| souk_store::past_fingerprints::forget_due(conn, batch))
            .await
    })
    .await
}

/// Lifts the bans for a period that have ended: the account signs in again and the ads the
/// ban hid come back (search follows the change feed), logged as the system's unban.
pub async fn lift_ended_bans(w: &Worker) -> Result<usize, RunnerError> {
    in_batches(w, "bans ended", || {
        let batch = w.cfg.batch;
        w.tx(move |conn| {
            let ended = moderation::bans_ended(conn, batch)?;
            for id in &ended {
                // Renewed by a moderator meanwhile, or lifted by another worker: not ours.
                if moderation::lift_ban_if_ended(conn, *id)? {
                    moderation::log(conn, None, "unban", "user", *id, "the ban's period ended")?;
                }
            }
            Ok(ended.len())
        })
    })
    .await
}

/// Runs `batch` (one bounded transaction each) until one comes back short of a full batch,
/// then logs the total as `what`.
async fn in_batches<F, Fut>(w: &Worker, what: &str, mut batch: F) -> Result<usize, RunnerError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize, RunnerError>>,
{
    let mut total = 0;
    loop {
        let n = batch().await?;
        total += n;
        if (n as i64) < w.cfg.batch {
            break;
        }
    }
    if total > 0 {
        tracing::info!(ads = total, "{what}");
    }
    Ok(total)
}

//! The archive of an account's data (law 18-07's right of access): `account.json` with
//! everything souk holds, the ads' photos, a README; written by the worker, linked by email,
//! removed when it expires.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use souk_store::account_data::{self, AccountData};
use souk_store::files::{export_object, image_object, Area, Files};
use souk_store::jobs::Job;
use souk_store::{users, DbConn, StoreResult};

use crate::context::{RunnerError, Worker};
use crate::email::{enqueue_email, Email};
use crate::templates::{pick, render, Body, Recipient};

pub const EXPORT_ACCOUNT: &str = "export_account";

#[derive(Debug, Serialize, Deserialize)]
pub struct ExportJob {
    pub export_id: i64,
    /// The download token for the emailed link (only its hash is stored).
    pub token: String,
}

/// Where an export's archive is written before it is stored (`Files::put_file`).
fn scratch_path(dir: &Path, export_id: i64) -> PathBuf {
    dir.join(format!("{export_id}.zip.part"))
}

pub fn queue_export(conn: &mut DbConn, export_id: i64, token: &str) -> StoreResult<()> {
    souk_store::jobs::enqueue(
        conn,
        EXPORT_ACCOUNT,
        &ExportJob {
            export_id,
            token: token.to_string(),
        },
    )?;
    Ok(())
}

const README: &str = "souk: your data\n\
\n\
account.json   your profile and settings, your store, your ads (all of them, deleted ones\n\
               until they are purged), their statistics per day, your conversations and\n\
               every message in them, your favourites, saved searches, the ratings you gave\n\
               and received, and the reports you filed.\n\
photos/        the photos of your ads, by ad id.\n\
\n\
Times are UTC. Prices are in Algerian dinars (DZD).\n";

/// Writes the archive at `path` (on the blocking pool: photos are read through `files`, one
/// at a time, so an archive of thousands of photos never sits in memory).
fn write_archive(
    path: &Path,
    data: &AccountData,
    files: &Files,
    runtime: &tokio::runtime::Handle,
) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("README.txt", options)?;
    zip.write_all(README.as_bytes())?;
    zip.start_file("account.json", options)?;
    serde_json::to_writer_pretty(&mut zip, data)?;
    for p in &data.photos {
        let large = image_object(&p.storage_key, "large");
        let read = runtime.block_on(files.get(Area::Photos, &large));
        // A photo whose file is gone (an orphan row) is listed in account.json only; storage
        // that is down fails the job, which is retried.
        if let Some(bytes) = read.map_err(std::io::Error::other)? {
            // JPEGs are compressed already.
            zip.start_file(
                format!("photos/{}/{}.jpg", p.listing_id, p.storage_key),
                stored,
            )?;
            zip.write_all(&bytes)?;
        }
    }
    zip.finish()?;
    Ok(())
}

pub async fn run_export(w: &Worker, job: &Job) -> Result<(), String> {
    let ExportJob { export_id, token } =
        serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
    let found = w
        .db(move |c| account_data::find_export(c, export_id))
        .await
        .map_err(|e| e.to_string())?;
    // Gone: the account was deleted or the export expired meanwhile.
    let Some(export) = found else { return Ok(()) };
    let user_id = export.user_id;
    let data = w
        .db(move |c| account_data::collect(c, user_id))
        .await
        .map_err(|e| e.to_string())?;
    let dir = w.cfg.exports_dir.clone();
    let scratch = scratch_path(&dir, export_id);
    let (files, runtime, written) = (
        w.files.clone(),
        tokio::runtime::Handle::current(),
        scratch.clone(),
    );
    let archived = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        write_archive(&written, &data, &files, &runtime)
    })
    .await
    .map_err(|e| e.to_string())?;
    if let Err(e) = archived {
        let _ = tokio::fs::remove_file(&scratch).await;
        return Err(format!("writing the archive: {e}"));
    }
    w.files
        .put_file(Area::Exports, &export_object(export_id), scratch)
        .await
        .map_err(|e| format!("storing the archive: {e}"))?;
    let link = format!("{}/v1/exports/{token}", w.cfg.public_url);
    let still_wanted = w
        .tx(move |conn| {
            if !account_data::mark_export_ready(conn, export_id)? {
                return Ok(false);
            }
            let user = users::find_user(conn, user_id)?;
            enqueue_email(conn, export_ready(&(&user).into(), &link))?;
            Ok(true)
        })
        .await
        .map_err(|e: RunnerError| e.to_string())?;
    if !still_wanted {
        w.files
            .remove(Area::Exports, vec![export_object(export_id)])
            .await;
        return Ok(());
    }
    w.wake.notify_one();
    Ok(())
}

/// Removes expired exports and their archives (part of the purge).
pub async fn purge_expired(w: &Worker) -> Result<usize, RunnerError> {
    let ids = w
        .tx(|c| account_data::take_expired_exports(c, 1000))
        .await?;
    let archives = ids.iter().map(|id| export_object(*id)).collect();
    w.files.remove(Area::Exports, archives).await;
    Ok(ids.len())
}

fn export_ready(to: &Recipient<'_>, link: &str) -> Email {
    let l = to.language;
    render(
        to,
        Body {
            subject: pick(
                l,
                "نسخة من بياناتك جاهزة",
                "Vos données sont prêtes",
                "Your data is ready",
            )
            .into(),
            paragraphs: vec![pick(
                l,
                "أعددنا أرشيفا بكل ما نحتفظ به عن حسابك (الإعلانات والصور والرسائل والتقييمات). الرابط صالح 7 أيام.",
                "Nous avons préparé une archive de tout ce que nous gardons sur votre compte (annonces, photos, messages, évaluations). Le lien est valable 7 jours.",
                "We prepared an archive of everything we hold about your account (ads, photos, messages, ratings). The link is valid 7 days.",
            )
            .into()],
            action: Some((pick(l, "تحميل", "Télécharger", "Download").into(), link.into())),
            ..Body::default()
        },
    )
}

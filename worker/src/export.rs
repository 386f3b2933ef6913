//! The archive of an account's data (law 18-07's right of access): `account.json` with
//! everything souk holds, the ads' photos, a README; written by the worker, linked by email,
//! removed when it expires.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use souk_store::account_data::{self, AccountData};
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

/// Where an export's archive lives.
pub fn archive_path(dir: &Path, export_id: i64) -> PathBuf {
    dir.join(format!("{export_id}.zip"))
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

fn write_archive(path: &Path, data: &AccountData, photos_dir: &Path) -> std::io::Result<()> {
    let tmp = path.with_extension("part");
    let file = std::fs::File::create(&tmp)?;
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
        let [large, _] = souk_store::photos::photo_files(photos_dir, &p.storage_key);
        // A photo whose file is gone (an orphan row) is listed in account.json only.
        if let Ok(bytes) = std::fs::read(&large) {
            // JPEGs are compressed already.
            zip.start_file(
                format!("photos/{}/{}.jpg", p.listing_id, p.storage_key),
                stored,
            )?;
            zip.write_all(&bytes)?;
        }
    }
    zip.finish()?;
    std::fs::rename(&tmp, path)
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
    let (dir, photos) = (w.cfg.exports_dir.clone(), w.cfg.photos_dir.clone());
    let path = archive_path(&dir, export_id);
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        write_archive(&path, &data, &photos)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("writing the archive: {e}"))?;
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
        let _ = tokio::fs::remove_file(archive_path(&w.cfg.exports_dir, export_id)).await;
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
    for id in &ids {
        let _ = tokio::fs::remove_file(archive_path(&w.cfg.exports_dir, *id)).await;
    }
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

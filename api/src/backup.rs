//! `souk-api backup DEST` and `souk-api restore SRC`: what a site cannot rebuild, in one folder.
//!
//! A backup holds the embedded SQLite database (an online snapshot, `store::backup`), the ad and
//! message photos, and the JWT secret when souk generated it (a secret from the environment
//! stays with the operator's other secrets). Never the search index: it is a projection of the
//! database, rebuilt at the first start after a restore. On PostgreSQL the database is left to
//! PostgreSQL's tools (`pg_dump`, base backups; docs/deploy.md) and the backup holds the rest.
//!
//! Order matters while the service writes on: the database first, then the files. Every photo
//! the copied database names was written before the copy began, so it is in the folder copy;
//! photos uploaded later come along unreferenced, which costs a little space and nothing else.
//! The manifest is written last: a folder without one is an interrupted backup, and restore
//! refuses it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use souk_store::backup::{check_sqlite, copy_sqlite, CopyCounts};
use souk_store::{Backend, DbUrl, StoreError};

use crate::config::Config;

const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "souk.db";
const JWT_SECRET: &str = "jwt_secret";
const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Nothing was changed; the text says what to fix.
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A folder of files copied as they are.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FolderCopy {
    pub name: String,
    pub files: u64,
    pub bytes: u64,
}

/// `manifest.json`: what the backup holds, written when everything else is in place.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub souk_version: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// `sqlite` or `postgres` (then `database` is absent).
    pub backend: String,
    /// The database file in the backup, with what it holds.
    pub database: Option<String>,
    pub counts: Option<CopyCounts>,
    pub folders: Vec<FolderCopy>,
    pub jwt_secret: bool,
}

/// The folders a backup carries: (name in the backup, folder of this configuration). None
/// when files are in a bucket: the bucket keeps them (its versioning or replication is their
/// backup, docs/deploy.md), and a backup of the database alone stays small and quick.
fn folders(config: &Config) -> Vec<(&'static str, PathBuf)> {
    match &config.files {
        souk_store::files::FilesConfig::Local(local) => vec![
            ("photos", local.photos.clone()),
            ("message-photos", local.message_photos.clone()),
        ],
        souk_store::files::FilesConfig::Bucket(_) => Vec::new(),
    }
}

/// The secret file souk generated, when the environment does not set one.
fn generated_secret(config: &Config) -> Option<PathBuf> {
    config
        .jwt_secret
        .is_none()
        .then(|| config.data_dir.join(JWT_SECRET))
}

/// Writes a backup of `config`'s site into `dest`, a folder that does not exist or is empty.
/// `progress` hears a line now and then.
pub fn backup(
    config: &Config,
    dest: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<Manifest, BackupError> {
    if dest.exists() && fs::read_dir(dest).map_err(io(dest))?.next().is_some() {
        return Err(BackupError::Refused(format!(
            "{} is not empty: back up into a new folder",
            dest.display()
        )));
    }
    let url = DbUrl::parse(&config.database_url);
    if url.backend == Backend::Sqlite && !Path::new(&url.target).is_file() {
        return Err(BackupError::Refused(format!(
            "no database at {}: check DATABASE_URL and SOUK_DATA_DIR",
            url.target
        )));
    }
    fs::create_dir_all(dest).map_err(io(dest))?;
    // The copy holds password hashes, tokens and messages: its owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dest, fs::Permissions::from_mode(0o700)).map_err(io(dest))?;
    }
    let (database, counts) = match url.backend {
        Backend::Sqlite => {
            progress("copying the database (a consistent snapshot; writes go on)");
            let counts = copy_sqlite(&url, &dest.join(DATABASE))?;
            progress(&format!(
                "database copied and checked: {} users, {} ads",
                counts.users, counts.listings
            ));
            (Some(DATABASE.to_string()), Some(counts))
        }
        Backend::Postgres => {
            progress(
                "PostgreSQL: the database is not in this backup; use pg_dump (docs/deploy.md)",
            );
            (None, None)
        }
    };
    let mut copied = Vec::new();
    for (name, from) in folders(config) {
        let to = dest.join(name);
        let (files, bytes) = copy_tree(&from, &to, progress)?;
        progress(&format!("{name}: {files} files, {bytes} bytes"));
        copied.push(FolderCopy {
            name: name.to_string(),
            files,
            bytes,
        });
    }
    let mut jwt_secret = false;
    if let Some(secret) = generated_secret(config).filter(|p| p.is_file()) {
        copy_file(&secret, &dest.join(JWT_SECRET))?;
        jwt_secret = true;
    }
    let manifest = Manifest {
        format: FORMAT,
        souk_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: chrono::Utc::now(),
        backend: match url.backend {
            Backend::Sqlite => "sqlite".into(),
            Backend::Postgres => "postgres".into(),
        },
        database,
        counts,
        folders: copied,
        jwt_secret,
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    write_atomically(&dest.join(MANIFEST), &json)?;
    Ok(manifest)
}

/// Reads and checks a backup's manifest.
pub fn read_manifest(src: &Path) -> Result<Manifest, BackupError> {
    let path = src.join(MANIFEST);
    let raw = fs::read(&path).map_err(|e| {
        BackupError::Refused(format!(
            "{}: {e}; a backup without its manifest was interrupted before it finished",
            path.display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_slice(&raw)
        .map_err(|e| BackupError::Refused(format!("{}: {e}", path.display())))?;
    // The manifest names files of the backup folder: nothing else is ever read or replaced.
    if manifest.database.as_deref().is_some_and(|d| d != DATABASE) {
        return Err(BackupError::Refused(format!(
            "{}: the database file must be {DATABASE}",
            path.display()
        )));
    }
    if manifest.format != FORMAT {
        return Err(BackupError::Refused(format!(
            "backup format {} is not one this souk reads ({FORMAT})",
            manifest.format
        )));
    }
    Ok(manifest)
}

/// Restores the backup in `src` into `config`'s site. The service must be stopped. An existing
/// database is kept aside (`<file>.before-restore-<time>`) with `force`, refused without it.
/// The search index is removed; the next start rebuilds it from the restored database.
pub fn restore(
    config: &Config,
    src: &Path,
    force: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<Manifest, BackupError> {
    let manifest = read_manifest(src)?;
    let url = DbUrl::parse(&config.database_url);
    // Every check before the first change.
    if let Some(file) = &manifest.database {
        if url.backend != Backend::Sqlite {
            return Err(BackupError::Refused(
                "this backup holds a SQLite database and DATABASE_URL names PostgreSQL: \
                 restore it with the SQLite configuration, or move the data with pg_restore"
                    .into(),
            ));
        }
        let counts = check_sqlite(&src.join(file))?;
        if Some(counts) != manifest.counts {
            return Err(BackupError::Refused(format!(
                "the database in {} does not hold what its manifest says ({counts:?})",
                src.display()
            )));
        }
        let target = Path::new(&url.target);
        let in_use = fs::metadata(target).map(|m| m.len() > 0).unwrap_or(false);
        if in_use && !force {
            return Err(BackupError::Refused(format!(
                "{} already holds a database: stop the service and run again with --force \
                 (it is kept aside, not deleted)",
                target.display()
            )));
        }
    }
    let secret = generated_secret(config);
    if manifest.jwt_secret {
        if let Some(path) = &secret {
            let differs = fs::read(path)
                .map(|now| now != fs::read(src.join(JWT_SECRET)).unwrap_or_default())
                .unwrap_or(false);
            if differs && !force {
                return Err(BackupError::Refused(format!(
                    "{} differs from the backup's: run again with --force to replace it \
                     (signed-in sessions of this site end)",
                    path.display()
                )));
            }
        }
    }

    if let Some(file) = &manifest.database {
        let target = PathBuf::from(&url.target);
        keep_aside(&target, progress)?;
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let partial = target.with_extension("restoring");
        copy_file(&src.join(file), &partial)?;
        fs::rename(&partial, &target).map_err(io(&target))?;
        progress(&format!("database restored to {}", target.display()));
    }
    for (name, to) in folders(config) {
        let (files, bytes) = copy_tree(&src.join(name), &to, progress)?;
        progress(&format!("{name}: {files} files, {bytes} bytes restored"));
    }
    match (&secret, manifest.jwt_secret) {
        (Some(path), true) => copy_file(&src.join(JWT_SECRET), path)?,
        (None, true) => progress("the backup's JWT secret is not used: SOUK_JWT_SECRET is set"),
        _ => {}
    }
    if config.index_dir.exists() {
        fs::remove_dir_all(&config.index_dir).map_err(io(&config.index_dir))?;
        progress("search index removed: the next start rebuilds it from the restored database");
    }
    // Snapshots show the site before the restore: none may be opened after it.
    if let Some(latest) = config.index_snapshots.as_ref().map(|d| d.join("LATEST")) {
        if latest.exists() {
            fs::remove_file(&latest).map_err(io(&latest))?;
            progress(
                "index snapshots set aside: the next one published starts from the restored data",
            );
        }
    }
    Ok(manifest)
}

/// Moves a database and its WAL files out of the way (a stale `-wal` beside a restored file
/// would be replayed into it).
fn keep_aside(target: &Path, progress: &mut dyn FnMut(&str)) -> Result<(), BackupError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f");
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", target.display()));
        if from.exists() {
            let to = PathBuf::from(format!(
                "{}.before-restore-{stamp}{suffix}",
                target.display()
            ));
            if to.exists() {
                return Err(BackupError::Refused(format!(
                    "{} exists already: run the restore again",
                    to.display()
                )));
            }
            fs::rename(&from, &to).map_err(io(&from))?;
            progress(&format!("kept aside: {}", to.display()));
        }
    }
    Ok(())
}

/// Copies the files under `from` into `to`, skipping those already there with the same size
/// (photos never change under a name: a restore run again after an interruption goes on where
/// it stopped). A missing `from` is an empty folder. Returns files and bytes copied.
fn copy_tree(
    from: &Path,
    to: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<(u64, u64), BackupError> {
    let (mut files, mut bytes) = (0u64, 0u64);
    if !from.is_dir() {
        return Ok((0, 0));
    }
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let dir = from.join(&rel);
        fs::create_dir_all(to.join(&rel)).map_err(io(&to.join(&rel)))?;
        for entry in fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let kind = entry.file_type().map_err(io(&entry.path()))?;
            let name = rel.join(entry.file_name());
            if kind.is_dir() {
                pending.push(name);
            } else if kind.is_file() {
                // A photo deleted while the walk goes on (an ad purged, an upload undone) is
                // left out, not a reason to fail the backup.
                let size = match entry.metadata() {
                    Ok(m) => m.len(),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(io(&entry.path())(e)),
                };
                let dest = to.join(&name);
                if fs::metadata(&dest)
                    .map(|m| m.len() == size)
                    .unwrap_or(false)
                {
                    continue;
                }
                match copy_file(&entry.path(), &dest) {
                    Err(BackupError::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound
                            && !entry.path().exists() =>
                    {
                        let partial = PathBuf::from(format!("{}.partial", dest.display()));
                        let _ = fs::remove_file(partial);
                        continue;
                    }
                    other => other?,
                }
                files += 1;
                bytes += size;
                if files.is_multiple_of(1000) {
                    progress(&format!("… {files} files ({bytes} bytes)"));
                }
            }
            // Links and other special files are not souk's; they are left out.
        }
    }
    Ok((files, bytes))
}

/// Copies a file through a temporary name and syncs it: a crash leaves no half file under the
/// real name.
fn copy_file(from: &Path, to: &Path) -> Result<(), BackupError> {
    let partial = PathBuf::from(format!("{}.partial", to.display()));
    fs::copy(from, &partial).map_err(io(from))?;
    fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(io(&partial))?;
    fs::rename(&partial, to).map_err(io(to))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BackupError> {
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let mut f = fs::File::create(&partial).map_err(io(&partial))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(io(&partial))?;
    fs::rename(&partial, path).map_err(io(path))
}

//! The CA home: its layout, the one-process lock and atomic, never-overwriting writes.
//!
//! ```text
//! airlock.toml          policy and profiles
//! ledger.jsonl          the single source of truth
//! cas/<id>/ca.crt       public
//! cas/<id>/ca.key.age   encrypted private key
//! lock                  one process per home
//! ```
//!
//! Every file airlock writes, in the home or in an output folder, goes through
//! [`write_new`]: a temporary file in the same folder, fsync, a link or rename that never
//! replaces an existing file, then fsync of the folder. This module does not decide what is
//! written; it only guarantees that a file is either absent or whole.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::policy::PolicyConfig;

/// Errors about the CA home and the files airlock writes.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    /// Another process holds the home's lock.
    #[error("CA home '{home}' is in use by another airlock process (pid {holder})")]
    Locked {
        /// The home folder.
        home: PathBuf,
        /// The pid written by the holder, or `unknown`.
        holder: String,
    },
    /// No home was given and none could be derived from the environment.
    #[error("no CA home: pass --home DIR or set AIRLOCK_HOME (XDG_DATA_HOME and HOME are unset)")]
    NoDefault,
    /// A file or folder could not be read or written.
    #[error("cannot {action} '{path}'")]
    Io {
        /// What airlock was doing: `read`, `write`, `create`, `lock`.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The home folder does not exist (and the command does not create one).
    #[error(
        "no CA home at '{home}': check --home or AIRLOCK_HOME, or run 'airlock init' to create one"
    )]
    Missing {
        /// The folder that was expected.
        home: PathBuf,
    },
    /// A write would have replaced a file that already exists.
    #[error("refusing to overwrite existing file '{path}'")]
    Exists {
        /// The file that is already there.
        path: PathBuf,
    },
    /// `airlock.toml` does not parse or holds an invalid value.
    #[error("invalid policy file '{path}': {reason}")]
    BadConfig {
        /// The policy file.
        path: PathBuf,
        /// What is wrong, as the TOML parser or the policy check said it.
        reason: String,
    },
}

impl HomeError {
    pub(crate) fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Where the home is when `--home` and `AIRLOCK_HOME` are absent:
/// `$XDG_DATA_HOME/airlock`, else `$HOME/.local/share/airlock`.
///
/// The front end reads the environment and passes the values in.
pub fn default_path(
    xdg_data_home: Option<OsString>,
    user_home: Option<OsString>,
) -> Result<PathBuf, HomeError> {
    match (xdg_data_home, user_home) {
        (Some(data), _) if !data.is_empty() => Ok(PathBuf::from(data).join("airlock")),
        (_, Some(home)) if !home.is_empty() => Ok(PathBuf::from(home).join(".local/share/airlock")),
        _ => Err(HomeError::NoDefault),
    }
}

/// An open CA home. Holding a `Home` means holding its exclusive lock.
#[derive(Debug)]
pub struct Home {
    root: PathBuf,
    // Dropping the file releases the advisory lock.
    _lock: File,
}

impl Home {
    /// Opens (creating it with mode 0700 if needed) the home at `root` and takes its lock.
    ///
    /// A second process on the same home gets [`HomeError::Locked`] at once, naming the
    /// holder's pid.
    pub fn open(root: &Path) -> Result<Self, HomeError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)
            .map_err(|source| HomeError::io("create", root, source))?;
        let lock_path = root.join("lock");
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|source| HomeError::io("open", &lock_path, source))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = lock.take(32).read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() || !holder.bytes().all(|b| b.is_ascii_digit()) {
                    "unknown".to_owned()
                } else {
                    holder.to_owned()
                };
                return Err(HomeError::Locked {
                    home: root.to_path_buf(),
                    holder,
                });
            }
            Err(TryLockError::Error(source)) => {
                return Err(HomeError::io("lock", &lock_path, source));
            }
        }
        lock.set_len(0)
            .and_then(|()| lock.write_all(std::process::id().to_string().as_bytes()))
            .and_then(|()| lock.sync_all())
            .map_err(|source| HomeError::io("write", &lock_path, source))?;
        Ok(Self {
            root: root.to_path_buf(),
            _lock: lock,
        })
    }

    /// Opens an existing home and takes its lock; refuses, creating nothing, when the
    /// folder does not exist.
    pub fn open_existing(root: &Path) -> Result<Self, HomeError> {
        if !root.is_dir() {
            return Err(HomeError::Missing {
                home: root.to_path_buf(),
            });
        }
        Self::open(root)
    }

    /// The home folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `ledger.jsonl`.
    pub fn ledger_path(&self) -> PathBuf {
        self.root.join("ledger.jsonl")
    }

    /// `airlock.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join("airlock.toml")
    }

    /// `cas/<id>/`.
    pub fn ca_dir(&self, ca_id: &str) -> PathBuf {
        self.root.join("cas").join(ca_id)
    }

    /// Reads the policy from `airlock.toml`; the defaults when the file does not exist.
    pub fn policy(&self) -> Result<PolicyConfig, HomeError> {
        let path = self.config_path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Ok(PolicyConfig::default());
            }
            Err(source) => return Err(HomeError::io("read", &path, source)),
        };
        PolicyConfig::from_toml(&text).map_err(|reason| HomeError::BadConfig { path, reason })
    }

    /// Writes the commented default `airlock.toml` unless one is already there.
    pub fn write_default_policy(&self) -> Result<(), HomeError> {
        let path = self.config_path();
        if path.exists() {
            return Ok(());
        }
        write_new(&path, crate::policy::DEFAULT_POLICY_TOML.as_bytes())
    }
}

/// Creates a folder (and its parents) with mode 0700.
pub fn create_private_dir(path: &Path) -> Result<(), HomeError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| HomeError::io("create", path, source))
}

/// Writes `bytes` to `path`, which must not exist yet: temporary file in the same
/// folder, fsync, link into place (never replacing anything), fsync of the folder.
///
/// On file systems without hard links (FAT on removable media) it falls back to an
/// existence check and a rename; the window between the two is the only place where a
/// concurrent writer could be replaced, and the home lock rules that out inside a home.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), HomeError> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if fs::symlink_metadata(path).is_ok() {
        return Err(HomeError::Exists {
            path: path.to_path_buf(),
        });
    }
    let file_name = path
        .file_name()
        .map_or_else(|| OsString::from("out"), OsString::from);
    let mut temp_name = OsString::from(".");
    temp_name.push(&file_name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = folder.join(temp_name);
    let result = write_temp_and_place(&temp, path, bytes);
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result?;
    sync_dir(&folder)
}

fn write_temp_and_place(temp: &Path, path: &Path, bytes: &[u8]) -> Result<(), HomeError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(temp)
        .map_err(|source| HomeError::io("create", temp, source))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|source| HomeError::io("write", temp, source))?;
    drop(file);
    match fs::hard_link(temp, path) {
        Ok(()) => {
            fs::remove_file(temp).map_err(|source| HomeError::io("remove", temp, source))?;
            Ok(())
        }
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Err(HomeError::Exists {
            path: path.to_path_buf(),
        }),
        Err(_) => {
            // No hard links here (e.g. vfat): check, then rename.
            if fs::symlink_metadata(path).is_ok() {
                return Err(HomeError::Exists {
                    path: path.to_path_buf(),
                });
            }
            fs::rename(temp, path).map_err(|source| HomeError::io("rename", path, source))
        }
    }
}

/// [`write_new`] for many files in one folder, with the same guarantee (each file absent
/// or whole, nothing replaced) at a fraction of the cost: every temporary file is written
/// first, then one `syncfs(2)` makes them all durable (one journal commit instead of one
/// per file), then all are linked into place and the folder is fsynced once. On an error
/// the temporary files are removed; files already linked stay (whole).
pub fn write_new_many(folder: &Path, files: &[(&str, &[u8])]) -> Result<(), HomeError> {
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len());
    let result = write_many_inner(folder, files, &mut temps);
    for (temp, _) in &temps {
        let _ = fs::remove_file(temp);
    }
    result?;
    sync_dir(folder)
}

fn write_many_inner(
    folder: &Path,
    files: &[(&str, &[u8])],
    temps: &mut Vec<(PathBuf, PathBuf)>,
) -> Result<(), HomeError> {
    for (name, bytes) in files {
        let path = folder.join(name);
        if fs::symlink_metadata(&path).is_ok() {
            return Err(HomeError::Exists { path });
        }
        let temp = folder.join(format!(".{name}.{}.tmp", std::process::id()));
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(|source| HomeError::io("create", &temp, source))?;
        temps.push((temp.clone(), path));
        file.write_all(bytes)
            .map_err(|source| HomeError::io("write", &temp, source))?;
    }
    if !temps.is_empty() {
        File::open(folder)
            .and_then(|dir| rustix::fs::syncfs(&dir).map_err(io::Error::from))
            .map_err(|source| HomeError::io("sync", folder, source))?;
    }
    let pending = std::mem::take(temps);
    let mut remaining = pending.into_iter();
    while let Some((temp, path)) = remaining.next() {
        let placed = match fs::hard_link(&temp, &path) {
            Ok(()) => {
                fs::remove_file(&temp).map_err(|source| HomeError::io("remove", &temp, source))
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                Err(HomeError::Exists { path: path.clone() })
            }
            Err(_) if fs::symlink_metadata(&path).is_ok() => {
                Err(HomeError::Exists { path: path.clone() })
            }
            Err(_) => {
                fs::rename(&temp, &path).map_err(|source| HomeError::io("rename", &path, source))
            }
        };
        if let Err(error) = placed {
            temps.push((temp, path));
            temps.extend(remaining);
            return Err(error);
        }
    }
    Ok(())
}

/// fsyncs a folder so that a rename or link in it survives a crash.
pub fn sync_dir(folder: &Path) -> Result<(), HomeError> {
    File::open(folder)
        .and_then(|dir| dir.sync_all())
        .map_err(|source| HomeError::io("sync", folder, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_new_never_overwrites() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.crt");
        write_new(&path, b"first").expect("first write");
        let error = write_new(&path, b"second").expect_err("second write must fail");
        assert!(matches!(error, HomeError::Exists { .. }), "{error}");
        assert_eq!(fs::read(&path).expect("read"), b"first");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).expect("list").collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn second_open_is_refused_with_pid() {
        let dir = tempfile::tempdir().expect("temp dir");
        let _first = Home::open(dir.path()).expect("first open");
        let error = Home::open(dir.path()).expect_err("second open must fail");
        let message = error.to_string();
        assert!(
            message.contains(&std::process::id().to_string()),
            "{message}"
        );
        assert!(message.contains("in use"), "{message}");
    }

    #[test]
    fn default_path_prefers_xdg() {
        let path = default_path(Some("/x".into()), Some("/h".into())).expect("path");
        assert_eq!(path, PathBuf::from("/x/airlock"));
        let path = default_path(None, Some("/h".into())).expect("path");
        assert_eq!(path, PathBuf::from("/h/.local/share/airlock"));
        assert!(default_path(None, None).is_err());
    }
}

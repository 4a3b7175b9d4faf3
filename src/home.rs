//! The CA home: its layout, the lock (one writer, or any number of readers) and atomic,
//! never-overwriting writes.
//!
//! ```text
//! airlock.toml          policy and profiles
//! ledger.jsonl          the single source of truth
//! cas/<id>/ca.crt       public
//! cas/<id>/ca.key.age   encrypted private key
//! bundles/              client-CA bundles written by each rotation phase
//! revocations/<seq>/    CRLs and RBAC scripts written by `revoke` without --out
//! lock                  flock(2): exclusive for the one writer, shared for readers
//! ```
//!
//! Every file airlock writes, in the home or in an output folder, goes through
//! [`write_new`]: a temporary file in the same folder, fsync, a link or rename that never
//! replaces an existing file, then fsync of the folder. This module does not decide what is
//! written; it only guarantees that a file is either absent or whole.
//!
//! The home is input until vouched for: someone who can write to it (or who hands in a
//! copy on removable media) may have planted links or loosened modes. So, as ssh does
//! with `~/.ssh`, no symbolic link is followed in the home, and every file and folder of
//! it must belong to the user running airlock and be writable by nobody else
//! ([`HomeError::Unsafe`] names the path, what is wrong and the fix). [`Home::open`]
//! checks the whole known layout once under the lock; [`read_private`],
//! [`open_private_append`] and [`check_private_dir`] check again at each use. Paths inside
//! `cas/` come only from ids that [`check_ca_id`] accepts, never from ledger strings.

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, Metadata, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
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
    /// Other airlock processes hold the home's shared lock (a terminal UI that is open,
    /// or a command that reads): a writer waits until they end.
    #[error(
        "CA home '{home}' is open for reading in another airlock process (a terminal UI, or a command such as 'status' or 'list'): nothing can change it until that process ends"
    )]
    Readers {
        /// The home folder.
        home: PathBuf,
    },
    /// A write was attempted through a home opened for reading only.
    #[error("CA home '{home}' is open for reading only: nothing was written")]
    ReadOnly {
        /// The home folder.
        home: PathBuf,
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
    /// A file or folder of the home is a symbolic link, of the wrong type, owned by
    /// another user or writable by others: it may have been planted, so nothing is read
    /// through it.
    #[error("refusing '{}': {reason}; to fix it, {}", .path.display(), .reason.fix(.path))]
    Unsafe {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong with it.
        reason: UnsafeReason,
    },
    /// An output folder that is the home or inside it: airlock writes outputs only onto
    /// the media that leaves the host, never among the home's files.
    #[error(
        "output folder '{}' is inside the CA home '{}': choose a folder outside the home, e.g. on the removable media",
        .out.display(),
        .home.display()
    )]
    OutputInHome {
        /// The output folder as given.
        out: PathBuf,
        /// The home folder.
        home: PathBuf,
    },
    /// A CA id that is not 16 lower-case hexadecimal digits, so no path is made from it.
    #[error(
        "invalid CA id '{}': a CA id is 16 lower-case hexadecimal digits",
        crate::text::name(.id)
    )]
    InvalidCaId {
        /// The id as given (shown made inert).
        id: String,
    },
}

/// What makes a file or folder of the home unsafe to use (see [`HomeError::Unsafe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeReason {
    /// It is a symbolic link: airlock follows none in the home.
    Symlink,
    /// A file was expected and this is something else (a folder, a FIFO, a device).
    NotRegular,
    /// A folder was expected and this is something else.
    NotFolder,
    /// It belongs to another user.
    Owner {
        /// The owner's uid.
        owner: u32,
        /// The uid airlock runs as.
        user: u32,
    },
    /// The group or other users may write to it.
    Writable {
        /// Its permission bits.
        mode: u32,
    },
    /// The file has more than one name, so writing to it may change a file elsewhere.
    HardLinks {
        /// Its link count.
        links: u64,
    },
    /// The file is larger than airlock ever writes it.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
}

impl fmt::Display for UnsafeReason {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Symlink => formatter
                .write_str("it is a symbolic link, and airlock follows none in the CA home"),
            Self::NotRegular => formatter.write_str("it is not a regular file"),
            Self::NotFolder => formatter.write_str("it is not a folder"),
            Self::Owner { owner, user } => write!(
                formatter,
                "it belongs to uid {owner}, not to the user running airlock (uid {user})"
            ),
            Self::Writable { mode } => write!(
                formatter,
                "other users can write to it (mode {:03o})",
                mode & 0o7777
            ),
            Self::HardLinks { links } => write!(
                formatter,
                "it has {links} hard links, so writing to it would change another file too"
            ),
            Self::TooLarge { limit } => {
                write!(formatter, "it is larger than the limit of {limit} bytes")
            }
        }
    }
}

impl UnsafeReason {
    /// What the officer can do about it, naming `path` where a command fixes it. Every
    /// fix says to look first: the finding may be the trace of an intrusion.
    pub fn fix(&self, path: &Path) -> String {
        let shown = path.display();
        match self {
            Self::Symlink => format!(
                "check where the link points and who made it, then put the real file or folder at '{shown}'"
            ),
            Self::NotRegular | Self::NotFolder => {
                format!("check who made it, then move '{shown}' out of the CA home")
            }
            Self::Owner { user, .. } => {
                format!("check the contents, then run 'chown {user} {shown}'")
            }
            Self::Writable { .. } => format!("check the contents, then run 'chmod go-w {shown}'"),
            Self::HardLinks { .. } => format!(
                "check the other names ('find / -samefile {shown}'), then give it a name of its own: 'cp -p {shown} {shown}.own && mv {shown}.own {shown}'"
            ),
            Self::TooLarge { .. } => format!("check '{shown}': airlock never writes it this large"),
        }
    }
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

/// The largest `airlock.toml` airlock reads (1 MiB); the default file is a few KiB.
pub const POLICY_LIMIT: u64 = 1 << 20;

/// The uid airlock runs as (the effective uid): the owner every file of the home must
/// have. Root is no exception: a file root does not own is refused to root too.
pub fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Checks that `id` is a CA id as [`crate::ca::CaInfo::id`] makes them: exactly 16
/// lower-case hexadecimal digits. Only such ids become paths under `cas/`, so a string
/// from the ledger can never name `..`, an absolute path or a hidden staging folder.
pub fn check_ca_id(id: &str) -> Result<(), HomeError> {
    if id.len() == 16
        && id
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
    {
        Ok(())
    } else {
        Err(HomeError::InvalidCaId { id: id.to_owned() })
    }
}

/// Checks that `path` is a folder (not a symbolic link to one) that belongs to the user
/// running airlock and that the group and others cannot write to.
///
/// A missing folder is an error ([`HomeError::Io`] with `NotFound`): callers that may
/// create it check after creating. Only `path` itself is checked, not its parents.
pub fn check_private_dir(path: &Path) -> Result<(), HomeError> {
    let metadata =
        fs::symlink_metadata(path).map_err(|source| HomeError::io("inspect", path, source))?;
    check_dir_metadata(path, &metadata)
}

/// Reads a file of the home: `None` when it does not exist.
///
/// The folder it is in must pass [`check_private_dir`]; the file is opened without
/// following a symbolic link (`O_NOFOLLOW`, close-on-exec, non-blocking so that a FIFO
/// cannot hang airlock), then checked on the open descriptor (`fstat`): a regular file
/// with one link, owned by the user running airlock, not writable by the group or
/// others, at most `limit` bytes. What the bytes say is not checked here.
pub fn read_private(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, HomeError> {
    let folder = folder_of(path);
    match fs::symlink_metadata(&folder) {
        Ok(metadata) => check_dir_metadata(&folder, &metadata)?,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(HomeError::io("inspect", &folder, source)),
    }
    let Some(file) = open_checked(path, OpenOptions::new().read(true))? else {
        return Ok(None);
    };
    let size = file
        .metadata()
        .map_err(|source| HomeError::io("inspect", path, source))?
        .len();
    let too_large = || HomeError::Unsafe {
        path: path.to_path_buf(),
        reason: UnsafeReason::TooLarge { limit },
    };
    if size > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| HomeError::io("read", path, source))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(Some(bytes))
}

/// Opens a file of the home for appending (the ledger), creating it with mode 0600 when
/// it does not exist.
///
/// The same checks as [`read_private`] (folder, no symbolic link, regular, one link,
/// ours, not group- or world-writable), made on the open descriptor, so a link planted
/// between a check and the open is refused too. A new file's folder is not fsynced here:
/// the caller does that once the first line is written.
pub fn open_private_append(path: &Path) -> Result<File, HomeError> {
    check_private_dir(&folder_of(path))?;
    open_checked(
        path,
        OpenOptions::new().append(true).create(true).mode(0o600),
    )?
    .ok_or_else(|| {
        HomeError::io(
            "open",
            path,
            io::Error::new(io::ErrorKind::NotFound, "vanished while opened"),
        )
    })
}

/// Where `path` will be once created: the canonical form of its deepest existing ancestor
/// with the missing components appended. A `..` after a missing component is refused.
pub(crate) fn resolve_planned(path: &Path) -> Result<PathBuf, HomeError> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|source| HomeError::io("resolve", path, source))?
            .join(path)
    };
    let mut existing = absolute.as_path();
    let mut missing = Vec::new();
    let mut resolved = loop {
        match fs::canonicalize(existing) {
            Ok(resolved) => break resolved,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                    return Err(HomeError::io("resolve", path, error));
                };
                missing.push(name.to_os_string());
                existing = parent;
            }
            Err(source) => return Err(HomeError::io("resolve", path, source)),
        }
    };
    // Every `..` inside the existing part was resolved by canonicalize. A `..` after a
    // missing folder has no file name, so it ended the walk above with an error: refusing
    // such a path is safer than guessing where it leads.
    for name in missing.iter().rev() {
        resolved.push(name);
    }
    Ok(resolved)
}

/// The folder a path is in (`.` for a bare file name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Opens `path` with `options` plus `O_NOFOLLOW | O_NONBLOCK` (std adds `O_CLOEXEC`), then
/// checks the descriptor with [`check_file_metadata`]. `None` when it does not exist.
fn open_checked(path: &Path, options: &mut OpenOptions) -> Result<Option<File>, HomeError> {
    let file = match options
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            // Say what is wrong when the open failed because of what the path is (a link
            // gives ELOOP, a FIFO without a reader ENXIO), not just the errno.
            if let Ok(metadata) = fs::symlink_metadata(path) {
                check_file_metadata(path, &metadata)?;
            }
            return Err(HomeError::io("open", path, error));
        }
    };
    let metadata = file
        .metadata()
        .map_err(|source| HomeError::io("inspect", path, source))?;
    check_file_metadata(path, &metadata)?;
    Ok(Some(file))
}

fn refuse(path: &Path, reason: UnsafeReason) -> HomeError {
    HomeError::Unsafe {
        path: path.to_path_buf(),
        reason,
    }
}

fn check_owner_and_mode(path: &Path, metadata: &Metadata) -> Result<(), HomeError> {
    let user = effective_uid();
    if metadata.uid() != user {
        return Err(refuse(
            path,
            UnsafeReason::Owner {
                owner: metadata.uid(),
                user,
            },
        ));
    }
    if metadata.mode() & 0o022 != 0 {
        return Err(refuse(
            path,
            UnsafeReason::Writable {
                mode: metadata.mode(),
            },
        ));
    }
    Ok(())
}

/// A file of the home: regular, one link, ours, not group- or world-writable.
fn check_file_metadata(path: &Path, metadata: &Metadata) -> Result<(), HomeError> {
    let kind = metadata.file_type();
    if kind.is_symlink() {
        return Err(refuse(path, UnsafeReason::Symlink));
    }
    if !kind.is_file() {
        return Err(refuse(path, UnsafeReason::NotRegular));
    }
    check_owner_and_mode(path, metadata)?;
    if metadata.nlink() > 1 {
        return Err(refuse(
            path,
            UnsafeReason::HardLinks {
                links: metadata.nlink(),
            },
        ));
    }
    Ok(())
}

/// A folder of the home: a real folder, ours, not group- or world-writable.
fn check_dir_metadata(path: &Path, metadata: &Metadata) -> Result<(), HomeError> {
    let kind = metadata.file_type();
    if kind.is_symlink() {
        return Err(refuse(path, UnsafeReason::Symlink));
    }
    if !kind.is_dir() {
        return Err(refuse(path, UnsafeReason::NotFolder));
    }
    check_owner_and_mode(path, metadata)
}

/// Checks a file of the home when it exists, without opening it.
fn check_file_if_present(path: &Path) -> Result<(), HomeError> {
    match fs::symlink_metadata(path) {
        Ok(metadata) => check_file_metadata(path, &metadata),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(HomeError::io("inspect", path, source)),
    }
}

/// Checks a folder of the home when it exists, and everything in it down to `depth`
/// more levels (deeper folders are checked themselves but not listed).
fn check_tree_if_present(path: &Path, depth: usize) -> Result<(), HomeError> {
    match fs::symlink_metadata(path) {
        Ok(metadata) => check_dir_metadata(path, &metadata)?,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(HomeError::io("inspect", path, source)),
    }
    if depth == 0 {
        return Ok(());
    }
    let entries = fs::read_dir(path).map_err(|source| HomeError::io("list", path, source))?;
    for entry in entries {
        let entry = entry.map_err(|source| HomeError::io("list", path, source))?;
        let child = entry.path();
        let metadata = fs::symlink_metadata(&child)
            .map_err(|source| HomeError::io("inspect", &child, source))?;
        if metadata.file_type().is_dir() {
            check_tree_if_present(&child, depth - 1)?;
        } else {
            check_file_metadata(&child, &metadata)?;
        }
    }
    Ok(())
}

/// How a [`Home`] holds its `lock` file (`flock(2)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A shared lock: other readers may hold it too, no writer can. Reads only: a reader
    /// repairs nothing and finishes no interrupted act.
    Reader,
    /// The exclusive lock: the one process that may change the home.
    Writer,
    /// No lock: a reader whose return from writing lost the race for the shared lock to
    /// a writer of another process. What it shows may be stale; it writes nothing.
    Unlocked,
}

/// An open CA home, holding its lock: shared for a reader, exclusive for a writer.
///
/// A home whose folder this process created is removed again when it is dropped with no
/// ledger in it (a refused `init` or `import` leaves nothing behind): only the files
/// airlock puts there (`lock`, `airlock.toml`, an empty `cas/`) and empty folders.
#[derive(Debug)]
pub struct Home {
    root: PathBuf,
    // Dropping the file releases the advisory lock.
    lock: File,
    access: Access,
    // The folders this open created, the home last: removed on drop if still unused.
    created: Vec<PathBuf>,
    // Whether this open created the lock file (removed on drop with no ledger).
    new_lock: bool,
}

impl Home {
    /// Opens (creating it with mode 0700 if needed) the home at `root` and takes its
    /// exclusive lock.
    ///
    /// While another process holds the lock the open fails at once: with
    /// [`HomeError::Locked`], naming the writer's pid, or [`HomeError::Readers`] when
    /// only readers hold it. The home folder, the `lock` file and, once the lock is held,
    /// every file and folder of the known layout (`ledger.jsonl`, `airlock.toml`, `cas/`,
    /// `bundles/`, `revocations/`) must pass the checks of [`check_private_dir`] and
    /// [`read_private`]; otherwise [`HomeError::Unsafe`] names the first that does not,
    /// and nothing in the home was changed (the lock file is written only once it passed).
    pub fn open(root: &Path) -> Result<Self, HomeError> {
        let mut created = Vec::new();
        match fs::symlink_metadata(root) {
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                // Remember which folders did not exist, so that a refused init removes
                // exactly those.
                let mut missing = Some(root);
                while let Some(folder) = missing.filter(|folder| {
                    !folder.as_os_str().is_empty() && fs::symlink_metadata(folder).is_err()
                }) {
                    created.push(folder.to_path_buf());
                    missing = folder.parent();
                }
                created.reverse();
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(root)
                    .map_err(|source| HomeError::io("create", root, source))?;
            }
            Err(source) => return Err(HomeError::io("inspect", root, source)),
        }
        let new_lock = fs::symlink_metadata(root.join("lock")).is_err();
        let mut home = Self::lock(root, Access::Writer)?;
        home.created = created;
        home.new_lock = new_lock;
        Ok(home)
    }

    /// Opens an existing home with the shared lock, for commands that only read it: any
    /// number of readers at once, none while a writer holds the home ([`HomeError::Locked`]).
    /// Refuses, creating nothing, when the folder does not exist. The same checks as
    /// [`Home::open`].
    pub fn open_reader(root: &Path) -> Result<Self, HomeError> {
        match fs::symlink_metadata(root) {
            Ok(_) => Self::lock(root, Access::Reader),
            Err(_) => Err(HomeError::Missing {
                home: root.to_path_buf(),
            }),
        }
    }

    fn lock(root: &Path, access: Access) -> Result<Self, HomeError> {
        check_private_dir(root)?;
        let lock_path = root.join("lock");
        let lock = open_checked(
            &lock_path,
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600),
        )?
        .ok_or_else(|| {
            HomeError::io(
                "open",
                &lock_path,
                io::Error::new(io::ErrorKind::NotFound, "vanished while opened"),
            )
        })?;
        let mut home = Self {
            root: root.to_path_buf(),
            lock,
            access: Access::Unlocked,
            created: Vec::new(),
            new_lock: false,
        };
        match access {
            Access::Writer => home.take_exclusive()?,
            Access::Reader | Access::Unlocked => home.take_shared()?,
        }
        home.check_layout()?;
        Ok(home)
    }

    fn lock_path(&self) -> PathBuf {
        self.root.join("lock")
    }

    /// The shared lock, or [`HomeError::Locked`] naming the writer that holds the home.
    fn take_shared(&mut self) -> Result<(), HomeError> {
        match self.lock.try_lock_shared() {
            Ok(()) => {
                self.access = Access::Reader;
                Ok(())
            }
            Err(TryLockError::WouldBlock) => Err(self.locked()),
            Err(TryLockError::Error(source)) => {
                Err(HomeError::io("lock", &self.lock_path(), source))
            }
        }
    }

    /// The exclusive lock, then our pid in the lock file.
    fn take_exclusive(&mut self) -> Result<(), HomeError> {
        match self.lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                // flock(2) drops a shared lock that fails to become exclusive. Asking for
                // the shared lock tells who holds the home: it is granted when only
                // readers do (and a reader that tried to write keeps reading).
                let was = self.access;
                self.access = Access::Unlocked;
                return match self.lock.try_lock_shared() {
                    Ok(()) => {
                        if was == Access::Reader {
                            self.access = Access::Reader;
                        } else {
                            let _ = self.lock.unlock();
                        }
                        Err(HomeError::Readers {
                            home: self.root.clone(),
                        })
                    }
                    Err(_) => Err(self.locked()),
                };
            }
            Err(TryLockError::Error(source)) => {
                return Err(HomeError::io("lock", &self.lock_path(), source));
            }
        }
        self.access = Access::Writer;
        // The lock file passed the checks on its descriptor: it is ours, so rewriting it
        // with our pid destroys nothing.
        let lock_path = self.lock_path();
        let lock = &mut self.lock;
        lock.set_len(0)
            .and_then(|()| lock.seek(io::SeekFrom::Start(0)).map(|_| ()))
            .and_then(|()| lock.write_all(std::process::id().to_string().as_bytes()))
            .and_then(|()| lock.sync_all())
            .map_err(|source| HomeError::io("write", &lock_path, source))
    }

    /// [`HomeError::Locked`] with the pid the last writer wrote into the lock file.
    fn locked(&self) -> HomeError {
        let mut holder = String::new();
        let _ = (&self.lock).seek(io::SeekFrom::Start(0));
        let _ = (&self.lock).take(32).read_to_string(&mut holder);
        let holder = holder.trim();
        let holder = if holder.is_empty() || !holder.bytes().all(|b| b.is_ascii_digit()) {
            "unknown".to_owned()
        } else {
            holder.to_owned()
        };
        HomeError::Locked {
            home: self.root.clone(),
            holder,
        }
    }

    /// How this home holds its lock.
    pub fn access(&self) -> Access {
        self.access
    }

    /// A reader becomes the writer, for the duration of an act. When other readers hold
    /// the home this fails with [`HomeError::Readers`] and the reader keeps its shared
    /// lock; when a writer of another process got in, [`HomeError::Locked`]. Then the
    /// layout is checked again. A writer stays one.
    ///
    /// `flock(2)` converts a lock by dropping it and taking the other kind, so another
    /// process may have written in between: the caller checks what it read before.
    pub fn upgrade(&mut self) -> Result<(), HomeError> {
        if self.access == Access::Writer {
            return Ok(());
        }
        self.take_exclusive()?;
        self.check_layout()
    }

    /// The writer becomes a reader again, keeping the home from other writers while it
    /// shows it. Should a writer of another process get in between (see
    /// [`Home::upgrade`]), the home is left unlocked ([`Access::Unlocked`]).
    pub fn downgrade(&mut self) {
        if self.access != Access::Writer {
            return;
        }
        self.access = Access::Unlocked;
        if self.lock.try_lock_shared().is_ok() {
            self.access = Access::Reader;
        }
    }

    /// Refuses unless this process holds the exclusive lock: nothing is written to the
    /// home under a shared one.
    pub fn require_writer(&self) -> Result<(), HomeError> {
        if self.access == Access::Writer {
            Ok(())
        } else {
            Err(HomeError::ReadOnly {
                home: self.root.clone(),
            })
        }
    }

    /// Checks every file and folder of the known layout that exists. Under the lock no
    /// other airlock writes, and since each folder is writable only by us, nobody else can
    /// plant anything after this check.
    fn check_layout(&self) -> Result<(), HomeError> {
        check_file_if_present(&self.ledger_path())?;
        check_file_if_present(&self.config_path())?;
        // cas/<id>/ca.crt, cas/<id>/shares/<officer>.age: three levels below cas/.
        check_tree_if_present(&self.root.join("cas"), 3)?;
        check_tree_if_present(&self.root.join("bundles"), 1)?;
        // revocations/<seq>/ holds the CRLs and scripts `revoke` writes without --out.
        check_tree_if_present(&self.root.join("revocations"), 2)
    }

    /// Opens an existing home and takes its exclusive lock; refuses, creating nothing,
    /// when the folder does not exist.
    pub fn open_existing(root: &Path) -> Result<Self, HomeError> {
        match fs::symlink_metadata(root) {
            Ok(_) => Self::open(root),
            Err(_) => Err(HomeError::Missing {
                home: root.to_path_buf(),
            }),
        }
    }

    /// Removes what [`Home::open`] created, when no ledger was ever written: the lock
    /// file it made; in a home folder it made, the files airlock puts in a new home, then
    /// the folders, each only if empty (a file someone else put there stays, and so does
    /// its folder).
    fn remove_unused(&self) {
        if self.access != Access::Writer
            || !self.new_lock
            || fs::symlink_metadata(self.ledger_path()).is_ok()
        {
            return;
        }
        if !self.created.is_empty() {
            let _ = fs::remove_file(self.config_path());
            let _ = fs::remove_dir(self.root.join("cas"));
        }
        let _ = fs::remove_file(self.lock_path());
        for folder in self.created.iter().rev() {
            if fs::remove_dir(folder).is_err() {
                break;
            }
        }
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

    /// `cas/<id>/`, without checking the id: prefer [`Home::checked_ca_dir`].
    pub fn ca_dir(&self, ca_id: &str) -> PathBuf {
        self.root.join("cas").join(ca_id)
    }

    /// `cas/<id>/`, for an id that [`check_ca_id`] accepts.
    pub fn checked_ca_dir(&self, ca_id: &str) -> Result<PathBuf, HomeError> {
        check_ca_id(ca_id)?;
        Ok(self.ca_dir(ca_id))
    }

    /// `cas/<id>/ca.key.age`, for an id that [`check_ca_id`] accepts.
    pub fn ca_key_path(&self, ca_id: &str) -> Result<PathBuf, HomeError> {
        Ok(self.checked_ca_dir(ca_id)?.join("ca.key.age"))
    }

    /// `cas/<id>/ca.crt`, for an id that [`check_ca_id`] accepts.
    pub fn ca_cert_path(&self, ca_id: &str) -> Result<PathBuf, HomeError> {
        Ok(self.checked_ca_dir(ca_id)?.join("ca.crt"))
    }

    /// Refuses a folder (existing or not yet created) that is the home or lies inside it,
    /// after resolving symbolic links and `..` as the kernel will when the folder is
    /// created and written to. Creates and writes nothing.
    pub fn check_outside(&self, folder: &Path) -> Result<(), HomeError> {
        let home = fs::canonicalize(&self.root)
            .map_err(|source| HomeError::io("resolve", &self.root, source))?;
        let resolved = resolve_planned(folder)?;
        if resolved.starts_with(&home) {
            return Err(HomeError::OutputInHome {
                out: folder.to_path_buf(),
                home: self.root.clone(),
            });
        }
        Ok(())
    }

    /// Reads the policy from `airlock.toml` (through [`read_private`], at most
    /// [`POLICY_LIMIT`] bytes); the defaults when the file does not exist.
    pub fn policy(&self) -> Result<PolicyConfig, HomeError> {
        let path = self.config_path();
        let Some(bytes) = read_private(&path, POLICY_LIMIT)? else {
            return Ok(PolicyConfig::default());
        };
        let Ok(text) = String::from_utf8(bytes) else {
            return Err(HomeError::BadConfig {
                path,
                reason: "it is not UTF-8 text".to_owned(),
            });
        };
        PolicyConfig::from_toml(&text).map_err(|reason| HomeError::BadConfig { path, reason })
    }

    /// Writes the commented default `airlock.toml` unless one is already there (which
    /// must then pass the checks of [`read_private`]).
    pub fn write_default_policy(&self) -> Result<(), HomeError> {
        let path = self.config_path();
        if read_private(&path, POLICY_LIMIT)?.is_some() {
            return Ok(());
        }
        write_new(&path, crate::policy::DEFAULT_POLICY_TOML.as_bytes())
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        self.remove_unused();
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

    // Issue 10, item 10: readers share the home, a writer has it alone.
    #[test]
    fn readers_share_the_home_and_a_writer_has_it_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("home");
        create_private_dir(&root).expect("home");
        let mut first = Home::open_reader(&root).expect("a reader");
        let second = Home::open_reader(&root).expect("a second reader beside it");
        assert_eq!(first.access(), Access::Reader);
        let error = Home::open(&root).expect_err("no writer while readers read");
        assert!(matches!(error, HomeError::Readers { .. }), "{error}");
        assert!(error.to_string().contains("open for reading"), "{error}");
        // A reader cannot become the writer while another reads; it keeps reading.
        let error = first.upgrade().expect_err("another reader holds the home");
        assert!(matches!(error, HomeError::Readers { .. }), "{error}");
        assert_eq!(first.access(), Access::Reader);
        assert!(first.require_writer().is_err());
        drop(second);
        first
            .upgrade()
            .expect("alone: the reader becomes the writer");
        assert_eq!(first.access(), Access::Writer);
        first.require_writer().expect("writer");
        let error = Home::open_reader(&root).expect_err("no reader while a writer writes");
        assert!(
            error.to_string().contains(&std::process::id().to_string()),
            "the writer's pid is named: {error}"
        );
        first.downgrade();
        assert_eq!(first.access(), Access::Reader);
        let _beside = Home::open_reader(&root).expect("a reader again beside it");
        assert!(
            root.join("lock").exists(),
            "the lock of an existing home stays"
        );
    }

    // Issue 10, item 7: a home this process created and never wrote a ledger into is
    // removed again; one with a ledger, or one that existed before, stays.
    #[test]
    fn a_home_left_without_a_ledger_is_removed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("new").join("home");
        let home = Home::open(&root).expect("fresh home");
        home.write_default_policy().expect("policy");
        create_private_dir(&root.join("cas")).expect("cas");
        drop(home);
        assert!(!dir.path().join("new").exists(), "nothing is left behind");

        let home = Home::open(&root).expect("fresh home");
        write_new(&home.ledger_path(), b"").expect("ledger");
        drop(home);
        assert!(root.join("lock").exists(), "a home with a ledger stays");

        let existing = dir.path().join("existing");
        create_private_dir(&existing).expect("folder");
        write_new(&existing.join("notes"), b"mine").expect("a file of the officer's");
        drop(Home::open(&existing).expect("open"));
        assert!(
            !existing.join("lock").exists(),
            "the lock it made is removed"
        );
        assert!(
            existing.join("notes").exists(),
            "the folder and its file stay"
        );
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

    fn chmod(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    fn unsafe_reason(error: &HomeError) -> UnsafeReason {
        match error {
            HomeError::Unsafe { reason, .. } => *reason,
            other => unreachable!("expected an unsafe-path error, got: {other}"),
        }
    }

    #[test]
    fn lock_symlink_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        create_private_dir(&home).expect("home");
        let victim = dir.path().join("victim");
        write_new(&victim, b"precious").expect("victim");
        std::os::unix::fs::symlink(&victim, home.join("lock")).expect("symlink");
        let error = Home::open(&home).expect_err("a symlinked lock must be refused");
        assert_eq!(unsafe_reason(&error), UnsafeReason::Symlink);
        let message = error.to_string();
        assert!(message.contains("lock'"), "{message}");
        assert_eq!(fs::read(&victim).expect("victim"), b"precious");
    }

    #[test]
    fn writable_home_and_files_are_refused_with_the_fix() {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        create_private_dir(&home).expect("home");
        drop(Home::open(&home).expect("fresh home"));
        chmod(&home, 0o777);
        let error = Home::open(&home).expect_err("world-writable home");
        assert_eq!(
            unsafe_reason(&error),
            UnsafeReason::Writable { mode: 0o40777 }
        );
        let message = error.to_string();
        assert!(
            message.contains(&format!("run 'chmod go-w {}'", home.display())),
            "{message}"
        );
        chmod(&home, 0o700);
        let ledger = home.join("ledger.jsonl");
        write_new(&ledger, b"").expect("ledger");
        chmod(&ledger, 0o620);
        let error = Home::open(&home).expect_err("group-writable ledger");
        assert!(error.to_string().contains("ledger.jsonl"), "{error}");
        assert!(matches!(
            unsafe_reason(&error),
            UnsafeReason::Writable { .. }
        ));
        chmod(&ledger, 0o600);
        Home::open(&home).expect("fixed home opens");
    }

    #[test]
    fn layout_symlinks_are_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        drop(Home::open(&home).expect("fresh home"));
        let elsewhere = dir.path().join("elsewhere");
        create_private_dir(&elsewhere).expect("elsewhere");
        create_private_dir(&home.join("cas")).expect("cas");
        let ca = home.join("cas").join("0123456789abcdef");
        std::os::unix::fs::symlink(&elsewhere, &ca).expect("symlink");
        let error = Home::open(&home).expect_err("a symlinked CA folder");
        assert_eq!(unsafe_reason(&error), UnsafeReason::Symlink);
        assert!(error.to_string().contains("0123456789abcdef"), "{error}");
        fs::remove_file(&ca).expect("unlink");
        create_private_dir(&ca).expect("real CA folder");
        std::os::unix::fs::symlink(elsewhere.join("key"), ca.join("ca.key.age")).expect("link");
        let error = Home::open(&home).expect_err("a symlinked key file");
        assert!(error.to_string().contains("ca.key.age"), "{error}");
    }

    #[test]
    fn read_private_checks_the_descriptor() {
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join("home");
        create_private_dir(&folder).expect("folder");
        let path = folder.join("airlock.toml");
        assert_eq!(read_private(&path, 10).expect("missing is fine"), None);
        assert_eq!(
            read_private(&folder.join("none").join("x"), 10).expect("no folder"),
            None
        );
        write_new(&path, b"0123456789").expect("write");
        chmod(&path, 0o600);
        assert_eq!(
            read_private(&path, 10).expect("read").as_deref(),
            Some(&b"0123456789"[..])
        );
        let error = read_private(&path, 9).expect_err("too large");
        assert_eq!(unsafe_reason(&error), UnsafeReason::TooLarge { limit: 9 });
        assert!(error.to_string().contains("limit of 9 bytes"), "{error}");

        chmod(&path, 0o602);
        let error = read_private(&path, 10).expect_err("world-writable");
        assert!(matches!(
            unsafe_reason(&error),
            UnsafeReason::Writable { .. }
        ));
        chmod(&path, 0o600);

        let other = folder.join("other");
        fs::hard_link(&path, &other).expect("hard link");
        let error = read_private(&path, 10).expect_err("two names");
        assert_eq!(unsafe_reason(&error), UnsafeReason::HardLinks { links: 2 });
        fs::remove_file(&other).expect("unlink");

        let link = folder.join("link");
        std::os::unix::fs::symlink(&path, &link).expect("symlink");
        let error = read_private(&link, 10).expect_err("symlink");
        assert_eq!(unsafe_reason(&error), UnsafeReason::Symlink);

        // A FIFO would block a plain open until a writer came; it is refused at once.
        let fifo = folder.join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .expect("mkfifo");
        let error = read_private(&fifo, 10).expect_err("fifo");
        assert_eq!(unsafe_reason(&error), UnsafeReason::NotRegular);

        chmod(&folder, 0o770);
        let error = read_private(&path, 10).expect_err("group-writable folder");
        assert!(matches!(
            unsafe_reason(&error),
            UnsafeReason::Writable { .. }
        ));
        assert!(error.to_string().contains("chmod go-w"), "{error}");
    }

    #[test]
    fn open_private_append_creates_private_and_refuses_links() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join("home");
        create_private_dir(&folder).expect("folder");
        let path = folder.join("ledger.jsonl");
        let mut file = open_private_append(&path).expect("create");
        file.write_all(b"one\n").expect("append");
        drop(file);
        let mut file = open_private_append(&path).expect("reopen");
        file.write_all(b"two\n").expect("append");
        assert_eq!(fs::read(&path).expect("read"), b"one\ntwo\n");
        let mode = fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let victim = dir.path().join("victim");
        write_new(&victim, b"precious").expect("victim");
        let link = folder.join("planted.jsonl");
        std::os::unix::fs::symlink(&victim, &link).expect("symlink");
        let error = open_private_append(&link).expect_err("symlink");
        assert_eq!(unsafe_reason(&error), UnsafeReason::Symlink);
        let dangling = folder.join("dangling.jsonl");
        std::os::unix::fs::symlink(dir.path().join("new-file"), &dangling).expect("symlink");
        let error = open_private_append(&dangling).expect_err("dangling symlink");
        assert_eq!(unsafe_reason(&error), UnsafeReason::Symlink);
        assert!(!dir.path().join("new-file").exists(), "nothing created");
        assert_eq!(fs::read(&victim).expect("victim"), b"precious");
    }

    #[test]
    fn ca_ids_are_validated_before_paths_are_made() {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = Home::open(&dir.path().join("home")).expect("home");
        check_ca_id("0123456789abcdef").expect("valid id");
        let path = home.ca_key_path("0123456789abcdef").expect("key path");
        assert!(path.ends_with("cas/0123456789abcdef/ca.key.age"));
        let path = home.ca_cert_path("0123456789abcdef").expect("cert path");
        assert!(path.ends_with("cas/0123456789abcdef/ca.crt"));
        for bad in [
            "",
            "..",
            "../../etc/passwd",
            "0123456789ABCDEF",
            "0123456789abcde",
            "0123456789abcdef0",
            "/123456789abcdef",
            ".0123456789abcde",
            "0123456789abcd\u{1b}[",
        ] {
            let error = home.ca_key_path(bad).expect_err(bad);
            assert!(matches!(error, HomeError::InvalidCaId { .. }), "{error}");
            assert!(!error.to_string().contains('\u{1b}'), "{error}");
            assert!(home.ca_cert_path(bad).is_err());
            assert!(home.checked_ca_dir(bad).is_err());
        }
    }

    #[test]
    fn output_inside_the_home_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("home");
        let home = Home::open(&root).expect("home");
        for inside in [
            root.clone(),
            root.join("out"),
            root.join("cas/new/deeper"),
            dir.path().join("x/../home/out"),
        ] {
            let error = home.check_outside(&inside).expect_err("inside the home");
            assert!(
                matches!(error, HomeError::OutputInHome { .. })
                    || matches!(error, HomeError::Io { .. }),
                "{error}"
            );
        }
        let error = home.check_outside(&root.join("out")).expect_err("inside");
        assert!(error.to_string().contains("inside the CA home"), "{error}");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&root, &link).expect("symlink");
        let error = home
            .check_outside(&link.join("out"))
            .expect_err("via a link");
        assert!(matches!(error, HomeError::OutputInHome { .. }), "{error}");
        home.check_outside(&dir.path().join("out"))
            .expect("outside");
        home.check_outside(&dir.path().join("homework"))
            .expect("a prefix is not inside");
        home.check_outside(dir.path())
            .expect("a parent of the home is outside");
        assert!(!root.join("out").exists(), "nothing created");
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

//! The intake folder as a descriptor: opened once, then listed and read only through it.
//!
//! This file owns turning the officer's intake path into an [`IntakeFolder`], and a name
//! in that folder into the bytes of a regular file. It parses nothing. It must never
//! resolve a symbolic link below the folder, read a file that has other hard links, open
//! a FIFO or a device on purpose, or read more than [`MAX_FILE_BYTES`] of one file.
//!
//! The path given is resolved once, by the kernel, when [`IntakeFolder::open`] opens it
//! with `O_DIRECTORY | O_NOFOLLOW`: the components above the folder are the officer's own
//! choice (a mount point may well be a link) and are followed as typed, but the folder
//! itself must not be a symbolic link, since on the media it is the requester's choice.
//! From then on nothing goes through the path again: entries are listed through the
//! descriptor and opened relative to it with `openat2(RESOLVE_BENEATH |
//! RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)`. Swapping the folder, or any folder
//! above it, for a symbolic link after it was opened changes nothing that airlock reads.
//!
//! Where the kernel has no `openat2` (`ENOSYS`: Linux before 5.6; `EPERM`: some seccomp
//! filters), entries are opened with `openat(O_NOFOLLOW)` on the same descriptor. Names
//! are refused unless they are one component (no `/`, not `.` or `..`), so refusing a
//! link at the last component covers every component: the fallback is as strict.
//!
//! Each entry is inspected without being opened (`fstatat(AT_SYMLINK_NOFOLLOW)`), so
//! that FIFOs and devices are refused before `open` can touch them, then opened with
//! `O_NONBLOCK | O_NOCTTY`, and inspected again through the open descriptor: it must be
//! the same inode, a regular file, with one link and within the size bound. A device
//! swapped in between the two inspections may be opened, but is never read.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, ResolveFlags, Stat};
use rustix::io::Errno;

use super::{IntakeError, MAX_FILE_BYTES, MAX_FILES};

/// Why one entry of the intake folder was not read. Each becomes the reason shown for
/// its item; none stops the batch.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// A symbolic link, wherever it leads.
    #[error(
        "a symbolic link (to '{target}'), not a regular file: refused; links are never followed, whether they lead inside or outside the intake folder"
    )]
    SymbolicLink {
        /// What the link says, made inert (read with `readlinkat`, never followed).
        target: String,
    },
    /// A folder inside the intake folder.
    #[error("a folder (sub-folders are not read), not a regular file: refused")]
    Folder,
    /// A named pipe: opening it for reading could block forever.
    #[error("a FIFO, not a regular file: refused")]
    Fifo,
    /// A socket.
    #[error("a socket, not a regular file: refused")]
    Socket,
    /// A character or block device.
    #[error("a device, not a regular file: refused")]
    Device,
    /// Anything else that is not a regular file.
    #[error("a special file, not a regular file: refused")]
    Special,
    /// A regular file with more than one name.
    #[error(
        "has {links} hard links: refused; a hard link can reach a file outside the intake media, copy the file onto the media instead"
    )]
    HardLinked {
        /// The file's link count.
        links: u64,
    },
    /// Larger than [`MAX_FILE_BYTES`].
    #[error("file is {bytes} bytes, over the {MAX_FILE_BYTES}-byte limit")]
    TooLarge {
        /// The file's size.
        bytes: u64,
    },
    /// Grew past [`MAX_FILE_BYTES`] between inspection and reading.
    #[error("file grew over the {MAX_FILE_BYTES}-byte limit while being read")]
    Grew,
    /// Another file took the entry's name between inspection and opening.
    #[error("was replaced by another file while being opened: refused")]
    Replaced,
    /// A name that is not one component of the folder (only in-process callers can
    /// pass one; a folder listing never yields it).
    #[error("'{name}' is not the name of a file directly inside the intake folder: refused")]
    NotAnEntryName {
        /// The name, made inert.
        name: String,
    },
    /// The system refused an operation.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being done: `inspect`, `open`, `read`.
        action: &'static str,
        /// The system's error.
        #[source]
        source: io::Error,
    },
}

/// How entries are opened below the folder's descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opener {
    /// `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, falling back to `openat`
    /// where the kernel refuses the call itself.
    Openat2,
    /// `openat` with `O_NOFOLLOW` only: the fallback, chosen directly by tests so that
    /// it is exercised on kernels that have `openat2`.
    #[cfg(test)]
    Openat,
}

/// An intake folder opened once, or a single intake file: its folder opened once and
/// only its name read. Everything is reached through the folder's descriptor, never
/// through a path again.
#[derive(Debug)]
pub struct IntakeFolder {
    descriptor: OwnedFd,
    path: PathBuf,
    /// The one entry read, when the intake given was a file rather than a folder.
    only: Option<OsString>,
}

impl IntakeFolder {
    /// Opens `path` as the intake: a folder, whose entries are read, or a single file,
    /// read as the one entry of its folder under the same rules (no symbolic link, a
    /// regular file, one link). `path` itself must not be a symbolic link; the
    /// components above it are resolved by the kernel, once.
    pub fn open(path: &Path) -> Result<Self, IntakeError> {
        let folder_error = |reason: String| IntakeError::Folder {
            path: path.to_path_buf(),
            reason,
        };
        // Rebuilt from its components: a trailing '/' or '/.' would make the kernel
        // resolve a final symbolic link in spite of O_NOFOLLOW.
        let normal: PathBuf = path.components().collect();
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let is_link = || {
            std::fs::symlink_metadata(&normal)
                .is_ok_and(|metadata| metadata.file_type().is_symlink())
        };
        let refusal = |errno: Errno| match errno {
            Errno::LOOP | Errno::NOTDIR if is_link() => {
                "it is a symbolic link; give the folder or file itself, not a link to it".to_owned()
            }
            Errno::NOTDIR => "not a folder".to_owned(),
            other => io::Error::from(other).to_string(),
        };
        match rustix::fs::open(&normal, flags, Mode::empty()) {
            Ok(descriptor) => Ok(Self {
                descriptor,
                path: path.to_path_buf(),
                only: None,
            }),
            // Not a folder: a single file, read through its own folder's descriptor like
            // any entry, so the checks on what it is happen in one place.
            Err(Errno::NOTDIR) if !is_link() => {
                let (Some(parent), Some(name)) = (normal.parent(), normal.file_name()) else {
                    return Err(folder_error("not a folder".to_owned()));
                };
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                let descriptor = rustix::fs::open(parent, flags, Mode::empty())
                    .map_err(|errno| folder_error(refusal(errno)))?;
                Ok(Self {
                    descriptor,
                    path: path.to_path_buf(),
                    only: Some(name.to_owned()),
                })
            }
            Err(errno) => Err(folder_error(refusal(errno))),
        }
    }

    /// Whether the intake is a single file rather than a folder.
    pub fn is_single_file(&self) -> bool {
        self.only.is_some()
    }

    /// The path the folder was opened from, as given (for messages only).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The names of the folder's entries (`.` and `..` left out), in byte order, read
    /// through the descriptor. At most [`MAX_FILES`]. For a single file, its name alone.
    pub fn names(&self) -> Result<Vec<OsString>, IntakeError> {
        if let Some(only) = &self.only {
            return Ok(vec![only.clone()]);
        }
        let folder_error = |errno: Errno| IntakeError::Folder {
            path: self.path.clone(),
            reason: io::Error::from(errno).to_string(),
        };
        let listing = Dir::read_from(&self.descriptor).map_err(folder_error)?;
        let mut names = Vec::new();
        for entry in listing {
            let entry = entry.map_err(folder_error)?;
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            names.push(OsStr::from_bytes(name).to_owned());
            if names.len() > MAX_FILES {
                return Err(IntakeError::TooManyFiles {
                    path: self.path.clone(),
                });
            }
        }
        names.sort();
        Ok(names)
    }

    /// The size of entry `name` when it is a regular file, without opening it; `None`
    /// for anything else (which [`IntakeFolder::read`] then refuses).
    pub fn regular_size(&self, name: &OsStr) -> Option<u64> {
        let status = self.inspect(name).ok()?;
        (FileType::from_raw_mode(status.st_mode) == FileType::RegularFile)
            .then(|| u64::try_from(status.st_size).unwrap_or(0))
    }

    /// Reads entry `name` of the folder: a regular file with one link, at most
    /// [`MAX_FILE_BYTES`], opened through the descriptor with no symbolic link resolved.
    pub fn read(&self, name: &OsStr) -> Result<Vec<u8>, EntryError> {
        self.read_with(name, Opener::Openat2)
    }

    fn read_with(&self, name: &OsStr, opener: Opener) -> Result<Vec<u8>, EntryError> {
        let before = self.inspect(name)?;
        self.refuse(name, &before)?;
        let file = open_entry(self.descriptor.as_fd(), name, opener).map_err(|errno| {
            match errno {
                // ELOOP: a link took the name after the inspection.
                Errno::LOOP => self.symbolic_link(name),
                Errno::NXIO => EntryError::Socket,
                other => EntryError::Io {
                    action: "open",
                    source: other.into(),
                },
            }
        })?;
        let after = rustix::fs::fstat(&file).map_err(|errno| EntryError::Io {
            action: "inspect",
            source: errno.into(),
        })?;
        self.refuse(name, &after)?;
        if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino) {
            return Err(EntryError::Replaced);
        }
        let mut bytes = Vec::new();
        File::from(file)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| EntryError::Io {
                action: "read",
                source,
            })?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(EntryError::Grew);
        }
        Ok(bytes)
    }

    fn inspect(&self, name: &OsStr) -> Result<Stat, EntryError> {
        check_entry_name(name)?;
        rustix::fs::statat(&self.descriptor, name, AtFlags::SYMLINK_NOFOLLOW).map_err(|errno| {
            EntryError::Io {
                action: "inspect",
                source: errno.into(),
            }
        })
    }

    /// Refuses what `status` describes unless it is a regular file with one link and
    /// within the size bound.
    fn refuse(&self, name: &OsStr, status: &Stat) -> Result<(), EntryError> {
        match FileType::from_raw_mode(status.st_mode) {
            FileType::RegularFile => {}
            FileType::Symlink => return Err(self.symbolic_link(name)),
            FileType::Directory => return Err(EntryError::Folder),
            FileType::Fifo => return Err(EntryError::Fifo),
            FileType::Socket => return Err(EntryError::Socket),
            FileType::CharacterDevice | FileType::BlockDevice => return Err(EntryError::Device),
            FileType::Unknown => return Err(EntryError::Special),
        }
        // nlink_t is u64 on x86_64 and u32 on aarch64.
        #[allow(clippy::useless_conversion)]
        let links = u64::from(status.st_nlink);
        if links > 1 {
            return Err(EntryError::HardLinked { links });
        }
        let bytes = u64::try_from(status.st_size).unwrap_or(0);
        if bytes > MAX_FILE_BYTES {
            return Err(EntryError::TooLarge { bytes });
        }
        Ok(())
    }

    /// The refusal for a symbolic link, naming what it says (read, never followed).
    fn symbolic_link(&self, name: &OsStr) -> EntryError {
        let target = rustix::fs::readlinkat(&self.descriptor, name, Vec::new()).map_or_else(
            |_| "?".to_owned(),
            |target| crate::text::name(&String::from_utf8_lossy(target.as_bytes())),
        );
        EntryError::SymbolicLink { target }
    }
}

/// Refuses a name that is not exactly one component of the folder.
fn check_entry_name(name: &OsStr) -> Result<(), EntryError> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes == b"." || bytes == b".." || bytes.contains(&b'/') {
        return Err(EntryError::NotAnEntryName {
            name: crate::text::name(&name.to_string_lossy()),
        });
    }
    Ok(())
}

/// Opens `name` below `folder` for reading, resolving no symbolic link.
fn open_entry(folder: BorrowedFd<'_>, name: &OsStr, opener: Opener) -> Result<OwnedFd, Errno> {
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    if opener == Opener::Openat2 {
        let resolve =
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
        match rustix::fs::openat2(folder, name, flags, Mode::empty(), resolve) {
            // The kernel (or a seccomp filter) refuses the call itself: the fallback is
            // as strict for one-component names, which is all this is given.
            Err(Errno::NOSYS | Errno::PERM) => {}
            result => return result,
        }
    }
    rustix::fs::openat(folder, name, flags, Mode::empty())
}

#[cfg(test)]
// Fixtures are written with plain std::fs::write into their own temporary folders.
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    /// A folder with one regular file `a.csr`, a link `link.csr` to a file outside it,
    /// and the folder opened.
    fn fixture() -> (tempfile::TempDir, IntakeFolder) {
        let dir = tempfile::tempdir().expect("temp dir");
        let intake = dir.path().join("intake");
        std::fs::create_dir(&intake).expect("intake");
        std::fs::write(intake.join("a.csr"), b"inside").expect("write");
        std::fs::write(dir.path().join("outside"), b"outside").expect("write");
        std::os::unix::fs::symlink(dir.path().join("outside"), intake.join("link.csr"))
            .expect("symlink");
        let folder = IntakeFolder::open(&intake).expect("open");
        (dir, folder)
    }

    #[test]
    fn both_openers_read_a_regular_file_and_refuse_a_link() {
        let (_dir, folder) = fixture();
        for opener in [Opener::Openat2, Opener::Openat] {
            let bytes = folder
                .read_with(OsStr::new("a.csr"), opener)
                .expect("regular file");
            assert_eq!(bytes, b"inside");
            let refused = folder.read_with(OsStr::new("link.csr"), opener);
            assert!(
                matches!(&refused, Err(EntryError::SymbolicLink { target }) if target.ends_with("outside")),
                "{opener:?}: {refused:?}"
            );
        }
    }

    /// The open itself refuses a link, whichever opener: this is what holds when a link
    /// takes a name between the inspection and the open.
    #[test]
    fn the_open_itself_refuses_a_link_at_the_name() {
        let (_dir, folder) = fixture();
        for opener in [Opener::Openat2, Opener::Openat] {
            let result = open_entry(folder.descriptor.as_fd(), OsStr::new("link.csr"), opener);
            assert_eq!(result.err(), Some(Errno::LOOP), "{opener:?}");
        }
    }

    #[test]
    fn names_with_components_are_refused_before_any_open() {
        let (_dir, folder) = fixture();
        for name in ["../outside", "..", ".", "", "sub/a.csr", "/etc/passwd"] {
            for opener in [Opener::Openat2, Opener::Openat] {
                let refused = folder.read_with(OsStr::new(name), opener);
                assert!(
                    matches!(refused, Err(EntryError::NotAnEntryName { .. })),
                    "{name:?} {opener:?}: {refused:?}"
                );
            }
        }
    }

    #[test]
    fn a_hard_linked_file_is_refused_with_its_link_count() {
        let (dir, folder) = fixture();
        std::fs::hard_link(dir.path().join("outside"), folder.path().join("hard.csr"))
            .expect("hard link");
        let refused = folder.read(OsStr::new("hard.csr"));
        assert!(
            matches!(refused, Err(EntryError::HardLinked { links: 2 })),
            "{refused:?}"
        );
        let shown = refused
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(shown.contains("2 hard links"), "{shown}");
    }

    #[test]
    fn a_folder_given_as_a_link_or_with_a_trailing_slash_link_is_refused() {
        let (dir, folder) = fixture();
        let link = dir.path().join("link-to-intake");
        std::os::unix::fs::symlink(folder.path(), &link).expect("symlink");
        let mut with_slash = link.clone().into_os_string();
        with_slash.push("/");
        for given in [link.clone(), PathBuf::from(with_slash)] {
            let refused = IntakeFolder::open(&given);
            assert!(
                matches!(&refused, Err(IntakeError::Folder { reason, .. }) if reason.contains("symbolic link")),
                "{given:?}: {refused:?}"
            );
        }
    }

    #[test]
    fn names_are_sorted_and_listed_through_the_descriptor() {
        let (_dir, folder) = fixture();
        let names = folder.names().expect("names");
        assert_eq!(names, [OsString::from("a.csr"), OsString::from("link.csr")]);
        assert_eq!(folder.regular_size(OsStr::new("a.csr")), Some(6));
        assert_eq!(folder.regular_size(OsStr::new("link.csr")), None);
    }

    /// Item 14 of issue 10: a single file is an intake of one entry, read under the
    /// folder's rules; a link given as the file is refused like a link to a folder.
    #[test]
    fn a_single_file_is_read_as_the_one_entry_of_its_folder() {
        let (dir, folder) = fixture();
        let single = IntakeFolder::open(&folder.path().join("a.csr")).expect("open a file");
        assert!(single.is_single_file());
        assert_eq!(single.names().expect("names"), [OsString::from("a.csr")]);
        assert_eq!(single.read(OsStr::new("a.csr")).expect("read"), b"inside");
        let refused = IntakeFolder::open(&folder.path().join("link.csr"));
        assert!(
            matches!(&refused, Err(IntakeError::Folder { reason, .. }) if reason.contains("symbolic link")),
            "{refused:?}"
        );
        std::fs::hard_link(dir.path().join("outside"), folder.path().join("hard.csr"))
            .expect("hard link");
        let hard = IntakeFolder::open(&folder.path().join("hard.csr")).expect("open");
        assert!(matches!(
            hard.read(OsStr::new("hard.csr")),
            Err(EntryError::HardLinked { links: 2 })
        ));
    }
}

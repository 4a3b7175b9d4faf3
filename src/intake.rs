//! Intake: a folder of untrusted files from removable media (or one such file), turned
//! into items.
//!
//! Accepted: PEM CSRs (CRLF, text around the blocks, several blocks), DER CSRs, and
//! Kubernetes `CertificateSigningRequest` objects as YAML (several documents, `kind:
//! List`) or JSON. A file's format is decided from the whole file: a YAML or JSON
//! structure that carries a PEM CSR inside it is read as that structure, never as PEM.
//! Every file yields at least one [`IntakeItem`]; a file that cannot be read as a CSR
//! yields an item holding the reason. Nothing here panics on any input.
//!
//! Opening ([`IntakeFolder`]): the intake path given is resolved once, when it is
//! opened, and the folder itself must not be a symbolic link (the folders above it are
//! the officer's choice and are followed as typed). Everything below it is listed and
//! opened through that descriptor, with no symbolic link resolved at any component, so
//! a folder swapped for a link during review changes nothing that is read. Only regular
//! files with a single link are read: symbolic links (wherever they lead), hard-linked
//! files, sub-folders, devices, FIFOs and sockets are refused, each as an item with the
//! reason. A single file may be given instead of a folder: it is read as the one entry
//! of its folder, under the same rules. The intake is only read: nothing here writes to
//! it.
//!
//! Bounds: [`MAX_FILE_BYTES`] per file, [`MAX_FILES`] per folder, [`MAX_BATCH_BYTES`]
//! per folder, [`MAX_ITEMS_PER_FILE`] per file, [`MAX_BATCH_CSRS`] per folder (counted
//! after each file is split and before any of its CSRs is parsed, so memory stays bounded
//! at the bound), YAML depth, aliases, anchors, documents and nodes through serde-saphyr's
//! budget, JSON depth through `serde_json`'s recursion limit, [`MAX_REQUEST_BYTES`] of
//! decoded `spec.request`.

mod folder;
mod format;
mod object;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

pub use folder::{EntryError, IntakeFolder};
pub use object::is_kubernetes_name;

use crate::csr::UntrustedCsr;

/// Largest file read, in bytes (1 MiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// Most entries read from one folder.
pub const MAX_FILES: usize = 20_000;
/// Most bytes read from one folder (256 MiB).
pub const MAX_BATCH_BYTES: u64 = 256 << 20;
/// Most CSRs taken from one file (PEM blocks or objects).
pub const MAX_ITEMS_PER_FILE: usize = 1_000;
/// Most items in one batch, across all files: every CSR, object and refused entry
/// counts. Without it, [`MAX_FILES`] files of [`MAX_ITEMS_PER_FILE`] CSRs each fit the
/// other bounds and take gigabytes of memory once parsed.
pub const MAX_BATCH_CSRS: usize = 20_000;
/// Largest decoded `spec.request`, in bytes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Longest output stem, in characters.
pub const MAX_STEM_CHARS: usize = 100;

/// The signer name of Kubernetes client certificates.
pub const KUBE_APISERVER_CLIENT: &str = "kubernetes.io/kube-apiserver-client";

/// Errors that stop an intake as a whole (one bad file never does).
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The intake folder cannot be opened or listed.
    #[error("cannot read intake folder '{}': {reason}", shown(path))]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The folder's files add up to more than one batch may hold.
    #[error(
        "intake folder '{}' holds more than {MAX_BATCH_BYTES} bytes of files; split the batch",
        shown(path)
    )]
    TooLarge {
        /// The folder.
        path: PathBuf,
    },
    /// The folder holds more entries than one batch may.
    #[error(
        "intake folder '{}' holds more than {MAX_FILES} entries; split the batch",
        shown(path)
    )]
    TooManyFiles {
        /// The folder.
        path: PathBuf,
    },
    /// The folder's files hold more CSRs than one batch may.
    #[error(
        "intake folder '{}' holds more than {MAX_BATCH_CSRS} CSRs across its files (the bound of one batch); split the batch",
        shown(path)
    )]
    TooManyCsrs {
        /// The folder.
        path: PathBuf,
    },
}

/// A path for an error message, made inert (a folder on the media may be named with
/// escape sequences).
fn shown(path: &Path) -> String {
    crate::text::name(&path.to_string_lossy())
}

/// What a `CertificateSigningRequest` object said besides its CSR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectFields {
    /// `metadata.name`.
    pub name: String,
    /// `spec.signerName`.
    pub signer_name: Option<String>,
    /// `spec.usages`.
    pub usages: Vec<String>,
    /// `spec.expirationSeconds`.
    pub expiration_seconds: Option<i64>,
    /// `spec.username` (who created the object in the cluster).
    pub username: Option<String>,
}

/// One thing found in the intake folder.
#[derive(Debug, Clone)]
pub struct IntakeItem {
    /// Where it came from, made inert: the file name, plus `#n` or `[name]` when the file
    /// holds several.
    pub input: String,
    /// Output file stem, reduced to `[A-Za-z0-9._-]` and unique within the batch.
    pub stem: String,
    /// The object's fields when the CSR came in a Kubernetes object.
    pub object: Option<ObjectFields>,
    /// The CSR, or why there is none.
    pub csr: Result<UntrustedCsr, String>,
}

/// Reads every entry of `folder` (not its sub-folders), in file-name order, or the one
/// file `folder` names: opens it once ([`IntakeFolder::open`]) and reads it through the
/// descriptor ([`IntakeFolder::items`]).
pub fn read_folder(folder: &Path) -> Result<Vec<IntakeItem>, IntakeError> {
    IntakeFolder::open(folder)?.items()
}

impl IntakeFolder {
    /// Reads every entry of the opened folder into items, in file-name order, within the
    /// batch bounds: [`MAX_BATCH_BYTES`] (checked from the sizes before anything is
    /// read, and again as files are read) and [`MAX_BATCH_CSRS`] (checked per file
    /// before its CSRs are parsed).
    pub fn items(&self) -> Result<Vec<IntakeItem>, IntakeError> {
        let names = self.names()?;
        let too_large = || IntakeError::TooLarge {
            path: self.path().to_path_buf(),
        };
        let announced: u64 = names
            .iter()
            .filter_map(|name| self.regular_size(name))
            .sum();
        if announced > MAX_BATCH_BYTES {
            return Err(too_large());
        }
        let bytes_read = AtomicU64::new(0);
        let items_found = AtomicUsize::new(0);
        // Each file is read, split and parsed on one core, its bytes dropped as soon as it
        // is split: verifying each CSR's self-signature is most of the intake's work, and
        // only the items, never the files, accumulate.
        let parsed: Vec<Vec<IntakeItem>> = names
            .par_iter()
            .map(|name| {
                let lossy = name.to_string_lossy();
                let shown = crate::text::name(&lossy);
                let stem = stem_of(&lossy);
                let pending = match self.read(name) {
                    Ok(bytes) => {
                        let length = bytes.len() as u64;
                        if bytes_read.fetch_add(length, Ordering::Relaxed) + length
                            > MAX_BATCH_BYTES
                        {
                            return Err(too_large());
                        }
                        format::split(&shown, &stem, &bytes)
                    }
                    Err(reason) => {
                        vec![format::Pending::refused(&shown, &stem, reason.to_string())]
                    }
                };
                let count = pending.len();
                if items_found.fetch_add(count, Ordering::Relaxed) + count > MAX_BATCH_CSRS {
                    return Err(IntakeError::TooManyCsrs {
                        path: self.path().to_path_buf(),
                    });
                }
                Ok(pending.into_iter().map(format::Pending::finish).collect())
            })
            .collect::<Result<_, _>>()?;
        let mut items: Vec<IntakeItem> = parsed.into_iter().flatten().collect();
        make_stems_unique(&mut items);
        Ok(items)
    }
}

/// Turns one file's bytes into items (at most [`MAX_ITEMS_PER_FILE`]; the batch bound
/// is the caller's). `input` is shown as given: make it inert first.
pub fn parse_file(input: &str, stem: &str, bytes: &[u8]) -> Vec<IntakeItem> {
    format::split(input, stem, bytes)
        .into_iter()
        .map(format::Pending::finish)
        .collect()
}

/// Output stem from a file name: extension removed, reduced to `[A-Za-z0-9._-]`, no
/// leading dot, at most [`MAX_STEM_CHARS`] characters, never empty.
pub fn stem_of(file_name: &str) -> String {
    let base = match file_name.rsplit_once('.') {
        Some((base, _)) if !base.is_empty() => base,
        _ => file_name,
    };
    sanitize(base)
}

/// Reduces a name to `[A-Za-z0-9._-]` (others become `_`), without leading dots, bounded.
pub fn sanitize(name: &str) -> String {
    let reduced: String = name
        .chars()
        .take(MAX_STEM_CHARS)
        .map(|character| {
            if character.is_ascii_alphanumeric() || matches!(character, '.' | '_' | '-') {
                character
            } else {
                '_'
            }
        })
        .collect();
    let reduced = reduced.trim_start_matches('.').to_owned();
    if reduced.is_empty() {
        "item".to_owned()
    } else {
        reduced
    }
}

fn make_stems_unique(items: &mut [IntakeItem]) {
    let mut seen = std::collections::HashSet::new();
    for item in items.iter_mut() {
        let mut candidate = item.stem.clone();
        let mut counter = 2;
        // Compare case-insensitively: FAT media do.
        while !seen.insert(candidate.to_ascii_lowercase()) {
            candidate = format!("{}-{counter}", item.stem);
            counter += 1;
        }
        item.stem = candidate;
    }
}

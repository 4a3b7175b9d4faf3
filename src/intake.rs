//! Intake: a folder of untrusted files from removable media, turned into items.
//!
//! Accepted: PEM CSRs (CRLF, text around the blocks, several blocks), DER CSRs, and
//! Kubernetes `CertificateSigningRequest` objects as YAML (several documents, `kind:
//! List`) or JSON. Every file yields at least one [`IntakeItem`]; a file that cannot be
//! read as a CSR yields an item holding the reason. Nothing here panics on any input.
//!
//! Bounds: [`MAX_FILE_BYTES`] per file, [`MAX_FILES`] per folder, YAML depth, aliases,
//! anchors, documents and nodes through serde-saphyr's budget, JSON depth through
//! `serde_json`'s recursion limit, [`MAX_REQUEST_BYTES`] of decoded `spec.request`.
//! Symbolic links leading outside the folder, sub-folders, devices, FIFOs and sockets are
//! refused, never followed or opened. Files are opened with `O_NOFOLLOW | O_NONBLOCK`
//! so that a swap between the check and the open cannot block or escape.

use std::fs::{self, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rayon::prelude::*;
use serde::Deserialize;

use crate::csr::UntrustedCsr;

/// Largest file read, in bytes (1 MiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// Most entries read from one folder.
pub const MAX_FILES: usize = 20_000;
/// Most bytes read from one folder (256 MiB).
pub const MAX_BATCH_BYTES: usize = 256 << 20;
/// Most CSRs taken from one file (PEM blocks or objects).
pub const MAX_ITEMS_PER_FILE: usize = 1_000;
/// Largest decoded `spec.request`, in bytes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Longest output stem, in characters.
pub const MAX_STEM_CHARS: usize = 100;

/// The signer name of Kubernetes client certificates.
pub const KUBE_APISERVER_CLIENT: &str = "kubernetes.io/kube-apiserver-client";

/// Errors that stop an intake as a whole (one bad file never does).
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The intake folder cannot be read.
    #[error("cannot read intake folder '{path}': {reason}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The folder's files add up to more than one batch may hold.
    #[error(
        "intake folder '{path}' holds more than {MAX_BATCH_BYTES} bytes of files; split the batch"
    )]
    TooLarge {
        /// The folder.
        path: PathBuf,
    },
    /// The folder holds more entries than one batch may.
    #[error("intake folder '{path}' holds more than {MAX_FILES} entries; split the batch")]
    TooManyFiles {
        /// The folder.
        path: PathBuf,
    },
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

/// Reads every entry of `folder` (not its sub-folders), in file-name order.
pub fn read_folder(folder: &Path) -> Result<Vec<IntakeItem>, IntakeError> {
    let folder_error = |reason: String| IntakeError::Folder {
        path: folder.to_path_buf(),
        reason,
    };
    let root = fs::canonicalize(folder).map_err(|error| folder_error(error.to_string()))?;
    if !root.is_dir() {
        return Err(folder_error("not a folder".to_owned()));
    }
    let mut names = Vec::new();
    for entry in fs::read_dir(&root).map_err(|error| folder_error(error.to_string()))? {
        let entry = entry.map_err(|error| folder_error(error.to_string()))?;
        names.push(entry.file_name());
        if names.len() > MAX_FILES {
            return Err(IntakeError::TooManyFiles {
                path: folder.to_path_buf(),
            });
        }
    }
    names.sort();
    // Files are read one by one (each checked as it is opened), then parsed on every
    // core: verifying each CSR's self-signature is most of the intake's work.
    let mut read: Vec<(String, String, Result<Vec<u8>, String>)> = Vec::with_capacity(names.len());
    let mut total = 0_usize;
    for name in &names {
        let shown = crate::text::name(&name.to_string_lossy());
        let stem = stem_of(&name.to_string_lossy());
        let bytes = read_entry(&root, &root.join(name));
        total += bytes.as_ref().map_or(0, Vec::len);
        if total > MAX_BATCH_BYTES {
            return Err(IntakeError::TooLarge {
                path: folder.to_path_buf(),
            });
        }
        read.push((shown, stem, bytes));
    }
    let parsed: Vec<Vec<IntakeItem>> = read
        .into_par_iter()
        .map(|(shown, stem, bytes)| match bytes {
            Ok(bytes) => parse_file(&shown, &stem, &bytes),
            Err(reason) => vec![IntakeItem {
                input: shown,
                stem,
                object: None,
                csr: Err(reason),
            }],
        })
        .collect();
    let mut items: Vec<IntakeItem> = parsed.into_iter().flatten().collect();
    make_stems_unique(&mut items);
    Ok(items)
}

/// Reads one folder entry, refusing anything but a regular file inside the folder.
fn read_entry(root: &Path, path: &Path) -> Result<Vec<u8>, String> {
    let metadata =
        fs::symlink_metadata(path).map_err(|error| format!("cannot inspect: {error}"))?;
    let file_type = metadata.file_type();
    let target = if file_type.is_symlink() {
        let target =
            fs::canonicalize(path).map_err(|_| "symbolic link to nothing (dangling)".to_owned())?;
        if !target.starts_with(root) {
            return Err(format!(
                "symbolic link leading outside the intake folder (to '{}'): refused",
                crate::text::name(&target.to_string_lossy())
            ));
        }
        target
    } else {
        path.to_path_buf()
    };
    let metadata =
        fs::symlink_metadata(&target).map_err(|error| format!("cannot inspect: {error}"))?;
    let file_type = metadata.file_type();
    let refuse = |what: &str| Err(format!("{what}, not a regular file: refused"));
    if file_type.is_dir() {
        return refuse("a folder (sub-folders are not read)");
    }
    if file_type.is_fifo() {
        return refuse("a FIFO");
    }
    if file_type.is_socket() {
        return refuse("a socket");
    }
    if file_type.is_block_device() || file_type.is_char_device() {
        return refuse("a device");
    }
    if !file_type.is_file() {
        return refuse("a special file");
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(format!(
            "file is {} bytes, over the {MAX_FILE_BYTES}-byte limit",
            metadata.len()
        ));
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&target)
        .map_err(|error| format!("cannot open: {error}"))?;
    let opened = file
        .metadata()
        .map_err(|error| format!("cannot inspect: {error}"))?;
    if !opened.file_type().is_file() {
        return Err(
            "changed into something other than a regular file while being read: refused".to_owned(),
        );
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| format!("cannot read: {error}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "file grew over the {MAX_FILE_BYTES}-byte limit while being read"
        ));
    }
    Ok(bytes)
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

/// Turns one file's bytes into items.
pub fn parse_file(input: &str, stem: &str, bytes: &[u8]) -> Vec<IntakeItem> {
    let single = |csr: Result<UntrustedCsr, String>| {
        vec![IntakeItem {
            input: input.to_owned(),
            stem: stem.to_owned(),
            object: None,
            csr,
        }]
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return single(Err("empty file".to_owned()));
    }
    if contains(bytes, b"-----BEGIN") {
        return parse_pem(input, stem, bytes);
    }
    if bytes.first() == Some(&0x30) {
        return single(
            UntrustedCsr::parse(bytes).map_err(|error| format!("binary file is {error}")),
        );
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return single(Err(
            "not a CSR: binary content that is neither DER nor PEM".to_owned()
        ));
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let objects = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        serde_json::from_str::<KubeObject>(trimmed)
            .map(|object| vec![Some(object)])
            .map_err(|error| {
                // serde_json's message can quote the offending value (a private key pasted
                // into the wrong field): only its category and position are shown.
                let category = match error.classify() {
                    serde_json::error::Category::Io => "unreadable",
                    serde_json::error::Category::Syntax => "syntax error",
                    serde_json::error::Category::Data => "a field has the wrong type or value",
                    serde_json::error::Category::Eof => "truncated",
                };
                format!(
                    "not a Kubernetes object in JSON: {category} at line {}, column {}",
                    error.line(),
                    error.column()
                )
            })
    } else {
        parse_yaml(trimmed)
    };
    match objects {
        Ok(objects) => from_objects(input, stem, objects),
        Err(reason) => single(Err(reason)),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn parse_pem(input: &str, stem: &str, bytes: &[u8]) -> Vec<IntakeItem> {
    let single = |reason: String| {
        vec![IntakeItem {
            input: input.to_owned(),
            stem: stem.to_owned(),
            object: None,
            csr: Err(reason),
        }]
    };
    let blocks = match pem::parse_many(bytes) {
        Ok(blocks) => blocks,
        Err(error) => {
            return single(format!(
                "damaged PEM: {}",
                crate::text::inert(&error.to_string(), 120)
            ));
        }
    };
    if blocks.is_empty() {
        return single("has a BEGIN line but no complete PEM block (truncated?)".to_owned());
    }
    if blocks.len() > MAX_ITEMS_PER_FILE {
        return single(format!("holds more than {MAX_ITEMS_PER_FILE} PEM blocks"));
    }
    let several = blocks.len() > 1;
    let key_on_media = blocks
        .iter()
        .any(|block| block.tag().contains("PRIVATE KEY"));
    blocks
        .into_iter()
        .enumerate()
        .map(|(index, block)| {
            let (item_input, item_stem) = if several {
                (format!("{input}#{}", index + 1), format!("{stem}-{}", index + 1))
            } else {
                (input.to_owned(), stem.to_owned())
            };
            let csr = match block.tag() {
                "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" if key_on_media => Err(
                    "the same file holds a PRIVATE KEY: the key travelled on the media and must be treated as exposed; make a new key and CSR".to_owned(),
                ),
                "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
                    UntrustedCsr::parse(block.contents()).map_err(|error| error.to_string())
                }
                "CERTIFICATE" => Err("holds a CERTIFICATE, not a CSR".to_owned()),
                tag if tag.contains("PRIVATE KEY") => Err(
                    "holds a PRIVATE KEY, not a CSR: private keys must never travel on intake media".to_owned(),
                ),
                tag => Err(format!("holds a PEM '{}' block, not a CSR", crate::text::name(tag))),
            };
            IntakeItem { input: item_input, stem: item_stem, object: None, csr }
        })
        .collect()
}

fn parse_yaml(text: &str) -> Result<Vec<Option<KubeObject>>, String> {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = 32;
    budget.max_aliases = 16;
    budget.max_anchors = 16;
    budget.max_documents = MAX_ITEMS_PER_FILE;
    budget.max_nodes = 100_000;
    budget.max_events = 200_000;
    budget.max_total_scalar_bytes = 4 << 20;
    budget.max_recorded_anchor_bytes = 64 * 1024;
    budget.max_recorded_anchor_events = 10_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    serde_saphyr::from_str_multiple_with_options::<Option<KubeObject>, _>(text, options).map_err(
        |error| {
            format!(
                "not a Kubernetes object in YAML: {}",
                crate::text::inert(&without_quoted_values(&error.to_string()), 160)
            )
        },
    )
}

/// A parser message with every quoted value removed: such messages quote what they
/// could not parse, which may be a private key pasted into the wrong field.
fn without_quoted_values(message: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for character in message.chars() {
        match quote {
            Some(open) if character == open => {
                out.push('…');
                out.push(character);
                quote = None;
            }
            Some(_) => {}
            None if matches!(character, '"' | '`' | '\'') => {
                out.push(character);
                quote = Some(character);
            }
            None => out.push(character),
        }
    }
    out
}

/// Whether `name` is a valid Kubernetes object name (DNS-1123 subdomain).
pub fn is_kubernetes_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 253
        && bytes.iter().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || *byte == b'-' || *byte == b'.'
        })
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KubeObject {
    api_version: Option<String>,
    kind: Option<String>,
    metadata: Option<KubeMetadata>,
    spec: Option<KubeCsrSpec>,
    items: Option<Vec<KubeObject>>,
}

#[derive(Debug, Deserialize)]
struct KubeMetadata {
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KubeCsrSpec {
    request: Option<String>,
    signer_name: Option<String>,
    usages: Option<Vec<String>>,
    expiration_seconds: Option<i64>,
    username: Option<String>,
}

fn from_objects(input: &str, stem: &str, objects: Vec<Option<KubeObject>>) -> Vec<IntakeItem> {
    let mut flat = Vec::new();
    for object in objects.into_iter().flatten() {
        if object.kind.as_deref() == Some("List") {
            flat.extend(
                object
                    .items
                    .unwrap_or_default()
                    .into_iter()
                    .map(|item| (item, true)),
            );
        } else {
            flat.push((object, false));
        }
    }
    if flat.is_empty() {
        return vec![IntakeItem {
            input: input.to_owned(),
            stem: stem.to_owned(),
            object: None,
            csr: Err("holds no Kubernetes object".to_owned()),
        }];
    }
    if flat.len() > MAX_ITEMS_PER_FILE {
        return vec![IntakeItem {
            input: input.to_owned(),
            stem: stem.to_owned(),
            object: None,
            csr: Err(format!("holds more than {MAX_ITEMS_PER_FILE} objects")),
        }];
    }
    let several = flat.len() > 1;
    flat.into_iter()
        .enumerate()
        .map(|(index, (object, in_list))| {
            from_object(input, stem, object, in_list, several.then_some(index + 1))
        })
        .collect()
}

fn from_object(
    input: &str,
    stem: &str,
    object: KubeObject,
    in_list: bool,
    position: Option<usize>,
) -> IntakeItem {
    let name = object
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.name.clone())
        .unwrap_or_default();
    let shown_name = crate::text::name(&name);
    let item_input = match position {
        Some(_) if !name.is_empty() => format!("{input}[{shown_name}]"),
        Some(position) => format!("{input}#{position}"),
        None => input.to_owned(),
    };
    let item_stem = if name.is_empty() {
        stem.to_owned()
    } else {
        sanitize(&name)
    };
    let mut item = IntakeItem {
        input: item_input,
        stem: item_stem,
        object: None,
        csr: Err(String::new()),
    };
    let kind = object.kind.clone().unwrap_or_default();
    if kind == "List" && in_list {
        item.csr = Err("a List inside a List: refused".to_owned());
        return item;
    }
    if kind != "CertificateSigningRequest" {
        let looks_like_a_kind =
            kind.len() <= 63 && kind.bytes().all(|byte| byte.is_ascii_alphanumeric());
        item.csr = Err(if kind.is_empty() {
            "not a Kubernetes object: no 'kind'".to_owned()
        } else if looks_like_a_kind {
            format!("a '{kind}', not a CertificateSigningRequest")
        } else {
            "an object whose 'kind' is not a Kubernetes kind, not a CertificateSigningRequest"
                .to_owned()
        });
        return item;
    }
    let api_version = object.api_version.unwrap_or_default();
    if api_version != "certificates.k8s.io/v1" {
        item.csr = Err(format!(
            "apiVersion '{}' is not certificates.k8s.io/v1",
            crate::text::name(&api_version)
        ));
        return item;
    }
    if name.is_empty() {
        item.csr = Err("CertificateSigningRequest has no metadata.name".to_owned());
        return item;
    }
    if !is_kubernetes_name(&name) {
        item.csr = Err(format!(
            "metadata.name '{shown_name}' is not a valid Kubernetes object name (lower-case letters, digits, '-' and '.')"
        ));
        return item;
    }
    let Some(spec) = object.spec else {
        item.csr = Err("CertificateSigningRequest has no spec".to_owned());
        return item;
    };
    item.object = Some(ObjectFields {
        name,
        signer_name: spec.signer_name,
        usages: spec.usages.unwrap_or_default(),
        expiration_seconds: spec.expiration_seconds,
        username: spec.username,
    });
    item.csr = decode_request(spec.request.as_deref());
    item
}

fn decode_request(request: Option<&str>) -> Result<UntrustedCsr, String> {
    let Some(request) = request else {
        return Err("spec.request is missing".to_owned());
    };
    let compact: String = request
        .chars()
        .filter(|character| !character.is_ascii_whitespace())
        .collect();
    if compact.len() > MAX_REQUEST_BYTES * 4 / 3 + 4 {
        return Err(format!(
            "spec.request is larger than {MAX_REQUEST_BYTES} bytes"
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|error| format!("spec.request is not valid base64 ({error})"))?;
    let blocks =
        pem::parse_many(&decoded).map_err(|_| "spec.request is not a PEM CSR".to_owned())?;
    let mut requests = blocks
        .iter()
        .filter(|block| block.tag() == "CERTIFICATE REQUEST");
    match (requests.next(), requests.next()) {
        (Some(block), None) => {
            UntrustedCsr::parse(block.contents()).map_err(|error| format!("spec.request: {error}"))
        }
        (Some(_), Some(_)) => Err("spec.request holds more than one CSR".to_owned()),
        (None, _) => Err("spec.request does not hold a PEM CERTIFICATE REQUEST block".to_owned()),
    }
}

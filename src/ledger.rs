//! The ledger: `ledger.jsonl`, a SHA-256 hash chain of every act, and its seals.
//!
//! # Format
//!
//! One JSON object per line, with exactly these keys in this order:
//! `{"seq":N,"time":"RFC 3339","kind":"...","payload":{...},"prev":"<hex>","hash":"<hex>"}`.
//! `seq` starts at 1 and equals the line number. `prev` is the `hash` of the line before
//! (64 zeros on line 1).
//!
//! # Canonical encoding
//!
//! `hash` is the lower-case hex SHA-256 of the canonical encoding of the other five
//! fields: a JSON object with the keys `kind`, `payload`, `prev`, `seq`, `time` sorted
//! by byte value, object keys inside `payload` sorted the same way at every depth, no
//! insignificant white space, strings escaped as RFC 8259 requires and nothing more
//! (`\"`, `\\`, then `\b \f \n \r \t`, other control characters as `\u00xx` with
//! lower-case hex; non-ASCII kept as UTF-8, `/` not escaped), integers in plain decimal
//! and no floating-point numbers (a line holding one is refused). A line must also be byte-for-byte the serialization
//! airlock writes, so a changed byte anywhere is caught even where JSON would not care.
//!
//! # Seals
//!
//! A `ledger.sealed` entry carries the signature of a CA over the message
//! `airlock ledger seal v1\n` followed by the `prev` hash of the seal entry (the head it
//! seals). Rewriting history and recomputing the hashes breaks every later seal's
//! signature. A seal verifies only under a CA whose entry into the ledger is vouched
//! for: the first CA (the anchor), a CA introduced by the active CA's signature over its
//! certificate (`rotation.begun`), or a renewal over the same key (see [`crate::state`]).
//! Entries after the last seal are reported by [`Ledger::open`] and no act signs over
//! them until an officer accepts them; the removal of trailing entries, and a history
//! rewritten from scratch, are only caught against the anchor and a head hash kept
//! elsewhere ([`verify_file_against`]).
//!
//! # Time
//!
//! Entry times never run backwards: replay refuses such a line, and [`Ledger::append`]
//! refuses to record while the clock reads earlier than the last entry.
//!
//! # Crash safety
//!
//! Appends are buffered and made durable together by [`Ledger::commit`] (one fsync per
//! batch). Callers commit before anything an entry describes leaves the home. A line cut
//! short by a crash (no final newline) is removed on open and recorded by a
//! `ledger.repaired` entry; every other inconsistency is an error naming the line.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::ca::{Signer, rfc3339};
use crate::state::State;

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Kind of a seal entry.
pub const KIND_SEALED: &str = "ledger.sealed";
/// Kind of the entry that records the repair of a torn last line.
pub const KIND_REPAIRED: &str = "ledger.repaired";
const SEAL_CONTEXT: &[u8] = b"airlock ledger seal v1\n";
/// Longest line airlock will read (an issuance entry is a few KiB).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Errors reading, verifying or writing the ledger. Line numbers start at 1.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A line is not an entry.
    #[error("ledger line {line}: {reason}")]
    Malformed {
        /// The line.
        line: u64,
        /// Why it is not an entry.
        reason: String,
    },
    /// A line's sequence number is not its line number.
    #[error(
        "ledger line {line}: sequence number is {found}, expected {line} (a line was removed, added or moved)"
    )]
    Sequence {
        /// The line.
        line: u64,
        /// The `seq` written on it.
        found: u64,
    },
    /// A line's `prev` is not the hash of the line before.
    #[error(
        "ledger line {line}: chain is broken: prev is '{found}', the line before hashes to '{expected}'"
    )]
    BrokenChain {
        /// The line.
        line: u64,
        /// Hash of the previous line.
        expected: String,
        /// `prev` as written.
        found: String,
    },
    /// A line's content does not hash to its `hash`.
    #[error(
        "ledger line {line}: content was altered: it hashes to '{expected}', but records '{found}'"
    )]
    BadHash {
        /// The line.
        line: u64,
        /// Hash of the content.
        expected: String,
        /// `hash` as written.
        found: String,
    },
    /// A seal does not verify.
    #[error("ledger line {line}: seal does not verify: {reason}")]
    BadSeal {
        /// The seal's line.
        line: u64,
        /// Why.
        reason: String,
    },
    /// An entry is well-formed but contradicts the state before it.
    #[error("ledger line {line}: {reason}")]
    Replay {
        /// The line.
        line: u64,
        /// What it contradicts.
        reason: String,
    },
    /// Reading or writing the file failed.
    #[error("cannot {action} ledger '{path}'")]
    Io {
        /// What airlock was doing.
        action: &'static str,
        /// The ledger file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The ledger file is not safe to use (a symbolic link, not ours, writable by
    /// others), or the home refused it.
    #[error(transparent)]
    Home(#[from] crate::home::HomeError),
    /// Signing a seal failed.
    #[error("cannot seal the ledger: {0}")]
    Seal(#[source] crate::ca::CaError),
    /// The first CA is not the anchor the officer kept outside the home.
    #[error(
        "the ledger's first CA has fingerprint '{found}', not the anchor '{expected}': this is another CA's history (rewritten or replaced)"
    )]
    AnchorMismatch {
        /// The anchor given.
        expected: String,
        /// The first CA's fingerprint, or `none`.
        found: String,
    },
    /// A head hash kept outside the home is not in the ledger.
    #[error(
        "the head '{head}' kept outside the home is not in this ledger: the history it ended was rewritten or cut"
    )]
    HeadNotFound {
        /// The head given.
        head: String,
    },
    /// An anchor or head given by the officer is not a hash.
    #[error("'{value}' is not a {what}: {expected}")]
    BadReference {
        /// What it should be.
        what: &'static str,
        /// What was given (escaped).
        value: String,
        /// What is expected.
        expected: &'static str,
    },
    /// The clock reads earlier than the ledger's last entry: appending would make
    /// history run backwards.
    #[error(
        "the clock reads {now}, earlier than the ledger's last entry ({last}): set the clock right; nothing was written"
    )]
    ClockBehind {
        /// The time the act would be recorded at.
        now: String,
        /// The time of the last entry.
        last: String,
    },
}

/// One ledger entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Position, equal to the line number.
    pub seq: u64,
    /// When it was written, RFC 3339 UTC.
    pub time: String,
    /// What happened, e.g. `ca.created`, `cert.issued`.
    pub kind: String,
    /// The facts, specific to the kind.
    pub payload: Value,
    /// Hash of the entry before.
    pub prev: String,
    /// Hash of this entry's canonical encoding.
    pub hash: String,
}

impl Entry {
    /// Hash of the canonical encoding of everything but `hash` (see the module doc).
    pub fn compute_hash(&self) -> String {
        let canonical = serde_json::json!({
            "kind": self.kind,
            "payload": self.payload,
            "prev": self.prev,
            "seq": self.seq,
            "time": self.time,
        });
        // serde_json's Map is a BTreeMap (no preserve_order feature), so keys are sorted.
        let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
        crate::hex::sha256(&bytes)
    }

    fn line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What [`Ledger::open`] found and did.
#[derive(Debug, Clone, Serialize)]
pub struct OpenReport {
    /// Bytes cut from a torn last line, if any.
    pub repaired_bytes: Option<usize>,
    /// Bytes of a torn last line found on opening (cut by a writer, skipped by a reader).
    #[serde(skip)]
    pub torn_bytes: usize,
    /// Entries after the last seal, found on disk (no key vouches for them).
    pub unsealed_count: u64,
    /// Hash of the last entry found on disk.
    pub unsealed_head: String,
    /// The first of those entries (at most [`UNSEALED_KEPT`]), to show an officer.
    #[serde(skip)]
    pub unsealed: Vec<Entry>,
    /// When the ledger was opened.
    #[serde(skip)]
    pub opened_at: OffsetDateTime,
}

/// How many unsealed entries [`Ledger::open`] keeps to show (the count stays exact).
pub const UNSEALED_KEPT: usize = 200;

/// The open ledger of a home: its head, and buffered entries not yet committed.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    head_seq: u64,
    head_hash: String,
    pending: Vec<u8>,
}

impl Ledger {
    /// Opens (or creates) the ledger, verifies every line and seal, and replays it into
    /// state. A torn last line is cut and recorded; `now` stamps that record.
    ///
    /// The caller must hold the home's exclusive lock.
    pub fn open(
        path: &Path,
        now: OffsetDateTime,
    ) -> Result<(Self, State, OpenReport), LedgerError> {
        Self::open_as(path, now, true)
    }

    /// [`Ledger::open`] for a reader holding the shared lock: a torn last line is skipped
    /// (counted in [`OpenReport::torn_bytes`]), never cut: only a writer repairs. Nothing
    /// may be appended to the returned ledger until it is opened again by a writer.
    pub fn open_reader(
        path: &Path,
        now: OffsetDateTime,
    ) -> Result<(Self, State, OpenReport), LedgerError> {
        Self::open_as(path, now, false)
    }

    fn open_as(
        path: &Path,
        now: OffsetDateTime,
        repair: bool,
    ) -> Result<(Self, State, OpenReport), LedgerError> {
        let io = |action, source| LedgerError::Io {
            action,
            path: path.to_path_buf(),
            source,
        };
        // No symbolic link, regular, ours, not writable by others (see `home`).
        let bytes = crate::home::read_private(path, u64::MAX)?.unwrap_or_default();
        let complete = bytes
            .iter()
            .rposition(|byte| *byte == b'\n')
            .map_or(0, |last| last + 1);
        let torn = bytes.len() - complete;
        let replayed = replay(&bytes[..complete])?;
        let (state, head_seq, head_hash) = (replayed.state, replayed.entries, replayed.head);
        let mut report = OpenReport {
            repaired_bytes: None,
            torn_bytes: torn,
            unsealed_count: replayed.unsealed_count,
            unsealed_head: head_hash.clone(),
            unsealed: replayed.unsealed,
            opened_at: now,
        };
        let mut ledger = Self {
            path: path.to_path_buf(),
            head_seq,
            head_hash,
            pending: Vec::new(),
        };
        if torn > 0 && repair {
            let cut = &bytes[complete..];
            let payload = serde_json::json!({
                "cut_bytes": torn,
                "cut_sha256": crate::hex::sha256(cut),
                "cut_start": crate::text::inert(&String::from_utf8_lossy(cut), 120),
            });
            // Crash-safe repair: the repaired ledger (complete lines plus the record of
            // the cut) is written beside the old one and renamed over it, so a crash
            // leaves either the torn ledger or the repaired one, never a lost cut.
            let mut state = state;
            ledger.append(&mut state, now, KIND_REPAIRED, payload)?;
            let mut repaired = bytes[..complete].to_vec();
            repaired.append(&mut ledger.pending);
            let temp = path.with_extension("jsonl.repair");
            let _ = std::fs::remove_file(&temp);
            let written = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temp)
                .and_then(|mut file| {
                    file.write_all(&repaired)?;
                    file.sync_all()
                })
                .and_then(|()| std::fs::rename(&temp, path));
            if let Err(source) = written {
                let _ = std::fs::remove_file(&temp);
                return Err(io("repair", source));
            }
            if let Some(folder) = path.parent() {
                let _ = File::open(folder).and_then(|dir| dir.sync_all());
            }
            report.repaired_bytes = Some(torn);
            return Ok((ledger, state, report));
        }
        Ok((ledger, state, report))
    }

    /// Number of entries, committed or pending.
    pub fn len(&self) -> u64 {
        self.head_seq
    }

    /// True when the ledger has no entry.
    pub fn is_empty(&self) -> bool {
        self.head_seq == 0
    }

    /// Hash of the last entry (committed or pending).
    pub fn head(&self) -> &str {
        &self.head_hash
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends an entry to the buffer and applies it to `state`. Nothing is on disk until
    /// [`Ledger::commit`].
    pub fn append(
        &mut self,
        state: &mut State,
        time: OffsetDateTime,
        kind: &str,
        payload: Value,
    ) -> Result<Entry, LedgerError> {
        if let Some(last) = state.last_time()
            && time.replace_nanosecond(0).unwrap_or(time) < last
        {
            return Err(LedgerError::ClockBehind {
                now: rfc3339(time),
                last: rfc3339(last),
            });
        }
        let mut entry = Entry {
            seq: self.head_seq + 1,
            time: rfc3339(time),
            kind: kind.to_owned(),
            payload,
            prev: self.head_hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        state.apply(&entry).map_err(|reason| LedgerError::Replay {
            line: entry.seq,
            reason,
        })?;
        self.pending.extend_from_slice(entry.line().as_bytes());
        self.pending.push(b'\n');
        self.head_seq = entry.seq;
        self.head_hash.clone_from(&entry.hash);
        Ok(entry)
    }

    /// Appends a seal: `signer` signs the current head.
    pub fn seal(
        &mut self,
        state: &mut State,
        time: OffsetDateTime,
        signer: &Signer,
    ) -> Result<Entry, LedgerError> {
        let head = self.head_hash.clone();
        let signature = signer
            .sign(&seal_message(&head))
            .map_err(LedgerError::Seal)?;
        let payload = serde_json::json!({
            "ca": signer.certificate().info().id,
            "head": head,
            "signature": crate::hex::encode(&signature),
        });
        self.append(state, time, KIND_SEALED, payload)
    }

    /// Writes the buffered entries and fsyncs the file: one fsync per batch.
    pub fn commit(&mut self) -> Result<(), LedgerError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let io = |action, source| LedgerError::Io {
            action,
            path: self.path.clone(),
            source,
        };
        let mut file = crate::home::open_private_append(&self.path)?;
        file.write_all(&self.pending)
            .map_err(|source| io("append to", source))?;
        file.sync_all().map_err(|source| io("sync", source))?;
        self.pending.clear();
        if let Some(folder) = self.path.parent() {
            let _ = File::open(folder).and_then(|dir| dir.sync_all());
        }
        Ok(())
    }
}

fn seal_message(head: &str) -> Vec<u8> {
    let mut message = SEAL_CONTEXT.to_vec();
    message.extend_from_slice(head.as_bytes());
    message
}

/// Parses one line into an entry and checks it on its own: canonical form and hash.
pub fn parse_line(line_number: u64, line: &[u8]) -> Result<Entry, LedgerError> {
    let malformed = |reason: String| LedgerError::Malformed {
        line: line_number,
        reason,
    };
    if line.len() > MAX_LINE_BYTES {
        return Err(malformed(format!(
            "line is longer than {MAX_LINE_BYTES} bytes"
        )));
    }
    let text = std::str::from_utf8(line).map_err(|_| malformed("not UTF-8".to_owned()))?;
    let entry: Entry = serde_json::from_str(text)
        .map_err(|error| malformed(format!("not a ledger entry: {error}")))?;
    if has_float(&entry.payload) {
        return Err(malformed(
            "holds a floating-point number, which the canonical encoding excludes".to_owned(),
        ));
    }
    let expected = entry.compute_hash();
    if expected != entry.hash {
        return Err(LedgerError::BadHash {
            line: line_number,
            expected,
            found: crate::text::name(&entry.hash),
        });
    }
    if entry.line() != text {
        return Err(malformed(
            "not in canonical form (bytes were changed)".to_owned(),
        ));
    }
    Ok(entry)
}

fn has_float(value: &Value) -> bool {
    match value {
        Value::Number(number) => !(number.is_i64() || number.is_u64()),
        Value::Array(items) => items.iter().any(has_float),
        Value::Object(fields) => fields.values().any(has_float),
        _ => false,
    }
}

/// What [`replay`] found.
struct Replayed {
    state: State,
    entries: u64,
    head: String,
    unsealed_count: u64,
    unsealed: Vec<Entry>,
}

/// Verifies and replays complete lines (each ending in a newline).
fn replay(bytes: &[u8]) -> Result<Replayed, LedgerError> {
    let mut state = State::default();
    let mut head_hash = GENESIS.to_owned();
    let mut seq = 0_u64;
    let mut unsealed = Vec::new();
    let mut unsealed_count = 0_u64;
    // Every line here ends in a newline: the caller cut any torn tail.
    for line in bytes.split_inclusive(|byte| *byte == b'\n') {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        seq += 1;
        let entry = parse_line(seq, line)?;
        check_link(&entry, seq, &head_hash)?;
        if entry.kind == KIND_SEALED {
            verify_seal(&entry, &state)?;
        }
        state
            .apply(&entry)
            .map_err(|reason| LedgerError::Replay { line: seq, reason })?;
        head_hash.clone_from(&entry.hash);
        if entry.kind == KIND_SEALED {
            unsealed.clear();
            unsealed_count = 0;
        } else {
            unsealed_count += 1;
            if unsealed.len() < UNSEALED_KEPT {
                unsealed.push(entry);
            }
        }
    }
    Ok(Replayed {
        state,
        entries: seq,
        head: head_hash,
        unsealed_count,
        unsealed,
    })
}

fn check_link(entry: &Entry, line: u64, previous_hash: &str) -> Result<(), LedgerError> {
    if entry.seq != line {
        return Err(LedgerError::Sequence {
            line,
            found: entry.seq,
        });
    }
    if entry.prev != previous_hash {
        return Err(LedgerError::BrokenChain {
            line,
            expected: previous_hash.to_owned(),
            found: crate::text::name(&entry.prev),
        });
    }
    Ok(())
}

fn verify_seal(entry: &Entry, state: &State) -> Result<(), LedgerError> {
    let bad = |reason: String| LedgerError::BadSeal {
        line: entry.seq,
        reason,
    };
    let field = |name: &str| {
        entry
            .payload
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let (ca_id, head, signature) = (field("ca"), field("head"), field("signature"));
    if head != entry.prev {
        return Err(bad(format!(
            "it seals head '{}', but follows '{}'",
            crate::text::name(head),
            entry.prev
        )));
    }
    let Some(ca) = state.ca(ca_id) else {
        return Err(bad(format!("unknown CA '{}'", crate::text::name(ca_id))));
    };
    let Some(signature) = crate::hex::decode(signature) else {
        return Err(bad("signature is not hex".to_owned()));
    };
    let parsed = ca.certificate.parsed();
    if !crate::pubkey::verify(parsed.public_key(), &seal_message(head), &signature) {
        return Err(bad(format!(
            "signature of CA '{}' does not match: entries before this line were changed after sealing",
            ca.certificate.info().common_name
        )));
    }
    Ok(())
}

/// The result of [`verify_file`]: the ledger is intact up to its head.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Entries checked.
    pub entries: u64,
    /// Seals checked.
    pub seals: u64,
    /// Line of the last seal, if any.
    pub last_seal_line: Option<u64>,
    /// Entries after the last seal (not covered by any signature).
    pub unsealed_entries: u64,
    /// Hash of the last entry.
    pub head: String,
    /// A torn last line that verification did not touch (`audit verify` reads only).
    pub torn_tail_bytes: usize,
    /// The first CA's certificate fingerprint, to compare with the one kept elsewhere.
    pub anchor: Option<String>,
}

/// Verifies a ledger file without changing it: every line, link and seal.
pub fn verify_file(path: &Path) -> Result<Verification, LedgerError> {
    let bytes = crate::home::read_private(path, u64::MAX)?.unwrap_or_default();
    let complete = bytes
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |last| last + 1);
    let replayed = replay(&bytes[..complete])?;
    let state = replayed.state;
    let last_seal_line = state.last_seal_line;
    Ok(Verification {
        entries: replayed.entries,
        seals: state.seal_count,
        last_seal_line,
        unsealed_entries: replayed.unsealed_count,
        head: replayed.head,
        torn_tail_bytes: bytes.len() - complete,
        anchor: state.anchor().map(str::to_owned),
    })
}

/// What [`verify_file_against`] found for the references kept outside the home.
#[derive(Debug, Clone, Serialize)]
pub struct AnchorCheck {
    /// The whole-ledger verification.
    #[serde(flatten)]
    pub verification: Verification,
    /// The anchor matched the first CA.
    pub anchor_matches: Option<bool>,
    /// The line whose hash is the given head.
    pub head_line: Option<u64>,
    /// Entries after the given head (appended since it was written down).
    pub entries_after_head: Option<u64>,
}

/// Lower-case hex of a SHA-256 given by a person: colons, spaces and a `SHA256:` prefix
/// are dropped.
fn normalize_hash(text: &str) -> String {
    let text = text.trim();
    let text = text
        .strip_prefix("SHA256:")
        .or_else(|| text.strip_prefix("sha256:"))
        .unwrap_or(text);
    text.chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .collect::<String>()
        .to_ascii_lowercase()
}

/// [`verify_file`], then checks the history against references kept outside the home:
/// `anchor`, the first CA's certificate fingerprint (all 64 hex digits; colons allowed),
/// and `head`, a ledger head written down earlier (at least 16 hex digits of it), which
/// must be the hash of one of the ledger's lines. Without the key or such references, a
/// history rewritten from scratch cannot be told apart.
pub fn verify_file_against(
    path: &Path,
    anchor: Option<&str>,
    head: Option<&str>,
) -> Result<AnchorCheck, LedgerError> {
    let anchor = anchor.map(normalize_hash);
    if let Some(anchor) = &anchor
        && (anchor.len() != 64 || !anchor.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(LedgerError::BadReference {
            what: "certificate fingerprint",
            value: crate::text::name(anchor),
            expected: "give all 64 hex digits of the first CA's SHA-256 fingerprint, as 'airlock status' prints it",
        });
    }
    let head = head.map(normalize_hash);
    if let Some(head) = &head
        && (head.len() < 16 || head.len() > 64 || !head.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(LedgerError::BadReference {
            what: "ledger head",
            value: crate::text::name(head),
            expected: "give at least 16 of the head's 64 hex digits",
        });
    }
    let verification = verify_file(path)?;
    let anchor_matches = match &anchor {
        None => None,
        Some(anchor) => {
            if verification.anchor.as_deref() != Some(anchor.as_str()) {
                return Err(LedgerError::AnchorMismatch {
                    expected: anchor.clone(),
                    found: verification
                        .anchor
                        .clone()
                        .unwrap_or_else(|| "none".to_owned()),
                });
            }
            Some(true)
        }
    };
    let (head_line, entries_after_head) = match &head {
        None => (None, None),
        Some(head) => {
            let entries = read_entries(path)?;
            let line = entries
                .iter()
                .find(|entry| entry.hash.starts_with(head.as_str()))
                .map(|entry| entry.seq)
                .ok_or_else(|| LedgerError::HeadNotFound { head: head.clone() })?;
            (Some(line), Some(verification.entries - line))
        }
    };
    Ok(AnchorCheck {
        verification,
        anchor_matches,
        head_line,
        entries_after_head,
    })
}

/// Reads every entry for display, checking each line's own hash but not the chain.
pub fn read_entries(path: &Path) -> Result<Vec<Entry>, LedgerError> {
    let bytes = crate::home::read_private(path, u64::MAX)?.unwrap_or_default();
    // Only complete lines: a torn tail is reported by `verify_file` and repaired on open.
    let complete = bytes
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |last| last + 1);
    let mut entries = Vec::new();
    for (index, line) in bytes[..complete]
        .split_inclusive(|byte| *byte == b'\n')
        .enumerate()
    {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        entries.push(parse_line(index as u64 + 1, line)?);
    }
    Ok(entries)
}

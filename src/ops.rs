//! What officers do. Each operation takes a [`Session`] (an open, locked, verified home),
//! a [`Context`] (the clock and the random generator, handed in by the front end) and a
//! typed request, writes the ledger, and returns a typed report for the front end to show.
//!
//! Operations never print, prompt or read a terminal: a passphrase comes through
//! [`Unlock`], which the front end implements.

mod audit;
mod batch;
mod crl;
mod exports;
mod inspect;
mod lifecycle;
mod policy;
mod revoke;
mod rotate;
mod setup;
mod status;

use std::path::{Path, PathBuf};

use ring::rand::SecureRandom;
use time::OffsetDateTime;

pub use audit::{audit_show, audit_show_session, audit_verify, audit_verify_session};

/// `audit verify --anchor FP --head HEX`: the whole ledger, checked against references
/// kept outside the home, without any key. Reads only.
pub fn audit_verify_against(
    root: &Path,
    anchor: Option<&str>,
    head: Option<&str>,
) -> Result<crate::ledger::AnchorCheck, Error> {
    // Opening takes the shared lock and refuses a missing home, as `audit verify` does.
    let home = Home::open_reader(root)?;
    if std::fs::symlink_metadata(home.ledger_path()).is_err() {
        return Err(Error::Refused(format!(
            "CA home '{}' has no ledger yet: nothing to verify (is --home right?)",
            home.root().display()
        )));
    }
    Ok(crate::ledger::verify_file_against(
        &home.ledger_path(),
        anchor,
        head,
    )?)
}
pub use batch::{ReviewReport, SignReport, SignRequest, review, review_with_rbac, sign};
pub use crl::{CRL_DAYS, CrlReport, CrlRequest, crl};
pub use exports::{IssueReport, IssueRequest, KubeconfigRequest, audit_policy, issue, kubeconfig};
pub use inspect::{CertificateView, Inspection, inspect};
pub use lifecycle::{
    CertRow, ListFilter, RenewCaReport, RenewReport, RenewRequest, Selection, list, renew, renew_ca,
};
pub use policy::{PolicyDrift, PolicyReport, accept_policy};
pub use revoke::{RevokeReport, RevokeRequest, read_rbac_snapshot, revoke};
pub use rotate::{
    BeginRequest, FinishRequest, NewCaSource, PhaseReport, ReissueReport, RotationStatus, abort,
    begin, bundle, finish, reissue, rotation_status,
};
pub use setup::{CaReport, ImportRequest, InitRequest, import, init};
pub use status::{CaStatus, EXPIRING_SOON_DAYS, LedgerStatus, StatusReport, status};

use crate::Error;
use crate::ca::{CaInfo, Signer};
use crate::home::Home;
use crate::ledger::{Entry, Ledger, OpenReport};
use crate::secret::Passphrase;
use crate::state::{KIND_KEY_DESTROYED, KIND_LEDGER_ACCEPTED, KeyDestroyed, LedgerAccepted, State};

/// The clock and randomness an operation may use, handed in by the front end so that
/// tests can pin both.
pub struct Context<'a> {
    /// The time the operation happens at.
    pub now: OffsetDateTime,
    /// The random generator for serials and keys.
    pub rng: &'a dyn SecureRandom,
}

/// How an operation obtains the passphrase of a CA it must unlock.
pub trait Unlock {
    /// The passphrase for `ca`. Called at most once per operation, only when needed.
    fn passphrase(&self, ca: &CaInfo) -> Result<Passphrase, Error>;
}

/// A passphrase already in hand (from a file, or typed into the TUI).
pub struct GivenPassphrase(pub Passphrase);

impl Unlock for GivenPassphrase {
    fn passphrase(&self, _ca: &CaInfo) -> Result<Passphrase, Error> {
        Ok(self.0.clone())
    }
}

/// An open CA home: locked, its ledger verified and replayed.
#[derive(Debug)]
pub struct Session {
    home: Home,
    ledger: Ledger,
    state: State,
    opened: OpenReport,
    /// Entries after the last seal when the home was opened: this process did not write
    /// them, no key vouches for them.
    unsealed: Vec<Entry>,
    /// The officer's acceptance of `unsealed`, once given; `true` once recorded.
    acceptance: Option<(String, bool)>,
    /// The ledger file as this session last saw it, to tell whether another process
    /// wrote between two acts of a reader.
    seen: Option<LedgerFile>,
    /// A reader skipped a torn last line that a writer must cut.
    repair_pending: bool,
    /// A reader holds the exclusive lock for an act ([`Session::begin_act`]).
    acting: bool,
}

/// What identifies the ledger file's content for an append-only file: its inode (a
/// repair replaces the file) and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LedgerFile {
    inode: u64,
    len: u64,
}

impl LedgerFile {
    fn of(home: &Home) -> Option<Self> {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::symlink_metadata(home.ledger_path())
            .ok()
            .map(|metadata| Self {
                inode: metadata.ino(),
                len: metadata.len(),
            })
    }
}

impl Session {
    /// Opens the home at `root` (creating it if needed), takes its exclusive lock,
    /// verifies and replays the ledger. A torn last ledger line is repaired and recorded,
    /// stamped `now`. A home this call created is removed again if the session ends
    /// with no ledger written (see [`Home`]).
    pub fn open(root: &Path, now: OffsetDateTime) -> Result<Self, Error> {
        Self::with_home(Home::open(root)?, now)
    }

    /// Like [`Session::open`], but refuses (creating nothing) when the home does not exist:
    /// every command that changes an existing home opens it this way.
    pub fn open_existing(root: &Path, now: OffsetDateTime) -> Result<Self, Error> {
        Self::with_home(Home::open_existing(root)?, now)
    }

    /// Opens an existing home to read it, with the shared lock: any number of readers may
    /// hold it at once (a terminal UI that is merely open, `status` in another terminal),
    /// while no writer can. The ledger is verified and replayed as by [`Session::open`],
    /// but a reader writes nothing: a torn last line is skipped, not repaired, and an
    /// interrupted act (a staged CA folder, a key destruction) is left for the next writer.
    /// To act, a reader takes the exclusive lock with [`Session::begin_act`].
    pub fn open_reader(root: &Path, now: OffsetDateTime) -> Result<Self, Error> {
        let home = Home::open_reader(root)?;
        let (ledger, state, opened) = Ledger::open_reader(&home.ledger_path(), now)?;
        Ok(Self::assemble(home, ledger, state, opened))
    }

    fn with_home(home: Home, now: OffsetDateTime) -> Result<Self, Error> {
        let (ledger, state, opened) = Ledger::open(&home.ledger_path(), now)?;
        let mut session = Self::assemble(home, ledger, state, opened);
        session.finish_interrupted(now)?;
        Ok(session)
    }

    fn assemble(home: Home, ledger: Ledger, state: State, opened: OpenReport) -> Self {
        let unsealed = opened.unsealed.clone();
        let repair_pending = opened.repaired_bytes.is_none() && opened.torn_bytes > 0;
        let seen = LedgerFile::of(&home);
        Self {
            home,
            ledger,
            state,
            opened,
            unsealed,
            acceptance: None,
            seen,
            repair_pending,
            acting: false,
        }
    }

    /// What only a writer does on opening: finish a CA folder move that a crash
    /// interrupted after its ledger commit, and a sealed key destruction.
    fn finish_interrupted(&mut self, now: OffsetDateTime) -> Result<(), Error> {
        for ca in self.state.cas() {
            let id = &ca.certificate.info().id;
            let staging = setup::staging_dir(self.home.root(), id);
            let target = self.home.ca_dir(id);
            if staging.is_dir() && !target.exists() {
                std::fs::rename(&staging, &target)
                    .map_err(|source| crate::home::HomeError::io("rename", &target, source))?;
            }
        }
        self.complete_key_destruction(now)
    }

    /// A session opened by [`Session::open_reader`] takes the exclusive lock for one act;
    /// [`Session::end_act`] gives it back. A writer's session needs neither.
    ///
    /// Fails with [`crate::home::HomeError::Readers`] while another process reads the
    /// home (the session keeps reading). Once the lock is held, the ledger is read again
    /// if another process wrote it since this session saw it (entries an officer accepted
    /// before must then be accepted again) or if a torn last line waits to be cut, and
    /// what a writer finishes on opening is finished.
    pub fn begin_act(&mut self, now: OffsetDateTime) -> Result<(), Error> {
        if self.home.access() == crate::home::Access::Writer {
            return Ok(());
        }
        self.home.upgrade()?;
        self.acting = true;
        let result = self.catch_up(now);
        if result.is_err() {
            self.end_act();
        }
        result
    }

    fn catch_up(&mut self, now: OffsetDateTime) -> Result<(), Error> {
        let changed = LedgerFile::of(&self.home) != self.seen;
        if changed || self.repair_pending {
            let (ledger, state, opened) = Ledger::open(&self.home.ledger_path(), now)?;
            self.ledger = ledger;
            self.state = state;
            self.unsealed = opened.unsealed.clone();
            self.opened = opened;
            self.repair_pending = false;
            if changed {
                self.acceptance = None;
            }
        }
        self.finish_interrupted(now)
    }

    /// Ends an act begun with [`Session::begin_act`]: back to the shared lock.
    pub fn end_act(&mut self) {
        if !self.acting {
            return;
        }
        self.acting = false;
        self.seen = LedgerFile::of(&self.home);
        self.home.downgrade();
    }

    /// The home.
    pub fn home(&self) -> &Home {
        &self.home
    }

    /// The replayed state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// What opening the ledger repaired, if anything.
    pub fn opened(&self) -> &OpenReport {
        &self.opened
    }

    /// Entries after the last seal that this process did not write (at most 200 of
    /// them; [`Session::unsealed_count`] is exact). Nothing is signed or sealed until an
    /// officer has seen them and called [`Session::accept_unsealed`].
    pub fn unsealed(&self) -> &[Entry] {
        &self.unsealed
    }

    /// How many entries after the last seal this process did not write.
    pub fn unsealed_count(&self) -> u64 {
        self.opened.unsealed_count
    }

    /// Whether an officer accepted the unsealed entries in this session.
    pub fn unsealed_accepted(&self) -> bool {
        self.acceptance.is_some()
    }

    /// The officer accepts the unsealed entries, having seen them, for `reason`. The
    /// acceptance is recorded (`ledger.accepted`) by the next act that unlocks a key, and
    /// sealed with it. Refuses an empty reason.
    pub fn accept_unsealed(&mut self, reason: &str) -> Result<(), Error> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::Refused(
                "accepting unsealed ledger entries needs a reason, which the ledger keeps"
                    .to_owned(),
            ));
        }
        self.acceptance = Some((crate::text::inert(reason, 500), false));
        Ok(())
    }

    /// Removes the key files of CAs whose destruction the ledger records but whose
    /// completion it does not (a crash between the two), and records `key.destroyed`.
    fn complete_key_destruction(&mut self, now: OffsetDateTime) -> Result<(), Error> {
        let pending = self.state.destroy_pending().to_vec();
        // Only a destruction a seal vouches for: an unsealed `rotation.finished` could be
        // planted to make a read-only command delete a key.
        if pending.is_empty() || !self.state.destroy_pending_is_sealed() {
            return Ok(());
        }
        self.remove_key_files(&pending)?;
        let payload = serde_json::to_value(KeyDestroyed {
            cas: pending,
            completed_after_interruption: true,
        })
        .map_err(|error| Error::Refused(error.to_string()))?;
        self.ledger
            .append(&mut self.state, now, KIND_KEY_DESTROYED, payload)?;
        self.ledger.commit()?;
        Ok(())
    }

    /// Removes `cas/<id>/ca.key.age` of each CA (paths from validated ids only).
    pub(crate) fn remove_key_files(&self, ids: &[String]) -> Result<(), Error> {
        for id in ids {
            let path = self.key_path(id)?;
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(crate::home::HomeError::io("remove", &path, source).into());
                }
            }
            if let Some(folder) = path.parent() {
                crate::home::sync_dir(folder)?;
            }
        }
        Ok(())
    }

    /// `cas/<id>/ca.key.age`, for a CA id the ledger knows (an id is hex: never a path).
    pub(crate) fn key_path(&self, id: &str) -> Result<PathBuf, Error> {
        self.checked_ca_dir(id).map(|dir| dir.join("ca.key.age"))
    }

    fn checked_ca_dir(&self, id: &str) -> Result<PathBuf, Error> {
        if self.state.ca(id).is_none() {
            return Err(Error::Refused(format!(
                "unknown CA '{}'",
                crate::text::name(id)
            )));
        }
        Ok(self.home.checked_ca_dir(id)?)
    }

    /// Whether `cas/<id>/ca.crt` on disk is the certificate the ledger records.
    pub fn ca_cert_file(&self, id: &str) -> CaCertFile {
        let Some(ca) = self.state.ca(id) else {
            return CaCertFile::Missing;
        };
        let Ok(path) = self.checked_ca_dir(id).map(|dir| dir.join("ca.crt")) else {
            return CaCertFile::Missing;
        };
        // A link, a file of someone else's or one writable by others is not ours.
        let bytes = match crate::home::read_private(&path, 1 << 20) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return CaCertFile::Missing,
            Err(_) => return CaCertFile::Differs,
        };
        if bytes == ca.certificate.pem().as_bytes() {
            CaCertFile::Matches
        } else {
            CaCertFile::Differs
        }
    }

    /// Decrypts a CA's key and pairs it with the certificate the ledger records for it.
    ///
    /// Before any passphrase is asked: entries no seal covers must have been accepted
    /// ([`Session::accept_unsealed`]), and `cas/<id>/ca.crt` must be the recorded
    /// certificate. After decrypting, the key must match that certificate. The plaintext
    /// key lives only inside this call; the returned signer is dropped by the caller as
    /// soon as its signing is done. The first unlock records the officer's acceptance.
    pub(crate) fn unlock(&mut self, ca_id: &str, unlock: &dyn Unlock) -> Result<Signer, Error> {
        // Nothing is signed under a shared lock: the act would write the ledger.
        self.home.require_writer()?;
        self.check_vouched()?;
        let key_path = self.key_path(ca_id)?;
        let ca = self
            .state
            .ca(ca_id)
            .ok_or_else(|| Error::Refused(format!("unknown CA '{}'", crate::text::name(ca_id))))?;
        let info = ca.certificate.info().clone();
        if ca.key_destroyed {
            return Err(Error::Refused(format!(
                "the key of CA '{}' was destroyed",
                info.common_name
            )));
        }
        if self.ca_cert_file(ca_id) != CaCertFile::Matches {
            return Err(Error::Refused(format!(
                "'{}' is not the certificate the ledger records for CA '{}' ({}): the file was replaced, changed or removed; nothing was unlocked",
                self.home.ca_dir(ca_id).join("ca.crt").display(),
                info.common_name,
                info.id
            )));
        }
        let sealed = crate::home::read_private(&key_path, 1 << 20)?.ok_or_else(|| {
            crate::home::HomeError::io(
                "read",
                &key_path,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            )
        })?;
        let passphrase = unlock.passphrase(&info)?;
        let key =
            crate::keystore::decrypt_with_passphrase(&sealed, &passphrase, &info.common_name)?;
        drop(passphrase);
        let ca = self
            .state
            .ca(ca_id)
            .ok_or_else(|| Error::Refused(format!("unknown CA '{}'", crate::text::name(ca_id))))?;
        let signer = Signer::new(&ca.certificate, &key)?;
        drop(key);
        self.record_acceptance()?;
        Ok(signer)
    }

    /// Refuses while entries no seal covers have not been accepted. Every act that writes
    /// certificates calls it first, even one that signs nothing new: handing back what
    /// the ledger "issued" trusts the ledger as much as signing does.
    pub(crate) fn check_vouched(&self) -> Result<(), Error> {
        if self.unsealed_count() > 0 && self.acceptance.is_none() {
            return Err(Error::Unsealed {
                count: self.unsealed_count(),
                entries: self
                    .unsealed
                    .iter()
                    .take(10)
                    .map(|entry| {
                        format!(
                            "line {} {} {}",
                            entry.seq,
                            crate::text::name(&entry.time),
                            crate::text::name(&entry.kind)
                        )
                    })
                    .collect(),
            });
        }
        Ok(())
    }

    fn record_acceptance(&mut self) -> Result<(), Error> {
        let Some((reason, recorded)) = &self.acceptance else {
            return Ok(());
        };
        if *recorded || self.unsealed.is_empty() {
            return Ok(());
        }
        let first_line = self.unsealed.first().map_or(0, |entry| entry.seq);
        let last_line = first_line + self.unsealed_count() - 1;
        let head = self.opened.unsealed_head.clone();
        let payload = serde_json::to_value(LedgerAccepted {
            first_line,
            last_line,
            head,
            reason: reason.clone(),
        })
        .map_err(|error| Error::Refused(error.to_string()))?;
        let time = self.state.last_time().unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let now = time.max(self.opened.opened_at);
        self.ledger
            .append(&mut self.state, now, KIND_LEDGER_ACCEPTED, payload)?;
        if let Some(acceptance) = &mut self.acceptance {
            acceptance.1 = true;
        }
        Ok(())
    }
}

/// Whether a CA's `ca.crt` on disk is the certificate the ledger records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaCertFile {
    /// Byte for byte what airlock wrote.
    Matches,
    /// Another certificate, other bytes, or not a regular file.
    Differs,
    /// Not there.
    Missing,
}

impl std::fmt::Display for CaCertFile {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Self::Matches => "matches the ledger",
            Self::Differs => "DIFFERS from the ledger",
            Self::Missing => "missing",
        })
    }
}

//! What officers do. Each operation takes a [`Session`] (an open, locked, verified home),
//! a [`Context`] (the clock and the random generator, handed in by the front end) and a
//! typed request, writes the ledger, and returns a typed report for the front end to show.
//!
//! Operations never print, prompt or read a terminal: a passphrase comes through
//! [`Unlock`], which the front end implements.

mod audit;
mod batch;
mod exports;
mod lifecycle;
mod revoke;
mod rotate;
mod setup;
mod status;

use std::path::Path;

use ring::rand::SecureRandom;
use time::OffsetDateTime;

pub use audit::{audit_show, audit_show_session, audit_verify, audit_verify_session};
pub use batch::{ReviewReport, SignReport, SignRequest, review, review_with_rbac, sign};
pub use exports::{IssueReport, IssueRequest, KubeconfigRequest, audit_policy, issue, kubeconfig};
pub use lifecycle::{
    CertRow, ListFilter, RenewCaReport, RenewReport, RenewRequest, Selection, list, renew, renew_ca,
};
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
use crate::ledger::{Ledger, OpenReport};
use crate::secret::Passphrase;
use crate::state::State;

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
}

impl Session {
    /// Opens the home at `root` (creating it if needed), takes its lock, verifies and
    /// replays the ledger. A torn last ledger line is repaired and recorded, stamped `now`.
    pub fn open(root: &Path, now: OffsetDateTime) -> Result<Self, Error> {
        Self::with_home(Home::open(root)?, now)
    }

    /// Like [`Session::open`], but refuses (creating nothing) when the home does not exist:
    /// every command but `init`, `import` and `demo` opens a home this way.
    pub fn open_existing(root: &Path, now: OffsetDateTime) -> Result<Self, Error> {
        Self::with_home(Home::open_existing(root)?, now)
    }

    fn with_home(home: Home, now: OffsetDateTime) -> Result<Self, Error> {
        let (ledger, state, opened) = Ledger::open(&home.ledger_path(), now)?;
        // Finish a CA folder move that a crash interrupted after its ledger commit.
        for ca in state.cas() {
            let id = &ca.certificate.info().id;
            let staging = setup::staging_dir(home.root(), id);
            let target = home.ca_dir(id);
            if staging.is_dir() && !target.exists() {
                std::fs::rename(&staging, &target)
                    .map_err(|source| crate::home::HomeError::io("rename", &target, source))?;
            }
        }
        Ok(Self {
            home,
            ledger,
            state,
            opened,
        })
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

    /// Decrypts the active CA's key and pairs it with its certificate. The plaintext key
    /// lives only inside this call; the returned signer is dropped by the caller as soon
    /// as its signing is done.
    pub(crate) fn unlock(&self, ca_id: &str, unlock: &dyn Unlock) -> Result<Signer, Error> {
        let ca = self
            .state
            .ca(ca_id)
            .ok_or_else(|| Error::Refused(format!("unknown CA '{}'", crate::text::name(ca_id))))?;
        let info = ca.certificate.info();
        let Some(key_file) = &ca.key_file else {
            return Err(Error::Refused(format!(
                "the key of CA '{}' was destroyed",
                info.common_name
            )));
        };
        let key_path = self.home.root().join(key_file);
        let sealed = std::fs::read(&key_path)
            .map_err(|source| crate::home::HomeError::io("read", &key_path, source))?;
        let passphrase = unlock.passphrase(info)?;
        let key =
            crate::keystore::decrypt_with_passphrase(&sealed, &passphrase, &info.common_name)?;
        drop(passphrase);
        Ok(Signer::new(&ca.certificate, &key)?)
    }
}

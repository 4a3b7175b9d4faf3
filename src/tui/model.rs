//! What the TUI shows about a home, copied out of an open [`Session`] so that views never
//! touch the home and tests can build a fixed model without one.
//!
//! It holds core report types as they are; escaping untrusted strings is the views' job.

use std::path::PathBuf;

use airlock::Error;
use airlock::ledger::{self, Entry};
use airlock::ops::{self, Session, StatusReport};
use airlock::secret::Hardening;
use airlock::state::{CaRole, CertIssued, Phase};
use time::OffsetDateTime;

/// A snapshot of a home for the screens.
#[derive(Debug, Clone)]
pub struct AppModel {
    /// The home folder.
    pub home: PathBuf,
    /// `ops::status` at load time.
    pub status: StatusReport,
    /// What process hardening achieved.
    pub hardening: Hardening,
    /// Every issued certificate, in issuance order.
    pub issued: Vec<CertIssued>,
    /// Every ledger entry, in order.
    pub entries: Vec<Entry>,
    /// The rotation phase.
    pub phase: Phase,
}

impl AppModel {
    /// Reads the model from an open session at `now`. The session holds the home's lock,
    /// so the ledger is read without one of its own.
    pub fn load(
        session: &Session,
        now: OffsetDateTime,
        hardening: Hardening,
    ) -> Result<Self, Error> {
        Ok(Self {
            home: session.home().root().to_path_buf(),
            status: ops::status(session, now),
            hardening,
            issued: session.state().issued().to_vec(),
            entries: ledger::read_entries(session.ledger().path())?,
            phase: session.state().phase(),
        })
    }

    /// Common name of the CA that signs new certificates, if any: the incoming one
    /// during a rotation, else the active one.
    pub fn active_ca(&self) -> Option<&str> {
        let with_role = |role| {
            self.status
                .cas
                .iter()
                .find(move |ca| ca.role == role)
                .map(|ca| ca.info.common_name.as_str())
        };
        with_role(CaRole::Incoming).or_else(|| with_role(CaRole::Active))
    }
}

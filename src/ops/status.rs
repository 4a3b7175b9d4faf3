//! `airlock status`: the CAs, the ledger and the certificates at a glance.

use std::path::PathBuf;

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::Session;
use crate::ca::CaInfo;
use crate::state::CaRole;

/// Days ahead that count as "expiring soon".
pub const EXPIRING_SOON_DAYS: i64 = 30;

/// One CA in the status.
#[derive(Debug, Clone, Serialize)]
pub struct CaStatus {
    /// Public facts.
    #[serde(flatten)]
    pub info: CaInfo,
    /// Role.
    pub role: CaRole,
    /// `generated` or `imported`.
    pub origin: String,
    /// Whole days until notAfter (negative once expired).
    pub days_left: i64,
    /// Whether `cas/<id>/ca.crt` is the certificate the ledger records.
    pub cert_file: super::CaCertFile,
    /// Its key was destroyed.
    pub key_destroyed: bool,
}

/// The ledger in the status.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerStatus {
    /// Number of entries.
    pub entries: u64,
    /// Hash of the last entry.
    pub head: String,
    /// Number of seals (all verified on open).
    pub seals: u64,
    /// Line of the last seal.
    pub last_seal_line: Option<u64>,
    /// Entries after the last seal.
    pub unsealed_entries: u64,
    /// Bytes of a torn last line cut when the home was opened, if any.
    pub repaired_bytes: Option<usize>,
    /// Entries after the last seal that another process wrote and no officer accepted
    /// in this session: acts that unlock a key are refused until they are.
    pub unvouched_entries: u64,
    /// The first CA's certificate fingerprint: compare it, and `head`, with the record
    /// kept outside the home.
    pub anchor: Option<String>,
}

/// `airlock status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// The home.
    pub home: PathBuf,
    /// CAs, oldest first.
    pub cas: Vec<CaStatus>,
    /// The ledger.
    pub ledger: LedgerStatus,
    /// Certificates issued.
    pub issued: usize,
    /// Issued and not yet expired.
    pub unexpired: usize,
    /// Unexpired, ending within [`EXPIRING_SOON_DAYS`].
    pub expiring_soon: usize,
    /// Revoked.
    pub revoked: usize,
    /// The rotation phase.
    pub phase: crate::state::Phase,
    /// How `airlock.toml` differs from the policy in force, if it does.
    pub policy_drift: Option<super::PolicyDrift>,
    /// Digest of the policy in force.
    pub policy_digest: Option<String>,
}

/// Summarizes the home at `now`.
pub fn status(session: &Session, now: OffsetDateTime) -> StatusReport {
    let state = session.state();
    let cas = state
        .cas()
        .iter()
        .map(|ca| CaStatus {
            info: ca.certificate.info().clone(),
            role: ca.role,
            origin: ca.origin.clone(),
            days_left: (ca.certificate.info().not_after - now).whole_days(),
            cert_file: session.ca_cert_file(&ca.certificate.info().id),
            key_destroyed: ca.key_destroyed,
        })
        .collect();
    let soon = now + Duration::days(EXPIRING_SOON_DAYS);
    let unexpired: Vec<_> = state
        .issued()
        .iter()
        .filter(|cert| cert.not_after_time() > now)
        .collect();
    let ledger = session.ledger();
    StatusReport {
        home: session.home().root().to_path_buf(),
        cas,
        ledger: LedgerStatus {
            entries: ledger.len(),
            head: ledger.head().to_owned(),
            seals: state.seal_count,
            last_seal_line: state.last_seal_line,
            unsealed_entries: ledger.len() - state.last_seal_line.unwrap_or(0),
            repaired_bytes: session.opened().repaired_bytes,
            anchor: state.anchor().map(str::to_owned),
            unvouched_entries: if session.unsealed_accepted() {
                0
            } else {
                session.unsealed_count()
            },
        },
        issued: state.issued().len(),
        unexpired: unexpired.len(),
        expiring_soon: unexpired
            .iter()
            .filter(|cert| cert.not_after_time() <= soon)
            .count(),
        revoked: state.revocations().count(),
        phase: state.phase(),
        policy_drift: session.policy_drift(),
        policy_digest: session.policy().ok().map(|policy| policy.digest()),
    }
}

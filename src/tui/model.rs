//! What the TUI shows about a home, copied out of an open [`Session`] so that views never
//! touch the home and tests can build a fixed model without one.
//!
//! It holds core report types as they are; escaping untrusted strings is the views' job.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use airlock::Error;
use airlock::ledger::Entry;
use airlock::ops::{self, CaStatus, ListFilter, RotationStatus, Session, StatusReport};
use airlock::secret::Hardening;
use airlock::state::{CaRole, CertIssued, CertRevoked, Phase};
use time::OffsetDateTime;

/// Largest bundle file read to compare it with the trusted CAs.
const MAX_BUNDLE_BYTES: u64 = 1 << 20;

/// An issued certificate and where it stands.
#[derive(Debug, Clone)]
pub struct Cert {
    /// What the ledger recorded at issuance.
    pub issued: CertIssued,
    /// `active`, `expired`, `revoked` or `untrusted`, as `ops::list` computes it.
    pub state: &'static str,
    /// The revocation, if revoked.
    pub revoked: Option<CertRevoked>,
}

/// The newest client-CA bundle a rotation step wrote into `bundles/` in the home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Where it is.
    pub path: PathBuf,
    /// Whether it holds exactly the CAs trusted now (false after a CA renewal, say).
    pub current: bool,
}

/// A snapshot of a home for the screens.
#[derive(Debug, Clone)]
pub struct AppModel {
    /// The home folder.
    pub home: PathBuf,
    /// `ops::status` at load time (the rotation phase, the counts).
    pub status: StatusReport,
    /// What process hardening achieved.
    pub hardening: Hardening,
    /// Every issued certificate, in issuance order.
    pub certs: Vec<Cert>,
    /// Every ledger entry, in order.
    pub entries: Vec<Entry>,
    /// `ops::rotation_status` at load time.
    pub rotation: RotationStatus,
    /// The newest bundle in `bundles/`, if any.
    pub bundle: Option<BundleFile>,
}

impl AppModel {
    /// Reads the model from an open session at `now`. The session holds the home's lock,
    /// so the ledger is read through it.
    pub fn load(
        session: &Session,
        now: OffsetDateTime,
        hardening: Hardening,
    ) -> Result<Self, Error> {
        let states: HashMap<String, &'static str> = ops::list(session, &ListFilter::default(), now)
            .into_iter()
            .map(|row| (row.serial, row.state))
            .collect();
        let certs = session
            .state()
            .issued()
            .iter()
            .map(|issued| Cert {
                state: states.get(&issued.serial).copied().unwrap_or("active"),
                revoked: session.state().revocation(&issued.serial).cloned(),
                issued: issued.clone(),
            })
            .collect();
        let trusted = airlock::rotation::bundle_pem(&session.state().trusted_cas(), false);
        Ok(Self {
            home: session.home().root().to_path_buf(),
            status: ops::status(session, now),
            hardening,
            certs,
            entries: ops::audit_show_session(session)?,
            rotation: ops::rotation_status(session, now),
            bundle: newest_bundle(&session.home().root().join("bundles"), &trusted),
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

    /// The CA with this id.
    pub fn ca(&self, id: &str) -> Option<&CaStatus> {
        self.status.cas.iter().find(|ca| ca.info.id == id)
    }

    /// The CA that signs new certificates: the incoming one during a rotation, else the
    /// active one.
    pub fn signing_ca(&self) -> Option<&CaStatus> {
        let with_role = |role| self.status.cas.iter().find(move |ca| ca.role == role);
        with_role(CaRole::Incoming).or_else(|| with_role(CaRole::Active))
    }

    /// A CA as prompts name it, by role, name and the start of its id, as the CLI does:
    /// `the incoming CA 'kubernetes' (e72c0a1b…)`; the active CA of a rotation is the
    /// retiring one. Inert.
    pub fn ca_named(&self, id: &str) -> String {
        let Some(ca) = self.ca(id) else {
            return format!("CA {}", short_id(id));
        };
        let role = match ca.role {
            CaRole::Active if self.rotation.phase != Phase::Stable => "retiring",
            CaRole::Active => "active",
            CaRole::Incoming => "incoming",
            CaRole::Superseded => "superseded",
            CaRole::Retired => "retired",
        };
        format!(
            "the {role} CA '{}' ({})",
            crate::tui::text::fit(&ca.info.common_name, 32),
            short_id(id)
        )
    }

    /// The certificate with this serial.
    #[cfg(test)]
    pub fn cert(&self, serial: &str) -> Option<&Cert> {
        self.certs.iter().find(|cert| cert.issued.serial == serial)
    }
}

/// The first 8 characters of an id and an ellipsis (inert).
pub fn short_id(id: &str) -> String {
    let id = crate::tui::text::shown(id);
    match id.get(..8) {
        Some(prefix) if id.len() > 8 => format!("{prefix}…"),
        _ => id,
    }
}

/// The last bundle by name (names start with the ledger length, zero-padded) and
/// whether its bytes are the bundle of the CAs trusted now.
fn newest_bundle(folder: &Path, trusted: &str) -> Option<BundleFile> {
    let mut names: Vec<_> = std::fs::read_dir(folder)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.file_name())
        .filter(|name| name.to_string_lossy().ends_with("-client-ca-bundle.crt"))
        .collect();
    names.sort();
    let path = folder.join(names.pop()?);
    let current = std::fs::symlink_metadata(&path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.len() <= MAX_BUNDLE_BYTES)
        && std::fs::read(&path).is_ok_and(|bytes| bytes == trusted.as_bytes());
    Some(BundleFile { path, current })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_bundle_is_found_and_compared() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(newest_bundle(&dir.path().join("none"), "x"), None);
        for (name, bytes) in [
            ("000004-overlap-client-ca-bundle.crt", "old"),
            ("000009-reissued-client-ca-bundle.crt", "new"),
            ("notes.txt", "not a bundle"),
        ] {
            airlock::home::write_new(&dir.path().join(name), bytes.as_bytes()).expect("write");
        }
        let found = newest_bundle(dir.path(), "new").expect("a bundle");
        assert!(found.path.ends_with("000009-reissued-client-ca-bundle.crt"));
        assert!(found.current);
        assert!(
            !newest_bundle(dir.path(), "other")
                .expect("a bundle")
                .current
        );
    }
}

//! What the TUI shows about a home, copied out of an open [`Session`] so that views never
//! touch the home and tests can build a fixed model without one.
//!
//! It holds core report types as they are; escaping untrusted strings is the views' job.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use airlock::Error;
use airlock::ledger::Entry;
use airlock::ops::{self, ListFilter, RotationStatus, Session, StatusReport};
use airlock::secret::Hardening;
use airlock::state::{CaRole, CertIssued, CertRevoked};
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

    /// The certificate with this serial.
    #[cfg(test)]
    pub fn cert(&self, serial: &str) -> Option<&Cert> {
        self.certs.iter().find(|cert| cert.issued.serial == serial)
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

//! Bringing a CA into a home: `init` (a new CA) and `import` (a kubeadm CA).

use std::path::PathBuf;

use serde::Serialize;

use super::{Context, Session};
use crate::Error;
use crate::ca::{self, CaCertificate, CaInfo, ImportInput, NewCa, Signer};
use crate::home::{create_private_dir, write_new};
use crate::secret::{CaKey, Passphrase};
use crate::state::{CaAdded, KIND_CA_CREATED, KIND_CA_IMPORTED};

/// `airlock init`.
#[derive(Debug, Clone)]
pub struct InitRequest {
    /// The CA to create.
    pub ca: NewCa,
    /// scrypt work factor for the key's encryption.
    pub work_factor: u8,
}

/// `airlock import`.
pub struct ImportRequest<'a> {
    /// The certificate file.
    pub cert: ImportInput<'a>,
    /// The private key file.
    pub key: ImportInput<'a>,
    /// scrypt work factor for the key's encryption.
    pub work_factor: u8,
}

/// What `init` and `import` did.
#[derive(Debug, Clone, Serialize)]
pub struct CaReport {
    /// The CA.
    pub ca: CaInfo,
    /// The home.
    pub home: PathBuf,
    /// The public certificate in the home.
    pub cert_file: PathBuf,
    /// The encrypted key in the home.
    pub key_file: PathBuf,
    /// Ledger entries after the operation.
    pub ledger_entries: u64,
}

/// Creates a new self-signed CA in an empty home, its key encrypted under `passphrase`.
pub fn init(
    session: &mut Session,
    request: &InitRequest,
    passphrase: &Passphrase,
    context: &Context<'_>,
) -> Result<CaReport, Error> {
    refuse_if_initialized(session)?;
    let (cert, key) = ca::generate(&request.ca, context.now, context.rng)?;
    store(
        session,
        &cert,
        &key,
        passphrase,
        request.work_factor,
        KIND_CA_CREATED,
        context,
    )
}

/// Imports an existing CA into an empty home; its key is encrypted under `passphrase`.
/// airlock does not delete the plaintext key it read.
pub fn import(
    session: &mut Session,
    request: &ImportRequest<'_>,
    passphrase: &Passphrase,
    context: &Context<'_>,
) -> Result<CaReport, Error> {
    refuse_if_initialized(session)?;
    let (cert, key) = ca::import(&request.cert, &request.key, context.now)?;
    store(
        session,
        &cert,
        &key,
        passphrase,
        request.work_factor,
        KIND_CA_IMPORTED,
        context,
    )
}

fn refuse_if_initialized(session: &Session) -> Result<(), Error> {
    if let Some(existing) = session.state.cas().first() {
        return Err(Error::Refused(format!(
            "CA home '{}' already has CA '{}' ({}); a home holds one CA lineage",
            session.home.root().display(),
            existing.certificate.info().common_name,
            existing.certificate.info().id
        )));
    }
    Ok(())
}

/// Encrypts `key` and writes `cas/<id>/ca.key.age` and `ca.crt`; returns the ledger
/// payload describing them.
pub(crate) fn write_ca_files(
    session: &Session,
    cert: &CaCertificate,
    key: &CaKey,
    passphrase: &Passphrase,
    work_factor: u8,
) -> Result<(CaAdded, StagedCa), Error> {
    let sealed = crate::keystore::encrypt_with_passphrase(key, passphrase, work_factor)?;
    let info = cert.info();
    let staged = StagedCa::create(session, &info.id)?;
    staged.write("ca.key.age", &sealed)?;
    staged.write("ca.crt", cert.pem().as_bytes())?;
    let added = CaAdded {
        ca: info.id.clone(),
        cert: cert.pem(),
        key_file: format!("cas/{}/ca.key.age", info.id),
        fingerprint: info.fingerprint.clone(),
        protection: format!("age-scrypt (work factor {work_factor})"),
    };
    Ok((added, staged))
}

/// A CA folder written under `cas/.<id>.staging/` and moved to `cas/<id>/` only after
/// the ledger entry that names it is committed: an operation that fails before the
/// commit leaves no CA files behind (the staging folder is removed on drop), and one
/// interrupted between the commit and the move is finished by [`Session::open`].
pub(crate) struct StagedCa {
    staging: PathBuf,
    target: PathBuf,
    placed: bool,
}

impl StagedCa {
    /// Starts a staging folder for CA `id`, clearing one an interrupted attempt left.
    pub(crate) fn create(session: &Session, id: &str) -> Result<Self, Error> {
        let target = session.home.ca_dir(id);
        if target.exists() {
            return Err(crate::home::HomeError::Exists { path: target }.into());
        }
        let staging = staging_dir(session.home.root(), id);
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .map_err(|source| crate::home::HomeError::io("remove", &staging, source))?;
        }
        create_private_dir(&staging)?;
        Ok(Self {
            staging,
            target,
            placed: false,
        })
    }

    /// Writes one file into the staging folder.
    pub(crate) fn write(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        Ok(write_new(&self.staging.join(name), bytes)?)
    }

    /// The final folder.
    pub(crate) fn target(&self) -> &std::path::Path {
        &self.target
    }

    /// Moves the folder into place. Call after the ledger commit.
    pub(crate) fn place(mut self) -> Result<PathBuf, Error> {
        std::fs::rename(&self.staging, &self.target)
            .map_err(|source| crate::home::HomeError::io("rename", &self.target, source))?;
        self.placed = true;
        if let Some(parent) = self.target.parent() {
            crate::home::sync_dir(parent)?;
        }
        Ok(self.target.clone())
    }
}

impl Drop for StagedCa {
    fn drop(&mut self) {
        if !self.placed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// `cas/.<id>.staging`.
pub(crate) fn staging_dir(root: &std::path::Path, id: &str) -> PathBuf {
    root.join("cas").join(format!(".{id}.staging"))
}

/// Encrypts the key, writes `cas/<id>/`, then the ledger entry and a seal.
fn store(
    session: &mut Session,
    cert: &CaCertificate,
    key: &CaKey,
    passphrase: &Passphrase,
    work_factor: u8,
    kind: &str,
    context: &Context<'_>,
) -> Result<CaReport, Error> {
    let signer = Signer::new(cert, key)?;
    let info = cert.info().clone();
    let (payload, staged) = write_ca_files(session, cert, key, passphrase, work_factor)?;
    session.home.write_default_policy()?;
    // The policy the officer starts with is recorded: later edits of airlock.toml take
    // effect only when accepted with the key.
    let policy = session.home.policy()?;
    let payload =
        serde_json::to_value(payload).map_err(|error| Error::Refused(error.to_string()))?;
    session
        .ledger
        .append(&mut session.state, context.now, kind, payload)?;
    session.record_policy(&policy, context)?;
    session
        .ledger
        .seal(&mut session.state, context.now, &signer)?;
    drop(signer);
    session.ledger.commit()?;
    let folder = staged.place()?;
    let cert_file = folder.join("ca.crt");
    let key_file = folder.join("ca.key.age");
    Ok(CaReport {
        ca: info,
        home: session.home.root().to_path_buf(),
        cert_file,
        key_file,
        ledger_entries: session.ledger.len(),
    })
}

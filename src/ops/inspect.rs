//! `airlock inspect FILE`: one CSR or certificate, shown as the review shows it.
//!
//! The file is untrusted input, read as one intake entry is (no symbolic link, a regular
//! file with one link, within the size bound). A CSR is judged exactly as `review` would
//! judge it, under the policy in force; a certificate is described (user, groups, key,
//! serial, credential id) and set against what the home knows of it. Reads only: nothing
//! here writes to the home or the file. Every string from the file is made inert.

use std::path::{Path, PathBuf};

use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_ORGANIZATION_NAME};
use x509_parser::prelude::FromDer as _;

use super::{ReviewReport, Session};
use crate::Error;
use crate::intake::IntakeFolder;
use crate::pubkey::KeyKind;

/// What one file holds.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Inspection {
    /// CSRs (a file may hold several: PEM blocks, a `kind: List`), each with the verdict
    /// the review gives it under the policy in force.
    Csr(ReviewReport),
    /// Certificates (a PEM file may hold several).
    Certificates {
        /// The file, as given.
        input: PathBuf,
        /// Each certificate, in file order.
        certificates: Vec<CertificateView>,
    },
}

/// One certificate as airlock describes it. Strings from the certificate are inert.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateView {
    /// User (first CN), inert.
    pub user: Option<String>,
    /// Groups (O values), inert, in order.
    pub groups: Vec<String>,
    /// The issuer's distinguished name, inert.
    pub issuer: String,
    /// Serial, hex, as openssl prints it.
    pub serial: String,
    /// Key kind.
    pub key: KeyKind,
    /// SHA-256 of the `SubjectPublicKeyInfo`, hex.
    pub key_sha256: String,
    /// SHA-256 of the certificate DER, hex.
    pub sha256: String,
    /// Kubernetes audit credential id: `X509SHA256=<sha256>`.
    pub credential_id: String,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Whether it has expired at the time of inspection.
    pub expired: bool,
    /// The id of the home's CA whose key signed it, if one did (checked, not read
    /// from the issuer name).
    pub signed_by: Option<String>,
    /// Whether the ledger records issuing this very certificate.
    pub in_ledger: bool,
    /// The revocation the ledger records for its serial, `CODE: text`, inert.
    pub revoked: Option<String>,
}

/// Inspects the file at `path`: certificates are described, anything else is reviewed
/// as a one-file intake (CSRs, CSR objects; what is neither gets the review's reason).
/// A folder is refused: that is what `review` is for.
pub fn inspect(session: &Session, path: &Path, now: OffsetDateTime) -> Result<Inspection, Error> {
    let intake = IntakeFolder::open(path)?;
    let shown = crate::text::name(&path.to_string_lossy());
    if !intake.is_single_file() {
        return Err(Error::Refused(format!(
            "'{shown}' is a folder: inspect takes one file (review takes a folder)"
        )));
    }
    let names = intake.names()?;
    let Some(name) = names.first() else {
        return Err(Error::Refused(format!("'{shown}' names no file")));
    };
    let bytes = intake
        .read(name)
        .map_err(|error| Error::Refused(format!("cannot inspect '{shown}': {error}")))?;
    if let Some(ders) = certificate_ders(&bytes) {
        let certificates = ders
            .iter()
            .map(|der| describe(session, der, now))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|reason| Error::Refused(format!("cannot inspect '{shown}': {reason}")))?;
        return Ok(Inspection::Certificates {
            input: path.to_path_buf(),
            certificates,
        });
    }
    Ok(Inspection::Csr(super::review(session, path, None, now)?))
}

/// The DER of each certificate in `bytes`, when the file holds certificates: PEM blocks
/// labelled `CERTIFICATE`, or one DER certificate. `None` for anything else.
fn certificate_ders(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    if let Ok(blocks) = pem::parse_many(bytes)
        && !blocks.is_empty()
    {
        return blocks
            .iter()
            .all(|block| block.tag() == "CERTIFICATE")
            .then(|| blocks.into_iter().map(pem::Pem::into_contents).collect());
    }
    match X509Certificate::from_der(bytes) {
        Ok(([], _)) => Some(vec![bytes.to_vec()]),
        _ => None,
    }
}

/// One certificate, set against the home's CAs and ledger.
fn describe(session: &Session, der: &[u8], now: OffsetDateTime) -> Result<CertificateView, String> {
    let (rest, cert) = X509Certificate::from_der(der)
        .map_err(|_| "a CERTIFICATE block is not a readable X.509 certificate".to_owned())?;
    if !rest.is_empty() {
        return Err("trailing bytes after a certificate".to_owned());
    }
    let mut user = None;
    let mut groups = Vec::new();
    for attribute in cert.subject().iter_attributes() {
        let Ok(value) = attribute.as_str() else {
            continue;
        };
        if *attribute.attr_type() == OID_X509_COMMON_NAME && user.is_none() {
            user = Some(crate::text::name(value));
        } else if *attribute.attr_type() == OID_X509_ORGANIZATION_NAME {
            groups.push(crate::text::name(value));
        }
    }
    let serial = crate::ca::serial_hex(cert.raw_serial());
    let sha256 = crate::hex::sha256(der);
    let state = session.state();
    let signed_by = state
        .cas()
        .iter()
        .find(|ca| {
            cert.verify_signature(Some(ca.certificate.parsed().public_key()))
                .is_ok()
        })
        .map(|ca| ca.certificate.info().id.clone());
    let issued = state.certificate(&serial);
    let in_ledger = issued
        .is_some_and(|issued| pem::parse(&issued.cert).is_ok_and(|block| block.contents() == der));
    let revoked = state.revocation(&serial).map(|revoked| {
        let why = match &revoked.code {
            Some(code) => format!("{code}: {}", revoked.reason),
            None => revoked.reason.clone(),
        };
        crate::text::name(&why)
    });
    let not_after = cert.validity().not_after.to_datetime();
    Ok(CertificateView {
        user,
        groups,
        issuer: crate::text::inert(&cert.issuer().to_string(), 200),
        serial,
        key: KeyKind::of(cert.public_key()),
        key_sha256: crate::pubkey::fingerprint(cert.public_key().raw),
        credential_id: format!("X509SHA256={sha256}"),
        sha256,
        not_before: cert.validity().not_before.to_datetime(),
        not_after,
        expired: not_after <= now,
        signed_by,
        in_ledger,
        revoked,
    })
}

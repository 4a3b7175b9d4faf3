//! State: what the ledger says is true, rebuilt by replaying it.
//!
//! CAs, issued certificates and seals. Every change of state is a ledger entry; this
//! module only interprets entries (`State::apply`) and answers questions about the
//! result. It never writes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ca::CaCertificate;
use crate::ledger::{Entry, KIND_REPAIRED, KIND_SEALED};

/// Kind of the entry recording a newly generated CA.
pub const KIND_CA_CREATED: &str = "ca.created";
/// Kind of the entry recording an imported CA.
pub const KIND_CA_IMPORTED: &str = "ca.imported";
/// Kind of the entry recording one issued certificate.
pub const KIND_CERT_ISSUED: &str = "cert.issued";
/// Kind of the entry summarizing a signed batch.
pub const KIND_BATCH_SIGNED: &str = "batch.signed";

/// What a CA is for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaRole {
    /// Signs new certificates.
    Active,
    /// No longer signs; kept for the record.
    Retired,
}

/// A CA as the ledger knows it.
#[derive(Debug, Clone)]
pub struct CaRecord {
    /// The certificate.
    pub certificate: CaCertificate,
    /// Current role.
    pub role: CaRole,
    /// `generated` or `imported`.
    pub origin: String,
}

/// Payload of `ca.created` and `ca.imported`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaAdded {
    /// CA id.
    pub ca: String,
    /// PEM certificate.
    pub cert: String,
    /// Where the encrypted key lives, relative to the home.
    pub key_file: String,
    /// SHA-256 fingerprint of the certificate.
    pub fingerprint: String,
    /// How the key is protected, e.g. `age-scrypt (work factor 18)`.
    pub protection: String,
}

/// Payload of `cert.issued`: everything needed to answer for the certificate later.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CertIssued {
    /// Issuing CA id.
    pub ca: String,
    /// Serial, hex.
    pub serial: String,
    /// Subject CN (the Kubernetes user).
    pub user: String,
    /// Subject O values in order (the Kubernetes groups).
    pub groups: Vec<String>,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Policy profile applied.
    pub profile: String,
    /// SHA-256 of the CSR DER (the idempotency key).
    pub csr_sha256: String,
    /// SHA-256 of the subject public key info.
    pub key_sha256: String,
    /// The input the CSR came from.
    pub input: String,
    /// Output file stem.
    pub output: String,
    /// Batch digest.
    pub batch: String,
    /// The whole certificate, PEM.
    pub cert: String,
}

impl CertIssued {
    /// End of validity as a time (the Unix epoch if the ledger holds a bad string, which
    /// replay refuses, so it does not happen for a verified ledger).
    pub fn not_after_time(&self) -> OffsetDateTime {
        parse_time(&self.not_after).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Kubernetes audit credential id: `X509SHA256=<hex of the certificate DER's SHA-256>`.
    pub fn credential_id(&self) -> String {
        let der = pem::parse(&self.cert)
            .map(pem::Pem::into_contents)
            .unwrap_or_default();
        format!("X509SHA256={}", crate::hex::sha256(&der))
    }
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// The replayed state of a home.
#[derive(Debug, Default)]
pub struct State {
    cas: Vec<CaRecord>,
    issued: Vec<CertIssued>,
    by_csr: HashMap<(String, String), usize>,
    serials: HashMap<String, usize>,
    /// Number of seals.
    pub seal_count: u64,
    /// Line of the last seal.
    pub last_seal_line: Option<u64>,
    /// Number of entries applied.
    pub entries: u64,
}

impl State {
    /// Applies one entry. Returns a reason when the entry contradicts the state.
    pub fn apply(&mut self, entry: &Entry) -> Result<(), String> {
        self.entries = entry.seq;
        match entry.kind.as_str() {
            KIND_CA_CREATED | KIND_CA_IMPORTED => {
                let added: CaAdded = payload(entry)?;
                let der =
                    pem::parse(&added.cert).map_err(|error| format!("CA certificate: {error}"))?;
                let certificate = CaCertificate::from_der(der.into_contents(), "ledger")
                    .map_err(|error| error.to_string())?;
                if certificate.info().id != added.ca {
                    return Err(format!(
                        "CA id '{}' does not match its certificate",
                        crate::text::name(&added.ca)
                    ));
                }
                if self.ca(&added.ca).is_some() {
                    return Err(format!("CA '{}' is added twice", added.ca));
                }
                if self.active_ca().is_some() {
                    return Err("a second active CA without a rotation".to_owned());
                }
                let origin = if entry.kind == KIND_CA_CREATED {
                    "generated"
                } else {
                    "imported"
                };
                self.cas.push(CaRecord {
                    certificate,
                    role: CaRole::Active,
                    origin: origin.to_owned(),
                });
            }
            KIND_CERT_ISSUED => {
                let issued: CertIssued = payload(entry)?;
                if self.ca(&issued.ca).is_none() {
                    return Err(format!(
                        "certificate issued by unknown CA '{}'",
                        crate::text::name(&issued.ca)
                    ));
                }
                if parse_time(&issued.not_after).is_none()
                    || parse_time(&issued.not_before).is_none()
                {
                    return Err("certificate validity is not RFC 3339".to_owned());
                }
                if self.serials.contains_key(&issued.serial) {
                    return Err(format!(
                        "serial '{}' is issued twice",
                        crate::text::name(&issued.serial)
                    ));
                }
                let index = self.issued.len();
                self.serials.insert(issued.serial.clone(), index);
                self.by_csr
                    .insert((issued.ca.clone(), issued.csr_sha256.clone()), index);
                self.issued.push(issued);
            }
            KIND_SEALED => {
                self.seal_count += 1;
                self.last_seal_line = Some(entry.seq);
            }
            KIND_REPAIRED | KIND_BATCH_SIGNED => {}
            other => return Err(format!("unknown entry kind '{}'", crate::text::name(other))),
        }
        Ok(())
    }

    /// All CAs, oldest first.
    pub fn cas(&self) -> &[CaRecord] {
        &self.cas
    }

    /// The CA with this id.
    pub fn ca(&self, id: &str) -> Option<&CaRecord> {
        self.cas.iter().find(|ca| ca.certificate.info().id == id)
    }

    /// The CA that signs new certificates.
    pub fn active_ca(&self) -> Option<&CaRecord> {
        self.cas.iter().find(|ca| ca.role == CaRole::Active)
    }

    /// Every issued certificate, in issuance order.
    pub fn issued(&self) -> &[CertIssued] {
        &self.issued
    }

    /// The certificate a CA already issued for this CSR (by the CSR's SHA-256).
    pub fn issued_for_csr(&self, ca: &str, csr_sha256: &str) -> Option<&CertIssued> {
        self.by_csr
            .get(&(ca.to_owned(), csr_sha256.to_owned()))
            .and_then(|index| self.issued.get(*index))
    }

    /// Unexpired certificates holding this public key (by SPKI SHA-256).
    pub fn unexpired_for_key(&self, key_sha256: &str, now: OffsetDateTime) -> Vec<&CertIssued> {
        self.issued
            .iter()
            .filter(|issued| issued.key_sha256 == key_sha256 && issued.not_after_time() > now)
            .collect()
    }
}

fn payload<T: serde::de::DeserializeOwned>(entry: &Entry) -> Result<T, String> {
    serde_json::from_value(entry.payload.clone())
        .map_err(|error| format!("'{}' payload is malformed: {error}", entry.kind))
}

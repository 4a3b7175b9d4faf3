//! What leaves the air-gapped host besides certificates: the Kubernetes
//! `CertificateSigningRequest` object with its certificate, the batch report and the
//! checksum file.
//!
//! Builds bytes only; the ops layer writes them (never overwriting).

pub mod kube;
pub mod revocation;

use base64::Engine as _;
use serde::Serialize;

use crate::intake::{KUBE_APISERVER_CLIENT, ObjectFields};

/// Why an export cannot be made as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// A kubeconfig's `certificate-authority-data` must hold the CA that signed the API
    /// server's serving certificate. airlock's own bundle is that CA only when the cluster
    /// CA itself was imported (kubeadm signs the serving certificate with it); a CA made
    /// here signed no API server, so the caller must give the serving CA.
    #[error(
        "the CA of this home ('{ca}', {origin}) did not come from kubeadm, so it did not sign the API server's serving certificate: the kubeconfig needs the API server's CA"
    )]
    ClusterCaNeeded {
        /// The signing CA's common name (made inert).
        ca: String,
        /// Where that CA came from (`generated`, `renewed` ...), as the ledger says.
        origin: String,
    },
}

/// One issued entry of `report.json`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReportIssued {
    /// Where the CSR came from.
    pub input: String,
    /// Serial, hex.
    pub serial: String,
    /// User (CN).
    pub user: String,
    /// Groups (O values).
    pub groups: Vec<String>,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Certificate file name in OUT.
    pub cert: String,
    /// For an input identical to an earlier one of the batch (the same CSR bytes): that
    /// first input, whose certificate this is. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
}

/// One rejected entry of `report.json`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReportRejected {
    /// Where it came from.
    pub input: String,
    /// Why it was not signed.
    pub reasons: Vec<String>,
}

/// `report.json`. Deterministic for a given batch and ledger, so a re-run into the same
/// OUT reproduces it byte for byte.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Signed (now or in an earlier run).
    pub issued: Vec<ReportIssued>,
    /// Refused by the policy.
    pub rejected: Vec<ReportRejected>,
    /// Accepted by the policy but not approved by the officer (only when the officer
    /// approved item by item); absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<ReportRejected>,
}

impl Report {
    /// Pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// `SHA256SUMS` in the format `sha256sum -c` reads: `<hex>  <name>` per line.
pub fn sha256sums(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut lines = String::new();
    for (name, bytes) in files {
        lines.push_str(&crate::hex::sha256(bytes));
        lines.push_str("  ");
        lines.push_str(name);
        lines.push('\n');
    }
    lines.into_bytes()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CsrObject<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata<'a>,
    spec: Spec<'a>,
    status: Status,
}

#[derive(Serialize)]
struct Metadata<'a> {
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spec<'a> {
    request: String,
    signer_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_seconds: Option<i64>,
    usages: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Condition {
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    reason: &'static str,
    message: String,
    last_update_time: String,
}

#[derive(Serialize)]
struct Status {
    conditions: Vec<Condition>,
    certificate: String,
}

/// The `CertificateSigningRequest` object as it came in, with an `Approved` condition and
/// `status.certificate` (base64 of the PEM certificate), as YAML.
///
/// Kubernetes garbage-collects such objects an hour after issuance: it is a record and a
/// convenience, not the place the certificate lives.
pub fn csr_object_yaml(
    object: &ObjectFields,
    csr_pem: &str,
    cert_pem: &str,
    message: String,
    time: String,
) -> Result<Vec<u8>, String> {
    let base64 = base64::engine::general_purpose::STANDARD;
    let document = CsrObject {
        api_version: "certificates.k8s.io/v1",
        kind: "CertificateSigningRequest",
        metadata: Metadata { name: &object.name },
        spec: Spec {
            request: base64.encode(csr_pem),
            signer_name: KUBE_APISERVER_CLIENT,
            expiration_seconds: object.expiration_seconds,
            usages: &object.usages,
            username: object.username.as_deref(),
        },
        status: Status {
            conditions: vec![Condition {
                kind: "Approved",
                status: "True",
                reason: "AirlockApproved",
                message,
                last_update_time: time,
            }],
            certificate: base64.encode(cert_pem),
        },
    };
    serde_saphyr::to_string(&document)
        .map(String::into_bytes)
        .map_err(|error| error.to_string())
}

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
/// A rotation began: a new CA joins as incoming.
pub const KIND_ROTATION_BEGUN: &str = "rotation.begun";
/// Every active certificate of the old CA has a twin from the new one.
pub const KIND_ROTATION_REISSUED: &str = "rotation.reissued";
/// The rotation finished: the new CA is active, the old one retired.
pub const KIND_ROTATION_FINISHED: &str = "rotation.finished";
/// The rotation was aborted: the incoming CA is retired.
pub const KIND_ROTATION_ABORTED: &str = "rotation.aborted";
/// The CA was renewed: same key and subject, new validity.
pub const KIND_CA_RENEWED: &str = "ca.renewed";
/// A certificate was revoked.
pub const KIND_CERT_REVOKED: &str = "cert.revoked";
/// A CRL was signed.
pub const KIND_CRL_ISSUED: &str = "crl.issued";
/// A summary of a renewal or reissue run, or of an export (no state change).
pub const KIND_NOTE: &str = "note";
/// The policy in force: its canonical form and digest (at init, and on every accepted
/// change of `airlock.toml`).
pub const KIND_POLICY_CHANGED: &str = "policy.changed";
/// An officer accepted entries that no seal covered (written by another process, or
/// planted), after seeing them, with a reason.
pub const KIND_LEDGER_ACCEPTED: &str = "ledger.accepted";
/// The key files of CAs whose destruction `rotation.finished` recorded are gone.
pub const KIND_KEY_DESTROYED: &str = "key.destroyed";

/// What `ca.introduction` signatures sign: this context, then the lower-case hex SHA-256
/// of the new CA certificate's DER. Only the holder of the active CA's key can bring a
/// new CA into the ledger.
const INTRODUCTION_CONTEXT: &[u8] = b"airlock ca introduction v1\n";

/// The message the active CA signs to introduce the CA with this certificate fingerprint.
pub fn introduction_message(fingerprint: &str) -> Vec<u8> {
    let mut message = INTRODUCTION_CONTEXT.to_vec();
    message.extend_from_slice(fingerprint.as_bytes());
    message
}

/// What a CA is for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaRole {
    /// The trusted CA (the old one during a rotation).
    Active,
    /// The new CA during a rotation: trusted in the bundle and signing new certificates.
    Incoming,
    /// Replaced by a renewed certificate over the same key: no longer in the bundle, but
    /// the certificates it issued stay valid under the renewed one.
    Superseded,
    /// No longer trusted or signing; kept for the record.
    Retired,
}

/// Where a dual-CA rotation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// One CA, no rotation.
    Stable,
    /// Old and new CA both trusted; old certificates not all reissued yet.
    Overlap,
    /// Every active old-CA certificate has a twin from the new CA.
    Reissued,
}

/// A rotation in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rotation {
    /// The CA being replaced.
    pub old: String,
    /// The CA replacing it.
    pub new: String,
    /// The phase.
    pub phase: Phase,
}

/// A revocation as the ledger records it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CertRevoked {
    /// Serial, hex.
    pub serial: String,
    /// Issuing CA id.
    pub ca: String,
    /// The user (CN), for the record.
    pub user: String,
    /// Why, as the officer wrote it.
    pub reason: String,
    /// When, RFC 3339.
    pub time: String,
    /// The RFC 5280 reason code name (`keyCompromise`, `superseded`, ...); absent in
    /// entries written before airlock recorded codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A CA as the ledger knows it.
#[derive(Debug, Clone)]
pub struct CaRecord {
    /// The certificate.
    pub certificate: CaCertificate,
    /// Current role.
    pub role: CaRole,
    /// `generated`, `imported` or `renewed`.
    pub origin: String,
    /// Whether its key was destroyed (the ledger says so; the key file, if any is left
    /// by a crash, is removed on the next open). The key file's path comes from the CA
    /// id, never from a ledger string.
    pub key_destroyed: bool,
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
    /// For a reissue during rotation: the serial of the old-CA certificate it replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reissue_of: Option<String>,
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

/// The policy the ledger records as in force.
#[derive(Debug, Clone)]
pub struct RecordedPolicy {
    /// SHA-256 of the canonical form, lower-case hex.
    pub digest: String,
    /// The canonical form (see `PolicyConfig::canonical`).
    pub canonical: serde_json::Value,
    /// The ledger line that recorded it.
    pub line: u64,
}

/// Payload of `policy.changed`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyChanged {
    /// SHA-256 of the canonical form.
    pub digest: String,
    /// The canonical form.
    pub policy: serde_json::Value,
    /// The digest of the policy it replaces (none at init).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// What changed, for a person.
    #[serde(default)]
    pub differences: Vec<String>,
}

/// Payload of `ledger.accepted`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerAccepted {
    /// First line accepted.
    pub first_line: u64,
    /// Last line accepted.
    pub last_line: u64,
    /// Hash of the last line accepted.
    pub head: String,
    /// The officer's reason.
    pub reason: String,
}

/// Payload of `key.destroyed`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyDestroyed {
    /// The CAs whose key files were removed.
    pub cas: Vec<String>,
    /// Completed on opening the home after an interrupted `rotate finish`.
    pub completed_after_interruption: bool,
}

/// The replayed state of a home.
#[derive(Debug, Default)]
pub struct State {
    cas: Vec<CaRecord>,
    issued: Vec<CertIssued>,
    by_csr: HashMap<(String, String), usize>,
    by_key: HashMap<String, Vec<usize>>,
    serials: HashMap<String, usize>,
    revoked: HashMap<String, CertRevoked>,
    rotation: Option<Rotation>,
    crl_count: u64,
    policy: Option<RecordedPolicy>,
    sealed_policy: Option<RecordedPolicy>,
    destroy_pending: Vec<String>,
    destroy_line: Option<u64>,
    last_time: Option<OffsetDateTime>,
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
        let time = parse_time(&entry.time).ok_or_else(|| {
            format!(
                "entry time '{}' is not RFC 3339",
                crate::text::name(&entry.time)
            )
        })?;
        if let Some(last) = self.last_time
            && time < last
        {
            return Err(format!(
                "entry time {} is earlier than the entry before it ({}): ledger times never run backwards",
                crate::text::name(&entry.time),
                crate::ca::rfc3339(last)
            ));
        }
        self.last_time = Some(time);
        self.entries = entry.seq;
        match entry.kind.as_str() {
            KIND_CA_CREATED | KIND_CA_IMPORTED => {
                let added: CaAdded = payload(entry)?;
                if !self.cas.is_empty() {
                    return Err("a second CA outside a rotation or renewal".to_owned());
                }
                let origin = if entry.kind == KIND_CA_CREATED {
                    "generated"
                } else {
                    "imported"
                };
                self.add_ca(&added, CaRole::Active, origin)?;
            }
            KIND_ROTATION_BEGUN => {
                let begun: RotationBegun = payload(entry)?;
                if self.rotation.is_some() {
                    return Err("a rotation begins while another is in progress".to_owned());
                }
                if self.active_ca().map(|ca| ca.certificate.info().id.as_str())
                    != Some(begun.old.as_str())
                {
                    return Err(format!(
                        "rotation from '{}', which is not the active CA",
                        crate::text::name(&begun.old)
                    ));
                }
                self.check_introduction(&begun)?;
                self.add_ca(&begun.ca, CaRole::Incoming, &begun.origin)?;
                self.rotation = Some(Rotation {
                    old: begun.old,
                    new: begun.ca.ca,
                    phase: Phase::Overlap,
                });
            }
            KIND_ROTATION_REISSUED => {
                let rotation = self
                    .rotation
                    .as_mut()
                    .ok_or("reissue recorded outside a rotation")?;
                rotation.phase = Phase::Reissued;
            }
            KIND_ROTATION_FINISHED => {
                let finished: RotationFinished = payload(entry)?;
                let rotation = self
                    .rotation
                    .take()
                    .ok_or("finish recorded outside a rotation")?;
                if rotation.old != finished.old || rotation.new != finished.new {
                    return Err("finish names other CAs than the rotation".to_owned());
                }
                for id in self.lineage(&rotation.old) {
                    self.set_role(&id, CaRole::Retired)?;
                }
                self.set_role(&rotation.new, CaRole::Active)?;
                match finished.old_key.as_str() {
                    "destroyed" => {
                        // Every copy of the old key: its renewals' too. The files go
                        // after the commit; `key.destroyed` records that they are gone.
                        let lineage = self.lineage(&rotation.old);
                        for ca in &mut self.cas {
                            if lineage.contains(&ca.certificate.info().id) {
                                ca.key_destroyed = true;
                            }
                        }
                        self.destroy_pending = lineage;
                        self.destroy_line = Some(entry.seq);
                    }
                    "archived" => {}
                    other => {
                        return Err(format!(
                            "old key fate '{}' is neither 'archived' nor 'destroyed'",
                            crate::text::name(other)
                        ));
                    }
                }
            }
            KIND_ROTATION_ABORTED => {
                let rotation = self
                    .rotation
                    .take()
                    .ok_or("abort recorded outside a rotation")?;
                self.set_role(&rotation.new, CaRole::Retired)?;
            }
            KIND_CA_RENEWED => {
                let renewed: CaRenewed = payload(entry)?;
                if self.rotation.is_some() {
                    return Err("a CA renewal during a rotation".to_owned());
                }
                let Some(previous) = self
                    .active_ca()
                    .filter(|ca| ca.certificate.info().id == renewed.previous)
                else {
                    return Err("renewal of a CA that is not the active one".to_owned());
                };
                check_renewal(&previous.certificate, &renewed.ca)?;
                self.set_role(&renewed.previous, CaRole::Superseded)?;
                self.add_ca(&renewed.ca, CaRole::Active, "renewed")?;
            }
            KIND_CERT_REVOKED => {
                let revoked: CertRevoked = payload(entry)?;
                if !self.serials.contains_key(&revoked.serial) {
                    return Err(format!(
                        "revocation of unknown serial '{}'",
                        crate::text::name(&revoked.serial)
                    ));
                }
                if self.revoked.contains_key(&revoked.serial) {
                    return Err(format!("serial '{}' is revoked twice", revoked.serial));
                }
                self.revoked.insert(revoked.serial.clone(), revoked);
            }
            KIND_CRL_ISSUED => self.crl_count += 1,
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
                self.by_key
                    .entry(issued.key_sha256.clone())
                    .or_default()
                    .push(index);
                self.by_csr
                    .insert((issued.ca.clone(), issued.csr_sha256.clone()), index);
                self.issued.push(issued);
            }
            KIND_SEALED => {
                self.seal_count += 1;
                self.last_seal_line = Some(entry.seq);
                // A policy is in force only once a seal covers its record: an unsealed
                // `policy.changed` could be planted.
                self.sealed_policy.clone_from(&self.policy);
            }
            KIND_POLICY_CHANGED => {
                let changed: PolicyChanged = payload(entry)?;
                let bytes =
                    serde_json::to_vec(&changed.policy).map_err(|error| error.to_string())?;
                if crate::hex::sha256(&bytes) != changed.digest {
                    return Err("the recorded policy does not match its digest".to_owned());
                }
                if changed.previous.as_deref()
                    != self.policy.as_ref().map(|policy| policy.digest.as_str())
                {
                    return Err("the policy change does not follow the policy in force".to_owned());
                }
                self.policy = Some(RecordedPolicy {
                    digest: changed.digest,
                    canonical: changed.policy,
                    line: entry.seq,
                });
            }
            KIND_LEDGER_ACCEPTED => {
                let accepted: LedgerAccepted = payload(entry)?;
                if accepted.first_line > accepted.last_line || accepted.last_line >= entry.seq {
                    return Err("the accepted lines are not before the acceptance".to_owned());
                }
            }
            KIND_KEY_DESTROYED => {
                let destroyed: KeyDestroyed = payload(entry)?;
                if destroyed.cas.is_empty()
                    || destroyed
                        .cas
                        .iter()
                        .any(|id| !self.destroy_pending.contains(id))
                {
                    return Err(
                        "key destruction of a CA whose destruction was not recorded".to_owned()
                    );
                }
                self.destroy_pending
                    .retain(|id| !destroyed.cas.contains(id));
            }
            KIND_REPAIRED | KIND_BATCH_SIGNED | KIND_NOTE => {}
            other => return Err(format!("unknown entry kind '{}'", crate::text::name(other))),
        }
        Ok(())
    }

    fn add_ca(&mut self, added: &CaAdded, role: CaRole, origin: &str) -> Result<(), String> {
        let certificate = ca_certificate(added)?;
        crate::ca::check_ca_structure(&certificate, "ledger").map_err(|error| error.to_string())?;
        if matches!(origin, "generated" | "renewed") && !is_self_signed(&certificate) {
            return Err(format!(
                "CA '{}' is recorded as made by airlock, but its certificate is not self-signed",
                crate::text::name(&added.ca)
            ));
        }
        if self.ca(&added.ca).is_some() {
            return Err(format!("CA '{}' is added twice", added.ca));
        }
        self.cas.push(CaRecord {
            certificate,
            role,
            origin: origin.to_owned(),
            key_destroyed: false,
        });
        Ok(())
    }

    /// A new CA joins only with the active CA's signature over its fingerprint.
    fn check_introduction(&self, begun: &RotationBegun) -> Result<(), String> {
        let active = self.active_ca().ok_or("a rotation without an active CA")?;
        let certificate = ca_certificate(&begun.ca)?;
        let signature = crate::hex::decode(&begun.introduction)
            .ok_or("the introduction signature is not hex")?;
        let message = introduction_message(&certificate.info().fingerprint);
        if !crate::pubkey::verify(
            active.certificate.parsed().public_key(),
            &message,
            &signature,
        ) {
            return Err(format!(
                "the new CA '{}' is not introduced by the active CA's key (its introduction signature does not verify)",
                crate::text::name(&begun.ca.ca)
            ));
        }
        Ok(())
    }

    fn set_role(&mut self, id: &str, role: CaRole) -> Result<(), String> {
        let ca = self
            .cas
            .iter_mut()
            .find(|ca| ca.certificate.info().id == id)
            .ok_or_else(|| format!("unknown CA '{}'", crate::text::name(id)))?;
        ca.role = role;
        Ok(())
    }

    /// The rotation in progress, if any.
    pub fn rotation(&self) -> Option<&Rotation> {
        self.rotation.as_ref()
    }

    /// The rotation phase.
    pub fn phase(&self) -> Phase {
        self.rotation
            .as_ref()
            .map_or(Phase::Stable, |rotation| rotation.phase)
    }

    /// The CA that signs new certificates: the incoming one during a rotation.
    pub fn signing_ca(&self) -> Option<&CaRecord> {
        match &self.rotation {
            Some(rotation) => self.ca(&rotation.new),
            None => self.active_ca(),
        }
    }

    /// The CAs kube-apiserver's `--client-ca-file` must trust now: the active CA, plus
    /// the incoming one during a rotation.
    pub fn trusted_cas(&self) -> Vec<&CaRecord> {
        self.cas
            .iter()
            .filter(|ca| matches!(ca.role, CaRole::Active | CaRole::Incoming))
            .collect()
    }

    /// The revocation of a serial, if revoked.
    pub fn revocation(&self, serial: &str) -> Option<&CertRevoked> {
        self.revoked.get(serial)
    }

    /// Revocations of certificates holding this public key (by SPKI SHA-256), expired
    /// or not: a key whose certificate was revoked is never signed again.
    pub fn revocations_for_key(&self, key_sha256: &str) -> Vec<&CertRevoked> {
        self.by_key
            .get(key_sha256)
            .into_iter()
            .flatten()
            .filter_map(|index| self.issued.get(*index))
            .filter_map(|issued| self.revoked.get(&issued.serial))
            .collect()
    }

    /// Every revocation.
    pub fn revocations(&self) -> impl Iterator<Item = &CertRevoked> {
        self.revoked.values()
    }

    /// Number of CRLs signed so far.
    pub fn crl_count(&self) -> u64 {
        self.crl_count
    }

    /// The certificate with this serial (hex, any case, leading zeros ignored).
    pub fn certificate(&self, serial: &str) -> Option<&CertIssued> {
        let wanted = serial
            .trim_start_matches('0')
            .to_ascii_lowercase()
            .replace(':', "");
        self.issued
            .iter()
            .find(|issued| issued.serial.trim_start_matches('0') == wanted.trim_start_matches('0'))
    }

    /// The ids of every CA certificate over the same key as `ca` (its renewals and
    /// predecessors), `ca` included.
    pub fn lineage(&self, ca: &str) -> Vec<String> {
        let Some(record) = self.ca(ca) else {
            return Vec::new();
        };
        let key = record.certificate.parsed().public_key().raw.to_vec();
        self.cas
            .iter()
            .filter(|other| other.certificate.parsed().public_key().raw == key.as_slice())
            .map(|other| other.certificate.info().id.clone())
            .collect()
    }

    /// Whether certificates issued by `ca` chain to a CA the bundle trusts now.
    pub fn is_trusted_issuer(&self, ca: &str) -> bool {
        self.lineage(ca).iter().any(|id| {
            self.ca(id)
                .is_some_and(|record| matches!(record.role, CaRole::Active | CaRole::Incoming))
        })
    }

    /// Unexpired and unrevoked certificates issued under `ca`'s key (by `ca` or a CA
    /// certificate it renewed or was renewed by).
    pub fn active_certificates(&self, ca: &str, now: OffsetDateTime) -> Vec<&CertIssued> {
        let lineage = self.lineage(ca);
        self.issued
            .iter()
            .filter(|issued| {
                lineage.contains(&issued.ca)
                    && issued.not_after_time() > now
                    && !self.revoked.contains_key(&issued.serial)
            })
            .collect()
    }

    /// During a rotation: active old-CA certificates that have no twin from the new CA.
    pub fn unreissued(&self, now: OffsetDateTime) -> Vec<&CertIssued> {
        let Some(rotation) = &self.rotation else {
            return Vec::new();
        };
        self.active_certificates(&rotation.old, now)
            .into_iter()
            .filter(|old| {
                self.issued_for_csr(&rotation.new, &old.csr_sha256)
                    .is_none()
            })
            .collect()
    }

    /// The anchor: the first CA's certificate fingerprint (SHA-256 of its DER, hex), which
    /// an officer keeps outside the home.
    pub fn anchor(&self) -> Option<&str> {
        self.cas
            .first()
            .map(|ca| ca.certificate.info().fingerprint.as_str())
    }

    /// The policy in force: the last one the ledger records under a seal, if any (homes
    /// made before airlock recorded policies have none). A `policy.changed` after the
    /// last seal is not in force: no key vouches for it.
    pub fn recorded_policy(&self) -> Option<&RecordedPolicy> {
        self.sealed_policy.as_ref()
    }

    /// The last policy the ledger records, sealed or not: what a new `policy.changed`
    /// must follow.
    pub fn latest_recorded_policy(&self) -> Option<&RecordedPolicy> {
        self.policy.as_ref()
    }

    /// CAs whose key destruction is recorded but not yet confirmed done.
    pub fn destroy_pending(&self) -> &[String] {
        &self.destroy_pending
    }

    /// Whether a seal covers the entry that recorded the pending destruction: only then
    /// may airlock complete it on its own (an unsealed entry could be planted).
    pub fn destroy_pending_is_sealed(&self) -> bool {
        matches!((self.destroy_line, self.last_seal_line), (Some(line), Some(seal)) if line < seal)
    }

    /// Time of the last entry applied.
    pub fn last_time(&self) -> Option<OffsetDateTime> {
        self.last_time
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
        self.by_key
            .get(key_sha256)
            .into_iter()
            .flatten()
            .filter_map(|index| self.issued.get(*index))
            .filter(|issued| issued.not_after_time() > now)
            .collect()
    }
}

/// Payload of `rotation.begun`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationBegun {
    /// The CA being replaced.
    pub old: String,
    /// The new CA, as in `ca.created`.
    pub ca: CaAdded,
    /// `generated` or `imported`.
    pub origin: String,
    /// The old (active) CA's signature over [`introduction_message`] of the new CA's
    /// fingerprint, hex: the new CA is vouched for by the key that was trusted before.
    pub introduction: String,
}

/// The certificate a `ca.*` payload carries, checked against its id.
fn ca_certificate(added: &CaAdded) -> Result<CaCertificate, String> {
    let der = pem::parse(&added.cert).map_err(|error| format!("CA certificate: {error}"))?;
    let certificate = CaCertificate::from_der(der.into_contents(), "ledger")
        .map_err(|error| error.to_string())?;
    if certificate.info().id != added.ca || certificate.info().fingerprint != added.fingerprint {
        return Err(format!(
            "CA id '{}' does not match its certificate",
            crate::text::name(&added.ca)
        ));
    }
    Ok(certificate)
}

fn is_self_signed(certificate: &CaCertificate) -> bool {
    let parsed = certificate.parsed();
    parsed.verify_signature(None).is_ok()
}

/// A renewal keeps the key and the subject: anything else would let a new key in
/// without an introduction.
fn check_renewal(previous: &CaCertificate, renewed: &CaAdded) -> Result<(), String> {
    let certificate = ca_certificate(renewed)?;
    let (old, new) = (previous.parsed(), certificate.parsed());
    if old.public_key().raw != new.public_key().raw {
        return Err(format!(
            "the renewal '{}' changes the CA key: a new key enters only through a rotation",
            crate::text::name(&renewed.ca)
        ));
    }
    if old.subject().as_raw() != new.subject().as_raw() {
        return Err(format!(
            "the renewal '{}' changes the CA subject",
            crate::text::name(&renewed.ca)
        ));
    }
    Ok(())
}

/// Payload of `rotation.finished`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationFinished {
    /// The retired CA.
    pub old: String,
    /// The CA now active.
    pub new: String,
    /// Finished while active old-CA certificates were not reissued.
    pub forced: bool,
    /// The officer's reason for forcing, if forced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Serials left unreissued.
    pub unreissued: Vec<String>,
    /// `archived` or `destroyed`.
    pub old_key: String,
}

/// Payload of `ca.renewed`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaRenewed {
    /// The certificate it supersedes.
    pub previous: String,
    /// The renewed CA certificate, as in `ca.created`.
    pub ca: CaAdded,
}

fn payload<T: serde::de::DeserializeOwned>(entry: &Entry) -> Result<T, String> {
    serde_json::from_value(entry.payload.clone())
        .map_err(|error| format!("'{}' payload is malformed: {error}", entry.kind))
}

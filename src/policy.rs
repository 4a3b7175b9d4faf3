//! Policy: judging each [`IntakeItem`] against `airlock.toml`.
//!
//! Only this module produces [`Approved`]; [`crate::issue`] signs nothing else. Every
//! verdict carries reasons a person can read, every value in them made inert.
//!
//! Choices made here, shown in every review:
//! - A CSR that requests CA:TRUE is rejected: the requester expects something airlock
//!   never issues.
//! - A CSR that requests serverAuth, subject alternative names or other extensions is
//!   signed without them, and the review flags what was ignored.
//! - Subject attributes other than CN and O (OU, C, the Kubernetes UID...) are flagged
//!   and not carried.

mod config;
mod names;
mod reapprove;

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;
use time::{Duration, OffsetDateTime};

pub use config::{
    DEFAULT_POLICY_TOML, FLOOR_GROUP, KeyRules, NameRules, PolicyConfig, Profile, ProfileRule,
    matches_pattern,
};
pub use names::comparison_form;
pub use reapprove::{Reapproval, approve_new_key, reapprove};

use names::{check_groups, check_user};

use crate::csr::{SignatureHash, UntrustedCsr};
use crate::intake::{IntakeItem, KUBE_APISERVER_CLIENT, ObjectFields};
use crate::pubkey::KeyKind;
use crate::state::State;

/// Kubernetes' smallest `spec.expirationSeconds`.
pub const MIN_EXPIRATION_SECONDS: i64 = 600;
/// Largest RSA modulus airlock can verify (ring's limit).
pub const MAX_RSA_BITS: usize = 8192;
/// Usages a client certificate object may list.
pub const CLIENT_USAGES: [&str; 3] = ["client auth", "digital signature", "key encipherment"];

/// The outcome for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Will be signed (or was already, on a re-run).
    Accepted,
    /// Will not be signed.
    Rejected,
}

/// What the review shows for one item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemReview {
    /// Where it came from (inert).
    pub input: String,
    /// Output file stem.
    pub stem: String,
    /// The verdict.
    pub verdict: Verdict,
    /// User (CN), inert.
    pub user: Option<String>,
    /// Groups (O values), inert, in order.
    pub groups: Vec<String>,
    /// Requested Kubernetes UID (never carried), inert.
    pub uid: Option<String>,
    /// Key kind.
    pub key: Option<String>,
    /// SHA-256 of the public key info.
    pub key_sha256: Option<String>,
    /// SHA-256 of the CSR.
    pub csr_sha256: Option<String>,
    /// Profile that applies.
    pub profile: Option<String>,
    /// Lifetime that would be granted, in whole days (rounded down).
    pub lifetime_days: Option<i64>,
    /// End of validity that would be granted.
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_after: Option<OffsetDateTime>,
    /// Why it is rejected (empty when accepted).
    pub reasons: Vec<String>,
    /// Things the officer should know that do not block signing.
    pub flags: Vec<String>,
    /// RBAC bindings this identity would match, when a snapshot was given (inert).
    pub bindings: Vec<String>,
}

/// An item the policy accepted. Only this module builds one: [`evaluate`] from a CSR,
/// [`reapprove`] from a certificate airlock issued before, [`approve_new_key`] for a key
/// airlock generated itself.
#[derive(Debug, Clone)]
pub struct Approved {
    request_key: String,
    spki_der: Vec<u8>,
    key: KeyKind,
    key_sha256: String,
    csr_pem: Option<String>,
    user: String,
    groups: Vec<String>,
    profile: String,
    not_after: OffsetDateTime,
    input: String,
    stem: String,
    object: Option<ObjectFields>,
    duplicate_of: Option<usize>,
}

impl Approved {
    /// The idempotency key of this issuance under one CA: the CSR's SHA-256 for a CSR
    /// (and for the reissue of a certificate made from it), `renew:<serial>` for a
    /// renewal, `issue:<key SHA-256>` for a key airlock generated.
    pub fn request_key(&self) -> &str {
        &self.request_key
    }
    /// DER `SubjectPublicKeyInfo` to certify.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }
    /// The subject key's kind.
    pub fn key(&self) -> &KeyKind {
        &self.key
    }
    /// SHA-256 of the subject public key info.
    pub fn key_sha256(&self) -> &str {
        &self.key_sha256
    }
    /// Gives the item another output stem (to keep names unique within one output).
    pub(crate) fn rename_stem(&mut self, stem: String) {
        self.stem = stem;
    }
    /// The CSR as PEM, when the request came as a CSR.
    pub fn csr_pem(&self) -> Option<&str> {
        self.csr_pem.as_deref()
    }
    /// The user (CN), validated.
    pub fn user(&self) -> &str {
        &self.user
    }
    /// The groups (O values), validated, in order.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }
    /// Profile name.
    pub fn profile(&self) -> &str {
        &self.profile
    }
    /// End of validity to grant.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
    /// The input it came from (inert).
    pub fn input(&self) -> &str {
        &self.input
    }
    /// Output stem.
    pub fn stem(&self) -> &str {
        &self.stem
    }
    /// The Kubernetes object fields, if the CSR came in one.
    pub fn object(&self) -> Option<&ObjectFields> {
        self.object.as_ref()
    }
    /// Index (in the approved list) of an identical CSR earlier in the batch.
    pub fn duplicate_of(&self) -> Option<usize> {
        self.duplicate_of
    }
}

/// What the policy needs to know besides the item.
pub struct Judge<'a> {
    /// The policy.
    pub config: &'a PolicyConfig,
    /// The home's state (for keys that already hold certificates, and re-runs).
    pub state: &'a State,
    /// End of the active CA's validity, which caps every certificate.
    pub ca_not_after: Option<OffsetDateTime>,
    /// The active CA's id, if any.
    pub ca_id: Option<&'a str>,
    /// The officer's requested lifetime (`--days`), if any.
    pub requested_days: Option<u32>,
    /// Now.
    pub now: OffsetDateTime,
}

/// The judged batch.
#[derive(Debug, Clone)]
pub struct Batch {
    /// One review per item, in intake order.
    pub reviews: Vec<ItemReview>,
    /// The accepted items, in intake order.
    pub approved: Vec<Approved>,
    /// Short digest of the batch: read it aloud to the requester.
    pub digest: String,
}

/// Judges every item.
pub fn evaluate(items: Vec<IntakeItem>, judge: &Judge<'_>) -> Batch {
    let mut reviews = Vec::with_capacity(items.len());
    let mut approved: Vec<Approved> = Vec::new();
    let mut first_by_csr: HashMap<String, (usize, String)> = HashMap::new();
    let mut first_by_key: HashMap<String, String> = HashMap::new();
    let mut hashes: Vec<String> = Vec::new();
    // Judging an item (signature, names, key) is independent of the others: on every
    // core, in input order.
    let judged: Vec<(ItemReview, Option<Approved>)> = items
        .into_par_iter()
        .map(|item| judge_item(item, judge))
        .collect();
    for (mut review, candidate) in judged {
        if let Some(hash) = &review.csr_sha256 {
            hashes.push(hash.clone());
        }
        if let Some(mut candidate) = candidate {
            if let Some((index, input)) = first_by_csr.get(&candidate.request_key) {
                review
                    .flags
                    .push(format!("identical to '{input}': signed once"));
                candidate.duplicate_of = Some(*index);
            } else {
                first_by_csr.insert(
                    candidate.request_key.clone(),
                    (approved.len(), candidate.input.clone()),
                );
                match first_by_key.get(&candidate.key_sha256) {
                    Some(input) => review.flags.push(format!(
                        "the same public key as '{input}' in this batch: two certificates for one key"
                    )),
                    None => {
                        first_by_key.insert(candidate.key_sha256.clone(), candidate.input.clone());
                    }
                }
            }
            approved.push(candidate);
        }
        reviews.push(review);
    }
    Batch {
        reviews,
        approved,
        digest: batch_digest(hashes),
    }
}

/// Recomputes which items duplicate an earlier one after a list was filtered.
pub(crate) fn reindex_duplicates(mut items: Vec<Approved>) -> Vec<Approved> {
    let mut first: HashMap<String, usize> = HashMap::new();
    for (index, item) in items.iter_mut().enumerate() {
        item.duplicate_of = first.get(&item.request_key).copied();
        first.entry(item.request_key.clone()).or_insert(index);
    }
    items
}

/// SHA-256 over the sorted, distinct CSR hashes (one per line), first 16 hex digits in
/// groups of four: short enough to read aloud.
pub fn batch_digest(mut hashes: Vec<String>) -> String {
    hashes.sort();
    hashes.dedup();
    let full = crate::hex::sha256(hashes.join("\n").as_bytes());
    full.as_bytes()[..16]
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

fn judge_item(item: IntakeItem, judge: &Judge<'_>) -> (ItemReview, Option<Approved>) {
    let mut review = ItemReview {
        input: item.input.clone(),
        stem: item.stem.clone(),
        verdict: Verdict::Rejected,
        user: None,
        groups: Vec::new(),
        uid: None,
        key: None,
        key_sha256: None,
        csr_sha256: None,
        profile: None,
        lifetime_days: None,
        not_after: None,
        reasons: Vec::new(),
        flags: Vec::new(),
        bindings: Vec::new(),
    };
    let csr = match item.csr {
        Ok(csr) => csr,
        Err(reason) => {
            review.reasons.push(reason);
            return (review, None);
        }
    };
    review.user = csr.common_names.first().map(|name| crate::text::name(name));
    review.groups = csr
        .organizations
        .iter()
        .map(|group| crate::text::name(group))
        .collect();
    review.uid = csr.uid.as_deref().map(crate::text::name);
    review.key = Some(csr.key.to_string());
    review.key_sha256 = Some(csr.key_sha256.clone());
    review.csr_sha256 = Some(csr.sha256.clone());

    let mut reasons = Vec::new();
    let mut flags = Vec::new();
    check_key(&csr.key, &judge.config.keys, &mut reasons);
    let key_rejected = !reasons.is_empty();
    check_signature(&csr, key_rejected, &mut reasons);
    check_subject(&csr, &judge.config.names, &mut reasons, &mut flags);
    check_extensions(&csr, &mut reasons, &mut flags);
    let revoked = check_revoked(judge.state, &csr.key_sha256, &mut reasons);
    if let Some(object) = &item.object {
        check_object(
            object,
            csr.common_names.first().map(String::as_str),
            &mut reasons,
            &mut flags,
        );
    }

    let user = csr.common_names.first().cloned().unwrap_or_default();
    let (profile_name, profile) = judge.config.profile_for(&user, &csr.organizations);
    review.profile = Some(profile_name.to_owned());
    let not_after = lifetime(judge, profile, item.object.as_ref(), &mut flags);
    review.not_after = Some(not_after);
    review.lifetime_days = Some((not_after - crate::ca::whole_seconds(judge.now)).whole_days());
    if not_after <= judge.now {
        reasons.push("the CA expires before any lifetime could be granted".to_owned());
    }

    let already = judge
        .ca_id
        .and_then(|ca| judge.state.issued_for_csr(ca, &csr.sha256));
    if revoked {
        // Rejected above with the revocation named: nothing is handed back, not even
        // a certificate a re-run of this batch signed before the revocation.
    } else if let Some(issued) = already {
        flags.push(format!(
            "already signed as serial {} (a re-run hands back that certificate)",
            issued.serial
        ));
    } else {
        for existing in judge.state.unexpired_for_key(&csr.key_sha256, judge.now) {
            flags.push(format!(
                "this public key already holds an unexpired certificate (serial {}, user '{}', until {})",
                existing.serial,
                crate::text::name(&existing.user),
                existing.not_after
            ));
        }
    }

    review.reasons = reasons;
    review.flags = flags;
    if !review.reasons.is_empty() {
        return (review, None);
    }
    review.verdict = Verdict::Accepted;
    let approved = Approved {
        request_key: csr.sha256.clone(),
        spki_der: csr.spki_der.clone(),
        key: csr.key.clone(),
        key_sha256: csr.key_sha256.clone(),
        csr_pem: Some(csr.pem()),
        user,
        groups: csr.organizations.clone(),
        profile: profile_name.to_owned(),
        not_after,
        input: item.input,
        stem: item.stem,
        object: item.object,
        duplicate_of: None,
    };
    (review, Some(approved))
}

/// Refuses a key whose certificate was revoked, naming each revocation (serial, when,
/// the recorded reason). Returns whether the key was revoked.
fn check_revoked(state: &State, key_sha256: &str, reasons: &mut Vec<String>) -> bool {
    const NAMED: usize = 3;
    let revocations = state.revocations_for_key(key_sha256);
    if revocations.is_empty() {
        return false;
    }
    let mut named: Vec<String> = revocations
        .iter()
        .take(NAMED)
        .map(|revoked| {
            let why = match &revoked.code {
                Some(code) => format!("{code}: {}", revoked.reason),
                None => revoked.reason.clone(),
            };
            format!(
                "serial {} revoked {}, reason '{}'",
                crate::text::name(&revoked.serial),
                crate::text::name(&revoked.time),
                crate::text::name(&why)
            )
        })
        .collect();
    if revocations.len() > NAMED {
        named.push(format!("{} more", revocations.len() - NAMED));
    }
    reasons.push(format!(
        "this public key's certificate was revoked ({}): a revoked key is never signed again; the requester needs a new key",
        named.join("; ")
    ));
    true
}

fn check_signature(csr: &UntrustedCsr, key_rejected: bool, reasons: &mut Vec<String>) {
    match &csr.signature_hash {
        SignatureHash::Weak(hash) => {
            reasons.push(format!(
                "CSR is signed with {hash}, which is broken; sign it with SHA-256 or better"
            ));
        }
        SignatureHash::Other(algorithm) => {
            reasons.push(format!(
                "CSR signature algorithm '{}' is not supported",
                crate::text::name(algorithm)
            ));
        }
        // A key airlock does not support cannot be checked either: its own reason says why.
        SignatureHash::Strong(_) if !csr.signature_verifies && !key_rejected => reasons.push(
            "CSR self-signature does not verify: it was altered, or not signed by its own key"
                .to_owned(),
        ),
        SignatureHash::Strong(_) => {}
    }
}

fn check_key(key: &KeyKind, rules: &KeyRules, reasons: &mut Vec<String>) {
    match key {
        KeyKind::Rsa { bits } if *bits > MAX_RSA_BITS => {
            reasons.push(format!("RSA key of {bits} bits is not supported (at most {MAX_RSA_BITS} bits)"));
        }
        KeyKind::Rsa { bits } if *bits < rules.rsa_min_bits => {
            reasons.push(format!("RSA key of {bits} bits is too small (at least {} bits)", rules.rsa_min_bits));
        }
        KeyKind::EcdsaP256 | KeyKind::EcdsaP384 if !rules.ecdsa => {
            reasons.push(format!("{key} keys are disabled by policy"));
        }
        KeyKind::Ed25519 if !rules.ed25519 => reasons.push("Ed25519 keys are disabled by policy".to_owned()),
        KeyKind::Rsa { .. } | KeyKind::EcdsaP256 | KeyKind::EcdsaP384 | KeyKind::Ed25519 => {}
        KeyKind::Other { description } => reasons.push(format!(
            "unsupported key '{}': accepted are RSA (2048 bits or more), ECDSA P-256/P-384 and Ed25519",
            crate::text::name(description)
        )),
    }
}

fn check_subject(
    csr: &UntrustedCsr,
    names: &NameRules,
    reasons: &mut Vec<String>,
    flags: &mut Vec<String>,
) {
    for attribute in &csr.unreadable_attributes {
        reasons.push(format!("subject {attribute} is not a readable string"));
    }
    match csr.common_names.as_slice() {
        [] => reasons.push(
            "no CN: Kubernetes takes the user name from the CN, and an empty CN does not authenticate".to_owned(),
        ),
        [user] => check_user(user, names, reasons),
        many => reasons.push(format!("{} CN values; exactly one is allowed", many.len())),
    }
    check_groups(&csr.organizations, names, reasons);

    if let Some(uid) = &csr.uid {
        flags.push(format!(
            "UID '{}' requested: not carried (certificates hold CN and O only)",
            crate::text::name(uid)
        ));
    }
    for oid in &csr.other_attributes {
        flags.push(format!(
            "subject attribute {oid} ignored: certificates hold CN and O only"
        ));
    }
}

fn check_extensions(csr: &UntrustedCsr, reasons: &mut Vec<String>, flags: &mut Vec<String>) {
    let requested = &csr.requested;
    if requested.ca {
        reasons.push(
            "CSR requests a CA certificate (CA:TRUE); airlock issues client certificates only"
                .to_owned(),
        );
    }
    if requested.server_auth {
        flags.push(
            "requests serverAuth: ignored, the certificate carries clientAuth only".to_owned(),
        );
    }
    if !requested.subject_alt_names.is_empty() {
        flags.push(format!(
            "requests subjectAltName ({}): ignored, the certificate carries none",
            requested.subject_alt_names.join(", ")
        ));
    }
    for other in &requested.other {
        flags.push(format!(
            "requests extension {}: ignored",
            crate::text::name(other)
        ));
    }
}

fn check_object(
    object: &ObjectFields,
    user: Option<&str>,
    reasons: &mut Vec<String>,
    flags: &mut Vec<String>,
) {
    match object.signer_name.as_deref() {
        Some(KUBE_APISERVER_CLIENT) => {}
        Some(other) => reasons.push(format!(
            "signerName '{}' is not {KUBE_APISERVER_CLIENT}",
            crate::text::name(other)
        )),
        None => reasons.push(format!(
            "spec.signerName is missing (expected {KUBE_APISERVER_CLIENT})"
        )),
    }
    for usage in &object.usages {
        if !CLIENT_USAGES.contains(&usage.as_str()) {
            reasons.push(format!(
                "usage '{}' is not a client usage",
                crate::text::name(usage)
            ));
        }
    }
    if !object.usages.iter().any(|usage| usage == "client auth") {
        reasons.push("spec.usages does not include 'client auth'".to_owned());
    }
    if let Some(seconds) = object.expiration_seconds
        && seconds < MIN_EXPIRATION_SECONDS
    {
        reasons.push(format!(
            "expirationSeconds {seconds} is under Kubernetes' minimum of {MIN_EXPIRATION_SECONDS}"
        ));
    }
    if let (Some(username), Some(user)) = (object.username.as_deref(), user)
        && username != user
    {
        flags.push(format!(
            "spec.username '{}' differs from the CN '{}': someone else created this request",
            crate::text::name(username),
            crate::text::name(user)
        ));
    }
}

fn lifetime(
    judge: &Judge<'_>,
    profile: &Profile,
    object: Option<&ObjectFields>,
    flags: &mut Vec<String>,
) -> OffsetDateTime {
    let maximum = Duration::days(i64::from(profile.max_days));
    let requested = match (
        judge.requested_days,
        object.and_then(|object| object.expiration_seconds),
    ) {
        (Some(days), _) => Some(Duration::days(i64::from(days))),
        (None, Some(seconds)) if seconds >= MIN_EXPIRATION_SECONDS => {
            Some(Duration::seconds(seconds))
        }
        _ => None,
    };
    let mut granted = requested.unwrap_or(maximum);
    if granted > maximum {
        flags.push(format!(
            "requested {} days; the profile allows {}",
            granted.whole_days(),
            profile.max_days
        ));
        granted = maximum;
    }
    // Checked: `--days` and the profile are bounded, but an overflow must never panic.
    let mut not_after = match judge.now.checked_add(granted) {
        Some(end) => crate::ca::whole_seconds(end),
        None => judge.ca_not_after.unwrap_or(judge.now),
    };
    if let Some(ca_not_after) = judge.ca_not_after
        && ca_not_after < not_after
    {
        flags.push("lifetime cut to the CA's own end of validity".to_owned());
        not_after = ca_not_after;
    }
    not_after
}

//! Approving what airlock issued before (reissue, renewal) and keys it made itself
//! (`issue`): the subject and key must still pass the current policy.

use super::{Approved, Judge, check_groups, check_key, check_user, lifetime};
use crate::pubkey::KeyKind;

/// Why a certificate airlock issued before is signed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reapproval {
    /// Rotation: the new CA signs the same subject and key, with the same end of
    /// validity (capped by the new CA).
    Reissue,
    /// Renewal: the same subject and key, with a fresh lifetime under the policy.
    Renew,
}

/// Judges a certificate airlock issued before for a reissue or renewal: the subject and
/// key must still pass the current policy. Returns the reasons when they do not.
pub fn reapprove(
    record: &crate::state::CertIssued,
    judge: &Judge<'_>,
    mode: Reapproval,
) -> Result<Approved, Vec<String>> {
    let der = pem::parse(&record.cert)
        .map(pem::Pem::into_contents)
        .map_err(|error| vec![format!("ledger certificate does not parse: {error}")])?;
    let (_, cert) = <x509_parser::certificate::X509Certificate<'_> as x509_parser::prelude::FromDer<'_, _>>::from_der(&der)
        .map_err(|error| vec![format!("ledger certificate does not parse: {error}")])?;
    let spki = cert.public_key();
    let key = KeyKind::of(spki);
    let mut reasons = Vec::new();
    let mut flags = Vec::new();
    check_key(&key, &judge.config.keys, &mut reasons);
    check_user(&record.user, &judge.config.names, &mut reasons);
    check_groups(&record.groups, &judge.config.names, &mut reasons);
    let (profile_name, profile) = judge.config.profile_for(&record.user, &record.groups);
    let (request_key, not_after) = match mode {
        Reapproval::Reissue => {
            let mut not_after = record.not_after_time();
            if let Some(ca_not_after) = judge.ca_not_after {
                not_after = not_after.min(ca_not_after);
            }
            (record.csr_sha256.clone(), not_after)
        }
        Reapproval::Renew => (
            format!("renew:{}", record.serial),
            lifetime(judge, profile, None, &mut flags),
        ),
    };
    if not_after <= judge.now {
        reasons.push("no lifetime is left to grant".to_owned());
    }
    if !reasons.is_empty() {
        return Err(reasons);
    }
    Ok(Approved {
        request_key,
        spki_der: spki.raw.to_vec(),
        key,
        key_sha256: record.key_sha256.clone(),
        csr_pem: None,
        user: record.user.clone(),
        groups: record.groups.clone(),
        profile: profile_name.to_owned(),
        not_after,
        input: format!("serial {}", record.serial),
        stem: record.output.clone(),
        object: None,
        duplicate_of: None,
    })
}

/// Judges a subject for a key airlock generated itself (`airlock issue`).
pub fn approve_new_key(
    user: &str,
    groups: &[String],
    spki_der: &[u8],
    judge: &Judge<'_>,
) -> Result<Approved, Vec<String>> {
    let (_, spki) = <x509_parser::x509::SubjectPublicKeyInfo<'_> as x509_parser::prelude::FromDer<'_, _>>::from_der(spki_der)
        .map_err(|error| vec![format!("generated key does not parse: {error}")])?;
    let key = KeyKind::of(&spki);
    let mut reasons = Vec::new();
    let mut flags = Vec::new();
    check_key(&key, &judge.config.keys, &mut reasons);
    check_user(user, &judge.config.names, &mut reasons);
    check_groups(groups, &judge.config.names, &mut reasons);
    let (profile_name, profile) = judge.config.profile_for(user, groups);
    let not_after = lifetime(judge, profile, None, &mut flags);
    if not_after <= judge.now {
        reasons.push("no lifetime is left to grant".to_owned());
    }
    if !reasons.is_empty() {
        return Err(reasons);
    }
    let key_sha256 = crate::pubkey::fingerprint(spki_der);
    Ok(Approved {
        request_key: format!("issue:{key_sha256}"),
        spki_der: spki_der.to_vec(),
        key,
        key_sha256,
        csr_pem: None,
        user: user.to_owned(),
        groups: groups.to_vec(),
        profile: profile_name.to_owned(),
        not_after,
        input: format!("generated key for '{}'", crate::text::name(user)),
        stem: crate::intake::sanitize(user),
        object: None,
        duplicate_of: None,
    })
}

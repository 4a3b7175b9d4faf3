//! Approving what airlock issued before (reissue, renewal) and keys it made itself
//! (`issue`): the subject and key must still pass the current policy.
//!
//! A ledger entry is input until its certificate vouches for it: anyone who can write
//! to the home can append a `cert.issued` entry for their own key. So a certificate is
//! signed again only when its recorded PEM verifies under the home's CA lineage (the
//! CA the entry names, or a CA certificate over the same key) and says exactly what
//! the entry says: CN, O values in order, public key and serial. What this does not
//! check: that the CA entries themselves are vouched for (the ledger's seals and the
//! unlocked key do that, before any act signs).

use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use super::{Approved, Judge, check_groups, check_key, check_revoked, check_user, lifetime};
use crate::pubkey::KeyKind;
use crate::state::{CertIssued, State};

/// Why a certificate airlock issued before is signed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reapproval {
    /// Rotation: the new CA signs the same subject and key, with the same end of
    /// validity (capped by the new CA).
    Reissue,
    /// Renewal: the same subject and key, with a fresh lifetime under the policy.
    Renew,
}

/// Judges a certificate airlock issued before for a reissue or renewal. Refused, with
/// the reasons, when the recorded certificate does not verify under the home's CA
/// lineage or does not match its entry, when its key was revoked, or when the subject
/// and key no longer pass the current policy (the `system:masters` floor included).
pub fn reapprove(
    record: &CertIssued,
    judge: &Judge<'_>,
    mode: Reapproval,
) -> Result<Approved, Vec<String>> {
    let der = pem::parse(&record.cert)
        .map(pem::Pem::into_contents)
        .map_err(|error| {
            vec![mismatch(
                record,
                &format!("its PEM does not parse ({error})"),
            )]
        })?;
    let (_, cert) = X509Certificate::from_der(&der)
        .map_err(|error| vec![mismatch(record, &format!("it does not parse ({error})"))])?;
    let mut reasons = Vec::new();
    check_recorded(record, &cert, judge.state, &mut reasons);
    if !reasons.is_empty() {
        // Nothing else an unvouched entry says is worth judging.
        return Err(reasons);
    }
    let spki = cert.public_key();
    let key = KeyKind::of(spki);
    let mut flags = Vec::new();
    check_key(&key, &judge.config.keys, &mut reasons);
    check_revoked(judge.state, &record.key_sha256, &mut reasons);
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
        input: format!("serial {}", crate::text::name(&record.serial)),
        stem: record.output.clone(),
        object: None,
        duplicate_of: None,
    })
}

fn mismatch(record: &CertIssued, detail: &str) -> String {
    format!(
        "serial {}: the ledger entry does not match its certificate: {detail}",
        crate::text::name(&record.serial)
    )
}

fn normalized_serial(serial: &str) -> String {
    serial
        .replace(':', "")
        .to_ascii_lowercase()
        .trim_start_matches('0')
        .to_owned()
}

/// The recorded certificate must verify under the entry's CA lineage and say what the
/// entry says. Pushes one reason per disagreement.
fn check_recorded(
    record: &CertIssued,
    cert: &X509Certificate<'_>,
    state: &State,
    reasons: &mut Vec<String>,
) {
    let lineage = state.lineage(&record.ca);
    let verifies = lineage.iter().filter_map(|id| state.ca(id)).any(|ca| {
        let parsed = ca.certificate.parsed();
        cert.issuer().as_raw() == parsed.subject().as_raw()
            && cert.verify_signature(Some(parsed.public_key())).is_ok()
    });
    if !verifies {
        reasons.push(mismatch(
            record,
            &format!(
                "it is not signed by CA '{}' or a CA certificate over the same key",
                crate::text::name(&record.ca)
            ),
        ));
    }
    let serial = crate::ca::serial_hex(cert.raw_serial());
    if normalized_serial(&serial) != normalized_serial(&record.serial) {
        reasons.push(mismatch(
            record,
            &format!("the certificate's serial is {serial}"),
        ));
    }
    let mut common_names = Vec::new();
    let mut organizations = Vec::new();
    for rdn in cert.subject().iter() {
        for attribute in rdn.iter() {
            let value = attribute.as_str().map(str::to_owned);
            match attribute.attr_type().to_id_string().as_str() {
                "2.5.4.3" => common_names.push(value),
                "2.5.4.10" => organizations.push(value),
                _ => {}
            }
        }
    }
    let common_names: Option<Vec<String>> = common_names.into_iter().map(Result::ok).collect();
    let organizations: Option<Vec<String>> = organizations.into_iter().map(Result::ok).collect();
    if common_names.as_deref() != Some(std::slice::from_ref(&record.user)) {
        reasons.push(mismatch(
            record,
            &format!(
                "the entry names user '{}', the certificate does not",
                crate::text::name(&record.user)
            ),
        ));
    }
    if organizations.as_deref() != Some(record.groups.as_slice()) {
        reasons.push(mismatch(
            record,
            "the entry's groups differ from the certificate's O values (in order)",
        ));
    }
    let key_sha256 = crate::pubkey::fingerprint(cert.public_key().raw);
    if key_sha256 != record.key_sha256 {
        reasons.push(mismatch(
            record,
            &format!(
                "the entry names key SHA-256 {}, the certificate holds {key_sha256}",
                crate::text::name(&record.key_sha256)
            ),
        ));
    }
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
    let key_sha256 = crate::pubkey::fingerprint(spki_der);
    check_key(&key, &judge.config.keys, &mut reasons);
    check_revoked(judge.state, &key_sha256, &mut reasons);
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

#[cfg(test)]
mod tests {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
        KeyUsagePurpose, SerialNumber,
    };
    use serde_json::{Value, json};
    use time::OffsetDateTime;
    use time::macros::datetime;

    use super::*;
    use crate::ledger::Entry;
    use crate::policy::PolicyConfig;

    const NOW: OffsetDateTime = datetime!(2026-01-02 0:00 UTC);

    struct Ca {
        params: CertificateParams,
        key: KeyPair,
        pem: String,
        id: String,
        fingerprint: String,
    }

    fn make_ca(common_name: &str) -> Ca {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, common_name);
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("self-signed CA");
        let fingerprint = crate::hex::sha256(cert.der());
        Ca {
            id: fingerprint[..16].to_owned(),
            fingerprint,
            pem: cert.pem(),
            params,
            key,
        }
    }

    /// A client certificate signed by `ca` for `subject_key`, CN then O values (rcgen
    /// keeps only the last value of each attribute type).
    fn client(ca: &Ca, subject_key: &KeyPair, user: &str, groups: &[&str], serial: u8) -> String {
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, user);
        for group in groups {
            name.push(DnType::OrganizationName, *group);
        }
        params.distinguished_name = name;
        params.serial_number = Some(SerialNumber::from_slice(&[serial; 16]));
        let issuer = Issuer::from_params(&ca.params, &ca.key);
        params
            .signed_by(subject_key, &issuer)
            .expect("client certificate")
            .pem()
    }

    fn entry(seq: u64, kind: &str, payload: Value) -> Entry {
        Entry {
            seq,
            time: "2026-01-01T00:00:00Z".to_owned(),
            kind: kind.to_owned(),
            payload,
            prev: String::new(),
            hash: String::new(),
        }
    }

    fn record(ca: &Ca, cert: &str, user: &str, groups: &[&str], serial: u8) -> CertIssued {
        let der = pem::parse(cert).expect("pem").into_contents();
        let (_, parsed) = X509Certificate::from_der(&der).expect("certificate");
        CertIssued {
            ca: ca.id.clone(),
            serial: crate::hex::encode(&[serial; 16]),
            user: user.to_owned(),
            groups: groups.iter().map(|group| (*group).to_owned()).collect(),
            not_before: "2026-01-01T00:00:00Z".to_owned(),
            not_after: "2026-06-01T00:00:00Z".to_owned(),
            profile: "human".to_owned(),
            csr_sha256: format!("{serial:064x}"),
            key_sha256: crate::pubkey::fingerprint(parsed.public_key().raw),
            input: "test".to_owned(),
            output: user.to_owned(),
            batch: "test".to_owned(),
            cert: cert.to_owned(),
            reissue_of: None,
        }
    }

    /// Replays a CA and the given issuance entries (as written, unchecked against their
    /// certificates, as an insider could append them).
    fn state(ca: &Ca, records: &[&CertIssued], revoked: &[(&CertIssued, &str)]) -> State {
        let mut state = State::default();
        let mut seq = 1;
        let added = json!({
            "ca": ca.id, "cert": ca.pem, "key_file": format!("cas/{}/ca.key.age", ca.id),
            "fingerprint": ca.fingerprint, "protection": "test",
        });
        state
            .apply(&entry(seq, crate::state::KIND_CA_CREATED, added))
            .expect("CA entry");
        for issued in records {
            seq += 1;
            let payload = serde_json::to_value(issued).expect("payload");
            state
                .apply(&entry(seq, crate::state::KIND_CERT_ISSUED, payload))
                .expect("issuance entry");
        }
        for (issued, reason) in revoked {
            seq += 1;
            let payload = json!({
                "serial": issued.serial, "ca": issued.ca, "user": issued.user,
                "reason": reason, "time": "2026-01-01T12:00:00Z", "code": "keyCompromise",
            });
            state
                .apply(&entry(seq, crate::state::KIND_CERT_REVOKED, payload))
                .expect("revocation entry");
        }
        state
    }

    fn judge<'a>(config: &'a PolicyConfig, state: &'a State, ca: &'a Ca) -> Judge<'a> {
        Judge {
            config,
            state,
            ca_not_after: Some(datetime!(2030-01-01 0:00 UTC)),
            ca_id: Some(&ca.id),
            requested_days: None,
            now: NOW,
        }
    }

    #[test]
    fn a_genuine_certificate_is_renewed_and_reissued() {
        let ca = make_ca("test-ca");
        let key = KeyPair::generate().expect("key");
        let pem = client(&ca, &key, "alice", &["dev"], 1);
        let alice = record(&ca, &pem, "alice", &["dev"], 1);
        let state = state(&ca, &[&alice], &[]);
        let config = PolicyConfig::default();
        let judge = judge(&config, &state, &ca);
        let renewed = reapprove(&alice, &judge, Reapproval::Renew).expect("renewed");
        assert_eq!(renewed.user(), "alice");
        assert_eq!(renewed.groups(), ["dev".to_owned()]);
        assert_eq!(renewed.key_sha256(), alice.key_sha256);
        let reissued = reapprove(&alice, &judge, Reapproval::Reissue).expect("reissued");
        assert_eq!(reissued.request_key(), alice.csr_sha256);
    }

    /// Issue 8, finding 1: an appended entry claims other user, groups, key or serial
    /// than its certificate, or carries a certificate the CA never signed.
    #[test]
    fn forged_entries_are_refused_with_the_serial() {
        let ca = make_ca("test-ca");
        let insider = make_ca("test-ca");
        let key = KeyPair::generate().expect("key");
        let other_key = KeyPair::generate().expect("other key");
        let genuine = client(&ca, &key, "mallory", &["dev"], 1);
        // A genuine certificate, re-labelled with a more useful identity.
        let relabelled = record(&ca, &genuine, "admin", &["admins"], 1);
        // The entry adds a group its certificate does not carry. (rcgen keeps one value
        // per attribute type, so the order of several O values is tested through the
        // binary, which signs them.)
        let extra_pem = client(&ca, &key, "mallory", &["dev"], 2);
        let reordered = record(&ca, &extra_pem, "mallory", &["dev", "admins"], 2);
        // A certificate with the same subject, signed by the insider's own CA.
        let planted_pem = client(&insider, &key, "mallory", &["dev"], 3);
        let planted = record(&ca, &planted_pem, "mallory", &["dev"], 3);
        // The entry names another key than its certificate holds.
        let other_pem = client(&ca, &other_key, "mallory", &["dev"], 4);
        let mut swapped_key = record(&ca, &genuine, "mallory", &["dev"], 5);
        swapped_key.key_sha256 = record(&ca, &other_pem, "mallory", &["dev"], 4).key_sha256;
        let state = state(&ca, &[&relabelled, &reordered, &planted, &swapped_key], &[]);
        let config = PolicyConfig::default();
        let judge = judge(&config, &state, &ca);
        for (forged, detail) in [
            (
                &relabelled,
                "the entry names user 'admin', the certificate does not",
            ),
            (&relabelled, "groups differ"),
            (&reordered, "groups differ"),
            (&planted, "is not signed by CA"),
            (&swapped_key, "the certificate's serial is 0101"),
            (&swapped_key, "the entry names key SHA-256"),
        ] {
            for mode in [Reapproval::Renew, Reapproval::Reissue] {
                let reasons = reapprove(forged, &judge, mode).expect_err("forged entry");
                let expected = format!(
                    "serial {}: the ledger entry does not match its certificate",
                    forged.serial
                );
                assert!(
                    reasons
                        .iter()
                        .any(|reason| reason.starts_with(&expected) && reason.contains(detail)),
                    "{detail}: {reasons:?}"
                );
            }
        }
    }

    #[test]
    fn a_certificate_of_a_renewed_ca_verifies_under_its_lineage_only() {
        let ca = make_ca("test-ca");
        let key = KeyPair::generate().expect("key");
        let pem = client(&ca, &key, "alice", &[], 1);
        let mut alice = record(&ca, &pem, "alice", &[], 1);
        let state = state(&ca, &[&alice], &[]);
        let config = PolicyConfig::default();
        let judge = judge(&config, &state, &ca);
        assert!(reapprove(&alice, &judge, Reapproval::Renew).is_ok());
        // An entry naming a CA the ledger does not know verifies under nothing.
        alice.ca = "0000000000000000".to_owned();
        let reasons = reapprove(&alice, &judge, Reapproval::Renew).expect_err("unknown CA");
        assert!(
            reasons[0].contains("is not signed by CA '0000000000000000'"),
            "{reasons:?}"
        );
    }

    #[test]
    fn a_revoked_key_is_not_signed_again() {
        let ca = make_ca("test-ca");
        let key = KeyPair::generate().expect("key");
        let stolen_pem = client(&ca, &key, "alice", &[], 1);
        let stolen = record(&ca, &stolen_pem, "alice", &[], 1);
        // A second certificate for the same key, not itself revoked.
        let twin_pem = client(&ca, &key, "alice", &["dev"], 2);
        let twin = record(&ca, &twin_pem, "alice", &["dev"], 2);
        let state = state(&ca, &[&stolen, &twin], &[(&stolen, "laptop stolen")]);
        let config = PolicyConfig::default();
        let judge = judge(&config, &state, &ca);
        for mode in [Reapproval::Renew, Reapproval::Reissue] {
            let reasons = reapprove(&twin, &judge, mode).expect_err("revoked key");
            assert_eq!(
                reasons,
                vec![format!(
                    "this public key's certificate was revoked (serial {} revoked 2026-01-01T12:00:00Z, reason 'keyCompromise: laptop stolen'): a revoked key is never signed again; the requester needs a new key",
                    stolen.serial
                )]
            );
        }
        let spki = {
            let der = pem::parse(&twin_pem).expect("pem").into_contents();
            let (_, parsed) = X509Certificate::from_der(&der).expect("certificate");
            parsed.public_key().raw.to_vec()
        };
        let reasons = approve_new_key("bob", &[], &spki, &judge).expect_err("revoked key");
        assert!(reasons[0].starts_with("this public key's certificate was revoked"));
    }

    /// Issue 8, finding 3 on the renewal path: even a genuine `system:masters`
    /// certificate (e.g. imported history) is never signed again, whatever the policy.
    #[test]
    fn the_floor_holds_on_renewal() {
        let ca = make_ca("test-ca");
        let key = KeyPair::generate().expect("key");
        let pem = client(&ca, &key, "root", &["system:masters"], 1);
        let root = record(&ca, &pem, "root", &["system:masters"], 1);
        let state = state(&ca, &[&root], &[]);
        let mut config = PolicyConfig::default();
        config.names.forbidden_groups.clear();
        let judge = judge(&config, &state, &ca);
        let reasons = reapprove(&root, &judge, Reapproval::Renew).expect_err("floor");
        assert!(
            reasons[0].starts_with("group 'system:masters' is forbidden"),
            "{reasons:?}"
        );
    }
}

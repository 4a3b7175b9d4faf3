//! `airlock revoke`: the ledger record, a CRL per CA involved, and the RBAC script.

use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};

use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevokedCertParams, SerialNumber};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::batch::check_out_folder;
use super::lifecycle::{Selection, selected};
use super::{Context, Session, Unlock};
use crate::Error;
use crate::ca::{self, Signer, rfc3339};
use crate::export::revocation::{self, RbacPlan, SnapshotBinding};
use crate::home::{HomeError, check_private_dir, write_new};
use crate::revocation_reason::{ReasonCode, RevocationReason};
use crate::state::{CertIssued, CertRevoked, KIND_CERT_REVOKED, KIND_CRL_ISSUED};

/// `airlock revoke`.
#[derive(Debug, Clone)]
pub struct RevokeRequest {
    /// A serial or every active certificate of a user.
    pub selection: Selection,
    /// Why: the RFC 5280 code (kept in the ledger and carried by the CRL) and the
    /// officer's free text (kept in the ledger).
    pub reason: RevocationReason,
    /// Where to write the CRL and the script (default: `revocations/<seq>/` in the home).
    pub out: Option<PathBuf>,
    /// An RBAC snapshot, parsed.
    pub rbac_snapshot: Option<Vec<SnapshotBinding>>,
}

/// What `revoke` did.
#[derive(Debug, Clone, Serialize)]
pub struct RevokeReport {
    /// Serials revoked now.
    pub revoked: Vec<String>,
    /// CRL files written, one per CA involved.
    pub crls: Vec<PathBuf>,
    /// CAs that could not sign a CRL, with the reason.
    pub crl_skipped: Vec<String>,
    /// The revocation script.
    pub script: PathBuf,
    /// The reason recorded, `CODE` or `CODE: text` (the text is the officer's own:
    /// escape it before display).
    pub reason: String,
    /// What the RBAC script deletes, what it only comments out and why, and what access
    /// remains.
    pub rbac: RbacPlan,
    /// The plain statement about Kubernetes and CRLs.
    pub note: &'static str,
}

/// Records revocations, signs a CRL per CA involved and writes the RBAC revocation script.
pub fn revoke(
    session: &mut Session,
    request: &RevokeRequest,
    unlock: &dyn Unlock,
    context: &Context<'_>,
) -> Result<RevokeReport, Error> {
    let mut targets: Vec<CertIssued> = selected(session, &request.selection, context.now)?
        .into_iter()
        .cloned()
        .collect();
    // A revocation takes the key out of service: every other unexpired certificate over
    // the same key (a rotation's reissued twin, a renewal) goes with it, or the holder of
    // a stolen key would keep a valid certificate for it.
    let same_key: Vec<CertIssued> = targets
        .iter()
        .flat_map(|target| {
            session
                .state()
                .unexpired_for_key(&target.key_sha256, context.now)
        })
        .filter(|cert| session.state().revocation(&cert.serial).is_none())
        .cloned()
        .collect();
    for cert in same_key {
        if !targets.iter().any(|target| target.serial == cert.serial) {
            targets.push(cert);
        }
    }
    if targets.is_empty() {
        return Err(Error::Refused(
            "no active certificate matches: nothing to revoke".to_owned(),
        ));
    }
    // Each CRL is signed by the current certificate of the issuing key's lineage (the
    // renewed CA certificate, if the CA was renewed).
    let state = session.state();
    let current = |ca: &str| {
        state
            .lineage(ca)
            .into_iter()
            .find(|id| {
                state.is_trusted_issuer(id)
                    && state
                        .ca(id)
                        .is_some_and(|record| record.role != crate::state::CaRole::Superseded)
            })
            .unwrap_or_else(|| ca.to_owned())
    };
    // The user's other certificates that stay active: they authenticate as the same
    // user, so they rely on the same bindings.
    let still_active: Vec<&CertIssued> = state
        .issued()
        .iter()
        .filter(|cert| {
            cert.not_after_time() > context.now
                && state.revocation(&cert.serial).is_none()
                && state.is_trusted_issuer(&cert.ca)
                && targets.iter().any(|target| target.user == cert.user)
                && !targets.iter().any(|target| target.serial == cert.serial)
        })
        .collect();
    let rbac = revocation::rbac_plan(
        &targets.iter().collect::<Vec<_>>(),
        &still_active,
        request.rbac_snapshot.as_deref(),
    );
    let mut ca_ids: Vec<String> = targets.iter().map(|cert| current(&cert.ca)).collect();
    ca_ids.sort();
    ca_ids.dedup();
    let out = match &request.out {
        Some(out) => {
            check_out_folder(session.home(), None, out)?;
            out.clone()
        }
        // Named now (after the entry it will hold), made only once the act committed:
        // a wrong passphrase leaves no empty folder in the home.
        None => default_out_path(session),
    };
    let mut signers = Vec::new();
    for id in &ca_ids {
        signers.push(session.unlock(id, unlock)?);
    }
    let mut records = Vec::new();
    for cert in &targets {
        let record = CertRevoked {
            serial: cert.serial.clone(),
            ca: cert.ca.clone(),
            user: cert.user.clone(),
            reason: request.reason.ledger_text(),
            time: rfc3339(context.now),
            code: Some(request.reason.code().name().to_owned()),
        };
        let payload =
            serde_json::to_value(&record).map_err(|error| Error::Refused(error.to_string()))?;
        session
            .ledger
            .append(&mut session.state, context.now, KIND_CERT_REVOKED, payload)?;
        records.push(record);
    }
    let crls = record_crls(session, &signers, &out, context)?;
    let (crl_files, skipped) = (crls.files, crls.skipped);
    if let Some(signer) = signers.last() {
        session
            .ledger
            .seal(&mut session.state, context.now, signer)?;
    }
    drop(signers);
    session.ledger.commit()?;
    let script = revocation::script(&records, &rbac);
    let script_path = out.join("revoke-rbac.sh");
    if request.out.is_some() {
        super::batch::create_out_folder(session.home(), &out)?;
    } else {
        create_default_out(session, &out)?;
    }
    for (path, pem) in &crl_files {
        write_new(path, pem.as_bytes())?;
    }
    write_new(&script_path, script.as_bytes())?;
    Ok(RevokeReport {
        revoked: records.into_iter().map(|record| record.serial).collect(),
        crls: crl_files.into_iter().map(|(path, _)| path).collect(),
        crl_skipped: skipped,
        script: script_path,
        reason: request.reason.to_string(),
        rbac,
        note: revocation::KUBERNETES_NOTE,
    })
}

/// CRLs signed and recorded by [`record_crls`], not yet written.
pub(super) struct RecordedCrls {
    /// `OUT/<ca id>.crl` and its PEM, per CA that signed one.
    pub files: Vec<(PathBuf, String)>,
    /// CAs that could not sign one, with the reason.
    pub skipped: Vec<String>,
    /// Revocations the CRLs list, added up.
    pub revoked: usize,
}

/// Signs a CRL with each signer (every revocation of its lineage) and appends a
/// `crl.issued` entry per CRL; nothing is sealed, committed or written. Used by `revoke`
/// and `crl`.
pub(super) fn record_crls(
    session: &mut Session,
    signers: &[Signer],
    out: &std::path::Path,
    context: &Context<'_>,
) -> Result<RecordedCrls, Error> {
    let mut recorded = RecordedCrls {
        files: Vec::new(),
        skipped: Vec::new(),
        revoked: 0,
    };
    for signer in signers {
        let id = signer.certificate().info().id.clone();
        match sign_crl(session, signer, context) {
            Ok(pem) => {
                let lineage = session.state().lineage(&id);
                let count = session
                    .state()
                    .revocations()
                    .filter(|revoked| lineage.contains(&revoked.ca))
                    .count();
                recorded.revoked += count;
                let payload = serde_json::json!({
                    "ca": id,
                    "number": session.state().crl_count() + 1,
                    "revoked": count,
                });
                session
                    .ledger
                    .append(&mut session.state, context.now, KIND_CRL_ISSUED, payload)?;
                recorded.files.push((out.join(format!("{id}.crl")), pem));
            }
            Err(reason) => recorded.skipped.push(format!("CA {id}: {reason}")),
        }
    }
    Ok(recorded)
}

/// `revocations/<seq>/` in the home, where `revoke` writes without `--out`.
fn default_out_path(session: &Session) -> PathBuf {
    session
        .home()
        .root()
        .join("revocations")
        .join(format!("{:06}", session.ledger().len() + 1))
}

/// Creates [`default_out_path`] and its parent. The home is untrusted: each level must
/// then be a folder of our own, not a symbolic link, not writable by others
/// ([`check_private_dir`]), so nothing planted there redirects the files elsewhere.
fn create_default_out(session: &Session, out: &std::path::Path) -> Result<(), Error> {
    let revocations = session.home().root().join("revocations");
    for folder in [revocations.as_path(), out] {
        match std::fs::DirBuilder::new().mode(0o700).create(folder) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => return Err(HomeError::io("create", folder, source).into()),
        }
        check_private_dir(folder)?;
    }
    Ok(())
}

/// A CRL of every revocation of `signer`'s CA, valid 30 days.
pub(super) fn sign_crl(
    session: &Session,
    signer: &Signer,
    context: &Context<'_>,
) -> Result<String, String> {
    let info = signer.certificate().info();
    let lineage = session.state().lineage(&info.id);
    let revoked_certs = session
        .state()
        .revocations()
        .filter(|revoked| lineage.contains(&revoked.ca))
        .map(|revoked| crl_entry(revoked, context.now))
        .collect::<Result<Vec<_>, String>>()?;
    let ski = crate::hex::decode(&info.subject_key_id).unwrap_or_default();
    let params = CertificateRevocationListParams {
        this_update: ca::whole_seconds(context.now),
        next_update: ca::whole_seconds(context.now + Duration::days(super::crl::CRL_DAYS)),
        crl_number: SerialNumber::from(session.state().crl_count() + 1),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::PreSpecified(ski),
    };
    let issuer = rcgen::Issuer::from_ca_cert_der(
        &signer.certificate().der().to_vec().into(),
        signer.rcgen_key(),
    )
    .map_err(|error| error.to_string())?;
    let crl = params.signed_by(&issuer).map_err(|error| match error {
        rcgen::Error::IssuerNotCrlSigner => {
            "its keyUsage lacks cRLSign, so no CRL can be signed".to_owned()
        }
        other => other.to_string(),
    })?;
    crl.pem().map_err(|error| error.to_string())
}

/// The CRL entry of one revocation. Entries of ledgers written before codes were recorded
/// (and any code this version does not know, or `unspecified`, which RFC 5280 asks to
/// leave out) carry no reasonCode: absent means unspecified.
fn crl_entry(revoked: &CertRevoked, now: OffsetDateTime) -> Result<RevokedCertParams, String> {
    let time = OffsetDateTime::parse(
        &revoked.time,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap_or(now);
    let reason_code = revoked
        .code
        .as_deref()
        .and_then(|code| code.parse::<ReasonCode>().ok())
        .and_then(ReasonCode::crl_reason);
    let serial = crate::hex::decode(&revoked.serial)
        .filter(|bytes| !bytes.is_empty())
        .ok_or_else(|| {
            format!(
                "the ledger's serial '{}' is not hex",
                crate::text::name(&revoked.serial)
            )
        })?;
    Ok(RevokedCertParams {
        serial_number: SerialNumber::from_slice(&serial),
        revocation_time: ca::whole_seconds(time),
        reason_code,
        invalidity_date: None,
    })
}

/// Reads an RBAC snapshot file for `revoke` and the review.
pub fn read_rbac_snapshot(path: &Path) -> Result<Vec<SnapshotBinding>, Error> {
    let bytes =
        std::fs::read(path).map_err(|source| crate::home::HomeError::io("read", path, source))?;
    revocation::parse_snapshot(&bytes).map_err(|reason| {
        Error::Refused(format!(
            "RBAC snapshot '{}' is not usable: {reason}",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revoked(code: Option<&str>) -> CertRevoked {
        CertRevoked {
            serial: "0a0b".to_owned(),
            ca: "c".to_owned(),
            user: "alice".to_owned(),
            reason: "laptop stolen".to_owned(),
            time: "2026-01-01T00:00:00Z".to_owned(),
            code: code.map(str::to_owned),
        }
    }

    #[test]
    fn crl_entries_carry_the_recorded_code_and_old_entries_none() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let entry = |code| crl_entry(&revoked(code), now).expect("entry").reason_code;
        assert_eq!(
            entry(Some("keyCompromise")),
            Some(rcgen::RevocationReason::KeyCompromise)
        );
        assert_eq!(
            entry(Some("privilegeWithdrawn")),
            Some(rcgen::RevocationReason::PrivilegeWithdrawn)
        );
        assert_eq!(entry(None), None, "a ledger from before codes");
        assert_eq!(entry(Some("unspecified")), None, "RFC 5280: leave it out");
        assert_eq!(entry(Some("\u{1b}nonsense")), None);
        let mut bad = revoked(None);
        bad.serial = "zz".to_owned();
        assert!(crl_entry(&bad, now).is_err_and(|reason| reason.contains("'zz'")));
    }
}

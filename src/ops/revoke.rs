//! `airlock revoke`: the ledger record, a CRL per CA involved, and the RBAC script.

use std::path::{Path, PathBuf};

use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevokedCertParams, SerialNumber};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::batch::check_out_folder;
use super::lifecycle::{Selection, selected};
use super::{Context, Session, Unlock};
use crate::Error;
use crate::ca::{self, Signer, rfc3339};
use crate::export::revocation::{self, SnapshotBinding};
use crate::home::write_new;
use crate::state::{CertIssued, CertRevoked, KIND_CERT_REVOKED, KIND_CRL_ISSUED};

/// `airlock revoke`.
#[derive(Debug, Clone)]
pub struct RevokeRequest {
    /// A serial or every active certificate of a user.
    pub selection: Selection,
    /// Why (kept in the ledger).
    pub reason: String,
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
    let reason = request.reason.trim();
    if reason.is_empty() {
        return Err(Error::Refused(
            "--reason must say why; the ledger keeps it".to_owned(),
        ));
    }
    let targets: Vec<CertIssued> = selected(session, &request.selection, context.now)?
        .into_iter()
        .cloned()
        .collect();
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
    let mut ca_ids: Vec<String> = targets.iter().map(|cert| current(&cert.ca)).collect();
    ca_ids.sort();
    ca_ids.dedup();
    let out = match &request.out {
        Some(out) => out.clone(),
        None => session
            .home()
            .root()
            .join("revocations")
            .join(format!("{:06}", session.ledger().len() + 1)),
    };
    check_out_folder(None, &out)?;
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
            reason: reason.to_owned(),
            time: rfc3339(context.now),
        };
        let payload =
            serde_json::to_value(&record).map_err(|error| Error::Refused(error.to_string()))?;
        session
            .ledger
            .append(&mut session.state, context.now, KIND_CERT_REVOKED, payload)?;
        records.push(record);
    }
    let mut crl_files = Vec::new();
    let mut skipped = Vec::new();
    for signer in &signers {
        let id = signer.certificate().info().id.clone();
        match sign_crl(session, signer, context) {
            Ok(pem) => {
                let payload = serde_json::json!({ "ca": id, "number": session.state().crl_count() + 1, "revoked": session.state().revocations().filter(|revoked| session.state().lineage(&id).contains(&revoked.ca)).count() });
                session
                    .ledger
                    .append(&mut session.state, context.now, KIND_CRL_ISSUED, payload)?;
                crl_files.push((out.join(format!("{id}.crl")), pem));
            }
            Err(reason) => skipped.push(format!("CA {id}: {reason}")),
        }
    }
    if let Some(signer) = signers.last() {
        session
            .ledger
            .seal(&mut session.state, context.now, signer)?;
    }
    drop(signers);
    session.ledger.commit()?;
    let mut groups: Vec<String> = targets
        .iter()
        .flat_map(|cert| cert.groups.clone())
        .collect();
    groups.sort();
    groups.dedup();
    let script = revocation::script(&records, &groups, request.rbac_snapshot.as_deref());
    let script_path = out.join("revoke-rbac.sh");
    for (path, pem) in &crl_files {
        write_new(path, pem.as_bytes())?;
    }
    write_new(&script_path, script.as_bytes())?;
    Ok(RevokeReport {
        revoked: records.into_iter().map(|record| record.serial).collect(),
        crls: crl_files.into_iter().map(|(path, _)| path).collect(),
        crl_skipped: skipped,
        script: script_path,
        note: revocation::KUBERNETES_NOTE,
    })
}

/// A CRL of every revocation of `signer`'s CA, valid 30 days.
fn sign_crl(session: &Session, signer: &Signer, context: &Context<'_>) -> Result<String, String> {
    let info = signer.certificate().info();
    let lineage = session.state().lineage(&info.id);
    let revoked_certs = session
        .state()
        .revocations()
        .filter(|revoked| lineage.contains(&revoked.ca))
        .map(|revoked| {
            let time = OffsetDateTime::parse(
                &revoked.time,
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap_or(context.now);
            RevokedCertParams {
                serial_number: SerialNumber::from_slice(
                    &crate::hex::decode(&revoked.serial).unwrap_or_default(),
                ),
                revocation_time: ca::whole_seconds(time),
                reason_code: None,
                invalidity_date: None,
            }
        })
        .collect();
    let ski = crate::hex::decode(&info.subject_key_id).unwrap_or_default();
    let params = CertificateRevocationListParams {
        this_update: ca::whole_seconds(context.now),
        next_update: ca::whole_seconds(context.now + Duration::days(30)),
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

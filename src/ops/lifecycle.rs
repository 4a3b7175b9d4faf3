//! The life of certificates after issuance: inventory, renewal, CA renewal, revocation.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, IsCa, KeyIdMethod, KeyUsagePurpose, RevokedCertParams, SerialNumber,
};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::batch::{check_out_folder, preflight_outputs, record_issuance, write_batch_outputs};
use super::{Context, Session, Unlock};
use crate::Error;
use crate::ca::{self, CaCertificate, CaInfo, Signer, rfc3339};
use crate::export::revocation::{self, SnapshotBinding};
use crate::export::{Report, ReportRejected};
use crate::home::{create_private_dir, write_new};
use crate::policy::{self, Approved, Judge, Reapproval};
use crate::state::{
    CaAdded, CaRenewed, CertIssued, CertRevoked, KIND_CA_RENEWED, KIND_CERT_REVOKED,
    KIND_CRL_ISSUED, KIND_NOTE,
};

/// One row of `airlock list`.
#[derive(Debug, Clone, Serialize)]
pub struct CertRow {
    /// Serial, hex.
    pub serial: String,
    /// User (CN), inert.
    pub user: String,
    /// Groups (O values), inert.
    pub groups: Vec<String>,
    /// Issuing CA id.
    pub ca: String,
    /// End of validity.
    pub not_after: String,
    /// Whole days left (negative once expired).
    pub days_left: i64,
    /// `active`, `expired`, `revoked`, or `untrusted` (its CA was retired by a rotation).
    pub state: &'static str,
    /// Kubernetes audit credential id.
    pub credential_id: String,
    /// For a rotation twin: the serial it replaces.
    pub reissue_of: Option<String>,
}

/// Which certificates `list` shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only unexpired ones ending within this many days.
    pub expiring_within: Option<u32>,
    /// Only revoked ones.
    pub revoked: bool,
    /// Only this user.
    pub user: Option<String>,
}

/// The inventory, in issuance order.
pub fn list(session: &Session, filter: &ListFilter, now: OffsetDateTime) -> Vec<CertRow> {
    let state = session.state();
    state
        .issued()
        .iter()
        .filter(|cert| filter.user.as_deref().is_none_or(|user| cert.user == user))
        .filter(|cert| !filter.revoked || state.revocation(&cert.serial).is_some())
        .filter(|cert| {
            filter.expiring_within.is_none_or(|days| {
                let end = cert.not_after_time();
                end > now
                    && end <= now + Duration::days(i64::from(days))
                    && state.revocation(&cert.serial).is_none()
            })
        })
        .map(|cert| row(session, cert, now))
        .collect()
}

fn row(session: &Session, cert: &CertIssued, now: OffsetDateTime) -> CertRow {
    let state = if session.state().revocation(&cert.serial).is_some() {
        "revoked"
    } else if cert.not_after_time() <= now {
        "expired"
    } else if !session.state().is_trusted_issuer(&cert.ca) {
        "untrusted"
    } else {
        "active"
    };
    CertRow {
        serial: cert.serial.clone(),
        user: crate::text::name(&cert.user),
        groups: cert
            .groups
            .iter()
            .map(|group| crate::text::name(group))
            .collect(),
        ca: cert.ca.clone(),
        not_after: cert.not_after.clone(),
        days_left: (cert.not_after_time() - now).whole_days(),
        state,
        credential_id: cert.credential_id(),
        reissue_of: cert.reissue_of.clone(),
    }
}

/// Which certificates `renew` renews.
#[derive(Debug, Clone)]
pub enum Selection {
    /// One serial (hex).
    Serial(String),
    /// Every active certificate ending within this many days.
    ExpiringWithin(u32),
    /// Every active certificate of a user (revocation only).
    User(String),
}

/// `airlock renew`.
#[derive(Debug, Clone)]
pub struct RenewRequest {
    /// What to renew.
    pub selection: Selection,
    /// Output folder.
    pub out: PathBuf,
    /// Requested lifetime, capped by the profile.
    pub days: Option<u32>,
}

/// What `renew` did.
#[derive(Debug, Clone, Serialize)]
pub struct RenewReport {
    /// The output folder.
    pub out: PathBuf,
    /// `report.json`.
    pub report: Report,
    /// Certificates signed now.
    pub newly_signed: usize,
    /// Renewals handed back from an earlier run.
    pub reused: usize,
    /// Files written.
    pub written: Vec<String>,
}

fn selected<'a>(
    session: &'a Session,
    selection: &Selection,
    now: OffsetDateTime,
) -> Result<Vec<&'a CertIssued>, Error> {
    let state = session.state();
    let usable = |cert: &&CertIssued| {
        cert.not_after_time() > now
            && state.revocation(&cert.serial).is_none()
            && state.is_trusted_issuer(&cert.ca)
    };
    match selection {
        Selection::Serial(serial) => {
            let cert = state.certificate(serial).ok_or_else(|| {
                Error::Refused(format!(
                    "no certificate with serial '{}'",
                    crate::text::name(serial)
                ))
            })?;
            if let Some(revoked) = state.revocation(&cert.serial) {
                return Err(Error::Refused(format!(
                    "serial {} was revoked ({})",
                    cert.serial,
                    crate::text::name(&revoked.reason)
                )));
            }
            Ok(vec![cert])
        }
        Selection::ExpiringWithin(days) => {
            let end = now + Duration::days(i64::from(*days));
            Ok(state
                .issued()
                .iter()
                .filter(usable)
                .filter(|cert| cert.not_after_time() <= end)
                .collect())
        }
        Selection::User(user) => Ok(state
            .issued()
            .iter()
            .filter(usable)
            .filter(|cert| &cert.user == user)
            .collect()),
    }
}

/// Signs the same subject and key again, with a fresh lifetime under the current policy,
/// by the CA that signs now. Idempotent per renewed serial.
pub fn renew(
    session: &mut Session,
    request: &RenewRequest,
    unlock: &dyn Unlock,
    context: &Context<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<RenewReport, Error> {
    let ca_id = session
        .state()
        .signing_ca()
        .map(|ca| ca.certificate.info().id.clone())
        .ok_or_else(|| Error::Refused("this home has no CA yet".to_owned()))?;
    check_out_folder(None, &request.out)?;
    let config = session.home().policy()?;
    let judge = Judge {
        config: &config,
        state: session.state(),
        ca_not_after: session
            .state()
            .ca(&ca_id)
            .map(|ca| ca.certificate.info().not_after),
        ca_id: Some(&ca_id),
        requested_days: request.days,
        now: context.now,
    };
    let mut approved: Vec<Approved> = Vec::new();
    let mut rejected = Vec::new();
    for cert in selected(session, &request.selection, context.now)? {
        match policy::reapprove(cert, &judge, Reapproval::Renew) {
            Ok(item) => approved.push(item),
            Err(reasons) => rejected.push(ReportRejected {
                input: format!("serial {}", cert.serial),
                reasons,
            }),
        }
    }
    if approved.is_empty() && rejected.is_empty() {
        return Err(Error::Refused(
            "no active certificate matches: nothing to renew".to_owned(),
        ));
    }
    let to_sign: Vec<(usize, &Approved)> = approved
        .iter()
        .enumerate()
        .filter(|(_, item)| {
            session
                .state()
                .issued_for_csr(&ca_id, item.request_key())
                .is_none()
        })
        .collect();
    preflight_outputs(session, &approved, &ca_id, &request.out)?;
    let newly_signed = to_sign.len();
    if newly_signed > 0 {
        let signer = session.unlock(&ca_id, unlock)?;
        record_issuance(
            session,
            &signer,
            &to_sign,
            &|_| None,
            "renewal",
            context,
            progress,
        )?;
        let note = serde_json::json!({ "step": "renew", "out": request.out.display().to_string(), "signed": newly_signed });
        session
            .ledger
            .append(&mut session.state, context.now, KIND_NOTE, note)?;
        session
            .ledger
            .seal(&mut session.state, context.now, &signer)?;
        drop(signer);
        session.ledger.commit()?;
    }
    let (report, written) = write_batch_outputs(
        session,
        &approved,
        &ca_id,
        &request.out,
        rejected,
        context.now,
    )?;
    Ok(RenewReport {
        out: request.out.clone(),
        report,
        reused: approved.len() - newly_signed,
        newly_signed,
        written,
    })
}

/// What `renew-ca` did.
#[derive(Debug, Clone, Serialize)]
pub struct RenewCaReport {
    /// The certificate it supersedes.
    pub previous: CaInfo,
    /// The renewed certificate.
    pub renewed: CaInfo,
    /// The renewed certificate file.
    pub cert_file: PathBuf,
}

/// Renews the active CA: same key, same subject and key identifier, new validity.
/// Certificates it issued stay valid under the renewed certificate. Not a rotation.
pub fn renew_ca(
    session: &mut Session,
    days: u32,
    unlock: &dyn Unlock,
    context: &Context<'_>,
) -> Result<RenewCaReport, Error> {
    if session.state().rotation().is_some() {
        return Err(Error::Refused(
            "cannot renew the CA during a rotation: finish or abort it first".to_owned(),
        ));
    }
    if days == 0 || days > ca::MAX_CA_DAYS {
        return Err(ca::CaError::Days(days).into());
    }
    let active = session
        .state()
        .active_ca()
        .ok_or_else(|| Error::Refused("this home has no CA yet".to_owned()))?;
    let previous = active.certificate.clone();
    let key_file = active
        .key_file
        .clone()
        .ok_or_else(|| Error::Refused("the active CA's key was destroyed".to_owned()))?;
    let signer = session.unlock(&previous.info().id, unlock)?;
    let renewed = self_sign_again(&previous, &signer, days, context)?;
    let renewed_signer = signer.with_certificate(renewed.clone())?;
    let info = renewed.info().clone();
    let folder = session.home().ca_dir(&info.id);
    create_private_dir(&folder)?;
    let sealed = std::fs::read(session.home().root().join(&key_file)).map_err(|source| {
        crate::home::HomeError::io("read", &session.home().root().join(&key_file), source)
    })?;
    write_new(&folder.join("ca.key.age"), &sealed)?;
    let cert_file = folder.join("ca.crt");
    write_new(&cert_file, renewed.pem().as_bytes())?;
    let payload = CaRenewed {
        previous: previous.info().id.clone(),
        ca: CaAdded {
            ca: info.id.clone(),
            cert: renewed.pem(),
            key_file: format!("cas/{}/ca.key.age", info.id),
            fingerprint: info.fingerprint.clone(),
            protection: "the previous certificate's encrypted key, copied".to_owned(),
        },
    };
    let payload =
        serde_json::to_value(payload).map_err(|error| Error::Refused(error.to_string()))?;
    session
        .ledger
        .append(&mut session.state, context.now, KIND_CA_RENEWED, payload)?;
    session
        .ledger
        .seal(&mut session.state, context.now, &renewed_signer)?;
    drop(renewed_signer);
    session.ledger.commit()?;
    Ok(RenewCaReport {
        previous: previous.info().clone(),
        renewed: info,
        cert_file,
    })
}

/// A new self-signed certificate over the same key and subject, with the same subject key
/// identifier, so that certificates issued under the old one chain to it.
fn self_sign_again(
    previous: &CaCertificate,
    signer: &Signer,
    days: u32,
    context: &Context<'_>,
) -> Result<CaCertificate, Error> {
    let parsed = previous.parsed();
    let mut name = DistinguishedName::new();
    for rdn in parsed.subject().iter() {
        for attribute in rdn.iter() {
            let value = attribute.as_str().map_err(|_| {
                Error::Refused(
                    "the CA subject holds a value that is not a string: rotate instead".to_owned(),
                )
            })?;
            let kind = match attribute.attr_type().to_id_string().as_str() {
                "2.5.4.3" => DnType::CommonName,
                "2.5.4.10" => DnType::OrganizationName,
                "2.5.4.11" => DnType::OrganizationalUnitName,
                "2.5.4.6" => DnType::CountryName,
                "2.5.4.8" => DnType::StateOrProvinceName,
                "2.5.4.7" => DnType::LocalityName,
                other => {
                    return Err(Error::Refused(format!(
                        "the CA subject holds attribute {other}, which renewal cannot reproduce: rotate instead"
                    )));
                }
            };
            name.push(kind, value);
        }
    }
    let mut params = CertificateParams::default();
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    params.serial_number = Some(SerialNumber::from_slice(&ca::new_serial(context.rng)?));
    params.not_before = ca::whole_seconds(context.now - Duration::minutes(5));
    params.not_after = ca::whole_seconds(context.now + Duration::days(i64::from(days)));
    let ski = crate::hex::decode(&previous.info().subject_key_id).filter(|id| !id.is_empty());
    params.key_identifier_method = match ski {
        Some(id) => KeyIdMethod::PreSpecified(id),
        None => KeyIdMethod::PreSpecified(crate::issue::key_identifier(
            parsed.public_key().subject_public_key.data.as_ref(),
        )),
    };
    let cert = params
        .self_signed(signer.rcgen_key())
        .map_err(|error| ca::CaError::Generate(error.to_string()))?;
    let renewed = CaCertificate::from_der(cert.der().to_vec(), "renewed CA")?;
    if renewed.parsed().subject().as_raw() != parsed.subject().as_raw() {
        return Err(Error::Refused(
            "the CA subject cannot be reproduced byte for byte (its string types differ): rotate instead of renewing".to_owned(),
        ));
    }
    Ok(renewed)
}

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

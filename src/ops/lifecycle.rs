//! The life of certificates after issuance: inventory, renewal, CA renewal, revocation.

use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyIdMethod,
    KeyUsagePurpose, SerialNumber,
};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::batch::{check_out_folder, preflight_outputs, record_issuance, write_batch_outputs};
use super::{Context, Session, Unlock};
use crate::Error;
use crate::ca::{self, CaCertificate, CaInfo, Signer};
use crate::export::{Report, ReportRejected};
use crate::policy::{self, Approved, Judge, Reapproval};
use crate::state::{CaAdded, CaRenewed, CertIssued, KIND_CA_RENEWED, KIND_NOTE};

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
                    && state.is_trusted_issuer(&cert.ca)
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

pub(super) fn selected<'a>(
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
/// by the CA that signs now. Idempotent per renewed serial. When nothing matches, the
/// report is empty and nothing is written, not even the output folder.
pub fn renew(
    session: &mut Session,
    request: &RenewRequest,
    unlock: &dyn Unlock,
    context: &Context<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<RenewReport, Error> {
    session.check_vouched()?;
    let ca_id = session
        .state()
        .signing_ca()
        .map(|ca| ca.certificate.info().id.clone())
        .ok_or_else(|| Error::Refused("this home has no CA yet".to_owned()))?;
    let config = session.policy()?;
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
    let mut serials: Vec<String> = Vec::new();
    let mut rejected = Vec::new();
    for cert in selected(session, &request.selection, context.now)? {
        match policy::reapprove(cert, &judge, Reapproval::Renew) {
            Ok(item) => {
                approved.push(item);
                serials.push(cert.serial.clone());
            }
            Err(reasons) => rejected.push(ReportRejected {
                input: format!("serial {}", cert.serial),
                reasons,
            }),
        }
    }
    if approved.is_empty() && rejected.is_empty() {
        // Nothing to renew is an answer, not a failure (item 12 of issue 10).
        return Ok(RenewReport {
            out: request.out.clone(),
            report: Report {
                issued: Vec::new(),
                rejected: Vec::new(),
                withheld: Vec::new(),
            },
            newly_signed: 0,
            reused: 0,
            written: Vec::new(),
        });
    }
    check_out_folder(session.home(), None, &request.out)?;
    super::batch::make_stems_unique(&mut approved, &serials);
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
    preflight_outputs(
        session,
        &approved,
        &ca_id,
        &request.out,
        context.now,
        !to_sign.is_empty(),
    )?;
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
        super::batch::Outcome {
            rejected,
            withheld: Vec::new(),
        },
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
    if active.key_destroyed {
        return Err(Error::Refused(
            "the active CA's key was destroyed".to_owned(),
        ));
    }
    let key_file = session.key_path(&previous.info().id)?;
    let signer = session.unlock(&previous.info().id, unlock)?;
    let renewed = self_sign_again(&previous, &signer, days, context)?;
    let renewed_signer = signer.with_certificate(renewed.clone())?;
    let info = renewed.info().clone();
    let staged = super::setup::StagedCa::create(session, &info.id)?;
    let sealed = crate::home::read_private(&key_file, 1 << 20)?.ok_or_else(|| {
        crate::home::HomeError::io(
            "read",
            &key_file,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        )
    })?;
    staged.write("ca.key.age", &sealed)?;
    staged.write("ca.crt", renewed.pem().as_bytes())?;
    let cert_file = staged.target().join("ca.crt");
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
    staged.place()?;
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

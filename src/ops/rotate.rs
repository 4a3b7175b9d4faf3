//! `airlock rotate` and `airlock bundle`: the dual-CA rotation, step by step.
//!
//! Every transition is a ledger entry, sealed by a CA whose key was just unlocked
//! (`begin` by the old CA and then the new one, `reissue` and `finish` by the new CA,
//! `abort` by the old one),
//! and writes the bundle for the new phase into `bundles/` in the home.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::batch::{check_out_folder, preflight_outputs, record_issuance, write_batch_outputs};
use super::setup::write_ca_files;
use super::{Context, Session, Unlock};
use crate::Error;
use crate::ca::{self, CaCertificate, CaInfo, ImportInput, NewCa, Signer};
use crate::export::{Report, ReportRejected};
use crate::home::write_new;
use crate::policy::{self, Approved, Judge, Reapproval};
use crate::rotation::{self, ChecklistItem};
use crate::secret::{CaKey, Passphrase};
use crate::state::{
    KIND_NOTE, KIND_ROTATION_ABORTED, KIND_ROTATION_BEGUN, KIND_ROTATION_FINISHED,
    KIND_ROTATION_REISSUED, Phase, RotationBegun, RotationFinished,
};

/// Where the new CA of a rotation comes from.
pub enum NewCaSource<'a> {
    /// Generate it here.
    Generate(NewCa),
    /// Import one made elsewhere.
    Import {
        /// Its certificate.
        cert: ImportInput<'a>,
        /// Its private key.
        key: ImportInput<'a>,
    },
}

/// `airlock rotate begin`.
pub struct BeginRequest<'a> {
    /// The new CA.
    pub source: NewCaSource<'a>,
    /// scrypt work factor for the new key.
    pub work_factor: u8,
}

/// `airlock rotate finish`.
#[derive(Debug, Clone, Default)]
pub struct FinishRequest {
    /// Finish although active old-CA certificates were not reissued.
    pub force: bool,
    /// Why (required with `force`; kept in the ledger).
    pub reason: Option<String>,
    /// Delete the old CA's encrypted key instead of archiving it.
    pub destroy_old_key: bool,
}

/// What a rotation step did and what to deploy now.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    /// The phase after the step.
    pub phase: Phase,
    /// Whether the rotation just finished.
    pub finished: bool,
    /// The CAs the bundle trusts now, in order.
    pub trusted: Vec<CaInfo>,
    /// The bundle written for this phase.
    pub bundle_file: PathBuf,
    /// What to deploy where.
    pub checklist: Vec<ChecklistItem>,
    /// Ledger entries after the step.
    pub ledger_entries: u64,
}

/// What `rotate reissue` did.
#[derive(Debug, Clone, Serialize)]
pub struct ReissueReport {
    /// The phase and what to deploy.
    pub phase: PhaseReport,
    /// The output folder.
    pub out: PathBuf,
    /// `report.json`.
    pub report: Report,
    /// Certificates signed in this run.
    pub newly_signed: usize,
    /// Twins handed back from an earlier run.
    pub reused: usize,
    /// Files written in this run.
    pub written: Vec<String>,
}

/// `airlock rotate status`.
#[derive(Debug, Clone, Serialize)]
pub struct RotationStatus {
    /// The phase.
    pub phase: Phase,
    /// The CA being replaced (the active CA when stable).
    pub old: Option<CaInfo>,
    /// The CA replacing it.
    pub new: Option<CaInfo>,
    /// Active (unexpired, unrevoked) certificates of the old CA.
    pub old_active: usize,
    /// Of those, how many have a twin from the new CA.
    pub reissued: usize,
    /// Serials still without a twin.
    pub unreissued: Vec<String>,
    /// What can be done next.
    pub next_steps: String,
}

fn refuse_phase(session: &Session, step: &str) -> Error {
    Error::Refused(format!(
        "cannot {step} in rotation phase '{}': the next legal steps are {}",
        rotation::phase_name(session.state().phase()),
        rotation::next_steps(session.state())
    ))
}

/// Begins a rotation: a new CA (generated or imported) joins as incoming; the bundle
/// becomes old + new. The new key is encrypted under `new_passphrase`.
pub fn begin(
    session: &mut Session,
    request: &BeginRequest<'_>,
    new_passphrase: &Passphrase,
    unlock: &dyn Unlock,
    context: &Context<'_>,
) -> Result<PhaseReport, Error> {
    if session.state().phase() != Phase::Stable {
        return Err(refuse_phase(session, "begin a rotation"));
    }
    let old = session
        .state()
        .active_ca()
        .ok_or_else(|| {
            Error::Refused("this home has no CA to rotate: run 'airlock init' first".to_owned())
        })?
        .certificate
        .clone();
    let (cert, key, origin): (CaCertificate, CaKey, &str) = match &request.source {
        NewCaSource::Generate(new) => {
            let (cert, key) = ca::generate(new, context.now, context.rng)?;
            (cert, key, "generated")
        }
        NewCaSource::Import { cert, key } => {
            let (cert, key) = ca::import(cert, key, context.now)?;
            (cert, key, "imported")
        }
    };
    if cert.parsed().public_key().raw == old.parsed().public_key().raw {
        return Err(Error::Refused(
            "the new CA has the same key as the active one: a rotation needs a new key (to extend the validity, use 'airlock renew-ca')".to_owned(),
        ));
    }
    // Only whoever holds the active CA's key may bring in its successor: unlock it first.
    let old_signer = session.unlock(&old.info().id, unlock)?;
    let signer = Signer::new(&cert, &key)?;
    let (added, staged) =
        write_ca_files(session, &cert, &key, new_passphrase, request.work_factor)?;
    drop(key);
    // The active key vouches for its successor: replay refuses a new CA without this.
    let introduction = old_signer.sign(&crate::state::introduction_message(
        &cert.info().fingerprint,
    ))?;
    let begun = RotationBegun {
        old: old.info().id.clone(),
        ca: added,
        origin: origin.to_owned(),
        introduction: crate::hex::encode(&introduction),
    };
    append_json(session, context, KIND_ROTATION_BEGUN, &begun)?;
    // Sealed by the old CA (it authorizes its successor), then by the new one.
    session
        .ledger
        .seal(&mut session.state, context.now, &old_signer)?;
    drop(old_signer);
    session
        .ledger
        .seal(&mut session.state, context.now, &signer)?;
    drop(signer);
    session.ledger.commit()?;
    staged.place()?;
    phase_report(session, false)
}

/// Reissues every active certificate of the old CA with the new CA: same subject and
/// key, same end of validity (capped by the new CA). Idempotent: a re-run hands back
/// the twins already in the ledger. When every active old certificate has its twin,
/// the phase becomes `reissued`.
pub fn reissue(
    session: &mut Session,
    out: &Path,
    unlock: &dyn Unlock,
    context: &Context<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ReissueReport, Error> {
    session.check_vouched()?;
    let Some(rotation) = session.state().rotation().cloned() else {
        return Err(refuse_phase(session, "reissue"));
    };
    check_out_folder(session.home(), None, out)?;
    let config = session.policy()?;
    let new_not_after = session
        .state()
        .ca(&rotation.new)
        .map(|ca| ca.certificate.info().not_after);
    let judge = Judge {
        config: &config,
        state: session.state(),
        ca_not_after: new_not_after,
        ca_id: Some(&rotation.new),
        requested_days: None,
        now: context.now,
    };
    let mut approved: Vec<Approved> = Vec::new();
    let mut old_serials: Vec<String> = Vec::new();
    let mut rejected: Vec<ReportRejected> = Vec::new();
    for old in session
        .state()
        .active_certificates(&rotation.old, context.now)
    {
        match policy::reapprove(old, &judge, Reapproval::Reissue) {
            Ok(item) => {
                approved.push(item);
                old_serials.push(old.serial.clone());
            }
            Err(reasons) => rejected.push(ReportRejected {
                input: format!("serial {}", old.serial),
                reasons,
            }),
        }
    }
    super::batch::make_stems_unique(&mut approved, &old_serials);
    let to_sign: Vec<(usize, &Approved)> = approved
        .iter()
        .enumerate()
        .filter(|(_, item)| {
            session
                .state()
                .issued_for_csr(&rotation.new, item.request_key())
                .is_none()
        })
        .collect();
    preflight_outputs(
        session,
        &approved,
        &rotation.new,
        out,
        context.now,
        !to_sign.is_empty(),
    )?;
    let newly_signed = to_sign.len();
    let completes = rejected.is_empty() && rotation.phase == Phase::Overlap;
    if newly_signed > 0 || completes {
        let signer = session.unlock(&rotation.new, unlock)?;
        if newly_signed > 0 {
            let serial_of = |item: &Approved| {
                approved
                    .iter()
                    .position(|candidate| candidate.request_key() == item.request_key())
                    .and_then(|index| old_serials.get(index).cloned())
            };
            record_issuance(
                session,
                &signer,
                &to_sign,
                &serial_of,
                "rotation reissue",
                context,
                progress,
            )?;
        }
        let note = serde_json::json!({
            "step": "rotation reissue",
            "out": out.display().to_string(),
            "signed": newly_signed,
            "not_reissued": rejected.len(),
        });
        session
            .ledger
            .append(&mut session.state, context.now, KIND_NOTE, note)?;
        if completes {
            let payload = serde_json::json!({ "old": rotation.old, "new": rotation.new });
            session.ledger.append(
                &mut session.state,
                context.now,
                KIND_ROTATION_REISSUED,
                payload,
            )?;
        }
        session
            .ledger
            .seal(&mut session.state, context.now, &signer)?;
        drop(signer);
        session.ledger.commit()?;
    }
    let (report, written) = write_batch_outputs(
        session,
        &approved,
        &rotation.new,
        out,
        super::batch::Outcome {
            rejected,
            withheld: Vec::new(),
        },
        context.now,
    )?;
    Ok(ReissueReport {
        phase: phase_report(session, false)?,
        out: out.to_path_buf(),
        report,
        reused: approved.len() - newly_signed,
        newly_signed,
        written,
    })
}

/// Finishes the rotation: the new CA becomes the only trusted one. Refused while active
/// old-CA certificates have no twin, unless forced with a reason the ledger keeps.
pub fn finish(
    session: &mut Session,
    request: &FinishRequest,
    unlock: &dyn Unlock,
    context: &Context<'_>,
) -> Result<PhaseReport, Error> {
    let Some(rotation) = session.state().rotation().cloned() else {
        return Err(refuse_phase(session, "finish"));
    };
    let unreissued: Vec<String> = session
        .state()
        .unreissued(context.now)
        .iter()
        .map(|cert| cert.serial.clone())
        .collect();
    let reason = request
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|reason| !reason.is_empty());
    if !unreissued.is_empty() && !request.force {
        return Err(Error::Refused(format!(
            "{} active certificate(s) of the old CA have no reissued twin (e.g. serial {}): their holders would be locked out. Run 'airlock rotate reissue --out DIR', or finish with --force --reason TEXT",
            unreissued.len(),
            unreissued[0]
        )));
    }
    if request.force && reason.is_none() {
        return Err(Error::Refused(
            "--force needs --reason TEXT, which the ledger keeps".to_owned(),
        ));
    }
    let signer = session.unlock(&rotation.new, unlock)?;
    let finished = RotationFinished {
        old: rotation.old.clone(),
        new: rotation.new.clone(),
        forced: request.force && !unreissued.is_empty(),
        reason: reason.map(str::to_owned),
        unreissued,
        old_key: if request.destroy_old_key {
            "destroyed"
        } else {
            "archived"
        }
        .to_owned(),
    };
    append_json(session, context, KIND_ROTATION_FINISHED, &finished)?;
    session
        .ledger
        .seal(&mut session.state, context.now, &signer)?;
    session.ledger.commit()?;
    // The ledger now says the destruction is intended; make it so (every copy of the
    // old key: the old CA's and those of certificates it renewed), then record that it
    // is done. A crash in between is completed when the home is next opened.
    let pending = session.state().destroy_pending().to_vec();
    if !pending.is_empty() {
        session.remove_key_files(&pending)?;
        let done = crate::state::KeyDestroyed {
            cas: pending,
            completed_after_interruption: false,
        };
        append_json(session, context, crate::state::KIND_KEY_DESTROYED, &done)?;
        session
            .ledger
            .seal(&mut session.state, context.now, &signer)?;
        session.ledger.commit()?;
    }
    drop(signer);
    phase_report(session, true)
}

/// Aborts a rotation in phase `overlap`: the incoming CA is retired and the bundle goes
/// back to the old CA alone. Sealed by the old CA.
pub fn abort(
    session: &mut Session,
    unlock: &dyn Unlock,
    context: &Context<'_>,
) -> Result<PhaseReport, Error> {
    let Some(rotation) = session.state().rotation().cloned() else {
        return Err(refuse_phase(session, "abort"));
    };
    if rotation.phase != Phase::Overlap {
        return Err(Error::Refused(format!(
            "cannot abort in phase '{}': reissued certificates from the new CA are already handed out; the next legal step is 'airlock rotate finish'",
            rotation::phase_name(rotation.phase)
        )));
    }
    let signer = session.unlock(&rotation.old, unlock)?;
    let orphaned = session
        .state()
        .issued()
        .iter()
        .filter(|cert| cert.ca == rotation.new)
        .count();
    let payload = serde_json::json!({ "old": rotation.old, "new": rotation.new, "new_ca_certificates": orphaned });
    session.ledger.append(
        &mut session.state,
        context.now,
        KIND_ROTATION_ABORTED,
        payload,
    )?;
    session
        .ledger
        .seal(&mut session.state, context.now, &signer)?;
    drop(signer);
    session.ledger.commit()?;
    phase_report(session, false)
}

/// Where the rotation stands.
pub fn rotation_status(session: &Session, now: time::OffsetDateTime) -> RotationStatus {
    let state = session.state();
    let info = |id: &str| state.ca(id).map(|ca| ca.certificate.info().clone());
    if let Some(rotation) = state.rotation() {
        let old_active = state.active_certificates(&rotation.old, now).len();
        let unreissued: Vec<String> = state
            .unreissued(now)
            .iter()
            .map(|cert| cert.serial.clone())
            .collect();
        RotationStatus {
            phase: rotation.phase,
            old: info(&rotation.old),
            new: info(&rotation.new),
            old_active,
            reissued: old_active - unreissued.len(),
            unreissued,
            next_steps: rotation::next_steps(state).to_owned(),
        }
    } else {
        let old = state.active_ca().map(|ca| ca.certificate.info().clone());
        let old_active = old
            .as_ref()
            .map_or(0, |ca| state.active_certificates(&ca.id, now).len());
        RotationStatus {
            phase: Phase::Stable,
            old,
            new: None,
            old_active,
            reissued: 0,
            unreissued: Vec::new(),
            next_steps: rotation::next_steps(state).to_owned(),
        }
    }
}

/// Writes the bundle for the current phase to `out` (which must not exist).
pub fn bundle(session: &Session, out: &Path, annotate: bool) -> Result<PhaseReport, Error> {
    let trusted = session.state().trusted_cas();
    if trusted.is_empty() {
        return Err(Error::Refused(
            "this home has no CA yet: nothing to bundle".to_owned(),
        ));
    }
    write_new(out, rotation::bundle_pem(&trusted, annotate).as_bytes())?;
    Ok(report_for(session, out.to_path_buf(), false))
}

fn report_for(session: &Session, bundle_file: PathBuf, finished: bool) -> PhaseReport {
    let phase = session.state().phase();
    PhaseReport {
        phase,
        finished,
        trusted: session
            .state()
            .trusted_cas()
            .iter()
            .map(|ca| ca.certificate.info().clone())
            .collect(),
        checklist: rotation::checklist(phase, finished, &bundle_file.display().to_string()),
        bundle_file,
        ledger_entries: session.ledger().len(),
    }
}

/// Writes `bundles/<ledger length>-<phase>-client-ca-bundle.crt` in the home.
fn phase_report(session: &Session, finished: bool) -> Result<PhaseReport, Error> {
    let folder = session.home().root().join("bundles");
    crate::home::create_private_dir(&folder)?;
    let name = format!(
        "{:06}-{}-client-ca-bundle.crt",
        session.ledger().len(),
        if finished {
            "finished"
        } else {
            rotation::phase_name(session.state().phase())
        }
    );
    let path = folder.join(name);
    let trusted = session.state().trusted_cas();
    if !path.exists() {
        write_new(&path, rotation::bundle_pem(&trusted, false).as_bytes())?;
    }
    Ok(report_for(session, path, finished))
}

fn append_json<T: Serialize>(
    session: &mut Session,
    context: &Context<'_>,
    kind: &str,
    payload: &T,
) -> Result<(), Error> {
    let value = serde_json::to_value(payload).map_err(|error| Error::Refused(error.to_string()))?;
    session
        .ledger
        .append(&mut session.state, context.now, kind, value)?;
    Ok(())
}

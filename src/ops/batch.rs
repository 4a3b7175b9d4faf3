//! `review` and `sign`: a batch from an intake folder, judged, signed, written back.
//!
//! Order of writes in `sign`: every certificate is signed and checked in memory; then
//! the ledger entries (each with its whole certificate) and a seal are committed with one
//! fsync; only then are files written to OUT, each atomically and never over an existing
//! file. A crash before the commit leaves no trace; a crash after it is finished by
//! re-running the same batch, which hands back the certificates the ledger holds and
//! signs nothing twice (keyed by the CSR's SHA-256).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Context, Session, Unlock};
use crate::Error;
use crate::ca::{Signer, rfc3339};
use crate::export::revocation::{
    ALL_AUTHENTICATED, RoleBreadth, SnapshotBinding, matching_bindings,
};
use crate::export::{self, Report, ReportIssued, ReportRejected};
use crate::home::HomeError;
use crate::intake;
use crate::policy::{self, Approved, Batch, ItemReview, Judge, Verdict};
use crate::state::{CertIssued, KIND_BATCH_SIGNED, KIND_CERT_ISSUED};

/// `airlock review`.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewReport {
    /// The intake folder.
    pub intake: PathBuf,
    /// Batch digest, to read aloud.
    pub digest: String,
    /// Every item.
    pub items: Vec<ItemReview>,
    /// Accepted items.
    pub accepted: usize,
    /// Rejected items.
    pub rejected: usize,
    /// The CA that would sign, if any.
    pub ca: Option<String>,
}

/// `airlock sign`.
#[derive(Debug, Clone)]
pub struct SignRequest {
    /// The intake folder.
    pub intake: PathBuf,
    /// The output folder (created if missing; must differ from the intake folder).
    pub out: PathBuf,
    /// Requested lifetime in days, capped by the profile.
    pub days: Option<u32>,
    /// Sign only the accepted items whose CSR SHA-256 is listed (the officer's per-item
    /// approval); other accepted items are withheld and reported. A listed hash that is
    /// not an accepted item of the folder refuses the whole batch. `None`: every accepted
    /// item.
    pub only: Option<std::collections::BTreeSet<String>>,
    /// Refuse, signing nothing, unless the folder's batch digest is this one (the digest
    /// the officer read aloud at review).
    pub expect_digest: Option<String>,
}

/// What `sign` did.
#[derive(Debug, Clone, Serialize)]
pub struct SignReport {
    /// The review the signing followed.
    pub review: ReviewReport,
    /// The output folder.
    pub out: PathBuf,
    /// What `report.json` says.
    pub report: Report,
    /// Certificates signed in this run.
    pub newly_signed: usize,
    /// Certificates handed back from an earlier run of the same CSRs.
    pub reused: usize,
    /// Files written in this run (names in OUT).
    pub written: Vec<String>,
}

fn judge_batch(
    session: &Session,
    folder: &Path,
    days: Option<u32>,
    now: OffsetDateTime,
) -> Result<Batch, Error> {
    let config = session.policy()?;
    let items = intake::read_folder(folder)?;
    let active = session.state().signing_ca();
    let judge = Judge {
        config: &config,
        state: session.state(),
        ca_not_after: active.map(|ca| ca.certificate.info().not_after),
        ca_id: active.map(|ca| ca.certificate.info().id.as_str()),
        requested_days: days,
        now,
    };
    Ok(policy::evaluate(items, &judge))
}

fn review_report(session: &Session, folder: &Path, batch: &Batch) -> ReviewReport {
    let accepted = batch
        .reviews
        .iter()
        .filter(|review| review.verdict == Verdict::Accepted)
        .count();
    ReviewReport {
        intake: folder.to_path_buf(),
        digest: batch.digest.clone(),
        accepted,
        rejected: batch.reviews.len() - accepted,
        items: batch.reviews.clone(),
        ca: session
            .state()
            .signing_ca()
            .map(|ca| ca.certificate.info().common_name.clone()),
    }
}

/// [`review`], plus for each item the bindings of an RBAC snapshot (`kubectl get
/// clusterroles,roles,clusterrolebindings,rolebindings -A -o yaml`) its user and groups
/// would match, `system:authenticated` included (every x509 login is in it). A binding
/// that grants `cluster-admin` (by name, or a role of the snapshot whose rules allow `*`)
/// is also flagged, in plain words, among the item's flags.
pub fn review_with_rbac(
    session: &Session,
    folder: &Path,
    days: Option<u32>,
    rbac: &[SnapshotBinding],
    now: OffsetDateTime,
) -> Result<ReviewReport, Error> {
    let mut report = review(session, folder, days, now)?;
    for item in &mut report.items {
        let Some(user) = &item.user else { continue };
        let mut groups = item.groups.clone();
        groups.push(ALL_AUTHENTICATED.to_owned());
        let matched = matching_bindings(rbac, user, &groups);
        item.bindings = matched
            .iter()
            .map(|binding| {
                let place = binding
                    .namespace
                    .as_deref()
                    .map_or_else(String::new, |namespace| {
                        format!(" in namespace {}", crate::text::name(namespace))
                    });
                let everyone = binding
                    .subjects
                    .iter()
                    .any(|(kind, name)| kind == "Group" && name == ALL_AUTHENTICATED);
                let mark = match (binding.breadth, everyone) {
                    (RoleBreadth::Everything, _) => " (full control)",
                    (RoleBreadth::Wildcard { .. }, _) => " (wildcard rules)",
                    (RoleBreadth::Limited, true) => " (to every authenticated user)",
                    (RoleBreadth::Limited, false) => "",
                };
                format!(
                    "{} {}{place} grants {}{mark}",
                    binding.kind,
                    crate::text::name(&binding.name),
                    crate::text::name(&binding.role)
                )
            })
            .collect();
        item.flags
            .extend(matched.iter().filter_map(|binding| binding.warning()));
    }
    Ok(report)
}

/// Judges every item of `folder` against the policy. Needs no passphrase, writes nothing.
pub fn review(
    session: &Session,
    folder: &Path,
    days: Option<u32>,
    now: OffsetDateTime,
) -> Result<ReviewReport, Error> {
    let batch = judge_batch(session, folder, days, now)?;
    Ok(review_report(session, folder, &batch))
}

/// Signs every accepted item of the intake folder into OUT (see the module doc for the
/// order of writes). `progress(done, total)` is called as certificates are signed.
pub fn sign(
    session: &mut Session,
    request: &SignRequest,
    unlock: &dyn Unlock,
    context: &Context<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SignReport, Error> {
    session.check_vouched()?;
    let mut batch = judge_batch(session, &request.intake, request.days, context.now)?;
    if let Some(expected) = &request.expect_digest
        && *expected != batch.digest
    {
        return Err(Error::Refused(format!(
            "the intake folder changed since it was reviewed (batch digest now {}, reviewed {}): nothing was signed; review it again",
            batch.digest,
            crate::text::name(expected)
        )));
    }
    let withheld = withhold(&mut batch, request.only.as_ref())?;
    let review = review_report(session, &request.intake, &batch);
    check_out_folder(session.home(), Some(&request.intake), &request.out)?;
    let ca_id = session
        .state()
        .signing_ca()
        .map(|ca| ca.certificate.info().id.clone())
        .ok_or_else(|| {
            Error::Refused(
                "this home has no CA yet: run 'airlock init' or 'airlock import'".to_owned(),
            )
        })?;

    // Items to sign now: accepted, not a duplicate in this batch, not signed before.
    let to_sign: Vec<(usize, &Approved)> = batch
        .approved
        .iter()
        .enumerate()
        .filter(|(_, approved)| approved.duplicate_of().is_none())
        .filter(|(_, approved)| {
            session
                .state()
                .issued_for_csr(&ca_id, approved.request_key())
                .is_none()
        })
        .collect();
    if !to_sign.is_empty() && std::fs::symlink_metadata(request.out.join("report.json")).is_ok() {
        return Err(Error::Refused(format!(
            "'{}' already holds a finished batch (report.json) and this batch has new CSRs: choose a new output folder",
            request.out.display()
        )));
    }
    preflight_outputs(
        session,
        &batch.approved,
        &ca_id,
        &request.out,
        context.now,
        !to_sign.is_empty(),
    )?;

    let newly_signed = to_sign.len();
    if !to_sign.is_empty() {
        let signer = session.unlock(&ca_id, unlock)?;
        record_issuance(
            session,
            &signer,
            &to_sign,
            &|_| None,
            &batch.digest,
            context,
            progress,
        )?;
        let summary = serde_json::json!({
            "batch": batch.digest,
            "intake": request.intake.display().to_string(),
            "out": request.out.display().to_string(),
            "signed": newly_signed,
            "rejected": review.rejected,
            "withheld": withheld.len(),
        });
        session
            .ledger
            .append(&mut session.state, context.now, KIND_BATCH_SIGNED, summary)?;
        session
            .ledger
            .seal(&mut session.state, context.now, &signer)?;
        drop(signer);
        // The ledger is durable before any certificate leaves the home.
        session.ledger.commit()?;
    }
    let rejected = rejected_of(&batch);
    let (mut report, written) = write_batch_outputs(
        session,
        &batch.approved,
        &ca_id,
        &request.out,
        Outcome { rejected, withheld },
        context.now,
    )?;
    report.withheld.sort_by(|a, b| a.input.cmp(&b.input));
    Ok(SignReport {
        review,
        out: request.out.clone(),
        reused: batch
            .approved
            .iter()
            .filter(|approved| approved.duplicate_of().is_none())
            .count()
            - newly_signed,
        newly_signed,
        report,
        written,
    })
}

/// Removes the accepted items the officer did not approve (when `only` is given) and
/// returns them as withheld. Refuses a listed hash that is no accepted item.
fn withhold(
    batch: &mut Batch,
    only: Option<&std::collections::BTreeSet<String>>,
) -> Result<Vec<ReportRejected>, Error> {
    let Some(only) = only else {
        return Ok(Vec::new());
    };
    if let Some(unknown) = only.iter().find(|hash| {
        !batch
            .approved
            .iter()
            .any(|item| item.request_key() == hash.as_str())
    }) {
        return Err(Error::Refused(format!(
            "'{}' is not an accepted item of this folder: nothing was signed",
            crate::text::name(unknown)
        )));
    }
    let (kept, dropped): (Vec<Approved>, Vec<Approved>) = std::mem::take(&mut batch.approved)
        .into_iter()
        .partition(|item| only.contains(item.request_key()));
    batch.approved = policy::reindex_duplicates(kept);
    Ok(dropped
        .iter()
        .map(|item| ReportRejected {
            input: item.input().to_owned(),
            reasons: vec!["not approved by the officer".to_owned()],
        })
        .collect())
}

/// What a run did not sign, for `report.json`.
pub(crate) struct Outcome {
    /// Refused by the policy.
    pub rejected: Vec<ReportRejected>,
    /// Accepted, but not approved by the officer.
    pub withheld: Vec<ReportRejected>,
}

fn rejected_of(batch: &Batch) -> Vec<ReportRejected> {
    batch
        .reviews
        .iter()
        .filter(|review| review.verdict == Verdict::Rejected)
        .map(|review| ReportRejected {
            input: review.input.clone(),
            reasons: review.reasons.clone(),
        })
        .collect()
}

/// Signs `items` with `signer` on every core and appends one `cert.issued` entry per
/// certificate. Nothing is committed: the caller seals and commits, then writes files.
pub(crate) fn record_issuance(
    session: &mut Session,
    signer: &Signer,
    items: &[(usize, &Approved)],
    reissue_of: &dyn Fn(&Approved) -> Option<String>,
    batch_digest: &str,
    context: &Context<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(), Error> {
    let ca_id = signer.certificate().info().id.clone();
    let serials = fresh_serials(session, items.len(), context)?;
    let batch_size = items.len();
    let certificates = crate::issue::sign_batch(signer, items, &serials, context.now, &|done| {
        progress(done, batch_size);
    })?;
    let approved_by_index: std::collections::HashMap<usize, &Approved> =
        items.iter().copied().collect();
    for certificate in &certificates {
        let approved = approved_by_index.get(&certificate.index).ok_or_else(|| {
            Error::Refused("internal: a signed certificate lost its request".to_owned())
        })?;
        let payload = CertIssued {
            ca: ca_id.clone(),
            serial: certificate.serial.clone(),
            user: approved.user().to_owned(),
            groups: approved.groups().to_vec(),
            not_before: rfc3339(certificate.not_before),
            not_after: rfc3339(certificate.not_after),
            profile: approved.profile().to_owned(),
            csr_sha256: approved.request_key().to_owned(),
            key_sha256: approved.key_sha256().to_owned(),
            input: approved.input().to_owned(),
            output: approved.stem().to_owned(),
            batch: batch_digest.to_owned(),
            cert: certificate.pem(),
            reissue_of: reissue_of(approved),
        };
        let payload =
            serde_json::to_value(payload).map_err(|error| Error::Refused(error.to_string()))?;
        session
            .ledger
            .append(&mut session.state, context.now, KIND_CERT_ISSUED, payload)?;
    }
    Ok(())
}

/// Refuses an OUT that is the intake folder, or that is the home or inside it, or that
/// exists and is not a folder. Creates nothing: OUT is made by [`create_out_folder`] only
/// once the act is certain to proceed (the key unlocked, the ledger committed), so that a
/// wrong passphrase, a refusal or an interrupted prompt leaves no empty folder behind.
///
/// An intake folder inside the home is not refused: airlock only reads it, as untrusted
/// input wherever it lies, and writes nothing there.
pub(crate) fn check_out_folder(
    home: &crate::home::Home,
    intake: Option<&Path>,
    out: &Path,
) -> Result<(), Error> {
    home.check_outside(out)?;
    if let Ok(metadata) = std::fs::metadata(out)
        && !metadata.is_dir()
    {
        return Err(Error::Refused(format!(
            "output folder '{}' exists and is not a folder",
            out.display()
        )));
    }
    let Some(intake) = intake else { return Ok(()) };
    let same = match (
        std::fs::canonicalize(intake),
        crate::home::resolve_planned(out),
    ) {
        (Ok(intake), Ok(out)) => intake == out,
        _ => false,
    };
    if same {
        return Err(Error::Refused(
            "the output folder must differ from the intake folder".to_owned(),
        ));
    }
    Ok(())
}

/// Creates OUT (mode 0700) if needed, just before the first file is written into it,
/// and checks again that it is outside the home: a symbolic link made since
/// [`check_out_folder`] is resolved now.
pub(crate) fn create_out_folder(home: &crate::home::Home, out: &Path) -> Result<(), Error> {
    home.check_outside(out)?;
    crate::home::create_private_dir(out)?;
    home.check_outside(out)?;
    Ok(())
}

fn fresh_serials(
    session: &Session,
    count: usize,
    context: &Context<'_>,
) -> Result<Vec<[u8; 16]>, Error> {
    let mut taken: HashSet<String> = session
        .state()
        .issued()
        .iter()
        .map(|issued| issued.serial.clone())
        .collect();
    let mut serials = Vec::with_capacity(count);
    while serials.len() < count {
        let serial = crate::ca::new_serial(context.rng)?;
        if taken.insert(crate::hex::encode(&serial)) {
            serials.push(serial);
        }
    }
    Ok(serials)
}

/// A file for OUT: its name and bytes.
type OutputFile = (String, Vec<u8>);

/// The files a batch writes: (name, bytes) per certificate and object, in item order.
fn output_files(
    session: &Session,
    approved_items: &[Approved],
    ca_id: &str,
    now: OffsetDateTime,
    partial: bool,
) -> Result<(Vec<OutputFile>, Vec<ReportIssued>), Error> {
    let mut files = Vec::new();
    let mut issued = Vec::new();
    for approved in approved_items {
        let first = approved
            .duplicate_of()
            .map_or(approved, |index| &approved_items[index]);
        let Some(record) = session
            .state()
            .issued_for_csr(ca_id, approved.request_key())
        else {
            if partial {
                continue;
            }
            return Err(Error::Refused(format!(
                "internal: no ledger record for '{}'",
                approved.input()
            )));
        };
        let cert_name = format!("{}.crt", first.stem());
        if approved.duplicate_of().is_none() {
            files.push((cert_name.clone(), record.cert.clone().into_bytes()));
        }
        {
            // Every CSR object gets its answer, a duplicate of an earlier CSR included.
            if let Some(object) = approved.object() {
                let message = format!(
                    "Signed offline by airlock: CA {ca_id}, batch {}",
                    record.batch
                );
                // The approval time is the issuance time, kept in the ledger, so that a
                // re-run writes the same bytes.
                let issued_at = OffsetDateTime::parse(&record.not_before, &Rfc3339)
                    .map_or(now, |not_before| not_before + crate::issue::BACKDATE);
                let yaml = export::csr_object_yaml(
                    object,
                    approved.csr_pem().unwrap_or_default(),
                    &record.cert,
                    message,
                    rfc3339(issued_at),
                )
                .map_err(|reason| {
                    Error::Refused(format!(
                        "cannot write the CSR object for '{}': {reason}",
                        approved.input()
                    ))
                })?;
                files.push((format!("{}.csr.yaml", approved.stem()), yaml));
            }
        }
        issued.push(ReportIssued {
            input: approved.input().to_owned(),
            serial: record.serial.clone(),
            user: crate::text::name(&record.user),
            groups: record
                .groups
                .iter()
                .map(|group| crate::text::name(group))
                .collect(),
            not_after: record.not_after.clone(),
            cert: cert_name,
            duplicate_of: approved.duplicate_of().map(|_| first.input().to_owned()),
        });
    }
    Ok((files, issued))
}

/// Makes output stems unique (case-insensitively, as FAT media compare names): a repeat
/// gets `-<suffix>` (the first 8 characters of e.g. its old serial) appended.
/// Deterministic for the same items in the same order, so re-runs agree.
pub(crate) fn make_stems_unique(items: &mut [Approved], suffixes: &[String]) {
    let mut seen = std::collections::HashSet::new();
    for (item, suffix) in items.iter_mut().zip(suffixes) {
        let base = item.stem().to_owned();
        let mut candidate = base.clone();
        let mut counter = 2;
        while !seen.insert(candidate.to_ascii_lowercase()) {
            let short: String = suffix.chars().take(8).collect();
            candidate = if counter == 2 {
                format!("{base}-{short}")
            } else {
                format!("{base}-{short}-{counter}")
            };
            counter += 1;
        }
        if candidate != base {
            item.rename_stem(candidate);
        }
    }
}

/// The names a batch writes into OUT.
fn output_names(approved_items: &[Approved]) -> Vec<String> {
    let mut names = Vec::new();
    for approved in approved_items {
        if approved.duplicate_of().is_none() {
            names.push(format!("{}.crt", approved.stem()));
        }
        if approved.object().is_some() {
            names.push(format!("{}.csr.yaml", approved.stem()));
        }
    }
    names.push("report.json".to_owned());
    names.push("SHA256SUMS".to_owned());
    names
}

/// Refuses, before anything is signed, a batch whose outputs would collide with files
/// already in OUT: any name that exists as a symlink or special file, or as a regular file
/// other than the one an earlier run of the same batch wrote. `report.json` and
/// `SHA256SUMS` may only pre-exist when nothing new is signed (they are then checked byte
/// for byte when written).
pub(crate) fn preflight_outputs(
    session: &Session,
    approved_items: &[Approved],
    ca_id: &str,
    out: &Path,
    now: OffsetDateTime,
    anything_new: bool,
) -> Result<(), Error> {
    let (earlier, _) = output_files(session, approved_items, ca_id, now, true)?;
    let names = output_names(approved_items);
    let mut distinct = std::collections::HashSet::new();
    if let Some(repeated) = names
        .iter()
        .find(|name| !distinct.insert(name.to_ascii_lowercase()))
    {
        return Err(Error::Refused(format!(
            "internal: two outputs would both be named '{repeated}'; nothing was signed"
        )));
    }
    for name in names {
        let path = out.join(&name);
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !metadata.file_type().is_file() {
            return Err(Error::Refused(format!(
                "'{}' already exists and is not a regular file (a link or special file): refusing to sign into this folder",
                path.display()
            )));
        }
        let summary = name == "report.json" || name == "SHA256SUMS";
        let same_as_earlier = earlier
            .iter()
            .find(|(earlier_name, _)| *earlier_name == name)
            .is_some_and(|(_, bytes)| {
                std::fs::read(&path).is_ok_and(|existing| existing == *bytes)
            });
        if !(same_as_earlier || (summary && !anything_new)) {
            return Err(HomeError::Exists { path }.into());
        }
    }
    Ok(())
}

/// Writes, for approved items already in the ledger under `ca_id`: `<stem>.crt`,
/// `<stem>.csr.yaml` for CSR objects, `report.json` and `SHA256SUMS`. Files an earlier run
/// wrote with the same bytes are left alone; any other existing file is an error.
pub(crate) fn write_batch_outputs(
    session: &Session,
    approved_items: &[Approved],
    ca_id: &str,
    out: &Path,
    outcome: Outcome,
    now: OffsetDateTime,
) -> Result<(Report, Vec<String>), Error> {
    let (mut files, issued) = output_files(session, approved_items, ca_id, now, false)?;
    let report = Report {
        issued,
        rejected: outcome.rejected,
        withheld: outcome.withheld,
    };
    files.push(("report.json".to_owned(), report.to_bytes()));
    let sums = export::sha256sums(&files);
    files.push(("SHA256SUMS".to_owned(), sums));
    // Files an earlier run already wrote with these bytes stay; any other existing name
    // is an error. The certificates (and objects) are made durable together, then the
    // report and checksums, so that a report.json in OUT means the batch is complete.
    let mut to_write: Vec<(&str, &[u8])> = Vec::new();
    for (name, bytes) in &files {
        let path = out.join(name);
        if std::fs::symlink_metadata(&path).is_ok_and(|metadata| !metadata.file_type().is_file()) {
            return Err(HomeError::Exists { path }.into());
        }
        match std::fs::read(&path) {
            Ok(existing) if existing == *bytes => {}
            Ok(_) => return Err(HomeError::Exists { path }.into()),
            Err(_) => to_write.push((name.as_str(), bytes.as_slice())),
        }
    }
    let (summaries, certificates): (Vec<_>, Vec<_>) = to_write
        .into_iter()
        .partition(|(name, _)| *name == "report.json" || *name == "SHA256SUMS");
    create_out_folder(session.home(), out)?;
    crate::home::write_new_many(out, &certificates)?;
    crate::home::write_new_many(out, &summaries)?;
    let written = certificates
        .iter()
        .chain(&summaries)
        .map(|(name, _)| (*name).to_owned())
        .collect();
    Ok((report, written))
}

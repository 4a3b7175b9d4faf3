//! Signing only what the officer approved, with an `ops::sign` that signs every accepted
//! item of a folder.
//!
//! Before anything is signed the intake folder is judged again, at the same instant the
//! signing uses: its digest must be the one the officer read aloud, and every approved
//! item must still be accepted. When every accepted item is approved, the folder itself
//! is signed. Otherwise the files holding approved items are copied into a fresh
//! staging folder, which is judged in turn: its accepted items must be exactly the
//! approved ones, or nothing is signed. A file that holds both an approved item and an
//! accepted item the officer did not approve cannot be split here and is refused.
//!
//! Runs on the worker thread; it writes only into its own temporary folder and, through
//! `ops::sign`, into the ledger and the output folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use airlock::Error;
use airlock::ops::{
    self, Context, GivenPassphrase, ReviewReport, Session, SignReport, SignRequest,
};
use airlock::policy::Verdict;
use airlock::secret::Passphrase;
use ring::rand::SystemRandom;
use time::OffsetDateTime;

/// What the officer decided to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignPlan {
    /// The reviewed intake folder.
    pub intake: PathBuf,
    /// The output folder.
    pub out: PathBuf,
    /// The digest the officer read aloud.
    pub digest: String,
    /// CSR SHA-256 of every approved item.
    pub approved: BTreeSet<String>,
    /// CSR SHA-256 of every accepted item not approved (denied or undecided).
    pub withheld: BTreeSet<String>,
    /// Approved items (duplicates counted).
    pub approved_items: usize,
    /// The CA that will sign, as the review named it.
    pub ca: Option<String>,
}

/// Signs the plan; see the module doc. `progress(done, total)` reports signing.
pub fn sign(
    session: &mut Session,
    plan: &SignPlan,
    passphrase: Passphrase,
    now: OffsetDateTime,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Signed, Error> {
    if same_folder(&plan.intake, &plan.out) {
        return Err(refused(
            "the output folder must differ from the intake folder",
        ));
    }
    let review = ops::review(session, &plan.intake, None, now)?;
    if review.digest != plan.digest {
        return Err(refused(&format!(
            "the intake folder changed since it was reviewed: its digest is now '{}', not '{}'; nothing was signed: review it again",
            review.digest, plan.digest
        )));
    }
    let accepted = accepted(&review);
    if let Some(missing) = plan.approved.difference(&accepted).next() {
        return Err(refused(&format!(
            "approved CSR '{}' is no longer accepted by the policy; nothing was signed: review the folder again",
            short(missing)
        )));
    }
    let staging = if accepted == plan.approved {
        None
    } else {
        Some(stage(session, plan, now)?)
    };
    let intake = staging
        .as_ref()
        .map_or_else(|| plan.intake.clone(), |dir| dir.path().to_path_buf());
    let request = SignRequest {
        intake,
        out: plan.out.clone(),
        days: None,
        only: None,
        expect_digest: None,
    };
    let rng = SystemRandom::new();
    let context = Context { now, rng: &rng };
    let report = ops::sign(
        session,
        &request,
        &GivenPassphrase(passphrase),
        &context,
        progress,
    )?;
    drop(staging);
    Ok(Signed {
        report,
        staged: accepted != plan.approved,
    })
}

/// What [`sign`] did.
#[derive(Debug)]
pub struct Signed {
    /// What `ops::sign` reported.
    pub report: SignReport,
    /// Whether a staging folder (only the approved items) was signed.
    pub staged: bool,
}

fn refused(message: &str) -> Error {
    Error::Refused(message.to_owned())
}

fn short(hash: &str) -> &str {
    hash.get(..16).unwrap_or(hash)
}

fn accepted(review: &ReviewReport) -> BTreeSet<String> {
    review
        .items
        .iter()
        .filter(|item| item.verdict == Verdict::Accepted)
        .filter_map(|item| item.csr_sha256.clone())
        .collect()
}

fn same_folder(left: &Path, right: &Path) -> bool {
    match (std::fs::canonicalize(left), std::fs::canonicalize(right)) {
        (Ok(left), Ok(right)) => left == right,
        _ => left == right,
    }
}

/// Copies the files that hold approved items into a new temporary folder and checks that
/// the folder's accepted items are exactly the approved ones.
fn stage(
    session: &Session,
    plan: &SignPlan,
    now: OffsetDateTime,
) -> Result<tempfile::TempDir, Error> {
    let staging = tempfile::Builder::new()
        .prefix("airlock-staging-")
        .tempdir()
        .map_err(|error| refused(&format!("cannot make a staging folder: {error}")))?;
    let mut names: Vec<_> = std::fs::read_dir(&plan.intake)
        .and_then(|entries| {
            entries
                .map(|entry| entry.map(|entry| entry.file_name()))
                .collect()
        })
        .map_err(|error| {
            refused(&format!(
                "cannot read intake folder '{}': {error}",
                airlock::text::name(&plan.intake.display().to_string())
            ))
        })?;
    names.sort();
    for name in names {
        let source = plan.intake.join(&name);
        // Only regular files, read with the intake's size bound; anything else is left
        // out and, if it held an approved item, caught by the check below.
        let Ok(metadata) = std::fs::symlink_metadata(&source) else {
            continue;
        };
        if !metadata.is_file() || metadata.len() > airlock::intake::MAX_FILE_BYTES {
            continue;
        }
        let Ok(bytes) = std::fs::read(&source) else {
            continue;
        };
        let shown = airlock::text::name(&name.to_string_lossy());
        let hashes: BTreeSet<String> = airlock::intake::parse_file(&shown, "item", &bytes)
            .into_iter()
            .filter_map(|item| item.csr.ok().map(|csr| csr.sha256))
            .collect();
        if hashes.is_disjoint(&plan.approved) {
            continue;
        }
        if let Some(withheld) = hashes
            .iter()
            .find(|hash| plan.withheld.contains(*hash) && !plan.approved.contains(*hash))
        {
            return Err(refused(&format!(
                "'{shown}' holds approved requests and one that is not approved (CSR '{}'); a file is signed whole or not at all: approve or deny all of its requests",
                short(withheld)
            )));
        }
        airlock::home::write_new(&staging.path().join(&name), &bytes)?;
    }
    let staged = ops::review(session, staging.path(), None, now)?;
    let staged_accepted = accepted(&staged);
    if staged_accepted != plan.approved {
        return Err(refused(
            "the staged copy of the approved requests does not match the approval (was the intake folder changed?); nothing was signed",
        ));
    }
    Ok(staging)
}

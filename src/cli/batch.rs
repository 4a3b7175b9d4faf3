//! `airlock review` and `airlock sign`.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use airlock::Error;
use airlock::ops::{self, ReviewReport, SignRequest};
use airlock::policy::Verdict;
use clap::Args;

use super::confirm::{self, Answer, Confirmation, Plan};
use super::{Global, PromptUnlock, output, with_context};

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// A folder of CSRs (PEM, DER) and CertificateSigningRequest objects (YAML, JSON), or
    /// one such file
    #[arg(value_name = "INTAKE")]
    intake: PathBuf,
    /// Lifetime to request, in days (capped by the profile)
    #[arg(long)]
    days: Option<u32>,
    /// 'kubectl get clusterrolebindings,rolebindings -A -o yaml': show the bindings each
    /// identity would match
    #[arg(long, value_name = "FILE")]
    rbac_snapshot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// A folder of CSRs (PEM, DER) and CertificateSigningRequest objects (YAML, JSON), or
    /// one such file
    #[arg(value_name = "INTAKE")]
    intake: PathBuf,
    /// Folder for the certificates, report.json and SHA256SUMS (created if missing)
    #[arg(long, value_name = "OUT_DIR")]
    out: PathBuf,
    /// Lifetime in days (capped by the profile and the CA)
    #[arg(long)]
    days: Option<u32>,
    /// Refuse, signing nothing, unless the intake's batch digest is this one (the digest
    /// 'airlock review' printed and the requester confirmed)
    #[arg(long, value_name = "DIGEST")]
    expect_digest: Option<String>,
    /// Sign without showing the review and asking for the batch digest (runbooks)
    #[arg(long)]
    yes: bool,
}

pub fn review(global: &Global, args: &ReviewArgs) -> Result<ExitCode, Error> {
    let session = global.open_reader()?;
    if let Some(drift) = session.policy_drift() {
        output::policy_drift(&drift);
    }
    let report = match &args.rbac_snapshot {
        Some(path) => {
            let bindings = ops::read_rbac_snapshot(path)?;
            ops::review_with_rbac(&session, &args.intake, args.days, &bindings, super::now())?
        }
        None => ops::review(&session, &args.intake, args.days, super::now())?,
    };
    if global.json {
        output::json(&report)?;
    } else {
        print_review_with(&report, signing_ca_line(session.state()).as_deref());
    }
    // One rule with sign (item 12 of issue 10): 3 when an input is rejected.
    Ok(if report.rejected > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn sign(global: &Global, args: &SignArgs) -> Result<ExitCode, Error> {
    confirm::require_terminal_or_yes(args.yes)?;
    let mut session = global.open()?;
    if let Some(drift) = session.policy_drift() {
        output::policy_drift(&drift);
    }
    // Unless --yes: the review is shown and its digest typed before the passphrase is
    // asked (item 9 of issue 10); the core then signs that batch or nothing.
    let (unlock, expect_digest) = if args.yes {
        (
            PromptUnlock::new(global, session.state()),
            args.expect_digest.clone(),
        )
    } else {
        let review = ops::review(&session, &args.intake, args.days, super::now())?;
        let plan = sign_plan(session.state(), &review, &args.out);
        let pinned = args
            .expect_digest
            .clone()
            .unwrap_or_else(|| review.digest.clone());
        (
            PromptUnlock::confirming(global, session.state(), Confirmation::new(plan, false)),
            Some(pinned),
        )
    };
    let request = SignRequest {
        intake: args.intake.clone(),
        out: args.out.clone(),
        days: args.days,
        only: None,
        expect_digest,
    };
    let signer = signing_ca_line(session.state());
    let show_progress = !global.json && std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize| {
        if show_progress && (done == total || done.is_multiple_of(16)) {
            let width = 30;
            let filled = done * width / total.max(1);
            eprint!(
                "\rsigning [{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            let _ = std::io::stderr().flush();
        }
    };
    let report =
        with_context(|context| ops::sign(&mut session, &request, &unlock, context, &progress))?;
    if show_progress && report.newly_signed > 0 {
        eprintln!();
    }
    if global.json {
        output::json(&report)?;
    } else {
        print_review_with(&report.review, signer.as_deref());
        println!();
        println!(
            "Signed {} new certificate(s); {} handed back from an earlier run; {} rejected.",
            report.newly_signed,
            report.reused,
            report.report.rejected.len()
        );
        println!("Output folder: {}", report.out.display());
        for name in &report.written {
            println!("  wrote {name}");
        }
        if report
            .review
            .items
            .iter()
            .any(|item| item.verdict == Verdict::Accepted)
            && report
                .written
                .iter()
                .any(|name| name.ends_with(".csr.yaml"))
        {
            println!(
                "Note: Kubernetes garbage-collects CertificateSigningRequest objects an hour after issuance; hand out the .crt files as well."
            );
        }
    }
    Ok(if report.report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// Cuts a cell to `width` characters (an ellipsis marks the cut). Cells are inert already.
fn cell(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// One line per item: the verdict table, details follow below it.
fn table_lines(report: &ReviewReport) -> Vec<String> {
    let mut lines = vec![format!(
        "{:<7} {:<20} {:<14} {:<16} {:<11} {:>4} PROFILE",
        "VERDICT", "INPUT", "USER", "GROUPS", "KEY", "DAYS"
    )];
    for item in &report.items {
        let verdict = match item.verdict {
            Verdict::Accepted => "ACCEPT",
            Verdict::Rejected => "REJECT",
        };
        let accepted = item.verdict == Verdict::Accepted;
        let days = item
            .lifetime_days
            .filter(|_| accepted)
            .map_or_else(|| "-".to_owned(), |days| days.to_string());
        let profile = item.profile.as_deref().filter(|_| accepted).unwrap_or("-");
        lines.push(format!(
            "{:<7} {:<20} {:<14} {:<16} {:<11} {:>4} {}",
            verdict,
            cell(&item.input, 20),
            cell(item.user.as_deref().unwrap_or("-"), 14),
            cell(
                &if item.groups.is_empty() {
                    "-".to_owned()
                } else {
                    item.groups.join(",")
                },
                16
            ),
            cell(item.key.as_deref().unwrap_or("-"), 11),
            days,
            profile
        ));
    }
    lines
}

/// Prints the review: the table, then each item's details and the batch digest.
pub fn print_review(report: &ReviewReport) {
    print_review_with(report, None);
}

/// [`print_review`], naming the signing CA by role and id when `signer` is given.
fn print_review_with(report: &ReviewReport, signer: Option<&str>) {
    println!("Intake: {}", report.intake.display());
    match (signer, &report.ca) {
        (Some(signer), _) => println!("Signing CA: {signer}"),
        (None, Some(ca)) => println!("Signing CA: {ca}"),
        (None, None) => println!("Signing CA: none yet (review only)"),
    }
    println!();
    for line in table_lines(report) {
        println!("{line}");
    }
    println!();
    for item in &report.items {
        let mark = match item.verdict {
            Verdict::Accepted => output::paint("ACCEPT", "32"),
            Verdict::Rejected => output::paint("REJECT", "31"),
        };
        println!("[{mark}] {}", item.input);
        if let Some(user) = &item.user {
            println!("    user      {user}");
        }
        if !item.groups.is_empty() {
            println!("    groups    {}", item.groups.join(", "));
        }
        if let Some(uid) = &item.uid {
            println!("    uid       {uid} (not carried)");
        }
        if let Some(key) = &item.key {
            println!(
                "    key       {key}  SHA256:{}",
                item.key_sha256.as_deref().unwrap_or("")
            );
        }
        if item.verdict == Verdict::Accepted
            && let (Some(profile), Some(days), Some(not_after)) =
                (&item.profile, item.lifetime_days, item.not_after)
        {
            println!(
                "    lifetime  {days} days, until {} (profile {profile})",
                output::day(not_after)
            );
        }
        for reason in &item.reasons {
            println!("    reason    {reason}");
        }
        for flag in &item.flags {
            println!("    note      {flag}");
        }
        for binding in &item.bindings {
            println!("    rbac      {binding}");
        }
    }
    println!();
    println!("{} accepted, {} rejected", report.accepted, report.rejected);
    println!(
        "Batch digest: {}   (read it aloud; the requester compares it)",
        report.digest
    );
}

/// The CA that signs now, by role and id; during a rotation, says that the incoming CA
/// signs and the retiring one signs nothing new (item 8 of issue 10).
fn signing_ca_line(state: &airlock::state::State) -> Option<String> {
    let ca = state.signing_ca()?;
    let mut line = confirm::ca_label(state, &ca.certificate.info().id);
    if let Some(rotation) = state.rotation() {
        line = format!(
            "{line}, during the rotation (phase {}); the {} signs nothing new",
            airlock::rotation::phase_name(rotation.phase),
            confirm::ca_label(state, &rotation.old)
        );
    }
    Some(line)
}

/// What `sign` will do: the review table, the signing CA, the digest to type.
fn sign_plan(state: &airlock::state::State, review: &ReviewReport, out: &Path) -> Plan {
    let signer = signing_ca_line(state).unwrap_or_else(|| "none".to_owned());
    let mut plan = Plan::new(format!(
        "Sign {} accepted item(s) of '{}' into '{}'",
        review.accepted,
        review.intake.display(),
        out.display()
    ));
    plan.lines.extend(table_lines(review));
    plan.lines.push(format!(
        "{} accepted, {} rejected (rejected items are not signed)",
        review.accepted, review.rejected
    ));
    plan.lines.push(format!(
        "Unlocks: the {signer} (its passphrase is asked next)"
    ));
    plan.lines.push(format!(
        "Batch digest: {} (the requester reads the same)",
        review.digest
    ));
    plan.answer = Answer::Text {
        text: review.digest.clone(),
        what: "the batch digest",
    };
    plan
}

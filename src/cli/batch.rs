//! `airlock review` and `airlock sign`.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use airlock::Error;
use airlock::ops::{self, ReviewReport, SignRequest};
use airlock::policy::Verdict;
use clap::Args;

use super::{Global, PromptUnlock, output, with_context};

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Folder of CSRs (PEM, DER) and `CertificateSigningRequest` objects (YAML, JSON)
    #[arg(value_name = "INTAKE_DIR")]
    intake: PathBuf,
    /// Lifetime to request, in days (capped by the profile)
    #[arg(long)]
    days: Option<u32>,
    /// `kubectl get clusterrolebindings,rolebindings -A -o yaml`: show the bindings each
    /// identity would match
    #[arg(long, value_name = "FILE")]
    rbac_snapshot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// Folder of CSRs (PEM, DER) and `CertificateSigningRequest` objects (YAML, JSON)
    #[arg(value_name = "INTAKE_DIR")]
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
}

pub fn review(global: &Global, args: &ReviewArgs) -> Result<ExitCode, Error> {
    let session = global.open()?;
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
        print_review(&report);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn sign(global: &Global, args: &SignArgs) -> Result<ExitCode, Error> {
    let request = SignRequest {
        intake: args.intake.clone(),
        out: args.out.clone(),
        days: args.days,
        only: None,
        expect_digest: args.expect_digest.clone(),
    };
    let mut session = global.open()?;
    if let Some(drift) = session.policy_drift() {
        output::policy_drift(&drift);
    }
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
    let unlock = PromptUnlock(global);
    let report =
        with_context(|context| ops::sign(&mut session, &request, &unlock, context, &progress))?;
    if show_progress && report.newly_signed > 0 {
        eprintln!();
    }
    if global.json {
        output::json(&report)?;
    } else {
        print_review(&report.review);
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
fn print_table(report: &ReviewReport) {
    println!(
        "{:<7} {:<20} {:<14} {:<16} {:<11} {:>4} PROFILE",
        "VERDICT", "INPUT", "USER", "GROUPS", "KEY", "DAYS"
    );
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
        println!(
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
        );
    }
}

pub fn print_review(report: &ReviewReport) {
    println!("Intake: {}", report.intake.display());
    match &report.ca {
        Some(ca) => println!("Signing CA: {ca}"),
        None => println!("Signing CA: none yet (review only)"),
    }
    println!();
    print_table(report);
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

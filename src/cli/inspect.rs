//! `airlock inspect FILE`: one CSR or certificate, as the review shows it.

use std::path::PathBuf;
use std::process::ExitCode;

use airlock::Error;
use airlock::ops::{self, CertificateView, Inspection};
use clap::Args;

use super::{Global, output};

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A CSR (PEM, DER), a CertificateSigningRequest object (YAML, JSON) or a
    /// certificate (PEM, DER)
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// Exit 3 when a CSR in the file is rejected, as `review` does.
pub fn run(global: &Global, args: &InspectArgs) -> Result<ExitCode, Error> {
    let session = global.open()?;
    let inspection = ops::inspect(&session, &args.file, super::now())?;
    let rejected = match &inspection {
        Inspection::Csr(review) => review.rejected > 0,
        Inspection::Certificates { .. } => false,
    };
    if global.json {
        output::json(&inspection)?;
    } else {
        match &inspection {
            Inspection::Csr(review) => {
                if let Some(drift) = session.policy_drift() {
                    output::policy_drift(&drift);
                }
                super::batch::print_review(review);
                for item in &review.items {
                    if let Some(hash) = &item.csr_sha256 {
                        println!("CSR SHA-256 ({}): {hash}", item.input);
                    }
                }
            }
            Inspection::Certificates {
                input,
                certificates,
            } => {
                println!(
                    "{}: {} certificate(s)",
                    airlock::text::name(&input.to_string_lossy()),
                    certificates.len()
                );
                for certificate in certificates {
                    print_certificate(certificate);
                }
            }
        }
    }
    Ok(if rejected {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// One certificate; every string in the view is inert already.
fn print_certificate(view: &CertificateView) {
    println!();
    println!("    user          {}", view.user.as_deref().unwrap_or("-"));
    if !view.groups.is_empty() {
        println!("    groups        {}", view.groups.join(", "));
    }
    println!("    issuer        {}", view.issuer);
    println!("    serial        {}", view.serial);
    println!("    key           {}  SHA256:{}", view.key, view.key_sha256);
    println!("    credential    {}", view.credential_id);
    println!(
        "    valid         {} to {}{}",
        output::day(view.not_before),
        output::day(view.not_after),
        if view.expired { " (EXPIRED)" } else { "" }
    );
    match &view.signed_by {
        Some(id) => println!("    signed by     this home's CA {id}"),
        None => println!("    signed by     no CA of this home"),
    }
    println!(
        "    ledger        {}",
        if view.in_ledger {
            "records its issuance"
        } else {
            "does not record it"
        }
    );
    if let Some(reason) = &view.revoked {
        println!("    revoked       {reason}");
    }
}

//! `airlock crl --out DIR`: re-issue the CRL before the last one's next update.

use std::path::PathBuf;
use std::process::ExitCode;

use airlock::Error;
use airlock::ops::{self, CrlRequest};
use clap::Args;

use super::{Global, PromptUnlock, output, with_context};

#[derive(Debug, Args)]
pub struct CrlArgs {
    /// Folder for <CA id>.crl (created if missing; a CRL is never overwritten)
    #[arg(long, value_name = "OUT_DIR")]
    out: PathBuf,
}

pub fn run(global: &Global, args: &CrlArgs) -> Result<ExitCode, Error> {
    let mut session = global.open()?;
    let request = CrlRequest {
        out: args.out.clone(),
    };
    let unlock = PromptUnlock::new(global, session.state());
    let report = with_context(|context| ops::crl(&mut session, &request, &unlock, context))?;
    if global.json {
        output::json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "CRL issued: {} revocation(s); next update {} (issue it again before then)",
        report.revoked,
        output::day(report.next_update)
    );
    for path in &report.crls {
        println!("  CRL      {}", path.display());
    }
    for skipped in &report.skipped {
        println!("  no CRL   {skipped}");
    }
    println!(
        "Kubernetes checks no CRL for client certificates: this is for the other tools that do."
    );
    Ok(ExitCode::SUCCESS)
}

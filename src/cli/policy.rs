//! `airlock policy`: the policy in force, and accepting an edited airlock.toml.

use std::process::ExitCode;

use airlock::Error;
use airlock::ops;
use clap::Subcommand;

use super::{Global, PromptUnlock, output, with_context};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show the digest of the policy in force and how airlock.toml differs from it
    Show,
    /// Put airlock.toml in force: unlocks the signing CA and records the change, sealed
    Accept,
}

pub fn run(global: &Global, command: &PolicyCommand) -> Result<ExitCode, Error> {
    match command {
        PolicyCommand::Show => show(global),
        PolicyCommand::Accept => accept(global),
    }
}

fn show(global: &Global) -> Result<ExitCode, Error> {
    let session = global.open()?;
    let digest = session.policy()?.digest();
    let drift = session.policy_drift();
    let recorded_line = session.state().recorded_policy().map(|policy| policy.line);
    if global.json {
        output::json(&serde_json::json!({
            "digest": digest,
            "recorded_line": recorded_line,
            "drift": drift,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    match recorded_line {
        Some(line) => println!("Policy in force: {digest} (recorded on ledger line {line})"),
        None => println!("Policy in force: {digest} (the built-in defaults; none recorded)"),
    }
    match &drift {
        None => println!("airlock.toml says the same."),
        Some(drift) => output::policy_drift(drift),
    }
    Ok(ExitCode::SUCCESS)
}

fn accept(global: &Global) -> Result<ExitCode, Error> {
    let mut session = global.open()?;
    if let Some(drift) = session.policy_drift()
        && !global.json
    {
        println!("airlock.toml would change the policy in force:");
        for line in &drift.differences {
            println!("  {line}");
        }
    }
    let unlock = PromptUnlock(global);
    let report = with_context(|context| ops::accept_policy(&mut session, &unlock, context))?;
    if global.json {
        output::json(&report)?;
    } else {
        println!(
            "Policy {} is in force (ledger line {}, sealed); it replaces {}.",
            &report.digest[..16],
            report.line,
            &report.previous[..16]
        );
    }
    Ok(ExitCode::SUCCESS)
}

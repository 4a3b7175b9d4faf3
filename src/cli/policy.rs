//! `airlock policy`: the policy in force, and accepting an edited airlock.toml.

use std::process::ExitCode;

use airlock::Error;
use airlock::ops;
use clap::{Args, Subcommand};

use super::confirm::{self, Confirmation, Plan};
use super::{Global, PromptUnlock, output, with_context};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show the digest of the policy in force and how airlock.toml differs from it
    Show,
    /// Put airlock.toml in force: unlocks the signing CA and records the change, sealed
    Accept(AcceptArgs),
}

#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// Accept without showing the plan and asking to type 'yes' (runbooks)
    #[arg(long)]
    yes: bool,
}

pub fn run(global: &Global, command: &PolicyCommand) -> Result<ExitCode, Error> {
    match command {
        PolicyCommand::Show => show(global),
        PolicyCommand::Accept(args) => accept(global, args),
    }
}

fn show(global: &Global) -> Result<ExitCode, Error> {
    let session = global.open_reader()?;
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

fn accept(global: &Global, args: &AcceptArgs) -> Result<ExitCode, Error> {
    confirm::require_terminal_or_yes(args.yes)?;
    let mut session = global.open()?;
    let drift = session.policy_drift();
    if let Some(drift) = &drift
        && !global.json
    {
        println!("airlock.toml would change the policy in force:");
        for line in &drift.differences {
            println!("  {line}");
        }
    }
    // Item 9 of issue 10: the change is confirmed before the passphrase is asked.
    let state = session.state();
    let signer = state.signing_ca().map_or_else(
        || "signing CA (none)".to_owned(),
        |ca| confirm::ca_label(state, &ca.certificate.info().id),
    );
    let mut plan = Plan::new("Put airlock.toml in force as the recorded policy");
    if let Some(drift) = &drift {
        plan.lines.extend(drift.differences.iter().cloned());
    }
    plan.lines
        .push(format!("Recorded in the ledger and sealed by the {signer}"));
    plan.lines.push(format!("Unlocks: the {signer}"));
    let unlock = PromptUnlock::confirming(global, state, Confirmation::new(plan, args.yes));
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

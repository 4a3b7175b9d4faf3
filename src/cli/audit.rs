//! `airlock audit verify` and `airlock audit show`.

use std::process::ExitCode;

use airlock::{Error, ops};
use clap::Subcommand;

use super::{Global, output};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every ledger line, hash link and seal; exit 1 naming the first bad line
    Verify,
    /// Print the ledger entries
    Show,
}

pub fn run(global: &Global, command: &AuditCommand) -> Result<ExitCode, Error> {
    let home = global.home_path()?;
    match command {
        AuditCommand::Verify => {
            let verification = ops::audit_verify(&home)?;
            if global.json {
                output::json(&verification)?;
            } else {
                println!(
                    "ledger OK: {} entries, {} seals verified, head {}",
                    verification.entries, verification.seals, verification.head
                );
                if verification.unsealed_entries > 0 {
                    println!(
                        "note: {} entries after the last seal are covered by the hash chain only",
                        verification.unsealed_entries
                    );
                }
                if verification.torn_tail_bytes > 0 {
                    println!(
                        "note: the last line is torn ({} bytes); the next command that opens the home repairs it",
                        verification.torn_tail_bytes
                    );
                }
            }
        }
        AuditCommand::Show => {
            let entries = ops::audit_show(&home)?;
            if global.json {
                output::json(&entries)?;
            } else {
                for entry in &entries {
                    let summary = summarize(&entry.payload);
                    println!(
                        "{:>6}  {}  {:<16} {}",
                        entry.seq, entry.time, entry.kind, summary
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A one-line, inert summary of a payload: its short fields, no certificates.
fn summarize(payload: &serde_json::Value) -> String {
    let Some(object) = payload.as_object() else {
        return String::new();
    };
    let parts: Vec<String> = object
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "cert" | "signature" | "cut_start"))
        .filter_map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map_or_else(|| item.to_string(), str::to_owned)
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            (text.len() <= 80).then(|| format!("{key}={}", airlock::text::name(&text)))
        })
        .collect();
    parts.join(" ")
}

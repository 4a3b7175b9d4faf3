//! `airlock audit verify` and `airlock audit show`.
//!
//! The ledger is input until verified: anyone who can write to the home can put any
//! text in it. So every string `audit show` prints in text mode goes through
//! [`airlock::text::inert`] (terminal escapes become visible `\u{..}`), and JSON mode
//! relies on serde_json, which escapes every control character.

use std::process::ExitCode;

use airlock::{Error, ops};
use clap::Subcommand;

use super::{Global, output};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every ledger line, hash link and seal; exit 1 naming the first bad line
    Verify {
        /// The first CA's SHA-256 fingerprint, as kept outside the home (colons allowed):
        /// the history must start from it
        #[arg(long, value_name = "FINGERPRINT")]
        anchor: Option<String>,
        /// A ledger head written down earlier (at least 16 hex digits): it must be in the
        /// history; entries appended since are counted
        #[arg(long, value_name = "HEX")]
        head: Option<String>,
    },
    /// Print the ledger entries
    Show {
        /// Only the entries after the last seal (what --accept-unsealed would accept)
        #[arg(long)]
        unsealed: bool,
    },
}

pub fn run(global: &Global, command: &AuditCommand) -> Result<ExitCode, Error> {
    let home = global.home_path()?;
    match command {
        AuditCommand::Verify { anchor, head } => {
            let verification = if anchor.is_some() || head.is_some() {
                let check = ops::audit_verify_against(&home, anchor.as_deref(), head.as_deref())?;
                if global.json {
                    output::json(&check)?;
                    return Ok(ExitCode::SUCCESS);
                }
                if check.anchor_matches == Some(true) {
                    println!("anchor OK: the history starts from the first CA you kept");
                }
                if let (Some(line), Some(after)) = (check.head_line, check.entries_after_head) {
                    println!("head OK: it is line {line}; {after} entries were appended after it");
                }
                check.verification
            } else {
                ops::audit_verify(&home)?
            };
            if global.json {
                output::json(&verification)?;
            } else {
                println!(
                    "ledger OK: {} entries, {} seals verified, head {}",
                    verification.entries, verification.seals, verification.head
                );
                if let Some(anchor) = &verification.anchor {
                    println!("anchor (first CA): SHA256:{}", output::colons(anchor));
                }
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
        AuditCommand::Show { unsealed } => {
            let mut entries = ops::audit_show(&home)?;
            if *unsealed {
                let last_seal = entries
                    .iter()
                    .rposition(|entry| entry.kind == airlock::ledger::KIND_SEALED);
                entries.drain(..last_seal.map_or(0, |index| index + 1));
            }
            if global.json {
                output::json(&entries)?;
            } else {
                for entry in &entries {
                    println!("{}", show_line(entry));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One entry as a line of text, every string from the ledger made inert.
fn show_line(entry: &airlock::ledger::Entry) -> String {
    format!(
        "{:>6}  {}  {:<16} {}",
        entry.seq,
        airlock::text::inert(&entry.time, 40),
        airlock::text::name(&entry.kind),
        summarize(&entry.payload)
    )
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
            (text.len() <= 80).then(|| {
                format!(
                    "{}={}",
                    airlock::text::name(key),
                    airlock::text::name(&text)
                )
            })
        })
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_line_escapes_every_ledger_string() {
        let entry = airlock::ledger::Entry {
            seq: 7,
            time: "2026-01-01T00:00:00Z\u{1b}[2J".to_owned(),
            kind: "note\u{1b}]0;owned\u{7}".to_owned(),
            payload: serde_json::json!({
                "te\u{1b}[31mxt": "a\u{1b}[8mb\u{202e}c",
                "list": ["x\u{9b}y", 3],
            }),
            prev: String::new(),
            hash: String::new(),
        };
        let line = show_line(&entry);
        assert!(
            !line.chars().any(airlock::text::is_unsafe),
            "a control character reached the terminal: {line:?}"
        );
        assert!(line.contains("note\\u{1b}]0;owned\\u{7}"), "{line}");
        assert!(
            line.contains("te\\u{1b}[31mxt=a\\u{1b}[8mb\\u{202e}c"),
            "{line}"
        );
        assert!(line.contains("list=x\\u{9b}y,3"), "{line}");
    }
}

//! `airlock status`.

use std::process::ExitCode;

use airlock::Error;
use airlock::ops;

use super::{Global, output};

pub fn run(global: &Global) -> Result<ExitCode, Error> {
    let session = global.open_reader()?;
    let report = ops::status(&session, super::now());
    if global.json {
        // The process hardening belongs to this process, not to the home: the front end
        // adds it beside the report, as the text form prints it last.
        let mut value = serde_json::to_value(&report)
            .map_err(|error| Error::Refused(format!("cannot encode the report: {error}")))?;
        if let serde_json::Value::Object(fields) = &mut value {
            fields.insert("process".to_owned(), serde_json::json!(global.hardening));
        }
        output::json(&value)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("CA home: {}", report.home.display());
    if report.cas.is_empty() {
        println!("No CA yet: run 'airlock init --cn NAME' or 'airlock import --cert F --key F'.");
    }
    for ca in &report.cas {
        let role = format!("{:?}", ca.role).to_lowercase();
        println!(
            "CA '{}' ({}, {role}, {})",
            ca.info.common_name, ca.info.id, ca.origin
        );
        println!("  subject      {}", ca.info.subject);
        println!("  key          {}", ca.info.key);
        println!(
            "  fingerprint  SHA256:{}",
            output::colons(&ca.info.fingerprint)
        );
        let left = if ca.days_left < 0 {
            "EXPIRED".to_owned()
        } else {
            format!("{} days left", ca.days_left)
        };
        println!(
            "  valid        {} to {} ({left})",
            output::day(ca.info.not_before),
            output::day(ca.info.not_after)
        );
        println!("  ca.crt       {}", ca.cert_file);
        if ca.key_destroyed {
            println!("  key          destroyed");
        }
    }
    println!(
        "Rotation phase: {}",
        airlock::rotation::phase_name(report.phase)
    );
    let ledger = &report.ledger;
    if let Some(anchor) = &ledger.anchor {
        println!("Anchor (first CA): SHA256:{}", output::colons(anchor));
    }
    println!("Ledger: {} entries, head {}", ledger.entries, ledger.head);
    println!(
        "  compare the anchor and the head with the record kept outside the home: without them or the key, a rewritten history cannot be told apart"
    );
    match ledger.last_seal_line {
        Some(line) => println!(
            "  seals: {} verified, last at line {line}; {} entries after it",
            ledger.seals, ledger.unsealed_entries
        ),
        None => println!("  seals: none"),
    }
    if let Some(digest) = &report.policy_digest {
        println!("Policy in force: {}", &digest[..16.min(digest.len())]);
    }
    if let Some(drift) = &report.policy_drift {
        output::policy_drift(drift);
    }
    println!(
        "Certificates: {} issued, {} unexpired, {} expiring within {} days, {} revoked",
        report.issued,
        report.unexpired,
        report.expiring_soon,
        ops::EXPIRING_SOON_DAYS,
        report.revoked
    );
    println!(
        "Process: core dumps {}, memory {}",
        if global.hardening.core_dumps_disabled {
            "disabled"
        } else {
            "NOT disabled"
        },
        if global.hardening.not_dumpable {
            "not dumpable"
        } else {
            "dumpable"
        }
    );
    Ok(ExitCode::SUCCESS)
}

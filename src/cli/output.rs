//! Printing reports: JSON when asked, text otherwise; colour only on a terminal and never
//! with `NO_COLOR`.

use std::io::IsTerminal as _;

use airlock::Error;
use serde::Serialize;

/// Prints `report` as pretty JSON on stdout.
pub fn json<T: Serialize>(report: &T) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(report)
        .map_err(|error| Error::Refused(format!("cannot encode the report: {error}")))?;
    println!("{text}");
    Ok(())
}

/// Prints an error as `{"error": ..., "hint": ...}` on stdout: what `--json` prints
/// instead of a report when the command fails. serde_json escapes every control
/// character, so text from the media reaches no terminal raw.
pub fn error_json(message: &str, hint: Option<&str>) {
    println!("{}", serde_json::json!({ "error": message, "hint": hint }));
}

/// The JSON form of a Kubernetes object airlock wrote as YAML (kubectl takes either).
pub fn yaml_as_json(yaml: &str) -> Result<serde_json::Value, Error> {
    serde_saphyr::from_str(yaml)
        .map_err(|error| Error::Refused(format!("cannot turn the YAML into JSON: {error}")))
}

/// Whether stdout may carry ANSI colour.
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        && std::io::stdout().is_terminal()
}

/// Wraps `text` in an ANSI colour when colour is enabled. `text` must already be inert.
pub fn paint(text: &str, code: &str) -> String {
    if color_enabled() {
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    } else {
        text.to_owned()
    }
}

/// `ab:cd:ef…` form of a hex fingerprint, as openssl prints it.
pub fn colons(hex: &str) -> String {
    hex.as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).to_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

/// A date without the time, for tables.
pub fn day(moment: time::OffsetDateTime) -> String {
    let date = moment.date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Warns that `airlock.toml` is not the policy in force, and says what it would change.
pub fn policy_drift(drift: &airlock::ops::PolicyDrift) {
    if drift.unrecorded {
        eprintln!(
            "warning: this home recorded no policy (it predates recorded policies): the built-in defaults are in force"
        );
    }
    if let Some(error) = &drift.file_error {
        eprintln!(
            "warning: airlock.toml cannot be read ({error}); the recorded policy stays in force"
        );
        return;
    }
    eprintln!(
        "warning: airlock.toml differs from the policy in force ({}); the recorded policy is used until an officer accepts the file with 'airlock policy accept':",
        &drift.recorded_digest[..16.min(drift.recorded_digest.len())]
    );
    for line in &drift.differences {
        eprintln!("  {line}");
    }
}

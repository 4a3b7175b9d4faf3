//! `airlock audit verify` and `audit show`: reading the ledger without changing it.

use std::path::Path;

use crate::Error;
use crate::home::Home;
use crate::ledger::{self, Entry, Verification};

/// Verifies every line, link and seal of the home's ledger. Takes the home's shared lock so
/// that no append is half-seen, and writes nothing (a torn tail is reported, not repaired).
pub fn audit_verify(root: &Path) -> Result<Verification, Error> {
    let home = Home::open_reader(root)?;
    refuse_without_ledger(&home)?;
    Ok(ledger::verify_file(&home.ledger_path())?)
}

/// Every entry of the ledger, each line's own hash checked.
pub fn audit_show(root: &Path) -> Result<Vec<Entry>, Error> {
    let home = Home::open_reader(root)?;
    refuse_without_ledger(&home)?;
    Ok(ledger::read_entries(&home.ledger_path())?)
}

fn refuse_without_ledger(home: &Home) -> Result<(), Error> {
    // Not `exists()`, which follows a symbolic link: Home::open already refused one.
    if std::fs::symlink_metadata(home.ledger_path()).is_ok() {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "CA home '{}' has no ledger yet: nothing to verify (is --home right?)",
        home.root().display()
    )))
}

/// [`audit_verify`] for a home the caller already holds open (the TUI's session).
pub fn audit_verify_session(session: &super::Session) -> Result<Verification, Error> {
    Ok(ledger::verify_file(&session.home().ledger_path())?)
}

/// [`audit_show`] for a home the caller already holds open.
pub fn audit_show_session(session: &super::Session) -> Result<Vec<Entry>, Error> {
    Ok(ledger::read_entries(&session.home().ledger_path())?)
}

//! The terminal UI front end (being built: see the open TUI issue).

use std::process::ExitCode;

use airlock::Error;

use crate::cli::Global;

/// Opens the terminal UI on the home `global` names.
pub fn run(global: &Global) -> Result<ExitCode, Error> {
    let _ = global;
    Err(Error::Refused(
        "the terminal UI is not available in this build yet; use the CLI commands (airlock --help)"
            .to_owned(),
    ))
}

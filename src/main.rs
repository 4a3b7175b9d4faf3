//! The airlock binary: parse the command line, run the CLI, map errors to exit codes.
//!
//! Exit codes: 0 all done; 3 done, but some inputs were rejected; 1 error (nothing
//! half-done); 2 usage.

mod cli;
mod tui;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    // Before anything else: no core dumps, not dumpable.
    let hardening = airlock::secret::harden_process();
    airlock::secret::default_sigpipe();
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli::run(args, hardening) {
        Ok(code) => code,
        Err(error) => {
            cli::report_error(&error);
            ExitCode::from(1)
        }
    }
}

//! The airlock binary: parse the command line, run the CLI, map errors to exit codes.
//!
//! Exit codes: 0 all done; 3 done, but some inputs were rejected; 1 error (nothing
//! half-done); 2 usage. With `--json`, an error is printed as JSON on stdout, with the
//! same exit code.

mod cli;
mod tui;

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before anything else: no core dumps, not dumpable.
    let hardening = airlock::secret::harden_process();
    airlock::secret::default_sigpipe();
    let (args, options) = match cli::parse() {
        Ok(parsed) => parsed,
        Err(error) => {
            return cli::report_usage(&error, cli::json_requested(std::env::args_os()));
        }
    };
    let json = options.json;
    match cli::run(args, options, hardening) {
        Ok(code) => code,
        Err(error) => {
            cli::report_error(&error, json);
            ExitCode::from(1)
        }
    }
}

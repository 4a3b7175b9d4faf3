//! The command-line front end: clap arguments ("low args") turned into core requests,
//! reports printed as text or JSON. Nothing below this module prints or prompts.

// Doc comments here are clap's help text, read in a terminal, not rustdoc Markdown.
#![allow(clippy::doc_markdown)]

mod audit;
mod batch;
mod demo;
mod export;
mod lifecycle;
mod output;
mod policy;
mod rotate;
mod setup;
mod status;

use std::io::{IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use airlock::Error;
use airlock::ca::CaInfo;
use airlock::ops::{Context, Session, Unlock};
use airlock::secret::{Hardening, Passphrase};
use clap::{Parser, Subcommand};
use ring::rand::SystemRandom;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// airlock: an offline certificate authority for Kubernetes client certificates.
#[derive(Debug, Parser)]
#[command(name = "airlock", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// CA home folder [default: $`AIRLOCK_HOME`, else $`XDG_DATA_HOME/airlock`]
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,
    /// Print reports as JSON
    #[arg(long, global = true)]
    json: bool,
    /// Read the CA passphrase from this file (first line) instead of a prompt
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Accept ledger entries after the last seal that another process wrote (see them
    /// with 'airlock audit show --unsealed'); the reason is recorded and sealed
    #[arg(long, global = true, value_name = "REASON")]
    accept_unsealed: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new self-signed CA in an empty home; its key is encrypted with age
    Init(setup::InitArgs),
    /// Bring in an existing (kubeadm) CA; its key is encrypted on import
    Import(setup::ImportArgs),
    /// Show the CAs, the ledger and certificate counts
    Status,
    /// Show verdicts for every CSR in an intake folder (needs no passphrase)
    Review(batch::ReviewArgs),
    /// Sign every accepted CSR of an intake folder into `OUT_DIR`
    Sign(batch::SignArgs),
    /// List issued certificates
    List(lifecycle::ListArgs),
    /// Sign the same subject and key again with a fresh lifetime
    Renew(lifecycle::RenewArgs),
    /// Renew the CA certificate: same key and subject, new validity (not a rotation)
    RenewCa(lifecycle::RenewCaArgs),
    /// Revoke certificates: ledger, CRL, and a script removing their RBAC bindings
    Revoke(lifecycle::RevokeArgs),
    /// The dual-CA rotation: begin, reissue, finish, abort, status
    #[command(subcommand)]
    Rotate(rotate::RotateCommand),
    /// Write the PEM bundle for kube-apiserver's --client-ca-file (current phase)
    Bundle(rotate::BundleArgs),
    /// Make a key pair here for an automation account; the key leaves only age-encrypted
    Issue(export::IssueArgs),
    /// Export a kubeconfig, an RBAC binding or an audit policy
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Verify or show the ledger
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The policy in force, and accepting an edited airlock.toml
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Make a demo home in a temporary folder, sign a built-in batch, show the result
    Demo(demo::DemoArgs),
    /// Open the terminal UI (also what a bare `airlock` on a terminal does)
    Tui {
        /// An intake folder to open the review of at start
        #[arg(value_name = "INTAKE_DIR")]
        intake: Option<PathBuf>,
    },
}

/// Runs the parsed command.
pub fn run(cli: Cli, hardening: Hardening) -> Result<ExitCode, Error> {
    let global = Global {
        home: cli.home.clone(),
        json: cli.json,
        passphrase_file: cli.passphrase_file.clone(),
        accept_unsealed: cli.accept_unsealed.clone(),
        hardening,
    };
    let Some(command) = cli.command else {
        if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
            return crate::tui::run(&global, None);
        }
        let _ = <Cli as clap::CommandFactory>::command().print_help();
        return Ok(ExitCode::from(2));
    };
    match command {
        Command::Tui { intake } => crate::tui::run(&global, intake.as_deref()),
        Command::Init(args) => setup::init(&global, &args),
        Command::Import(args) => setup::import(&global, &args),
        Command::Status => status::run(&global),
        Command::Review(args) => batch::review(&global, &args),
        Command::Sign(args) => batch::sign(&global, &args),
        Command::Audit(command) => audit::run(&global, &command),
        Command::Policy(command) => policy::run(&global, &command),
        Command::List(args) => lifecycle::list(&global, &args),
        Command::Renew(args) => lifecycle::renew(&global, &args),
        Command::RenewCa(args) => lifecycle::renew_ca(&global, &args),
        Command::Revoke(args) => lifecycle::revoke(&global, &args),
        Command::Rotate(command) => rotate::run(&global, &command),
        Command::Bundle(args) => rotate::bundle(&global, &args),
        Command::Issue(args) => export::issue(&global, &args),
        Command::Export(command) => export::run(&global, &command),
        Command::Demo(args) => demo::run(&global, &args),
    }
}

/// Prints an error with its causes and a hint, as the last thing before exit 1.
pub fn report_error(error: &Error) {
    eprintln!("error: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
    if let Some(hint) = error.hint() {
        eprintln!("hint: {hint}");
    }
}

/// Options every command shares.
pub struct Global {
    pub(crate) home: Option<PathBuf>,
    pub(crate) json: bool,
    pub(crate) passphrase_file: Option<PathBuf>,
    pub(crate) accept_unsealed: Option<String>,
    pub(crate) hardening: Hardening,
}

impl Global {
    /// The home folder: --home, else `AIRLOCK_HOME`, else the XDG default.
    pub(crate) fn home_path(&self) -> Result<PathBuf, Error> {
        if let Some(home) = &self.home {
            return Ok(home.clone());
        }
        if let Some(home) = std::env::var_os("AIRLOCK_HOME").filter(|value| !value.is_empty()) {
            return Ok(PathBuf::from(home));
        }
        Ok(airlock::home::default_path(
            std::env::var_os("XDG_DATA_HOME"),
            std::env::var_os("HOME"),
        )?)
    }

    /// Opens the home for a command that needs it to exist already.
    pub(crate) fn open(&self) -> Result<Session, Error> {
        self.open_session(false)
    }

    /// Opens the home, creating it when `create` (init and import).
    pub(crate) fn open_session(&self, create: bool) -> Result<Session, Error> {
        let root = self.home_path()?;
        let mut session = if create {
            Session::open(&root, now())?
        } else {
            Session::open_existing(&root, now())?
        };
        if session.unsealed_count() > 0 && self.accept_unsealed.is_none() {
            eprintln!(
                "warning: the ledger holds {} entr{} after its last seal that no key vouches for (another process wrote them, or someone planted them); what this command shows includes them, and nothing is signed until an officer accepts them ('airlock audit show --unsealed', then --accept-unsealed REASON)",
                session.unsealed_count(),
                if session.unsealed_count() == 1 {
                    "y"
                } else {
                    "ies"
                }
            );
        }
        if let Some(reason) = &self.accept_unsealed {
            if session.unsealed_count() > 0 && !self.json {
                eprintln!(
                    "accepting {} ledger entr{} after the last seal:",
                    session.unsealed_count(),
                    if session.unsealed_count() == 1 {
                        "y"
                    } else {
                        "ies"
                    }
                );
                for entry in session.unsealed() {
                    eprintln!(
                        "  line {} {} {}",
                        entry.seq,
                        airlock::text::name(&entry.time),
                        airlock::text::name(&entry.kind)
                    );
                }
            }
            session.accept_unsealed(reason)?;
        }
        if let Some(bytes) = session.opened().repaired_bytes {
            eprintln!(
                "warning: the ledger's last line was torn ({bytes} bytes, from an interrupted write); it was cut and the repair recorded"
            );
        }
        Ok(session)
    }

    /// A passphrase for an existing key: the file if given, else a prompt on the terminal.
    fn passphrase(&self, prompt: &str) -> Result<Passphrase, Error> {
        if let Some(path) = &self.passphrase_file {
            return read_passphrase_file(path);
        }
        if !std::io::stdin().is_terminal() {
            return Err(Error::Refused(
                "a passphrase is needed and there is no terminal to ask on: pass --passphrase-file FILE".to_owned(),
            ));
        }
        let typed = rpassword::prompt_password(prompt)
            .map_err(|error| Error::Refused(format!("cannot read the passphrase: {error}")))?;
        Ok(Passphrase::from(typed))
    }

    /// A new passphrase: the file if given, else typed twice on the terminal.
    fn new_passphrase(&self) -> Result<Passphrase, Error> {
        use age::secrecy::ExposeSecret as _;
        if self.passphrase_file.is_some() {
            return self.passphrase("");
        }
        let first = self.passphrase("New CA passphrase: ")?;
        let second = self.passphrase("Repeat the passphrase: ")?;
        if first.expose_secret() != second.expose_secret() {
            return Err(Error::Refused(
                "the two passphrases differ; nothing was written".to_owned(),
            ));
        }
        Ok(first)
    }
}

/// Reads a passphrase file (at most 4 KiB; one trailing newline removed).
pub(crate) fn read_passphrase_file(path: &Path) -> Result<Passphrase, Error> {
    let refuse = |reason: String| {
        Error::Refused(format!(
            "cannot use passphrase file '{}': {reason}",
            path.display()
        ))
    };
    let file = std::fs::File::open(path).map_err(|error| refuse(error.to_string()))?;
    if let Ok(metadata) = file.metadata() {
        use std::os::unix::fs::PermissionsExt as _;
        if metadata.permissions().mode() & 0o044 != 0 {
            eprintln!(
                "warning: passphrase file '{}' is readable by other users (mode {:o}); chmod 600 it",
                path.display(),
                metadata.permissions().mode() & 0o777
            );
        }
    }
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(4097)
        .read_to_end(&mut bytes)
        .map_err(|error| refuse(error.to_string()))?;
    if bytes.len() > 4096 {
        return Err(refuse("it is larger than 4 KiB".to_owned()));
    }
    airlock::keystore::passphrase_from_file_bytes(&bytes)
        .map_err(|reason| refuse(reason.to_owned()))
}

/// The front end's [`Unlock`]: the passphrase file, or a prompt naming the CA.
struct PromptUnlock<'a>(&'a Global);

impl Unlock for PromptUnlock<'_> {
    fn passphrase(&self, ca: &CaInfo) -> Result<Passphrase, Error> {
        self.0
            .passphrase(&format!("Passphrase for CA '{}': ", ca.common_name))
    }
}

/// The wall clock; only front ends read it.
pub(crate) fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A context with the wall clock and the system random generator.
fn with_context<T>(operation: impl FnOnce(&Context<'_>) -> T) -> T {
    let rng = SystemRandom::new();
    let context = Context {
        now: now(),
        rng: &rng,
    };
    operation(&context)
}

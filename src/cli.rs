//! The command-line front end: clap arguments ("low args") turned into core requests,
//! reports printed as text or JSON. Nothing below this module prints or prompts.

// Doc comments here are clap's help text, read in a terminal, not rustdoc Markdown.
#![allow(clippy::doc_markdown)]

mod audit;
mod batch;
mod confirm;
mod crl;
mod demo;
mod export;
mod inspect;
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
use clap::{Args, CommandFactory, FromArgMatches as _, Parser, Subcommand};
use ring::rand::SystemRandom;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// airlock: an offline certificate authority for Kubernetes client certificates.
///
/// The options below may also be written before the subcommand, as runbooks do
/// ('airlock --home DIR --passphrase-file FILE sign ...'); each subcommand's help lists
/// those it takes.
#[derive(Debug, Parser)]
#[command(
    name = "airlock",
    version,
    about,
    long_about = None,
    max_term_width = 100,
    after_help = "Example:\n  airlock --home /media/ca-home review /media/usb/requests\n\nExit codes: 0 all done; 3 done, but some inputs were rejected; 1 error; 2 usage."
)]
pub struct Cli {
    #[command(flatten)]
    home: HomeArg,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    passphrase: PassphraseArg,
    #[command(flatten)]
    accept: AcceptArg,
    #[command(subcommand)]
    command: Option<Command>,
}

// --home, where a command reads or writes a CA home. (A doc comment here would become
// the about line of every subcommand it is added to.)
#[derive(Debug, Clone, Args)]
struct HomeArg {
    /// CA home folder [default: $AIRLOCK_HOME, else $XDG_DATA_HOME/airlock]
    #[arg(long, value_name = "DIR")]
    home: Option<PathBuf>,
}

// --json, where a command prints a report.
#[derive(Debug, Clone, Args)]
struct JsonArg {
    /// Print the report as JSON on stdout (errors too: {"error": ..., "hint": ...})
    #[arg(long)]
    json: bool,
}

// --passphrase-file, where a command unlocks or encrypts a CA key.
#[derive(Debug, Clone, Args)]
struct PassphraseArg {
    /// Read the CA passphrase from this file (first line) instead of a prompt
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

// --accept-unsealed, where a command unlocks a key and so can seal an acceptance.
#[derive(Debug, Clone, Args)]
struct AcceptArg {
    /// Accept ledger entries after the last seal that another process wrote (see them
    /// with 'airlock audit show --unsealed'); the reason is recorded and sealed
    #[arg(long, value_name = "REASON")]
    accept_unsealed: Option<String>,
}

/// What a subcommand does with a CA key, which decides its key options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyUse {
    /// None: no --passphrase-file, no --accept-unsealed.
    Nothing,
    /// Encrypts a new key: --passphrase-file only (there is no ledger to accept yet).
    Encrypts,
    /// Unlocks a key, and so can seal an acceptance: both.
    Unlocks,
}

/// Which of the shared options a subcommand takes after its name.
#[derive(Debug, Clone, Copy)]
struct Takes {
    home: bool,
    json: bool,
    key: KeyUse,
}

impl Takes {
    fn passphrase(self) -> bool {
        self.key != KeyUse::Nothing
    }

    fn accept(self) -> bool {
        self.key == KeyUse::Unlocks
    }
}

/// Reads the home and prints a report.
const READS: Takes = Takes {
    home: true,
    json: true,
    key: KeyUse::Nothing,
};
/// Makes a new key.
const CREATES: Takes = Takes {
    key: KeyUse::Encrypts,
    ..READS
};
/// Unlocks a CA key.
const UNLOCKS: Takes = Takes {
    key: KeyUse::Unlocks,
    ..READS
};
/// Prints JSON, needs no home.
const PRINTS: Takes = Takes {
    home: false,
    ..READS
};
/// The terminal UI: a home and its keys, no JSON.
const SCREEN: Takes = Takes {
    json: false,
    ..UNLOCKS
};

/// Every leaf subcommand, what it takes and an example for its help. One table: the help
/// and the parsing both read it, so a subcommand shows exactly the options it accepts.
const SUBCOMMANDS: &[(&[&str], Takes, &str)] = &[
    (
        &["init"],
        CREATES,
        "airlock --home /media/ca-home init --cn kubernetes",
    ),
    (
        &["import"],
        CREATES,
        "airlock --home /media/ca-home import --cert ca.crt --key ca.key",
    ),
    (&["status"], READS, "airlock --home /media/ca-home status"),
    (
        &["review"],
        READS,
        "airlock --home /media/ca-home review /media/usb/requests",
    ),
    (
        &["sign"],
        UNLOCKS,
        "airlock --home /media/ca-home sign /media/usb/requests --out /media/usb/signed --expect-digest DIGEST",
    ),
    (
        &["inspect"],
        READS,
        "airlock --home /media/ca-home inspect /media/usb/requests/alice.csr",
    ),
    (
        &["list"],
        READS,
        "airlock --home /media/ca-home list --expiring-within 30",
    ),
    (
        &["renew"],
        UNLOCKS,
        "airlock --home /media/ca-home renew --expiring-within 14 --out /media/usb/renewed",
    ),
    (
        &["renew-ca"],
        UNLOCKS,
        "airlock --home /media/ca-home renew-ca --days 3650",
    ),
    (
        &["revoke"],
        UNLOCKS,
        "airlock --home /media/ca-home revoke --user alice --reason keyCompromise --rbac-snapshot rbac.yaml",
    ),
    (
        &["crl"],
        UNLOCKS,
        "airlock --home /media/ca-home crl --out /media/usb/crl",
    ),
    (
        &["rotate", "begin"],
        UNLOCKS,
        "airlock --home /media/ca-home rotate begin --cn kubernetes",
    ),
    (
        &["rotate", "reissue"],
        UNLOCKS,
        "airlock --home /media/ca-home rotate reissue --out /media/usb/reissued",
    ),
    (
        &["rotate", "finish"],
        UNLOCKS,
        "airlock --home /media/ca-home rotate finish",
    ),
    (
        &["rotate", "abort"],
        UNLOCKS,
        "airlock --home /media/ca-home rotate abort",
    ),
    (
        &["rotate", "status"],
        READS,
        "airlock --home /media/ca-home rotate status",
    ),
    (
        &["bundle"],
        READS,
        "airlock --home /media/ca-home bundle --out client-ca-bundle.crt --annotate",
    ),
    (
        &["issue"],
        UNLOCKS,
        "airlock --home /media/ca-home issue --cn ci-bot --org system:automation --recipient age1... --out /media/usb/ci-bot",
    ),
    (
        &["export", "kubeconfig"],
        READS,
        "airlock --home /media/ca-home export kubeconfig --serial HEX --server https://10.0.0.1:6443 --out alice.kubeconfig",
    ),
    (
        &["export", "rbac"],
        PRINTS,
        "airlock export rbac --user alice --clusterrole view --namespace dev",
    ),
    (
        &["export", "audit-policy"],
        READS,
        "airlock --home /media/ca-home export audit-policy > airlock-audit.yaml",
    ),
    (
        &["audit", "verify"],
        READS,
        "airlock --home /media/ca-home audit verify --anchor FINGERPRINT --head HEX",
    ),
    (
        &["audit", "show"],
        READS,
        "airlock --home /media/ca-home audit show --unsealed",
    ),
    (
        &["policy", "show"],
        READS,
        "airlock --home /media/ca-home policy show",
    ),
    (
        &["policy", "accept"],
        UNLOCKS,
        "airlock --home /media/ca-home policy accept",
    ),
    (&["demo"], PRINTS, "airlock demo --dir /tmp/airlock-demo"),
    (
        &["tui"],
        SCREEN,
        "airlock --home /media/ca-home tui /media/usb/requests",
    ),
];

/// Examples of the subcommands that group others.
const GROUPS: &[(&str, &str)] = &[
    ("rotate", "airlock --home /media/ca-home rotate status"),
    (
        "export",
        "airlock export rbac --user alice --clusterrole view",
    ),
    ("audit", "airlock --home /media/ca-home audit verify"),
    ("policy", "airlock --home /media/ca-home policy show"),
];

/// The clap command: the derived one, with each subcommand given the shared options it
/// takes (after its name) and an example.
pub fn command() -> clap::Command {
    let mut command = <Cli as CommandFactory>::command();
    for (group, example) in GROUPS {
        command = command.mut_subcommand(*group, |sub| sub.after_help(example_text(example)));
    }
    for (path, takes, example) in SUBCOMMANDS {
        command = with_options(command, path, *takes, example);
    }
    command
}

fn example_text(example: &str) -> String {
    format!("Example:\n  {example}")
}

/// Adds the shared options of `takes` and the example to the subcommand at `path`.
fn with_options(
    command: clap::Command,
    path: &[&str],
    takes: Takes,
    example: &str,
) -> clap::Command {
    let Some((first, rest)) = path.split_first() else {
        let mut command = command.after_help(example_text(example));
        command = command.next_help_heading("Common options");
        if takes.home {
            command = HomeArg::augment_args(command);
        }
        if takes.json {
            command = JsonArg::augment_args(command);
        }
        if takes.passphrase() {
            command = PassphraseArg::augment_args(command);
        }
        if takes.accept() {
            command = AcceptArg::augment_args(command);
        }
        return command;
    };
    command.mut_subcommand(*first, |sub| with_options(sub, rest, takes, example))
}

/// The shared options as given, before and after the subcommand, checked.
#[derive(Debug, Default)]
pub struct Options {
    home: Option<PathBuf>,
    /// Whether the command prints JSON (also for its error).
    pub json: bool,
    passphrase_file: Option<PathBuf>,
    accept_unsealed: Option<String>,
}

/// Parses the command line: the subcommand and its arguments, and the shared options,
/// wherever they were written.
pub fn parse() -> Result<(Cli, Options), clap::Error> {
    parse_from(std::env::args_os())
}

/// [`parse`] over given arguments.
pub fn parse_from<I, T>(arguments: I) -> Result<(Cli, Options), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = command().try_get_matches_from(arguments)?;
    let cli = Cli::from_arg_matches(&matches)?;
    // The leaf subcommand's name path and its matches.
    let mut path: Vec<&str> = Vec::new();
    let mut leaf = &matches;
    while let Some((name, sub)) = leaf.subcommand() {
        path.push(name);
        leaf = sub;
    }
    let takes = SUBCOMMANDS
        .iter()
        .find(|(candidate, _, _)| *candidate == path.as_slice())
        .map(|(_, takes, _)| *takes);
    let usage =
        |message: String| self::command().error(clap::error::ErrorKind::ArgumentConflict, message);
    let shown = if path.is_empty() {
        "airlock".to_owned()
    } else {
        format!("airlock {}", path.join(" "))
    };
    let mut options = Options {
        home: cli.home.home.clone(),
        json: cli.json.json,
        passphrase_file: cli.passphrase.passphrase_file.clone(),
        accept_unsealed: cli.accept.accept_unsealed.clone(),
    };
    // Written before the subcommand, an option that does not apply is refused where
    // ignoring it would mislead; --home and --passphrase-file are let through, as a
    // runbook writes them once for every line.
    // No subcommand: the terminal UI, or the help.
    let takes = takes.unwrap_or(SCREEN);
    if options.json && !takes.json {
        return Err(usage(format!(
            "{shown} prints no report: --json does not apply"
        )));
    }
    if options.accept_unsealed.is_some() && !takes.accept() {
        return Err(usage(format!(
            "{shown} unlocks no key, so it cannot accept unsealed ledger entries: --accept-unsealed does not apply"
        )));
    }
    if options.home.is_some() && !takes.home && path.first() == Some(&"demo") {
        return Err(usage(
            "airlock demo makes its own home (in --dir or a temporary folder): --home does not apply"
                .to_owned(),
        ));
    }
    let twice = |name: &str| {
        usage(format!(
            "--{name} is given both before and after the subcommand"
        ))
    };
    if takes.home {
        let after = HomeArg::from_arg_matches(leaf)?.home;
        if after.is_some() && options.home.is_some() {
            return Err(twice("home"));
        }
        options.home = options.home.or(after);
    }
    if takes.json {
        options.json |= JsonArg::from_arg_matches(leaf)?.json;
    }
    if takes.passphrase() {
        let after = PassphraseArg::from_arg_matches(leaf)?.passphrase_file;
        if after.is_some() && options.passphrase_file.is_some() {
            return Err(twice("passphrase-file"));
        }
        options.passphrase_file = options.passphrase_file.or(after);
    }
    if takes.accept() {
        let after = AcceptArg::from_arg_matches(leaf)?.accept_unsealed;
        if after.is_some() && options.accept_unsealed.is_some() {
            return Err(twice("accept-unsealed"));
        }
        options.accept_unsealed = options.accept_unsealed.or(after);
    }
    Ok((cli, options))
}

/// Whether `--json` was written on the command line (before any `--`): a usage error is
/// then printed as JSON too, although the line could not be parsed.
pub fn json_requested<I: IntoIterator<Item = std::ffi::OsString>>(arguments: I) -> bool {
    arguments
        .into_iter()
        .skip(1)
        .take_while(|argument| argument != "--")
        .any(|argument| argument == "--json")
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new self-signed CA in an empty home; its key is encrypted with age
    Init(setup::InitArgs),
    /// Bring in an existing (kubeadm) CA; its key is encrypted on import
    Import(setup::ImportArgs),
    /// Show the CAs, the ledger and certificate counts
    Status,
    /// Show verdicts for a CSR file or every CSR in an intake folder (needs no passphrase)
    Review(batch::ReviewArgs),
    /// Sign every accepted CSR of a file or an intake folder into OUT_DIR
    Sign(batch::SignArgs),
    /// Show one CSR or certificate as the review shows it (a CSR with its verdict)
    Inspect(inspect::InspectArgs),
    /// Issue a fresh CRL of every revocation (before the last one's next update)
    Crl(crl::CrlArgs),
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
    /// Open the terminal UI (also what a bare 'airlock' on a terminal does)
    Tui {
        /// An intake folder to open the review of at start
        #[arg(value_name = "INTAKE_DIR")]
        intake: Option<PathBuf>,
    },
}

/// Runs the parsed command with the shared options [`parse`] collected.
pub fn run(cli: Cli, options: Options, hardening: Hardening) -> Result<ExitCode, Error> {
    let global = Global {
        home: options.home,
        json: options.json,
        passphrase_file: options.passphrase_file,
        accept_unsealed: options.accept_unsealed,
        hardening,
    };
    let Some(command) = cli.command else {
        if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
            return crate::tui::run(&global, None);
        }
        let _ = command().print_help();
        return Ok(ExitCode::from(2));
    };
    match command {
        Command::Tui { intake } => crate::tui::run(&global, intake.as_deref()),
        Command::Init(args) => setup::init(&global, &args),
        Command::Import(args) => setup::import(&global, &args),
        Command::Status => status::run(&global),
        Command::Review(args) => batch::review(&global, &args),
        Command::Sign(args) => batch::sign(&global, &args),
        Command::Inspect(args) => inspect::run(&global, &args),
        Command::Crl(args) => crl::run(&global, &args),
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

/// Prints an error with its causes and a hint, as the last thing before exit 1: on
/// stderr, or with `json` as `{"error": ..., "hint": ...}` on stdout, where a script
/// reading the report looks.
pub fn report_error(error: &Error, json: bool) {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    if json {
        let mut message = error.to_string();
        for cause in &causes {
            message.push_str(": ");
            message.push_str(cause);
        }
        output::error_json(&message, error.hint());
        return;
    }
    eprintln!("error: {error}");
    for cause in &causes {
        eprintln!("  caused by: {cause}");
    }
    if let Some(hint) = error.hint() {
        eprintln!("hint: {hint}");
    }
}

/// Prints a command-line error (exit 2) or the help and version (exit 0) clap produced;
/// with `json`, an error is printed as `{"error": ..., "hint": ...}` on stdout.
pub fn report_usage(error: &clap::Error, json: bool) -> ExitCode {
    if !error.use_stderr() {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    if json {
        let rendered = error.render().to_string();
        let message = match error.kind() {
            clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                "a subcommand is needed".to_owned()
            }
            _ => rendered
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_owned(),
        };
        let hint = rendered
            .lines()
            .find_map(|line| line.trim().strip_prefix("tip: "))
            .map_or_else(
                || "see 'airlock --help' (or --help after the subcommand)".to_owned(),
                str::to_owned,
            );
        output::error_json(&message, Some(&hint));
    } else {
        let _ = error.print();
    }
    ExitCode::from(2)
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
    /// Whether the home is the default one: neither --home nor `AIRLOCK_HOME` names it.
    pub(crate) fn home_is_default(&self) -> bool {
        self.home.is_none() && std::env::var_os("AIRLOCK_HOME").is_none_or(|value| value.is_empty())
    }

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

    /// Opens the home for a command that only reads it (a shared lock: it works while a
    /// terminal UI is open on the home, and writes nothing, not even a ledger repair).
    pub(crate) fn open_reader(&self) -> Result<Session, Error> {
        self.open_with(Session::open_reader)
    }

    /// Opens the home, creating it when `create` (init and import).
    pub(crate) fn open_session(&self, create: bool) -> Result<Session, Error> {
        self.open_with(if create {
            Session::open
        } else {
            Session::open_existing
        })
    }

    fn open_with(
        &self,
        open: fn(&Path, OffsetDateTime) -> Result<Session, Error>,
    ) -> Result<Session, Error> {
        let root = self.home_path()?;
        let mut session = open(&root, now())?;
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
        if session.opened().repaired_bytes.is_none() && session.opened().torn_bytes > 0 {
            eprintln!(
                "warning: the ledger's last line is torn ({} bytes, from an interrupted write); this command only reads, so it skipped it: the next command that changes the home cuts it and records the repair",
                session.opened().torn_bytes
            );
        }
        if let Some(bytes) = session.opened().repaired_bytes {
            eprintln!(
                "warning: the ledger's last line was torn ({bytes} bytes, from an interrupted write); it was cut and the repair recorded"
            );
        }
        Ok(session)
    }

    /// A passphrase for an existing key: the file if given, else a prompt on the terminal.
    /// `what` names the key's CA by role and id ("the active CA 'kubernetes' (e72c…)",
    /// item 8 of issue 10): the prompt and the error without a terminal both say it.
    fn passphrase(&self, what: &str) -> Result<Passphrase, Error> {
        if let Some(path) = &self.passphrase_file {
            return read_passphrase_file(path);
        }
        if !std::io::stdin().is_terminal() {
            return Err(Error::Refused(format!(
                "the passphrase of {what} is needed and there is no terminal to ask on: pass --passphrase-file FILE"
            )));
        }
        prompt_secret(&format!("Passphrase of {what}: "))
    }

    /// A new passphrase: the file if given, else typed twice on the terminal.
    fn new_passphrase(&self) -> Result<Passphrase, Error> {
        self.new_passphrase_for("the new CA")
    }
}

/// Reads a secret typed on the terminal, without echo, after `prompt`.
fn prompt_secret(prompt: &str) -> Result<Passphrase, Error> {
    let typed = rpassword::prompt_password(prompt)
        .map_err(|error| Error::Refused(format!("cannot read the passphrase: {error}")))?;
    Ok(Passphrase::from(typed))
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

/// The front end's [`Unlock`]: the passphrase file, or a prompt naming the CA by role and
/// id. With a [`confirm::Confirmation`], the plan is shown and confirmed before the first
/// passphrase is asked: the core has then checked that the act can proceed.
pub(crate) struct PromptUnlock<'a> {
    global: &'a Global,
    /// "the incoming CA 'kubernetes' (e72c…)" for each CA id, taken before the act.
    names: Vec<(String, String)>,
    confirmation: Option<confirm::Confirmation>,
}

impl<'a> PromptUnlock<'a> {
    /// Prompts naming the CAs of `state`, with no confirmation (renew, issue).
    pub(crate) fn new(global: &'a Global, state: &airlock::state::State) -> Self {
        let names = state
            .cas()
            .iter()
            .map(|ca| {
                let id = ca.certificate.info().id.clone();
                let name = confirm::ca_label(state, &id);
                (id, name)
            })
            .collect();
        Self {
            global,
            names,
            confirmation: None,
        }
    }

    /// Like [`PromptUnlock::new`], asking `confirmation` before the first passphrase.
    pub(crate) fn confirming(
        global: &'a Global,
        state: &airlock::state::State,
        confirmation: confirm::Confirmation,
    ) -> Self {
        Self {
            confirmation: Some(confirmation),
            ..Self::new(global, state)
        }
    }

    /// The words naming `ca`: role, name and short id.
    fn name_of(&self, ca: &CaInfo) -> String {
        self.names.iter().find(|(id, _)| *id == ca.id).map_or_else(
            || format!("CA '{}' ({})", ca.common_name, confirm::short_id(&ca.id)),
            |(_, name)| name.clone(),
        )
    }
}

impl Unlock for PromptUnlock<'_> {
    fn passphrase(&self, ca: &CaInfo) -> Result<Passphrase, Error> {
        if let Some(confirmation) = &self.confirmation {
            confirmation.ensure()?;
        }
        self.global.passphrase(&format!("the {}", self.name_of(ca)))
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

impl Global {
    /// A new passphrase for `what` (e.g. "the incoming CA 'kubernetes'"): the file if
    /// given, else typed twice on the terminal, each prompt naming the CA.
    fn new_passphrase_for(&self, what: &str) -> Result<Passphrase, Error> {
        use age::secrecy::ExposeSecret as _;
        if let Some(path) = &self.passphrase_file {
            return read_passphrase_file(path);
        }
        if !std::io::stdin().is_terminal() {
            return Err(Error::Refused(format!(
                "a passphrase for {what} is needed and there is no terminal to ask on: pass --passphrase-file FILE"
            )));
        }
        let first = prompt_secret(&format!("New passphrase for {what}: "))?;
        let second = prompt_secret(&format!("Repeat the new passphrase for {what}: "))?;
        if first.expose_secret() != second.expose_secret() {
            return Err(Error::Refused(
                "the two passphrases differ; nothing was written".to_owned(),
            ));
        }
        Ok(first)
    }
}

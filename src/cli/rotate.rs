//! `airlock rotate ...` and `airlock bundle`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use airlock::Error;
use airlock::ca::{CaAlgorithm, DEFAULT_CA_DAYS, ImportInput, NewCa};
use airlock::keystore::DEFAULT_WORK_FACTOR;
use airlock::ops::{self, BeginRequest, FinishRequest, NewCaSource, PhaseReport};
use clap::{Args, Subcommand};

use super::{Global, PromptUnlock, output, with_context};

#[derive(Debug, Subcommand)]
pub enum RotateCommand {
    /// Create (or import) the new CA; the bundle becomes old + new
    Begin(BeginArgs),
    /// Sign every active old-CA certificate again with the new CA (same subject and key)
    Reissue {
        /// Folder for the reissued certificates, report.json and SHA256SUMS
        #[arg(long, value_name = "OUT_DIR")]
        out: PathBuf,
    },
    /// Trust the new CA alone; refused while old certificates lack a reissued twin
    Finish(FinishArgs),
    /// Back to the old CA alone (only in phase overlap)
    Abort,
    /// Show the phase, both CAs and what remains to reissue
    Status,
}

#[derive(Debug, Args)]
pub struct BeginArgs {
    /// Common name of the new CA [default: the old CA's]
    #[arg(long, value_name = "NAME")]
    cn: Option<String>,
    /// Key algorithm of the new CA (RSA cannot be generated: import one instead)
    #[arg(long, default_value = "ecdsa-p256", value_parser = ["ecdsa-p256", "ecdsa-p384", "ed25519"])]
    algo: String,
    /// Lifetime of the new CA in days
    #[arg(long, default_value_t = DEFAULT_CA_DAYS)]
    days: u32,
    /// Import the new CA's certificate instead of generating one
    #[arg(long, value_name = "FILE", requires = "import_key")]
    import_cert: Option<PathBuf>,
    /// The imported CA's private key
    #[arg(long, value_name = "FILE", requires = "import_cert")]
    import_key: Option<PathBuf>,
    /// Passphrase file for the NEW CA's key [default: --passphrase-file, else a prompt]
    #[arg(long, value_name = "FILE")]
    new_passphrase_file: Option<PathBuf>,
    /// scrypt work factor (log2 N) protecting the new key
    #[arg(long, default_value_t = DEFAULT_WORK_FACTOR, value_name = "LOG_N")]
    scrypt_work_factor: u8,
}

#[derive(Debug, Args)]
pub struct FinishArgs {
    /// Finish although some old-CA certificates were not reissued
    #[arg(long, requires = "reason")]
    force: bool,
    /// Why the rotation is forced (kept in the ledger)
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// Delete the old CA's encrypted key instead of archiving it (asks to type its name)
    #[arg(long)]
    destroy_old_key: bool,
    /// The old CA's common name, confirming --destroy-old-key without a terminal
    #[arg(long, value_name = "NAME")]
    confirm_destroy: Option<String>,
}

#[derive(Debug, Args)]
pub struct BundleArgs {
    /// Where to write the PEM bundle for kube-apiserver's --client-ca-file
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Add a comment line before each certificate: subject, fingerprint, validity
    #[arg(long)]
    annotate: bool,
}

pub fn run(global: &Global, command: &RotateCommand) -> Result<ExitCode, Error> {
    let mut session = global.open()?;
    let unlock = PromptUnlock(global);
    match command {
        RotateCommand::Begin(args) => {
            let old_name = session
                .state()
                .active_ca()
                .map(|ca| ca.certificate.info().common_name.clone());
            let read = |path: &PathBuf| {
                std::fs::read(path)
                    .map(zeroize::Zeroizing::new)
                    .map_err(|error| {
                        Error::Refused(format!("cannot read '{}': {error}", path.display()))
                    })
            };
            let (cert_bytes, key_bytes) = match (&args.import_cert, &args.import_key) {
                (Some(cert), Some(key)) => (Some(read(cert)?), Some(read(key)?)),
                _ => (None, None),
            };
            let cert_name = args
                .import_cert
                .as_ref()
                .map(|path| path.display().to_string())
                .unwrap_or_default();
            let key_name = args
                .import_key
                .as_ref()
                .map(|path| path.display().to_string())
                .unwrap_or_default();
            let source = if let (Some(cert), Some(key)) = (&cert_bytes, &key_bytes) {
                NewCaSource::Import {
                    cert: ImportInput {
                        name: &cert_name,
                        bytes: cert,
                    },
                    key: ImportInput {
                        name: &key_name,
                        bytes: key,
                    },
                }
            } else {
                let algorithm: CaAlgorithm = args.algo.parse()?;
                let common_name = args
                    .cn
                    .clone()
                    .or(old_name)
                    .unwrap_or_else(|| "kubernetes".to_owned());
                NewCaSource::Generate(NewCa {
                    common_name,
                    algorithm,
                    days: args.days,
                })
            };
            let passphrase = match &args.new_passphrase_file {
                Some(path) => super::read_passphrase_file(path)?,
                None => global.new_passphrase()?,
            };
            let request = BeginRequest {
                source,
                work_factor: args.scrypt_work_factor,
            };
            let report = with_context(|context| {
                ops::begin(&mut session, &request, &passphrase, &unlock, context)
            })?;
            print_phase(global, &report, "Rotation begun: the new CA is incoming.")
        }
        RotateCommand::Reissue { out } => {
            let report = with_context(|context| {
                ops::reissue(&mut session, out, &unlock, context, &|_, _| {})
            })?;
            if global.json {
                output::json(&report)?;
            } else {
                println!(
                    "Reissued {} certificate(s) with the new CA; {} handed back from an earlier run; {} not reissued.",
                    report.newly_signed,
                    report.reused,
                    report.report.rejected.len()
                );
                for rejected in &report.report.rejected {
                    println!(
                        "  not reissued: {} ({})",
                        rejected.input,
                        rejected.reasons.join("; ")
                    );
                }
                println!("Output folder: {}", report.out.display());
                print_phase(global, &report.phase, "")?;
            }
            Ok(if report.report.rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            })
        }
        RotateCommand::Finish(args) => {
            if args.destroy_old_key {
                let old = session
                    .state()
                    .rotation()
                    .and_then(|rotation| session.state().ca(&rotation.old))
                    .map(|ca| ca.certificate.info().common_name.clone())
                    .unwrap_or_default();
                confirm_destroy(&old, args.confirm_destroy.as_deref())?;
            }
            let request = FinishRequest {
                force: args.force,
                reason: args.reason.clone(),
                destroy_old_key: args.destroy_old_key,
            };
            let report =
                with_context(|context| ops::finish(&mut session, &request, &unlock, context))?;
            print_phase(
                global,
                &report,
                "Rotation finished: the new CA is the only one trusted.",
            )
        }
        RotateCommand::Abort => {
            let report = with_context(|context| ops::abort(&mut session, &unlock, context))?;
            print_phase(
                global,
                &report,
                "Rotation aborted: back to the old CA alone.",
            )
        }
        RotateCommand::Status => {
            let status = ops::rotation_status(&session, super::now());
            if global.json {
                output::json(&status)?;
                return Ok(ExitCode::SUCCESS);
            }
            println!("Phase: {}", airlock::rotation::phase_name(status.phase));
            if let Some(old) = &status.old {
                println!(
                    "  {} CA '{}' ({})",
                    if status.new.is_some() {
                        "old"
                    } else {
                        "active"
                    },
                    old.common_name,
                    old.id
                );
            }
            if let Some(new) = &status.new {
                println!("  new CA '{}' ({})", new.common_name, new.id);
                println!(
                    "  old-CA certificates active: {}, reissued: {}",
                    status.old_active, status.reissued
                );
                for serial in &status.unreissued {
                    println!("  not yet reissued: {serial}");
                }
            }
            println!("Next: {}", status.next_steps);
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn bundle(global: &Global, args: &BundleArgs) -> Result<ExitCode, Error> {
    let session = global.open()?;
    let report = ops::bundle(&session, &args.out, args.annotate)?;
    print_phase(global, &report, "Bundle written.")
}

fn confirm_destroy(name: &str, given: Option<&str>) -> Result<(), Error> {
    let typed = match given {
        Some(given) => given.to_owned(),
        None if std::io::stdin().is_terminal() => {
            eprintln!(
                "This deletes the old CA's encrypted key for good. Type its common name ('{name}') to confirm:"
            );
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|error| {
                Error::Refused(format!("cannot read the confirmation: {error}"))
            })?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
        None => {
            return Err(Error::Refused(
                "--destroy-old-key needs a typed confirmation: pass --confirm-destroy with the old CA's common name".to_owned(),
            ));
        }
    };
    if typed != name {
        return Err(Error::Refused(
            "the confirmation does not match the old CA's name; nothing was changed".to_owned(),
        ));
    }
    Ok(())
}

fn print_phase(global: &Global, report: &PhaseReport, headline: &str) -> Result<ExitCode, Error> {
    if global.json {
        output::json(report)?;
        return Ok(ExitCode::SUCCESS);
    }
    if !headline.is_empty() {
        println!("{headline}");
    }
    println!("Phase: {}", airlock::rotation::phase_name(report.phase));
    println!(
        "Bundle ({} CA(s)): {}",
        report.trusted.len(),
        report.bundle_file.display()
    );
    for ca in &report.trusted {
        println!(
            "  {} ({}) SHA256:{}",
            ca.common_name,
            ca.id,
            output::colons(&ca.fingerprint)
        );
    }
    println!("Deploy:");
    for (index, item) in report.checklist.iter().enumerate() {
        println!("  {}. {}: {}", index + 1, item.target, item.action);
    }
    Ok(ExitCode::SUCCESS)
}

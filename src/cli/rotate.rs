//! `airlock rotate ...` and `airlock bundle`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use airlock::Error;
use airlock::ca::{CaAlgorithm, DEFAULT_CA_DAYS, ImportInput, NewCa};
use airlock::keystore::DEFAULT_WORK_FACTOR;
use airlock::ops::{
    self, BeginRequest, FinishRequest, GivenPassphrase, NewCaSource, PhaseReport, Session,
};
use airlock::state::Phase;
use clap::{Args, Subcommand};

use super::confirm::{self, Answer, Confirmation, Plan};
use super::{Global, PromptUnlock, output, with_context};

#[derive(Debug, Subcommand)]
pub enum RotateCommand {
    /// Create (or import) the new CA; the bundle becomes old + new
    Begin(BeginArgs),
    /// Sign every active old-CA certificate again with the new CA (same subject and key)
    Reissue(ReissueArgs),
    /// Trust the new CA alone; refused while old certificates lack a reissued twin
    Finish(FinishArgs),
    /// Back to the old CA alone (only in phase overlap)
    Abort(AbortArgs),
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
    /// Begin without showing the plan and asking to type 'yes' (runbooks)
    #[arg(long)]
    yes: bool,
}

#[derive(Debug, Args)]
pub struct ReissueArgs {
    /// Folder for the reissued certificates, report.json and SHA256SUMS
    #[arg(long, value_name = "OUT_DIR")]
    out: PathBuf,
    /// Reissue without showing the plan and asking to type 'yes' (runbooks)
    #[arg(long)]
    yes: bool,
}

#[derive(Debug, Args)]
pub struct AbortArgs {
    /// Abort without showing the plan and asking to type 'yes' (runbooks)
    #[arg(long)]
    yes: bool,
}

#[derive(Debug, Args)]
pub struct FinishArgs {
    /// Finish although some old-CA certificates were not reissued
    #[arg(long, requires = "reason")]
    force: bool,
    /// Why the rotation is forced (kept in the ledger)
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// Delete the old CA's encrypted key instead of archiving it (asks to type its id)
    #[arg(long)]
    destroy_old_key: bool,
    /// The old CA's id (its first 8 hex digits or more) or common name, confirming
    /// --destroy-old-key without a terminal (--yes alone does not destroy a key)
    #[arg(long, value_name = "ID")]
    confirm_destroy: Option<String>,
    /// Finish without showing the plan and asking to type 'yes' (runbooks)
    #[arg(long)]
    yes: bool,
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
    let yes = match command {
        RotateCommand::Begin(args) => Some(args.yes),
        RotateCommand::Reissue(args) => Some(args.yes),
        RotateCommand::Finish(args) => Some(args.yes),
        RotateCommand::Abort(args) => Some(args.yes),
        RotateCommand::Status => None,
    };
    if let Some(yes) = yes {
        confirm::require_terminal_or_yes(yes)?;
    }
    // `rotate status` only reads: it shares the home with an open TUI.
    let mut session = if yes.is_some() {
        global.open()?
    } else {
        global.open_reader()?
    };
    match command {
        RotateCommand::Begin(args) => begin(global, &mut session, args),
        RotateCommand::Reissue(args) => {
            let plan = reissue_plan(&session, &args.out);
            let unlock = PromptUnlock::confirming(
                global,
                session.state(),
                Confirmation::new(plan, args.yes),
            );
            let out = &args.out;
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
        RotateCommand::Finish(args) => finish(global, &mut session, args),
        RotateCommand::Abort(args) => {
            let plan = abort_plan(session.state());
            let unlock = PromptUnlock::confirming(
                global,
                session.state(),
                Confirmation::new(plan, args.yes),
            );
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

/// `rotate begin`: the plan is confirmed, then the active CA's passphrase is asked, then
/// the new CA's (typed twice), all before the core generates anything (item 8 of issue
/// 10: the officer learns of a wrong active passphrase only after typing the new one,
/// which the core's single call requires up front).
fn begin(global: &Global, session: &mut Session, args: &BeginArgs) -> Result<ExitCode, Error> {
    let state = session.state();
    // Asked before any passphrase is typed; the core checks the same again.
    let Some(active) = state.active_ca() else {
        return Err(Error::Refused(
            "this home has no CA to rotate: run 'airlock init' first".to_owned(),
        ));
    };
    if state.phase() != Phase::Stable {
        return Err(Error::Refused(format!(
            "cannot begin a rotation in rotation phase '{}': the next legal steps are {}",
            airlock::rotation::phase_name(state.phase()),
            airlock::rotation::next_steps(state)
        )));
    }
    let active_label = confirm::ca_label(state, &active.certificate.info().id);
    let old_name = active.certificate.info().common_name.clone();
    let read = |path: &PathBuf| {
        std::fs::read(path)
            .map(zeroize::Zeroizing::new)
            .map_err(|error| Error::Refused(format!("cannot read '{}': {error}", path.display())))
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
    let (source, new_what, new_line) = if let (Some(cert), Some(key)) = (&cert_bytes, &key_bytes) {
        (
            NewCaSource::Import {
                cert: ImportInput {
                    name: &cert_name,
                    bytes: cert,
                },
                key: ImportInput {
                    name: &key_name,
                    bytes: key,
                },
            },
            "the incoming CA (imported)".to_owned(),
            format!("New CA: imported from '{cert_name}' with its key '{key_name}'"),
        )
    } else {
        let algorithm: CaAlgorithm = args.algo.parse()?;
        let common_name = args.cn.clone().unwrap_or(old_name);
        let what = format!(
            "the incoming CA '{}' (to be generated)",
            airlock::text::name(&common_name)
        );
        let line = format!(
            "New CA: '{}', {}, {} days, generated here",
            airlock::text::name(&common_name),
            args.algo,
            args.days
        );
        (
            NewCaSource::Generate(NewCa {
                common_name,
                algorithm,
                days: args.days,
            }),
            what,
            line,
        )
    };
    let reused = args.new_passphrase_file.is_none() && global.passphrase_file.is_some();
    let passphrases = match (&global.passphrase_file, &args.new_passphrase_file) {
        (Some(old), Some(new)) => format!(
            "Passphrases: the active CA's from '{}', the new CA's from '{}'",
            old.display(),
            new.display()
        ),
        (Some(old), None) => format!(
            "Passphrases: both from '{}' (the same file encrypts the new CA's key)",
            old.display()
        ),
        (None, Some(new)) => format!(
            "Passphrases: the active CA's typed first, the new CA's from '{}'",
            new.display()
        ),
        (None, None) => {
            "Passphrases: the active CA's typed first, then the new CA's, typed twice".to_owned()
        }
    };
    let plan = Plan::new("Begin a CA rotation")
        .line(format!(
            "Active CA: the {active_label}; it signs its successor in and is retired at finish"
        ))
        .line(new_line)
        .line("Bundle: old + new, both trusted until the rotation finishes or aborts")
        .line(format!("Unlocks: the {active_label}"))
        .line(passphrases);
    Confirmation::new(plan, args.yes).ensure()?;
    let active_passphrase = global.passphrase(&format!("the {active_label}"))?;
    let passphrase = if let Some(path) = &args.new_passphrase_file {
        super::read_passphrase_file(path)?
    } else {
        if reused {
            eprintln!(
                "note: --passphrase-file is used again for {new_what}: its key is encrypted under the same passphrase as the active CA's (give --new-passphrase-file FILE for one of its own)"
            );
        }
        global.new_passphrase_for(&new_what)?
    };
    let request = BeginRequest {
        source,
        work_factor: args.scrypt_work_factor,
    };
    let unlock = GivenPassphrase(active_passphrase);
    let report =
        with_context(|context| ops::begin(session, &request, &passphrase, &unlock, context))?;
    print_phase(global, &report, "Rotation begun: the new CA is incoming.")
}

/// `rotate finish`: the plan names which key is archived or destroyed; after the act the
/// fate of the old key is checked on disk and said on screen and in the JSON report.
fn finish(global: &Global, session: &mut Session, args: &FinishArgs) -> Result<ExitCode, Error> {
    let state = session.state();
    let old = state.rotation().map(|rotation| rotation.old.clone());
    if args.destroy_old_key {
        let old_info = old
            .as_deref()
            .and_then(|id| state.ca(id))
            .map(|ca| ca.certificate.info().clone());
        match (&args.confirm_destroy, old_info) {
            (Some(given), Some(info)) => confirm_destroy(&info.id, &info.common_name, given)?,
            (None, _) if !std::io::stdin().is_terminal() => {
                return Err(Error::Refused(
                    "--destroy-old-key needs a typed confirmation: pass --confirm-destroy with the old CA's id (or common name); --yes alone destroys no key".to_owned(),
                ));
            }
            _ => {}
        }
    }
    let plan = finish_plan(session, args);
    // --yes alone destroys no key: without --confirm-destroy the id is typed.
    let skip = args.yes && (!args.destroy_old_key || args.confirm_destroy.is_some());
    let old_label = old
        .as_deref()
        .map(|id| confirm::ca_label(session.state(), id));
    let unlock = PromptUnlock::confirming(global, session.state(), Confirmation::new(plan, skip));
    let request = FinishRequest {
        force: args.force,
        reason: args.reason.clone(),
        destroy_old_key: args.destroy_old_key,
    };
    let report = with_context(|context| ops::finish(session, &request, &unlock, context))?;
    let old_key = old.map(|id| {
        let file = session.home().ca_dir(&id).join("ca.key.age");
        let destroyed = session.state().ca(&id).is_some_and(|ca| ca.key_destroyed);
        let present = std::fs::symlink_metadata(&file).is_ok();
        (id, file, destroyed, present)
    });
    if global.json {
        let mut value = serde_json::to_value(&report)
            .map_err(|error| Error::Refused(format!("cannot encode the report: {error}")))?;
        if let (Some(object), Some((id, file, destroyed, present))) =
            (value.as_object_mut(), &old_key)
        {
            object.insert(
                "old_key".to_owned(),
                serde_json::json!({
                    "ca": id,
                    "fate": if *destroyed { "destroyed" } else { "archived" },
                    "file": file.display().to_string(),
                    "file_present": present,
                }),
            );
        }
        output::json(&value)?;
        return Ok(ExitCode::SUCCESS);
    }
    print_phase(
        global,
        &report,
        "Rotation finished: the new CA is the only one trusted.",
    )?;
    if let Some((_, file, destroyed, present)) = &old_key {
        let label = old_label.unwrap_or_default();
        match (destroyed, present) {
            (true, false) => println!(
                "Old CA key DESTROYED: the key of the {label} is gone ('{}' no longer exists); the ledger records it.",
                file.display()
            ),
            (true, true) => eprintln!(
                "warning: the ledger records the destruction of the key of the {label}, but '{}' is still there: it is removed the next time the home is opened",
                file.display()
            ),
            (false, _) => println!(
                "Old CA key archived: the key of the {label} stays, encrypted, in '{}'.",
                file.display()
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn bundle(global: &Global, args: &BundleArgs) -> Result<ExitCode, Error> {
    let session = global.open_reader()?;
    let report = ops::bundle(&session, &args.out, args.annotate)?;
    print_phase(global, &report, "Bundle written.")
}

/// Checks `--confirm-destroy`: the old CA's id (8 hex digits or more of it) or its
/// common name, exactly.
fn confirm_destroy(id: &str, name: &str, given: &str) -> Result<(), Error> {
    let by_id = given.len() >= 8 && id.starts_with(&given.to_ascii_lowercase());
    if by_id || given == name {
        return Ok(());
    }
    Err(Error::Refused(
        "the confirmation does not match the old CA's id or name; nothing was changed".to_owned(),
    ))
}

/// What `rotate reissue` will do (item 9 of issue 10).
fn reissue_plan(session: &Session, out: &std::path::Path) -> Plan {
    let state = session.state();
    let status = ops::rotation_status(session, super::now());
    let label = |ca: &Option<airlock::ca::CaInfo>| {
        ca.as_ref()
            .map_or_else(|| "none".to_owned(), |ca| confirm::ca_label(state, &ca.id))
    };
    Plan::new(format!(
        "Reissue {} certificate(s) of the {} with the {}",
        status.unreissued.len(),
        label(&status.old),
        label(&status.new)
    ))
    .line(format!(
        "Same subjects and keys; written into '{}' with report.json and SHA256SUMS",
        out.display()
    ))
    .line("Once every active old certificate has its twin, the phase becomes 'reissued' (abort is then no longer possible)")
    .line(format!("Unlocks: the {}", label(&status.new)))
}

/// What `rotate finish` will do: which CA stays, what becomes of the old key.
fn finish_plan(session: &Session, args: &FinishArgs) -> Plan {
    let state = session.state();
    let status = ops::rotation_status(session, super::now());
    let label = |ca: &Option<airlock::ca::CaInfo>| {
        ca.as_ref()
            .map_or_else(|| "none".to_owned(), |ca| confirm::ca_label(state, &ca.id))
    };
    let old = label(&status.old);
    let mut plan = Plan::new("Finish the rotation")
        .line(format!(
            "Trusted afterwards: the {} alone",
            label(&status.new)
        ))
        .line(format!("Retired: the {old}"));
    if !status.unreissued.is_empty() {
        plan.lines.push(format!(
            "{} active certificate(s) of the old CA have no twin: their holders are locked out{}",
            status.unreissued.len(),
            if args.force { " (forced)" } else { "" }
        ));
    }
    match &status.old {
        Some(info) if args.destroy_old_key => {
            plan.lines.push(format!(
                "Old CA key: DESTROYED for good ('{}' is deleted; it cannot be undone)",
                session.home().ca_dir(&info.id).join("ca.key.age").display()
            ));
            if args.confirm_destroy.is_none() {
                plan.answer = Answer::Text {
                    text: info.id.get(..8).unwrap_or(&info.id).to_owned(),
                    what: "the first 8 digits of the retiring CA's id",
                };
            }
        }
        Some(info) => plan.lines.push(format!(
            "Old CA key: archived, encrypted, in '{}'",
            session.home().ca_dir(&info.id).join("ca.key.age").display()
        )),
        None => {}
    }
    plan.lines
        .push(format!("Unlocks: the {}", label(&status.new)));
    plan
}

/// What `rotate abort` will do.
fn abort_plan(state: &airlock::state::State) -> Plan {
    let Some(rotation) = state.rotation() else {
        return Plan::new("Abort the rotation");
    };
    let signed = state
        .issued()
        .iter()
        .filter(|cert| cert.ca == rotation.new)
        .count();
    Plan::new(format!(
        "Abort the rotation: back to the {} alone",
        confirm::ca_label(state, &rotation.old)
    ))
    .line(format!(
        "Retired: the {}; the {signed} certificate(s) it signed stop being trusted once the bundle is deployed",
        confirm::ca_label(state, &rotation.new)
    ))
    .line(format!(
        "Unlocks: the {}",
        confirm::ca_label(state, &rotation.old)
    ))
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

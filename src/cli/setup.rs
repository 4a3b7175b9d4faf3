//! `airlock init` and `airlock import`.

use std::path::PathBuf;
use std::process::ExitCode;

use airlock::Error;
use airlock::ca::{CaAlgorithm, DEFAULT_CA_DAYS, ImportInput, NewCa};
use airlock::keystore::DEFAULT_WORK_FACTOR;
use airlock::ops::{self, CaReport, ImportRequest, InitRequest};
use clap::Args;

use super::{Global, output, with_context};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Subject common name of the CA, e.g. kubernetes
    #[arg(long, value_name = "NAME")]
    cn: String,
    /// Key algorithm. RSA is not offered: no crypto library airlock uses can generate RSA
    /// keys; import an RSA CA made elsewhere instead
    #[arg(long, default_value = "ecdsa-p256", value_name = "ALGO", value_parser = ["ecdsa-p256", "ecdsa-p384", "ed25519"])]
    algo: String,
    /// Lifetime in days
    #[arg(long, default_value_t = DEFAULT_CA_DAYS)]
    days: u32,
    /// scrypt work factor (log2 N) protecting the key: 18 takes about a second and 256 MiB
    #[arg(long, default_value_t = DEFAULT_WORK_FACTOR, value_name = "LOG_N")]
    scrypt_work_factor: u8,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CA certificate (PEM or DER), e.g. /etc/kubernetes/pki/ca.crt
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// The CA private key: PKCS#1, SEC1 or PKCS#8 PEM, unencrypted
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// scrypt work factor (log2 N) protecting the key
    #[arg(long, default_value_t = DEFAULT_WORK_FACTOR, value_name = "LOG_N")]
    scrypt_work_factor: u8,
}

pub fn init(global: &Global, args: &InitArgs) -> Result<ExitCode, Error> {
    let algorithm: CaAlgorithm = args.algo.parse()?;
    let request = InitRequest {
        ca: NewCa {
            common_name: args.cn.clone(),
            algorithm,
            days: args.days,
        },
        work_factor: args.scrypt_work_factor,
    };
    announce_default_home(global)?;
    // The passphrase is asked before the home is made, so that Ctrl-C at the prompt
    // leaves nothing behind; a home that already has a ledger is refused first.
    let (mut session, passphrase) = new_passphrase_then_home(global)?;
    let report = with_context(|context| ops::init(&mut session, &request, &passphrase, context))?;
    print_ca(global, &report, "created")?;
    Ok(ExitCode::SUCCESS)
}

pub fn import(global: &Global, args: &ImportArgs) -> Result<ExitCode, Error> {
    let read = |path: &PathBuf| {
        std::fs::read(path)
            .map(zeroize::Zeroizing::new)
            .map_err(|error| Error::Refused(format!("cannot read '{}': {error}", path.display())))
    };
    let cert_bytes = read(&args.cert)?;
    let key_bytes = read(&args.key)?;
    let cert_name = args.cert.display().to_string();
    let key_name = args.key.display().to_string();
    let request = ImportRequest {
        cert: ImportInput {
            name: &cert_name,
            bytes: &cert_bytes,
        },
        key: ImportInput {
            name: &key_name,
            bytes: &key_bytes,
        },
        work_factor: args.scrypt_work_factor,
    };
    announce_default_home(global)?;
    // Check everything that needs no passphrase before asking for one, and ask before
    // the home is made (Ctrl-C at the prompt leaves nothing behind).
    airlock::ca::import(&request.cert, &request.key, super::now())?;
    let (mut session, passphrase) = new_passphrase_then_home(global)?;
    let report = with_context(|context| ops::import(&mut session, &request, &passphrase, context))?;
    print_ca(global, &report, "imported")?;
    if !global.json {
        println!();
        println!(
            "The plaintext key '{}' is still on its media: airlock did not delete it.",
            airlock::text::name(&key_name)
        );
        println!(
            "Destroy it there (e.g. shred -u, or destroy the media) once the import is verified."
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Says where the home will be made when no --home or `AIRLOCK_HOME` chose it (item 16
/// of issue 10): the default is easy to forget, and a CA home is hard to move later.
fn announce_default_home(global: &Global) -> Result<(), Error> {
    if global.home_is_default() {
        eprintln!(
            "No --home or AIRLOCK_HOME given: the CA home is the default, '{}'",
            airlock::text::name(&global.home_path()?.to_string_lossy())
        );
    }
    Ok(())
}

fn print_ca(global: &Global, report: &CaReport, verb: &str) -> Result<(), Error> {
    if global.json {
        return output::json(report);
    }
    let ca = &report.ca;
    println!(
        "CA '{}' {verb} in home '{}'",
        ca.common_name,
        report.home.display()
    );
    println!("  subject      {}", ca.subject);
    println!("  key          {}", ca.key);
    println!("  fingerprint  SHA256:{}", output::colons(&ca.fingerprint));
    println!(
        "  valid        {} to {}",
        output::day(ca.not_before),
        output::day(ca.not_after)
    );
    println!("  certificate  {}", report.cert_file.display());
    println!("  key (age)    {}", report.key_file.display());
    Ok(())
}

/// The new CA's passphrase, then the home: asked before the home is made, so that Ctrl-C
/// at the prompt leaves nothing behind. A home that already holds a ledger is opened
/// first (init and import then refuse it).
fn new_passphrase_then_home(
    global: &Global,
) -> Result<(airlock::ops::Session, airlock::secret::Passphrase), Error> {
    if already_initialized(global)? {
        let session = global.open_session(true)?;
        return Ok((session, global.new_passphrase()?));
    }
    let passphrase = global.new_passphrase()?;
    Ok((global.open_session(true)?, passphrase))
}

/// Whether the home already holds a ledger (init and import then refuse, before any
/// prompt is worth answering).
fn already_initialized(global: &Global) -> Result<bool, Error> {
    let root = global.home_path()?;
    Ok(std::fs::symlink_metadata(root.join("ledger.jsonl")).is_ok())
}

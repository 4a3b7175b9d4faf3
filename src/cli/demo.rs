//! `airlock demo`: a demo home in a temporary folder, a CA, a batch reviewed and signed.

use std::path::PathBuf;
use std::process::ExitCode;

use airlock::Error;
use airlock::ca::{CaAlgorithm, NewCa};
use airlock::keystore::MIN_WORK_FACTOR;
use airlock::ops::{
    self, BeginRequest, GivenPassphrase, InitRequest, NewCaSource, Session, SignRequest,
};
use airlock::secret::Passphrase;
use clap::Args;

use super::{Global, with_context};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the demo (must not exist or be empty) [default: a new temporary folder]
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run(global: &Global, args: &DemoArgs) -> Result<ExitCode, Error> {
    let dir = match &args.dir {
        Some(dir) => {
            airlock::home::create_private_dir(dir)?;
            if std::fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_some()) {
                return Err(Error::Refused(format!(
                    "demo folder '{}' is not empty",
                    dir.display()
                )));
            }
            dir.clone()
        }
        None => tempfile::Builder::new()
            .prefix("airlock-demo-")
            .tempdir()
            .map_err(|error| Error::Refused(format!("cannot make a temporary folder: {error}")))?
            .keep(),
    };
    let home = dir.join("home");
    let intake = dir.join("intake");
    let out = dir.join("out");
    let passphrase_file = dir.join("demo-passphrase");
    airlock::home::create_private_dir(&intake)?;
    airlock::home::write_new(
        &passphrase_file,
        format!("{}\n", airlock::demo::DEMO_PASSPHRASE).as_bytes(),
    )?;

    let passphrase = Passphrase::from(airlock::demo::DEMO_PASSPHRASE.to_owned());
    let mut session = Session::open(&home, super::now())?;
    let request = InitRequest {
        ca: NewCa {
            common_name: "airlock-demo-ca".to_owned(),
            algorithm: CaAlgorithm::EcdsaP256,
            days: 365,
        },
        // A light work factor keeps the demo quick; real CAs default to 18.
        work_factor: MIN_WORK_FACTOR,
    };
    let created = with_context(|context| ops::init(&mut session, &request, &passphrase, context))?;
    with_context(|context| airlock::demo::write_intake(&intake, context.rng))?;
    let sign = SignRequest {
        intake: intake.clone(),
        out: out.clone(),
        days: None,
        only: None,
        expect_digest: None,
    };
    let unlock = GivenPassphrase(passphrase);
    let report =
        with_context(|context| ops::sign(&mut session, &sign, &unlock, context, &|_, _| {}))?;
    // Leave a rotation in progress and a second intake folder, so that the terminal UI
    // has something to show on every screen.
    let begin = BeginRequest {
        source: NewCaSource::Generate(NewCa {
            common_name: "airlock-demo-ca".to_owned(),
            algorithm: CaAlgorithm::EcdsaP256,
            days: 730,
        }),
        work_factor: MIN_WORK_FACTOR,
    };
    let unlock_passphrase = Passphrase::from(airlock::demo::DEMO_PASSPHRASE.to_owned());
    let rotation = with_context(|context| {
        ops::begin(&mut session, &begin, &unlock_passphrase, &unlock, context)
    })?;
    let next_intake = dir.join("intake-next");
    airlock::home::create_private_dir(&next_intake)?;
    with_context(|context| airlock::demo::write_intake(&next_intake, context.rng))?;
    let status = ops::status(&session, super::now());
    drop(session);

    if global.json {
        super::output::json(
            &serde_json::json!({ "dir": dir, "home": home, "sign": report, "status": status }),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("airlock demo in {}", dir.display());
    println!(
        "CA '{}' created (demo passphrase in {})",
        created.ca.common_name,
        passphrase_file.display()
    );
    println!();
    super::batch::print_review(&report.review);
    println!();
    println!(
        "Signed {} certificates into {}",
        report.newly_signed,
        out.display()
    );
    for name in &report.written {
        println!("  {name}");
    }
    println!();
    println!(
        "A CA rotation is in progress (phase {}): the bundle for --client-ca-file trusts both CAs:",
        airlock::rotation::phase_name(rotation.phase)
    );
    println!("  {}", rotation.bundle_file.display());
    println!(
        "A second batch waits for review in {}",
        next_intake.display()
    );
    println!();
    let home_arg = home.display();
    println!(
        "Open the terminal UI on this home (review the waiting batch, browse, walk the rotation):"
    );
    println!("  airlock --home {home_arg} tui");
    println!();
    println!("Or try:");
    println!("  airlock --home {home_arg} status");
    println!("  airlock --home {home_arg} audit verify");
    println!("  airlock --home {home_arg} rotate status");
    println!(
        "  openssl verify -purpose sslclient -CAfile {} {}",
        created.cert_file.display(),
        out.join("alice.crt").display()
    );
    println!(
        "  airlock --home {home_arg} --passphrase-file {} sign {} --out {}   (re-run: signs nothing twice)",
        passphrase_file.display(),
        intake.display(),
        out.join("again").display()
    );
    Ok(ExitCode::SUCCESS)
}

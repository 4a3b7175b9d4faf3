//! `airlock list`, `renew`, `renew-ca` and `revoke`.

use std::path::PathBuf;
use std::process::ExitCode;

use airlock::Error;
use airlock::export::revocation::{BindingFate, RbacPlan};
use airlock::ops::{self, ListFilter, RenewRequest, RevokeRequest, Selection};
use airlock::revocation_reason::RevocationReason;
use clap::Args;

use super::confirm::{self, Confirmation, Plan};
use super::{Global, PromptUnlock, output, with_context};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only unexpired certificates ending within DAYS
    #[arg(long, value_name = "DAYS")]
    expiring_within: Option<u32>,
    /// Only revoked certificates
    #[arg(long)]
    revoked: bool,
    /// Only certificates of this user (CN)
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["serial", "expiring_within"])))]
pub struct RenewArgs {
    /// The certificate to renew (hex serial)
    #[arg(long, value_name = "HEX")]
    serial: Option<String>,
    /// Renew every active certificate ending within DAYS
    #[arg(long, value_name = "DAYS")]
    expiring_within: Option<u32>,
    /// Folder for the renewed certificates
    #[arg(long, value_name = "OUT_DIR")]
    out: PathBuf,
    /// Lifetime in days (capped by the profile)
    #[arg(long)]
    days: Option<u32>,
}

#[derive(Debug, Args)]
pub struct RenewCaArgs {
    /// New lifetime of the CA certificate, in days
    #[arg(long, default_value_t = airlock::ca::DEFAULT_CA_DAYS)]
    days: u32,
    /// Renew without showing the plan and asking to type 'yes' (runbooks)
    #[arg(long)]
    yes: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["serial", "user"])))]
pub struct RevokeArgs {
    /// The certificate to revoke (hex serial)
    #[arg(long, value_name = "HEX")]
    serial: Option<String>,
    /// Revoke every active certificate of this user
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// Why: an RFC 5280 reason code, optionally followed by free text: 'CODE' or
    /// 'CODE: text'. CODE is one of unspecified, keyCompromise, affiliationChanged,
    /// superseded, cessationOfOperation, privilegeWithdrawn (kebab-case and any letter
    /// case accepted). The ledger keeps both; the CRL carries the code
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Where to write the CRL and the RBAC script [default: revocations/ in the home]
    #[arg(long, value_name = "OUT_DIR")]
    out: Option<PathBuf>,
    /// 'kubectl get clusterrolebindings,rolebindings -A -o yaml', to find the bindings to delete
    #[arg(long, value_name = "FILE")]
    rbac_snapshot: Option<PathBuf>,
    /// Revoke without showing the plan and asking to type 'yes' (runbooks)
    #[arg(long)]
    yes: bool,
}

pub fn list(global: &Global, args: &ListArgs) -> Result<ExitCode, Error> {
    let session = global.open_reader()?;
    let filter = ListFilter {
        expiring_within: args.expiring_within,
        revoked: args.revoked,
        user: args.user.clone(),
    };
    let rows = ops::list(&session, &filter, super::now());
    if global.json {
        output::json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<34} {:<20} {:<9} {:<10} {:>5}  {:<16} GROUPS",
        "SERIAL", "USER", "STATE", "NOT AFTER", "DAYS", "CA"
    );
    for row in &rows {
        let day = row.not_after.get(..10).unwrap_or(&row.not_after);
        println!(
            "{:<34} {:<20} {:<9} {:<10} {:>5}  {:<16} {}",
            row.serial,
            row.user,
            row.state,
            day,
            row.days_left,
            row.ca,
            row.groups.join(",")
        );
    }
    println!("{} certificate(s)", rows.len());
    Ok(ExitCode::SUCCESS)
}

pub fn renew(global: &Global, args: &RenewArgs) -> Result<ExitCode, Error> {
    let selection = match (&args.serial, args.expiring_within) {
        (Some(serial), _) => Selection::Serial(serial.clone()),
        (None, Some(days)) => Selection::ExpiringWithin(days),
        (None, None) => {
            return Err(Error::Refused(
                "give --serial or --expiring-within".to_owned(),
            ));
        }
    };
    let mut session = global.open()?;
    let request = RenewRequest {
        selection,
        out: args.out.clone(),
        days: args.days,
    };
    let unlock = PromptUnlock::new(global, session.state());
    let report =
        with_context(|context| ops::renew(&mut session, &request, &unlock, context, &|_, _| {}))?;
    if global.json {
        output::json(&report)?;
    } else if report.report.issued.is_empty() && report.report.rejected.is_empty() {
        println!("Nothing to renew: no active certificate matches; nothing was signed or written.");
    } else {
        println!(
            "Renewed {} certificate(s); {} handed back from an earlier run; {} refused.",
            report.newly_signed,
            report.reused,
            report.report.rejected.len()
        );
        for issued in &report.report.issued {
            println!(
                "  {} -> serial {} until {} ({})",
                issued.input, issued.serial, issued.not_after, issued.cert
            );
        }
        for rejected in &report.report.rejected {
            println!(
                "  refused: {} ({})",
                rejected.input,
                rejected.reasons.join("; ")
            );
        }
        println!("Output folder: {}", report.out.display());
    }
    Ok(if report.report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

pub fn renew_ca(global: &Global, args: &RenewCaArgs) -> Result<ExitCode, Error> {
    confirm::require_terminal_or_yes(args.yes)?;
    let mut session = global.open()?;
    let plan = renew_ca_plan(session.state(), args.days);
    let unlock =
        PromptUnlock::confirming(global, session.state(), Confirmation::new(plan, args.yes));
    let report = with_context(|context| ops::renew_ca(&mut session, args.days, &unlock, context))?;
    if global.json {
        output::json(&report)?;
    } else {
        println!(
            "CA '{}' renewed: same key and subject, new validity.",
            report.renewed.common_name
        );
        println!(
            "  previous  {} valid to {}",
            report.previous.id,
            output::day(report.previous.not_after)
        );
        println!(
            "  renewed   {} valid to {}",
            report.renewed.id,
            output::day(report.renewed.not_after)
        );
        println!("  file      {}", report.cert_file.display());
        println!(
            "Certificates it issued stay valid. Distribute the renewed ca.crt (and the bundle) where the old one was."
        );
        println!(
            "This is not a rotation: the key is the same. To replace the key, use 'airlock rotate begin'."
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn revoke(global: &Global, args: &RevokeArgs) -> Result<ExitCode, Error> {
    let selection = match (&args.serial, &args.user) {
        (Some(serial), _) => Selection::Serial(serial.clone()),
        (None, Some(user)) => Selection::User(user.clone()),
        (None, None) => return Err(Error::Refused("give --serial or --user".to_owned())),
    };
    let reason: RevocationReason = args.reason.parse()?;
    confirm::require_terminal_or_yes(args.yes)?;
    let rbac_snapshot = args
        .rbac_snapshot
        .as_deref()
        .map(ops::read_rbac_snapshot)
        .transpose()?;
    let mut session = global.open()?;
    let request = RevokeRequest {
        selection,
        reason,
        out: args.out.clone(),
        rbac_snapshot,
    };
    let plan = revoke_plan(session.state(), &request);
    let unlock =
        PromptUnlock::confirming(global, session.state(), Confirmation::new(plan, args.yes));
    let report = with_context(|context| ops::revoke(&mut session, &request, &unlock, context))?;
    if global.json {
        output::json(&report)?;
    } else {
        println!("Revoked: {}", report.revoked.join(", "));
        println!(
            "  reason         {}",
            airlock::text::inert(&report.reason, 200)
        );
        for crl in &report.crls {
            println!("  CRL            {}", crl.display());
        }
        for skipped in &report.crl_skipped {
            println!("  no CRL         {skipped}");
        }
        println!("  RBAC script    {}", report.script.display());
        print_rbac_plan(&report.rbac);
        println!();
        println!("{}", report.note);
    }
    Ok(ExitCode::SUCCESS)
}

/// What the RBAC script deletes, comments out and leaves (the plan's text is escaped).
fn print_rbac_plan(plan: &RbacPlan) {
    let deleted: Vec<_> = plan.with_fate(BindingFate::Deleted).collect();
    let commented: Vec<_> = plan.with_fate(BindingFate::CommentedOut).collect();
    let skipped: Vec<_> = plan.with_fate(BindingFate::Skipped).collect();
    if plan.from_snapshot {
        println!();
        println!("The script deletes:");
        if deleted.is_empty() {
            println!("  nothing");
        }
        for step in deleted {
            println!("  - {}", step.binding);
            println!("    because {}", step.why);
        }
        if !commented.is_empty() {
            println!("The script only lists, commented out (you decide):");
            for step in commented {
                println!("  - {}", step.binding);
                println!("    because {}", step.why);
                if let Some(warning) = &step.warning {
                    println!("    warning: {warning}");
                }
            }
        }
        for step in skipped {
            println!("  not in the script: {} ({})", step.binding, step.why);
        }
    }
    println!("Access that remains:");
    for line in &plan.remaining {
        println!("  - {line}");
    }
}

/// What `renew-ca` will do (item 9 of issue 10).
fn renew_ca_plan(state: &airlock::state::State, days: u32) -> Plan {
    let until = super::now() + time::Duration::days(i64::from(days));
    let ca = state.active_ca().map_or_else(
        || "active CA (none)".to_owned(),
        |ca| confirm::ca_label(state, &ca.certificate.info().id),
    );
    Plan::new(format!("Renew the {ca}"))
        .line(format!(
            "New CA certificate: same key and subject, valid {days} days, until about {}",
            output::day(until)
        ))
        .line("Certificates it issued stay valid; the renewed ca.crt and bundle must be deployed")
        .line(format!("Unlocks: the {ca} (its passphrase is asked next)"))
}

/// What `revoke` will do: the certificates the ledger holds for the selection, and the
/// other unexpired certificates over their keys, which go with them (the core decides
/// and refuses what it cannot do; this is shown to be confirmed).
fn revoke_plan(state: &airlock::state::State, request: &RevokeRequest) -> Plan {
    let now = super::now();
    let usable = |cert: &&airlock::state::CertIssued| {
        cert.not_after_time() > now && state.revocation(&cert.serial).is_none()
    };
    let mut targets: Vec<&airlock::state::CertIssued> = match &request.selection {
        Selection::Serial(serial) => state.certificate(serial).into_iter().collect(),
        Selection::User(user) => state
            .issued()
            .iter()
            .filter(usable)
            .filter(|cert| cert.user == *user)
            .collect(),
        Selection::ExpiringWithin(_) => Vec::new(),
    };
    let same_key: Vec<&airlock::state::CertIssued> = targets
        .iter()
        .flat_map(|cert| state.unexpired_for_key(&cert.key_sha256, now))
        .filter(|cert| state.revocation(&cert.serial).is_none())
        .collect();
    let chosen = targets.len();
    for cert in same_key {
        if !targets.iter().any(|target| target.serial == cert.serial) {
            targets.push(cert);
        }
    }
    let mut plan = Plan::new(format!(
        "Revoke {} certificate(s), reason '{}'",
        targets.len(),
        airlock::text::inert(&request.reason.to_string(), 200)
    ));
    for (index, cert) in targets.iter().enumerate() {
        plan.lines.push(format!(
            "serial {} user '{}' until {} (issued by the {}){}",
            cert.serial,
            airlock::text::name(&cert.user),
            cert.not_after.get(..10).unwrap_or(&cert.not_after),
            confirm::ca_label(state, &cert.ca),
            if index >= chosen {
                ", same key: it goes with it"
            } else {
                ""
            }
        ));
    }
    plan.lines.push(
        "Writes: the ledger entries, a CRL signed by each issuing CA, the RBAC revocation script"
            .to_owned(),
    );
    plan.lines
        .push("Unlocks: each issuing CA (its passphrase is asked next, naming it)".to_owned());
    plan
}

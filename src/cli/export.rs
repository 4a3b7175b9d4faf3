//! `airlock export ...` and `airlock issue`.

use std::path::PathBuf;
use std::process::ExitCode;

use airlock::Error;
use airlock::export::kube::{self, Subject};
use airlock::ops::{self, IssueRequest, KubeconfigRequest};
use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use super::{Global, PromptUnlock, output, with_context};

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A kubeconfig for an issued certificate
    Kubeconfig(KubeconfigArgs),
    /// A RoleBinding (with --namespace) or ClusterRoleBinding granting a ClusterRole
    Rbac(RbacArgs),
    /// An audit Policy logging every user airlock issued to, at Metadata level
    AuditPolicy,
}

#[derive(Debug, Args)]
pub struct KubeconfigArgs {
    /// The certificate (hex serial)
    #[arg(long, value_name = "HEX")]
    serial: String,
    /// The API server URL, e.g. https://10.0.0.1:6443
    #[arg(long, value_name = "URL")]
    server: String,
    /// Where to write the kubeconfig (mode 0600; never overwritten)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// CA of the API server's serving certificate [default: the client-CA bundle, allowed
    /// only when the home's CA was imported from kubeadm]
    #[arg(long, value_name = "FILE")]
    cluster_ca: Option<PathBuf>,
    /// The user's private key, to embed [default: a client-key path to fill in]
    #[arg(long, value_name = "FILE")]
    client_key: Option<PathBuf>,
    /// Cluster name in the kubeconfig
    #[arg(long, default_value = "kubernetes")]
    cluster_name: String,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("subject").required(true).args(["user", "group"])))]
pub struct RbacArgs {
    /// Bind a user (certificate CN)
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// Bind a group (certificate O)
    #[arg(long, value_name = "NAME")]
    group: Option<String>,
    /// The ClusterRole to grant, e.g. view, edit
    #[arg(long, value_name = "ROLE")]
    clusterrole: String,
    /// Grant it in this namespace only (a RoleBinding)
    #[arg(long, value_name = "NS")]
    namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The user (CN)
    #[arg(long, value_name = "NAME")]
    cn: String,
    /// A group (O); repeat for several, in order
    #[arg(long = "org", value_name = "GROUP")]
    orgs: Vec<String>,
    /// The age recipient (age1...) the private key is encrypted to
    #[arg(long, value_name = "AGE_RECIPIENT")]
    recipient: String,
    /// Folder for <name>.crt, <name>.key.age and <name>.kubeconfig.age
    #[arg(long, value_name = "OUT_DIR")]
    out: PathBuf,
    /// The API server URL: also write an encrypted kubeconfig embedding the key
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// Lifetime in days (capped by the profile)
    #[arg(long)]
    days: Option<u32>,
}

pub fn run(global: &Global, command: &ExportCommand) -> Result<ExitCode, Error> {
    match command {
        ExportCommand::Kubeconfig(args) => {
            let read = |path: &PathBuf| {
                std::fs::read_to_string(path)
                    .map(Zeroizing::new)
                    .map_err(|error| {
                        Error::Refused(format!("cannot read '{}': {error}", path.display()))
                    })
            };
            let session = global.open_reader()?;
            let request = KubeconfigRequest {
                serial: args.serial.clone(),
                server: args.server.clone(),
                cluster_ca_pem: args
                    .cluster_ca
                    .as_ref()
                    .map(read)
                    .transpose()?
                    .map(|pem| pem.to_string()),
                client_key_pem: args.client_key.as_ref().map(read).transpose()?,
                cluster_name: args.cluster_name.clone(),
            };
            let text = Zeroizing::new(ops::kubeconfig(&session, &request)?);
            airlock::home::write_new(&args.out, text.as_bytes())?;
            if global.json {
                output::json(&serde_json::json!({ "kubeconfig": args.out }))?;
            } else {
                println!("kubeconfig written: {}", args.out.display());
                if args.cluster_ca.is_none() {
                    println!(
                        "Its certificate-authority-data is this home's client-CA bundle (from kubeadm's cluster CA): right only if that CA signed the API server's certificate; otherwise export again with --cluster-ca FILE."
                    );
                }
                if args.client_key.is_none() {
                    println!(
                        "It names the client key by path (client-key): point it at the user's private key file."
                    );
                }
            }
        }
        ExportCommand::Rbac(args) => {
            let subject = match (&args.user, &args.group) {
                (Some(user), _) => Subject::User(user.clone()),
                (None, Some(group)) => Subject::Group(group.clone()),
                (None, None) => return Err(Error::Refused("give --user or --group".to_owned())),
            };
            let text = kube::rbac_binding(&subject, &args.clusterrole, args.namespace.as_deref())
                .map_err(|reason| {
                Error::Refused(format!("cannot write the binding: {reason}"))
            })?;
            print_object(global, &text)?;
        }
        ExportCommand::AuditPolicy => {
            let session = global.open_reader()?;
            print_object(global, &ops::audit_policy(&session, super::now())?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a Kubernetes object: as written (YAML), or as JSON with --json (item 11 of
/// issue 10: --json means JSON for everything a command prints).
fn print_object(global: &Global, yaml: &str) -> Result<(), Error> {
    if global.json {
        output::json(&output::yaml_as_json(yaml)?)
    } else {
        print!("{yaml}");
        Ok(())
    }
}

pub fn issue(global: &Global, args: &IssueArgs) -> Result<ExitCode, Error> {
    let mut session = global.open()?;
    let request = IssueRequest {
        user: args.cn.clone(),
        groups: args.orgs.clone(),
        recipient: args.recipient.clone(),
        out: args.out.clone(),
        server: args.server.clone(),
        days: args.days,
    };
    let unlock = PromptUnlock::new(global, session.state());
    let report = with_context(|context| ops::issue(&mut session, &request, &unlock, context))?;
    if global.json {
        output::json(&report)?;
    } else {
        println!("Issued serial {} until {}", report.serial, report.not_after);
        println!("  certificate  {}", report.cert_file.display());
        println!("  key (age)    {}", report.key_file.display());
        if let Some(path) = &report.kubeconfig_file {
            println!("  kubeconfig (age) {}", path.display());
        }
        println!("The private key was made here and left only encrypted to the recipient.");
    }
    Ok(ExitCode::SUCCESS)
}

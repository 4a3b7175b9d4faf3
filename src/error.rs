//! The top-level error: one variant per domain, each wrapping that domain's enum.
//!
//! Messages are lower-case, without a trailing period, with offending values in
//! 'quotes'. The front end adds a hint line and maps every error to exit code 1.

use crate::ca::CaError;
use crate::export::ExportError;
use crate::home::HomeError;
use crate::intake::IntakeError;
use crate::issue::IssueError;
use crate::keystore::KeystoreError;
use crate::ledger::LedgerError;

/// Any error an airlock operation can end with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The CA home or a file write.
    #[error(transparent)]
    Home(#[from] HomeError),
    /// Encrypting or decrypting a CA key.
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// CA certificates and keys.
    #[error(transparent)]
    Ca(#[from] CaError),
    /// The ledger.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Reading an intake folder.
    #[error(transparent)]
    Intake(#[from] IntakeError),
    /// Signing certificates.
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// Building an export (kubeconfig, policy) around issued certificates.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// Entries after the last seal were not written by this process and no officer has
    /// accepted them: nothing is signed or sealed over them.
    #[error(
        "the ledger holds {count} entr{plural} after its last seal that no key vouches for (written by another process, or planted): {shown}",
        plural = if *count == 1 { "y" } else { "ies" },
        shown = entries.join("; ")
    )]
    Unsealed {
        /// How many.
        count: u64,
        /// The first of them, one line each, escaped.
        entries: Vec<String>,
    },
    /// An operation was asked for something the current state does not allow.
    #[error("{0}")]
    Refused(String),
}

impl Error {
    /// A short hint for the officer: what to do next.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Home(HomeError::Locked { .. }) => {
                Some("wait for the other airlock process to finish, or close it")
            }
            Self::Home(HomeError::Unsafe { .. }) => Some(
                "someone may have tampered with the CA home: find out who changed it before you fix it; nothing was read through it or changed",
            ),
            Self::Keystore(KeystoreError::WrongPassphrase { .. }) => {
                Some("nothing was changed; try again with the CA's passphrase")
            }
            Self::Ledger(LedgerError::Io { .. } | LedgerError::Seal(_)) => None,
            Self::Ledger(_) => Some(
                "the ledger failed verification; keep the home untouched and run 'airlock audit verify' to see where",
            ),
            Self::Unsealed { .. } => Some(
                "read them with 'airlock audit show --unsealed'; if they are yours, repeat the act with --accept-unsealed REASON (the acceptance is recorded and sealed)",
            ),
            Self::Export(ExportError::ClusterCaNeeded { .. }) => Some(
                "give the CA of the API server's serving certificate with --cluster-ca FILE (kubeadm: /etc/kubernetes/pki/ca.crt); pass this home's bundle only if that CA signed the API server",
            ),
            Self::Ca(CaError::KeyMismatch { .. }) => {
                Some("give the key file that belongs to this certificate; nothing was written")
            }
            _ => None,
        }
    }
}

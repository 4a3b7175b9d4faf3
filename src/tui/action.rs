//! Everything that can change the TUI's state, as one enum: what the officer asks for
//! (through the keymap, or a widget such as the path input) and what the worker thread
//! reports back. Only `App::update` consumes actions; nothing here does any work.

use std::path::PathBuf;

use airlock::Error;
use airlock::ledger::{LedgerError, Verification};
use airlock::ops::{
    PhaseReport, ReissueReport, RenewReport, ReviewReport, RevokeReport, SignReport,
};

use super::model::AppModel;

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScreenId {
    /// CAs, counts, ledger, process hardening.
    Dashboard,
    /// An intake folder: verdicts, approvals, signing.
    Review,
    /// Every issued certificate.
    Inventory,
    /// The ledger entries and their verification.
    Ledger,
    /// The dual-CA rotation: phase, checklist, begin / reissue / finish / abort.
    Rotation,
    /// Ceremony scripts (not in this build yet).
    Ceremony,
}

impl ScreenId {
    /// Every screen, in tab order.
    pub const ALL: [Self; 6] = [
        Self::Dashboard,
        Self::Review,
        Self::Inventory,
        Self::Ledger,
        Self::Rotation,
        Self::Ceremony,
    ];

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Dashboard => "Dashboard",
            Self::Review => "Review",
            Self::Inventory => "Inventory",
            Self::Ledger => "Ledger",
            Self::Rotation => "Rotation",
            Self::Ceremony => "Ceremony",
        }
    }
}

/// A user intent or a worker report.
#[derive(Debug, Clone)]
pub enum Action {
    /// Leave (asks first while work is in flight).
    Quit,
    /// Show or hide the help overlay.
    Help,
    /// Back to the previous screen.
    Back,
    /// Go to a screen.
    GoTo(ScreenId),
    /// Select the previous row, or scroll up.
    Up,
    /// Select the next row, or scroll down.
    Down,
    /// A page up.
    PageUp,
    /// A page down.
    PageDown,
    /// The first row.
    Top,
    /// The last row.
    Bottom,
    /// Show the whole detail of the selected row.
    Detail,
    /// Ask for an intake folder to review.
    OpenIntakePrompt,
    /// Review this intake folder (from the path input, or a path given at start).
    OpenIntake(PathBuf),
    /// Approve the selected item (only an item the policy accepted).
    Approve,
    /// Deny the selected item: it will not be signed.
    Deny,
    /// Approve every item the policy accepted.
    ApproveAll,
    /// Sign the approved items: output folder, typed confirmation, passphrase.
    Sign,
    /// Load an RBAC snapshot and show the bindings each item would match.
    LoadRbac,
    /// Filter the inventory by text.
    FilterText,
    /// Filter the inventory to certificates expiring within N days.
    FilterExpiring,
    /// Show only revoked certificates, or all again.
    FilterRevoked,
    /// Show only the certificates of the next CA, or all again.
    FilterCa,
    /// Clear the inventory filters.
    ClearFilters,
    /// Renew the selected certificate: output folder, typed confirmation, passphrase.
    Renew,
    /// Revoke the selected certificate (or all of its user's): reason, RBAC snapshot,
    /// typed confirmation, passphrase.
    Revoke,
    /// Begin a rotation: the new CA's name, typed confirmation, passphrases.
    RotateBegin,
    /// Reissue the old CA's certificates with the new CA: output folder, confirmation,
    /// the new CA's passphrase.
    RotateReissue,
    /// Finish the rotation: force and old-key options, confirmation, passphrase.
    RotateFinish,
    /// Abort the rotation (from overlap): confirmation, the old CA's passphrase.
    RotateAbort,
    /// Verify the ledger (on the worker thread).
    VerifyLedger,
    /// Accept the ledger entries after the last seal that another process wrote: the
    /// officer types why; the acceptance is recorded and sealed by the next act.
    AcceptUnsealed,
    /// Write a kubeconfig for the selected certificate: the API server URL, a cluster CA
    /// file and the output file.
    ExportKubeconfig,
    /// A character typed into the focused input.
    Type(char),
    /// Delete the character before the cursor of the focused input.
    Erase,
    /// Delete the character under the cursor of the focused input.
    EraseForward,
    /// Delete the word before the cursor (Ctrl-W).
    EraseWord,
    /// Delete everything before the cursor (Ctrl-U).
    EraseToStart,
    /// Move the cursor one character left.
    CursorLeft,
    /// Move the cursor one character right.
    CursorRight,
    /// Move the cursor to the start of the input.
    CursorStart,
    /// Move the cursor to the end of the input.
    CursorEnd,
    /// Complete the path in the path input.
    Complete,
    /// Move the focus to the next button of a dialog.
    NextFocus,
    /// Press the focused button, or submit the input.
    Submit,
    /// Close the dialog without acting.
    Cancel,
    /// The terminal's size, at start and whenever it changes (the rotation screen bounds
    /// its scrolling by what fits).
    Resize {
        /// Columns.
        width: u16,
        /// Rows.
        height: u16,
    },
    /// The worker reports.
    Work(Box<WorkEvent>),
}

/// What the worker thread reports.
#[derive(Debug, Clone)]
pub enum WorkEvent {
    /// Certificates signed so far.
    Progress {
        /// Done.
        done: usize,
        /// Of.
        total: usize,
    },
    /// The ledger was verified.
    Verified(Result<Verification, Failure>),
    /// An intake folder was reviewed.
    Reviewed(Result<ReviewReport, Failure>),
    /// A batch was signed.
    Signed(Result<Box<SignOutcome>, Failure>),
    /// A rotation step was taken.
    Rotated(Result<Box<Refreshed<RotationDone>>, Failure>),
    /// Certificates were renewed.
    Renewed(Result<Box<Refreshed<RenewReport>>, Failure>),
    /// Certificates were revoked.
    Revoked(Result<Box<Refreshed<RevokeReport>>, Failure>),
    /// The officer's acceptance of unsealed entries was taken by the session.
    Accepted(Result<Box<Refreshed<u64>>, Failure>),
    /// A kubeconfig was written to this file.
    Exported(Result<PathBuf, Failure>),
    /// The worker stopped without reporting (it panicked): the home is no longer open.
    Stopped(Failure),
}

/// What signing did, for the summary.
#[derive(Debug, Clone)]
pub struct SignOutcome {
    /// What `ops::sign` reported.
    pub report: SignReport,
    /// The intake folder the officer reviewed.
    pub intake: PathBuf,
    /// The digest the officer read aloud (the core refused to sign had it changed).
    pub reviewed_digest: String,
    /// The home reloaded after signing, or why it could not be.
    pub model: Result<AppModel, String>,
}

/// What an operation reported, and the home reloaded after it.
#[derive(Debug, Clone)]
pub struct Refreshed<T> {
    /// What the operation reported.
    pub report: T,
    /// The home reloaded, or why it could not be.
    pub model: Result<AppModel, String>,
}

/// A rotation step that was taken.
#[derive(Debug, Clone)]
pub enum RotationDone {
    /// `begin`: the new CA is incoming.
    Begun(PhaseReport),
    /// `reissue`: twins signed by the new CA.
    Reissued(Box<ReissueReport>),
    /// `finish`: the new CA alone is trusted.
    Finished(PhaseReport),
    /// `abort`: back to the old CA alone.
    Aborted(PhaseReport),
}

impl RotationDone {
    /// The phase report of the step.
    pub fn phase(&self) -> &PhaseReport {
        match self {
            Self::Begun(report) | Self::Finished(report) | Self::Aborted(report) => report,
            Self::Reissued(report) => &report.phase,
        }
    }
}

/// Something that failed: what, why, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What was being done, e.g. `signing failed`.
    pub what: String,
    /// The error and its causes, one per line.
    pub message: Vec<String>,
    /// What the officer can do next.
    pub hint: String,
    /// The ledger line the error names, if any.
    pub line: Option<u64>,
}

impl Failure {
    /// A failure from an airlock error; `hint` is used when the error has none of its own.
    pub fn from_error(what: &str, error: &Error, hint: &str) -> Self {
        let mut message = vec![error.to_string()];
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message.push(format!("caused by: {cause}"));
            source = cause.source();
        }
        Self {
            what: what.to_owned(),
            message,
            hint: error.hint().unwrap_or(hint).to_owned(),
            line: ledger_line(error),
        }
    }
}

/// The ledger line a ledger error names.
fn ledger_line(error: &Error) -> Option<u64> {
    let Error::Ledger(error) = error else {
        return None;
    };
    match error {
        LedgerError::Malformed { line, .. }
        | LedgerError::Sequence { line, .. }
        | LedgerError::BrokenChain { line, .. }
        | LedgerError::BadHash { line, .. }
        | LedgerError::BadSeal { line, .. }
        | LedgerError::Replay { line, .. } => Some(*line),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_names_the_ledger_line() {
        let error = Error::Ledger(LedgerError::Sequence { line: 7, found: 9 });
        let failure = Failure::from_error("verify failed", &error, "fallback");
        assert_eq!(failure.line, Some(7));
        assert!(failure.message[0].contains("line 7"));
        assert_ne!(
            failure.hint, "fallback",
            "ledger errors carry their own hint"
        );
        let refused = Failure::from_error("x", &Error::Refused("no".to_owned()), "do y");
        assert_eq!(refused.hint, "do y");
        assert_eq!(refused.line, None);
    }
}

//! The modal layers of the app and what each holds: a confirmation holds the act that
//! waits on it, a passphrase prompt what it unlocks (with the passphrases typed before
//! it), a path input, text prompt or choice what its answer is for. Only the top layer
//! gets the keys; the app pops it, hands it the action and pushes it back while it stays
//! open. Passphrases live in `Passphrase` values here (redacted in `Debug`), never in
//! plain strings.

use std::path::PathBuf;

use airlock::secret::Passphrase;

use super::App;
use crate::tui::keymap::Mode;
use crate::tui::screens::inventory::{KubeconfigPlan, RenewPlan, RevokePlan};
use crate::tui::screens::review::SignPlan;
use crate::tui::screens::rotation::{BeginPlan, FinishPlan};
use crate::tui::text;
use crate::tui::widgets::choice::ChoiceDialog;
use crate::tui::widgets::confirm::ConfirmDialog;
use crate::tui::widgets::error::ErrorDialog;
use crate::tui::widgets::pager::Pager;
use crate::tui::widgets::passphrase::PassphrasePrompt;
use crate::tui::widgets::path_input::PathInput;
use crate::tui::widgets::prompt::TextPrompt;

/// A modal layer. The top one owns the keys.
#[derive(Debug)]
pub enum Layer {
    /// The help overlay.
    Help(Pager),
    /// A detail or summary.
    Pager(Pager),
    /// An error.
    Error(ErrorDialog),
    /// A confirmation, holding what waits on it.
    Confirm(ConfirmDialog, Pending),
    /// A passphrase prompt, holding what it unlocks.
    Passphrase(PassphrasePrompt, Unlocking),
    /// A folder or file path.
    Path(PathInput, PathPurpose),
    /// A text prompt.
    Prompt(TextPrompt, PromptPurpose),
    /// A choice among options.
    Choice(ChoiceDialog, ChoicePurpose),
}

impl Layer {
    pub(super) fn mode(&self) -> Mode {
        match self {
            Self::Help(_) => Mode::Help,
            Self::Pager(_) => Mode::Pager,
            Self::Error(_) => Mode::Error,
            Self::Confirm(..) => Mode::Confirm,
            Self::Passphrase(..) => Mode::Passphrase,
            Self::Path(..) => Mode::PathInput,
            Self::Prompt(..) => Mode::Prompt,
            Self::Choice(..) => Mode::Choice,
        }
    }
}

/// What waits on a confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// Signing (the passphrase is asked next).
    Sign(SignPlan),
    /// Quitting once the work in flight is done.
    Quit,
    /// Beginning a rotation (the passphrases are asked next).
    Begin(BeginPlan),
    /// Reissuing into this folder.
    Reissue(PathBuf),
    /// Finishing the rotation.
    Finish(FinishPlan),
    /// Aborting the rotation.
    Abort,
    /// Renewing a certificate.
    Renew(RenewPlan),
    /// Revoking.
    Revoke(RevokePlan),
}

impl Pending {
    /// What the status bar says when the confirmation is cancelled.
    pub(super) fn cancelled(&self) -> &'static str {
        match self {
            Self::Sign(_) => "signing cancelled: nothing was signed",
            Self::Quit => "still here",
            Self::Begin(_) | Self::Reissue(_) | Self::Finish(_) | Self::Abort => {
                "rotation step cancelled: nothing changed"
            }
            Self::Renew(_) => "renewal cancelled: nothing was signed",
            Self::Revoke(_) => "revocation cancelled: nothing was revoked",
        }
    }
}

/// What a passphrase prompt unlocks, holding everything gathered so far.
#[derive(Debug)]
pub enum Unlocking {
    /// The CA key, to sign the plan.
    Sign(SignPlan),
    /// The active CA's key, which authorizes the new CA.
    BeginOld(BeginPlan),
    /// A new passphrase for the new CA's key (after the active CA's passphrase).
    BeginNew(BeginPlan, Passphrase),
    /// The new passphrase again.
    BeginRepeat(BeginPlan, Passphrase, Passphrase),
    /// The new CA's key, to reissue into the folder.
    Reissue(PathBuf),
    /// The new CA's key, to finish.
    Finish(FinishPlan),
    /// The old CA's key, to abort.
    Abort,
    /// The signing CA's key, to renew.
    Renew(RenewPlan),
    /// The issuing CA's key, to sign the CRL.
    Revoke(RevokePlan),
}

impl Unlocking {
    /// What the status bar says when the prompt is cancelled.
    pub(super) fn cancelled(&self) -> &'static str {
        match self {
            Self::Sign(_) => "signing cancelled: nothing was signed",
            Self::BeginOld(_)
            | Self::BeginNew(..)
            | Self::BeginRepeat(..)
            | Self::Reissue(_)
            | Self::Finish(_)
            | Self::Abort => "rotation step cancelled: nothing changed",
            Self::Renew(_) => "renewal cancelled: nothing was signed",
            Self::Revoke(_) => "revocation cancelled: nothing was revoked",
        }
    }
}

/// What a path input is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPurpose {
    /// The intake folder to review.
    OpenIntake,
    /// The output folder for signing.
    SignOut,
    /// An RBAC snapshot for the review.
    ReviewRbac,
    /// The output folder for reissued certificates.
    ReissueOut,
    /// The output folder for a renewal (the plan's `out` is filled from it).
    RenewOut(RenewPlan),
    /// An RBAC snapshot for the revocation script (optional).
    RevokeRbac(RevokePlan),
    /// The CA file of the API server's serving certificate, for a kubeconfig.
    KubeconfigClusterCa(KubeconfigPlan),
    /// The file the kubeconfig is written to.
    KubeconfigOut(KubeconfigPlan),
}

/// What a text prompt is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptPurpose {
    /// The inventory text filter.
    FilterText,
    /// The inventory "expiring within N days" filter.
    ExpiringDays,
    /// The common name of the new CA.
    NewCaName,
    /// Why the finish is forced.
    ForceReason(FinishPlan),
    /// Why the certificates are revoked: free text beside the chosen code.
    RevokeReason(RevokePlan),
    /// Why the officer accepts the ledger entries after the last seal.
    AcceptUnsealed,
    /// The API server URL of a kubeconfig.
    KubeconfigServer(KubeconfigPlan),
}

/// What a choice is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChoicePurpose {
    /// Force a finish while certificates have no twin, or not.
    FinishForce(FinishPlan),
    /// Keep or destroy the old CA's key.
    FinishOldKey(FinishPlan),
    /// Revoke one certificate or all of the user's.
    RevokeScope(RevokePlan),
    /// The RFC 5280 reason code of a revocation.
    RevokeCode(RevokePlan),
}

impl App {
    /// Opens the passphrase prompt for what is to be unlocked. Each names the CA by role,
    /// name and the start of its id (issue 10, item 8), as the CLI's prompts do.
    pub(super) fn ask_unlock(&mut self, unlocking: Unlocking) {
        let model = &self.model;
        let signing = || {
            model
                .signing_ca()
                .map_or_else(|| "the CA".to_owned(), |ca| model.ca_named(&ca.info.id))
        };
        let old = || {
            model
                .rotation
                .old
                .as_ref()
                .map_or_else(|| "the active CA".to_owned(), |ca| model.ca_named(&ca.id))
        };
        let new = || {
            model
                .rotation
                .new
                .as_ref()
                .map_or_else(|| "the incoming CA".to_owned(), |ca| model.ca_named(&ca.id))
        };
        let (label, purpose) = match &unlocking {
            Unlocking::Sign(plan) => (signing(), super::signing::sign_purpose(plan)),
            Unlocking::BeginOld(_) => (
                old(),
                "First of three: unlocks it once, to authorize its successor; nothing is written yet. Then a new passphrase for the new CA, twice."
                    .to_owned(),
            ),
            Unlocking::BeginNew(plan, _) => (
                format!("the NEW CA '{}' (made next)", text::fit(&plan.common_name, 32)),
                "A new passphrase: it encrypts the new CA's key. You will type it twice."
                    .to_owned(),
            ),
            Unlocking::BeginRepeat(plan, ..) => (
                format!("the NEW CA '{}' (again)", text::fit(&plan.common_name, 32)),
                "The same new passphrase once more.".to_owned(),
            ),
            Unlocking::Reissue(out) => (
                new(),
                format!(
                    "Unlocks it to sign the twins into {}.",
                    text::fit_path(out, 30)
                ),
            ),
            Unlocking::Finish(_) => (new(), "Unlocks it to seal the finish in the ledger.".to_owned()),
            Unlocking::Abort => (old(), "Unlocks it to seal the abort in the ledger.".to_owned()),
            Unlocking::Renew(plan) => (
                signing(),
                format!(
                    "Unlocks it to renew serial {}.",
                    text::fit(&plan.serial, 16)
                ),
            ),
            Unlocking::Revoke(plan) => (
                model.ca_named(&plan.issuer),
                "Unlocks it to sign the CRL and seal the revocation.".to_owned(),
            ),
        };
        self.layers.push(Layer::Passphrase(
            PassphrasePrompt::new(label, purpose),
            unlocking,
        ));
    }
}

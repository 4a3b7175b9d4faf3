//! The review-and-sign flow of the app: open a folder, then sign what is approved.
//!
//! Signing walks through layers, each holding what the next needs: the output folder
//! (a path input), a typed confirmation holding the [`SignPlan`], the masked passphrase
//! prompt holding the plan, and only then a job for the worker. Cancelling any of them
//! drops the plan (and the passphrase) and signs nothing.

use std::path::{Path, PathBuf};

use airlock::secret::Passphrase;
use ratatui::text::{Line, Span};

use super::{App, Layer, PathPurpose, Pending, Work};
use crate::tui::action::{Failure, ScreenId, SignOutcome};
use crate::tui::screens::review::Counts;
use crate::tui::staging::SignPlan;
use crate::tui::text;
use crate::tui::widgets::confirm::ConfirmDialog;
use crate::tui::widgets::pager::Pager;
use crate::tui::widgets::passphrase::PassphrasePrompt;
use crate::tui::widgets::path_input::PathInput;
use crate::tui::worker::Job;

/// The phrase typed to confirm signing.
pub const SIGN_PHRASE: &str = "sign";

impl App {
    pub(super) fn ask_intake(&mut self) {
        let initial = self.review.report.as_ref().map_or_else(
            || {
                std::env::current_dir()
                    .map(|dir| format!("{}/", dir.display()))
                    .unwrap_or_default()
            },
            |report| report.intake.display().to_string(),
        );
        self.layers.push(Layer::Path(
            PathInput::new(
                "Review an intake folder",
                "the folder of CSRs carried in on the media",
                initial,
            ),
            PathPurpose::OpenIntake,
        ));
    }

    pub(super) fn open_intake(&mut self, folder: PathBuf) {
        if self.start(Job::Review(folder.clone()), Work::Reviewing(folder.clone())) {
            self.review.loading = Some(folder);
            self.go_to(ScreenId::Review);
        }
    }

    pub(super) fn ask_sign(&mut self) {
        let Some(report) = &self.review.report else {
            self.notice = Some("open an intake folder first (o)".to_owned());
            return;
        };
        if self.review.signed.is_some() {
            self.notice = Some(
                "this batch is signed: open the folder again (o) to review it anew".to_owned(),
            );
            return;
        }
        if self.model.active_ca().is_none() {
            self.fail(Failure {
                what: "cannot sign".to_owned(),
                message: vec!["this home has no CA yet".to_owned()],
                hint: "create one with 'airlock init --cn NAME' or bring one in with 'airlock import', then open the TUI again".to_owned(),
                line: None,
            });
            return;
        }
        if self.review.counts().approved == 0 {
            self.notice = Some(
                "approve at least one accepted item first (a, or A for all accepted)".to_owned(),
            );
            return;
        }
        if let Some(work) = &self.work {
            self.notice = Some(format!("busy {}: sign when it is done", work.describe()));
            return;
        }
        let out = default_out(&report.intake);
        self.layers.push(Layer::Path(
            PathInput::new(
                "Output folder",
                "certificates, report.json and SHA256SUMS go here (created if missing)",
                out.display().to_string(),
            ),
            PathPurpose::SignOut,
        ));
    }

    pub(super) fn confirm_sign(&mut self, mut input: PathInput, out: PathBuf) {
        let plan = match self.review.plan(out) {
            Ok(plan) => plan,
            Err(message) => {
                self.notice = Some(message);
                return;
            }
        };
        if plan.out == plan.intake {
            input.warning = Some("the output folder must differ from the intake folder".to_owned());
            self.layers.push(Layer::Path(input, PathPurpose::SignOut));
            return;
        }
        let counts = self.review.counts();
        let theme = self.theme;
        let ca = plan.ca.as_deref().map_or_else(
            || "the active CA".to_owned(),
            |ca| format!("CA '{}'", text::shown(ca)),
        );
        let body = vec![
            Line::from(vec![
                Span::raw("Sign "),
                Span::styled(
                    text::count(plan.approved_items, "approved item"),
                    theme.strong(),
                ),
                Span::raw(format!(" with {ca}.")),
            ]),
            Line::from(format!("  from   {}", text::fit_path(&plan.intake, 64))),
            Line::from(format!("  into   {}", text::fit_path(&plan.out, 64))),
            Line::from(vec![
                Span::raw("  batch  "),
                Span::styled(text::shown(&plan.digest), theme.strong()),
                Span::raw("  (did the requester confirm it?)"),
            ]),
            Line::from(format!(
                "Not signed: {} denied, {} undecided, {} rejected by the policy.",
                counts.denied, counts.undecided, counts.rejected
            )),
            Line::styled(
                "Each certificate is in the ledger before any file is written.",
                theme.dim(),
            ),
        ];
        self.layers.push(Layer::Confirm(
            ConfirmDialog::new("Sign the approved items?", body, "Sign", Some(SIGN_PHRASE)),
            Pending::Sign(plan),
        ));
    }

    pub(super) fn ask_passphrase(&mut self, plan: SignPlan) {
        let label = plan.ca.as_deref().map_or_else(
            || "the CA".to_owned(),
            |ca| format!("CA '{}'", text::shown(ca)),
        );
        let purpose = format!(
            "Unlocks the CA key for this batch only: {} into {}.",
            text::count(plan.approved_items, "certificate"),
            text::fit_path(&plan.out, 30)
        );
        self.layers.push(Layer::Passphrase(
            PassphrasePrompt::new(label, purpose),
            plan,
        ));
    }

    pub(super) fn start_sign(&mut self, plan: SignPlan, passphrase: Passphrase) {
        let total = plan.approved_items;
        // On refusal (work in flight) the plan and the passphrase are dropped here.
        self.start(
            Job::Sign(plan, passphrase),
            Work::Signing { done: 0, total },
        );
    }

    pub(super) fn signed(&mut self, outcome: &SignOutcome) {
        let report = &outcome.report;
        self.review.signed = Some(report.out.clone());
        match &outcome.model {
            Ok(model) => self.model = model.clone(),
            Err(reason) => {
                self.notice = Some(format!(
                    "signed, but the screens could not be refreshed: {}",
                    text::shown(reason)
                ));
            }
        }
        let lines = summary(outcome, self.review.counts(), self.theme);
        self.layers.push(Layer::Pager(Pager::new("Signed", lines)));
    }
}

/// `<intake>-signed` beside the intake folder, or `-signed-2`... if that exists.
fn default_out(intake: &Path) -> PathBuf {
    let name = intake.file_name().map_or_else(
        || "intake".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    let parent = intake.parent().unwrap_or(Path::new("."));
    let first = parent.join(format!("{name}-signed"));
    if !first.exists() {
        return first;
    }
    (2..100)
        .map(|n| parent.join(format!("{name}-signed-{n}")))
        .find(|candidate| !candidate.exists())
        .unwrap_or(first)
}

/// What the summary says: what was signed, what was written where, what was not signed.
fn summary(
    outcome: &SignOutcome,
    counts: Counts,
    theme: crate::tui::theme::Theme,
) -> Vec<Line<'static>> {
    use crate::tui::theme;
    let report = &outcome.report;
    let mut lines = vec![
        Line::styled(
            format!(
                "{} Signed {} new certificate(s); {} handed back from an earlier run.",
                theme::OK,
                report.newly_signed,
                report.reused
            ),
            theme.ok(),
        ),
        Line::from(format!("Intake  {}", text::path(&outcome.intake))),
        Line::from(format!("Output  {}", text::path(&report.out))),
        Line::from(format!(
            "Batch   {} (the digest read aloud)",
            text::shown(&outcome.reviewed_digest)
        )),
    ];
    lines.push(Line::from(format!(
        "Not signed: {} denied, {} undecided, {} rejected by the policy.",
        counts.denied, counts.undecided, counts.rejected
    )));
    if outcome.staged {
        lines.push(Line::from(format!(
            "Only the approved items were signed, from a staging copy; their own digest is {}.",
            text::shown(&report.review.digest)
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("Issued", theme.title()));
    for issued in &report.report.issued {
        lines.push(Line::from(format!(
            "  {}  {}  serial {}  until {}",
            text::shown(&issued.cert),
            text::shown(&issued.user),
            text::fit(&issued.serial, 16),
            text::shown(issued.not_after.get(..10).unwrap_or(&issued.not_after))
        )));
    }
    lines.push(Line::styled("Written in the output folder", theme.title()));
    if report.written.is_empty() {
        lines.push(Line::from("  nothing new (every file was already there)"));
    }
    for name in &report.written {
        lines.push(Line::from(format!("  {}", text::shown(name))));
    }
    if report
        .written
        .iter()
        .any(|name| name.ends_with(".csr.yaml"))
    {
        lines.push(Line::styled(
            "Kubernetes deletes CSR objects an hour after issuance: hand out the .crt files too.",
            theme.dim(),
        ));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("Enter or Esc: close", theme.dim()));
    lines
}

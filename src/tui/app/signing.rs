//! The review-and-sign flow of the app: open a folder (and an RBAC snapshot), then sign
//! what is approved.
//!
//! Signing walks through layers, each holding what the next needs: the output folder
//! (a path input), a typed confirmation holding the [`SignPlan`], the masked passphrase
//! prompt holding the plan, and only then a job for the worker, which signs exactly the
//! approved CSRs and only if the folder's digest is still the one read aloud. Cancelling
//! any of them drops the plan (and the passphrase) and signs nothing.

use std::path::{Path, PathBuf};

use airlock::secret::Passphrase;
use ratatui::text::{Line, Span};

use super::{App, Layer, PathPurpose, Pending, Work};
use crate::tui::action::{Failure, ScreenId, SignOutcome};
use crate::tui::screens::review::{Counts, SignPlan};
use crate::tui::text;
use crate::tui::widgets::confirm::ConfirmDialog;
use crate::tui::widgets::pager::Pager;
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

    /// Reviews `folder` on the worker, with the RBAC snapshot loaded, if any; when work
    /// is in flight (the ledger's verification at start), as soon as it is done.
    pub(super) fn open_intake(&mut self, folder: PathBuf) {
        if let Some(work) = &self.work {
            let notice = format!(
                "'{}' is read as soon as {} is done",
                text::fit_path(&folder, 40),
                work.describe()
            );
            self.notice = Some(notice.clone());
            self.review.loading = Some(folder.clone());
            self.queued_intake = Some((folder, notice));
            self.go_to(ScreenId::Review);
            return;
        }
        let rbac = self.review.rbac.clone();
        self.review_folder(folder, rbac);
    }

    fn review_folder(&mut self, folder: PathBuf, rbac: Option<PathBuf>) {
        let job = Job::Review {
            folder: folder.clone(),
            rbac: rbac.clone(),
        };
        if self.start(job, Work::Reviewing(folder.clone())) {
            self.review.loading = Some(folder);
            self.review.loading_rbac = rbac;
            self.go_to(ScreenId::Review);
        }
    }

    /// Asks for an RBAC snapshot to show each item's bindings.
    pub(super) fn ask_rbac(&mut self) {
        let Some(report) = &self.review.report else {
            self.notice = Some(format!(
                "open an intake folder first ({})",
                crate::tui::keymap::key_for(
                    crate::tui::keymap::Mode::Review,
                    &crate::tui::action::Action::OpenIntakePrompt
                )
                .unwrap_or_default()
            ));
            return;
        };
        let initial = self.review.rbac.as_ref().map_or_else(
            || {
                report
                    .intake
                    .parent()
                    .map(|parent| format!("{}/", parent.display()))
                    .unwrap_or_default()
            },
            |rbac| rbac.display().to_string(),
        );
        self.layers.push(Layer::Path(
            PathInput::new(
                "RBAC snapshot",
                "kubectl get clusterrolebindings,rolebindings -A -o yaml, saved to a file",
                initial,
            )
            .for_file(),
            PathPurpose::ReviewRbac,
        ));
    }

    /// Reads the open folder again with the snapshot; decisions are kept if it is unchanged.
    pub(super) fn load_rbac(&mut self, snapshot: PathBuf) {
        let Some(report) = &self.review.report else {
            return;
        };
        let folder = report.intake.clone();
        self.review_folder(folder, Some(snapshot));
    }

    pub(super) fn ask_sign(&mut self) {
        let Some(report) = &self.review.report else {
            self.notice = Some(format!(
                "open an intake folder first ({})",
                crate::tui::keymap::key_for(
                    crate::tui::keymap::Mode::Review,
                    &crate::tui::action::Action::OpenIntakePrompt
                )
                .unwrap_or_default()
            ));
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

    pub(super) fn start_sign(&mut self, plan: SignPlan, passphrase: Passphrase) {
        let total = plan.approved_items;
        // On refusal (work in flight) the plan and the passphrase are dropped here.
        self.start(
            Job::Sign(plan, passphrase),
            Work::Batch {
                label: "signing",
                done: 0,
                total,
            },
        );
    }

    pub(super) fn signed(&mut self, outcome: SignOutcome) {
        self.review.signed = Some(outcome.report.out.clone());
        let lines = summary(&outcome, self.review.counts(), self.theme);
        self.refresh(outcome.model, "signed");
        self.layers.push(Layer::Pager(Pager::new("Signed", lines)));
    }
}

/// What the passphrase prompt for signing says it unlocks.
pub(super) fn sign_purpose(plan: &SignPlan) -> String {
    format!(
        "Unlocks the CA key for this batch only: {} into {}.",
        text::count(plan.approved_items, "certificate"),
        text::fit_path(&plan.out, 30)
    )
}

/// `<name>` in `parent`, or `<name>-2`... if that exists.
pub(super) fn unused_beside(parent: &Path, name: &str) -> PathBuf {
    let first = parent.join(name);
    if !first.exists() {
        return first;
    }
    (2..100)
        .map(|n| parent.join(format!("{name}-{n}")))
        .find(|candidate| !candidate.exists())
        .unwrap_or(first)
}

/// `<intake>-signed` beside the intake folder, or `-signed-2`... if that exists.
fn default_out(intake: &Path) -> PathBuf {
    let name = intake.file_name().map_or_else(
        || "intake".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    unused_beside(
        intake.parent().unwrap_or(Path::new(".")),
        &format!("{name}-signed"),
    )
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
    if !report.report.withheld.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            "Withheld (accepted, not approved by you; in report.json)",
            theme.title(),
        ));
        for withheld in &report.report.withheld {
            lines.push(Line::from(format!(
                "  {} {}  {}",
                theme::DENIED,
                text::shown(&withheld.input),
                text::shown(&withheld.reasons.join("; "))
            )));
        }
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use age::secrecy::ExposeSecret as _;

    use super::*;
    use crate::tui::action::{Action, WorkEvent};
    use crate::tui::fixture::{self, failure, type_text, work};
    use crate::tui::keymap::Mode;
    use crate::tui::screens::review::Decision;
    use crate::tui::theme::Theme;

    /// Reviewing, both accepted items approved, the confirmation open.
    fn at_confirmation() -> App {
        let mut app = fixture::reviewing(fixture::app());
        app.update(Action::ApproveAll);
        app.update(Action::Sign);
        assert_eq!(app.mode(), Mode::PathInput);
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::Confirm);
        app
    }

    /// Issue 10, item 8: the signing passphrase names the CA by role and id: during a
    /// rotation, the incoming CA.
    #[test]
    fn the_sign_prompt_names_the_ca_by_role_and_id() {
        for (model, label) in [
            (fixture::model(), "the active CA 'kubernetes' (3f9a1c0d…)"),
            (
                fixture::model_in(airlock::state::Phase::Overlap),
                "the incoming CA 'kubernetes-2025' (9b8c7d6e…)",
            ),
        ] {
            let mut app = fixture::reviewing(fixture::app_with(model, Theme::plain()));
            app.update(Action::ApproveAll);
            app.update(Action::Sign);
            app.update(Action::Submit);
            type_text(&mut app, SIGN_PHRASE);
            app.update(Action::NextFocus);
            app.update(Action::Submit);
            let Some(Layer::Passphrase(prompt, _)) = app.layers.last() else {
                panic!("the passphrase");
            };
            assert_eq!(prompt.label, label);
        }
    }

    #[test]
    fn opening_a_folder_reviews_it_on_the_worker() {
        let mut app = fixture::app();
        app.update(Action::OpenIntakePrompt);
        assert_eq!(app.mode(), Mode::PathInput);
        let Some(Layer::Path(input, PathPurpose::OpenIntake)) = app.layers.last_mut() else {
            panic!("a path input");
        };
        input.text.clear();
        type_text(&mut app, "/media/usb/requestsx");
        app.update(Action::Erase);
        app.update(Action::Submit);
        assert!(app.layers.is_empty());
        assert_eq!(app.screen(), ScreenId::Review);
        let jobs = app.take_jobs();
        let [Job::Review { folder, rbac: None }] = jobs.as_slice() else {
            panic!("one review job, not {jobs:?}");
        };
        assert_eq!(folder, &PathBuf::from("/media/usb/requests"));
        assert_eq!(app.review.loading.as_deref(), Some(folder.as_path()));
        app.update(work(WorkEvent::Reviewed(Ok(fixture::review_report()))));
        assert_eq!(app.review.len(), 3);
        assert!(app.work.is_none());
    }

    #[test]
    fn a_folder_given_while_busy_is_read_once_the_work_is_done() {
        let mut app = App::new(fixture::model(), Theme::plain(), fixture::now());
        assert!(matches!(app.take_jobs().as_slice(), [Job::Verify]));
        app.update(Action::OpenIntake(PathBuf::from("/media/usb/requests")));
        assert!(app.take_jobs().is_empty(), "the verification is in flight");
        assert_eq!(app.screen(), ScreenId::Review);
        assert!(app.review.loading.is_some());
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("as soon as"))
        );
        app.update(work(WorkEvent::Verified(Ok(fixture::verification()))));
        let jobs = app.take_jobs();
        assert!(
            matches!(jobs.as_slice(), [Job::Review { folder, .. }] if folder.ends_with("requests")),
            "{jobs:?}"
        );
        assert!(app.notice.is_none(), "the waiting is over");
        app.update(work(WorkEvent::Reviewed(Ok(fixture::review_report()))));
        assert_eq!(app.review.len(), 3);
    }

    #[test]
    fn cancelling_the_folder_prompt_does_nothing() {
        let mut app = fixture::app();
        app.update(Action::OpenIntakePrompt);
        app.update(Action::Complete);
        app.update(Action::Cancel);
        assert!(app.layers.is_empty());
        assert!(app.take_jobs().is_empty());
    }

    #[test]
    fn a_failed_review_shows_an_error_and_the_app_goes_on() {
        let mut app = fixture::app();
        app.update(Action::OpenIntake(PathBuf::from("/nowhere")));
        app.update(work(WorkEvent::Reviewed(Err(failure(
            "cannot review the folder",
        )))));
        assert_eq!(app.mode(), Mode::Error);
        assert!(app.review.loading.is_none());
        app.update(Action::Down);
        assert_eq!(app.mode(), Mode::Error, "only Enter or Esc closes it");
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::Review);
        app.update(Action::OpenIntake(PathBuf::from("/media/usb/requests")));
        assert_eq!(app.take_jobs().len(), 2, "the failed job and the new one");
    }

    #[test]
    fn approving_denying_and_rejected_items() {
        let mut app = fixture::reviewing(fixture::app());
        app.update(Action::Approve);
        app.update(Action::Deny);
        assert_eq!(
            app.review.decisions[..2],
            [Decision::Approved, Decision::Denied]
        );
        assert_eq!(app.review.selected, 2);
        app.update(Action::Approve);
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|notice| notice.contains("never be approved"))
        );
        app.update(Action::Deny);
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|notice| notice.contains("rejected"))
        );
        assert_eq!(app.review.decisions[2], Decision::Undecided);
        app.update(Action::ApproveAll);
        assert_eq!(app.review.counts().approved, 2);
        assert_eq!(app.notice.as_deref(), Some("approved 2 accepted items"));
    }

    #[test]
    fn signing_needs_a_review_and_an_approval() {
        let mut app = fixture::app();
        app.update(Action::Sign);
        assert!(app.layers.is_empty());
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|notice| notice.contains("open an intake"))
        );
        app.update(Action::ApproveAll);
        assert!(app.notice.is_some());
        let mut app = fixture::reviewing(app);
        app.update(Action::Sign);
        assert!(app.layers.is_empty());
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|notice| notice.contains("approve at least one"))
        );
    }

    #[test]
    fn signing_without_a_ca_explains_what_to_do() {
        let mut model = fixture::model();
        model.status.cas.clear();
        let mut app = fixture::reviewing(fixture::app_with(model, Theme::plain()));
        app.update(Action::ApproveAll);
        app.update(Action::Sign);
        let Some(Layer::Error(dialog)) = app.layers.last() else {
            panic!("an error dialog");
        };
        assert!(dialog.failure.hint.contains("airlock init"));
    }

    #[test]
    fn the_output_folder_must_differ_from_the_intake() {
        let mut app = fixture::reviewing(fixture::app());
        app.update(Action::ApproveAll);
        app.update(Action::Sign);
        let Some(Layer::Path(input, PathPurpose::SignOut)) = app.layers.last_mut() else {
            panic!("the output folder prompt");
        };
        assert_eq!(input.text, "/media/usb/requests-signed");
        input.text = "/media/usb/requests".to_owned();
        app.update(Action::Submit);
        let Some(Layer::Path(input, PathPurpose::SignOut)) = app.layers.last() else {
            panic!("asked again");
        };
        assert!(input.warning.is_some());
    }

    #[test]
    fn confirm_then_cancel_signs_nothing() {
        let mut app = at_confirmation();
        type_text(&mut app, "sign");
        // The focus is still on Cancel: Enter cancels.
        app.update(Action::Submit);
        assert!(app.layers.is_empty());
        assert!(app.take_jobs().is_empty());
        assert_eq!(
            app.notice.as_deref(),
            Some("signing cancelled: nothing was signed")
        );
        let mut app = at_confirmation();
        app.update(Action::NextFocus);
        app.update(Action::Cancel);
        assert!(app.layers.is_empty());
        assert!(app.take_jobs().is_empty());
    }

    #[test]
    fn confirm_without_the_phrase_does_not_act() {
        let mut app = at_confirmation();
        type_text(&mut app, "sing");
        app.update(Action::NextFocus);
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::Confirm);
        app.update(Action::Erase);
        app.update(Action::Erase);
        type_text(&mut app, "gn");
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::Passphrase);
    }

    #[test]
    fn cancelling_the_passphrase_signs_nothing() {
        let mut app = at_confirmation();
        type_text(&mut app, "sign");
        app.update(Action::NextFocus);
        app.update(Action::Submit);
        type_text(&mut app, "secret");
        app.update(Action::Cancel);
        assert!(app.layers.is_empty());
        assert!(app.take_jobs().is_empty());
    }

    #[test]
    fn confirm_then_act_signs_the_approved_items_on_the_worker() {
        let mut app = at_confirmation();
        type_text(&mut app, "sign");
        app.update(Action::NextFocus);
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::Passphrase);
        type_text(&mut app, "secrex");
        app.update(Action::Erase);
        app.update(Action::Type('t'));
        app.update(Action::Submit);
        assert!(app.layers.is_empty());
        let jobs = app.take_jobs();
        let [Job::Sign(plan, passphrase)] = jobs.as_slice() else {
            panic!("one sign job, not {jobs:?}");
        };
        assert_eq!(passphrase.expose_secret(), "secret");
        assert_eq!(plan.approved.len(), 2);
        assert_eq!(plan.out, PathBuf::from("/media/usb/requests-signed"));
        assert_eq!(plan.digest, fixture::DIGEST);
        assert_eq!(
            app.work,
            Some(Work::Batch {
                label: "signing",
                done: 0,
                total: 2
            })
        );

        app.update(work(WorkEvent::Progress { done: 1, total: 2 }));
        assert_eq!(
            app.work,
            Some(Work::Batch {
                label: "signing",
                done: 1,
                total: 2
            })
        );
        app.update(work(WorkEvent::Signed(Ok(Box::new(
            fixture::sign_outcome(),
        )))));
        // Issue 10, item 17: the ledger is verified again after the act.
        assert_eq!(app.work, Some(Work::Verifying));
        assert!(matches!(app.take_jobs().as_slice(), [Job::Verify]));
        assert_eq!(app.mode(), Mode::Pager);
        assert_eq!(
            app.review.signed,
            Some(PathBuf::from("/media/usb/requests-signed"))
        );
        app.update(Action::Cancel);
        // A signed batch is not signed or changed again.
        app.update(Action::Sign);
        assert!(app.layers.is_empty());
        app.update(Action::Deny);
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|notice| notice.contains("signed"))
        );
    }

    #[test]
    fn only_approved_items_are_in_the_plan() {
        let mut app = fixture::reviewing(fixture::app());
        app.update(Action::Down);
        app.update(Action::Approve);
        app.update(Action::Sign);
        app.update(Action::Submit);
        let Some(Layer::Confirm(_, Pending::Sign(plan))) = app.layers.last() else {
            panic!("the confirmation");
        };
        let report = fixture::review_report();
        let bob = report.items[1].csr_sha256.clone().expect("hash");
        assert_eq!(plan.approved.iter().collect::<Vec<_>>(), vec![&bob]);
        assert_eq!(plan.approved_items, 1);
    }

    #[test]
    fn a_failed_signing_shows_what_to_do_and_keeps_the_review() {
        let mut app = at_confirmation();
        type_text(&mut app, "sign");
        app.update(Action::NextFocus);
        app.update(Action::Submit);
        type_text(&mut app, "wrong");
        app.update(Action::Submit);
        let _ = app.take_jobs();
        app.update(work(WorkEvent::Signed(Err(failure("signing failed")))));
        assert_eq!(app.mode(), Mode::Error);
        app.update(Action::Cancel);
        assert!(app.review.signed.is_none());
        assert_eq!(app.review.counts().approved, 2);
        app.update(Action::Sign);
        assert_eq!(app.mode(), Mode::PathInput, "the officer can try again");
    }

    #[test]
    fn loading_an_rbac_snapshot_reads_the_folder_again_and_keeps_decisions() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Review));
        app.update(Action::LoadRbac);
        assert!(app.layers.is_empty(), "no folder open yet");
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("open an intake"))
        );
        let mut app = fixture::reviewing(app);
        app.update(Action::Approve);
        app.update(Action::LoadRbac);
        let Some(Layer::Path(input, PathPurpose::ReviewRbac)) = app.layers.last_mut() else {
            panic!("the snapshot path");
        };
        assert!(input.files, "a snapshot is a file");
        assert_eq!(input.text, "/media/usb/");
        input.text = "/media/usb/rbac.yaml".to_owned();
        app.update(Action::Submit);
        let jobs = app.take_jobs();
        let [
            Job::Review {
                folder,
                rbac: Some(rbac),
            },
        ] = jobs.as_slice()
        else {
            panic!("a review with the snapshot, not {jobs:?}");
        };
        assert_eq!(folder, &PathBuf::from("/media/usb/requests"));
        assert_eq!(rbac, &PathBuf::from("/media/usb/rbac.yaml"));
        app.update(work(WorkEvent::Reviewed(Ok(
            fixture::review_report_with_bindings(),
        ))));
        assert_eq!(app.review.rbac, Some(PathBuf::from("/media/usb/rbac.yaml")));
        assert_eq!(app.review.decisions[0], Decision::Approved, "kept");
        // Opening a folder again keeps the snapshot loaded.
        app.update(Action::OpenIntake(PathBuf::from("/media/usb/requests")));
        assert!(matches!(
            app.take_jobs().as_slice(),
            [Job::Review { rbac: Some(_), .. }]
        ));
    }

    #[test]
    fn a_snapshot_that_cannot_be_read_shows_an_error_and_keeps_the_review() {
        let mut app = fixture::reviewing(fixture::app());
        app.update(Action::LoadRbac);
        app.update(Action::Submit);
        let _ = app.take_jobs();
        app.update(work(WorkEvent::Reviewed(Err(failure(
            "cannot review the folder",
        )))));
        assert_eq!(app.mode(), Mode::Error);
        assert!(app.review.rbac.is_none());
        assert!(app.review.loading_rbac.is_none());
        assert_eq!(app.review.len(), 3, "the review stays");
    }

    #[test]
    fn the_summary_lists_withheld_items() {
        let mut outcome = fixture::sign_outcome();
        outcome.report.report.withheld = vec![airlock::export::ReportRejected {
            input: "bob.yaml".to_owned(),
            reasons: vec!["not approved by the officer".to_owned()],
        }];
        let lines = summary(&outcome, Counts::default(), Theme::plain());
        let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|line| line.contains("⊘ bob.yaml  not approved by the officer")),
            "{text:?}"
        );
    }
}

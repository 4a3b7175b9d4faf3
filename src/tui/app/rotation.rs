//! The rotation steps of the app: begin, reissue, finish, abort.
//!
//! Each walks through layers holding what the next needs, and ends in a job for the
//! worker: begin asks the new CA's name first, then a typed confirmation, the active CA's
//! passphrase and a new passphrase for the new CA twice; reissue asks the output folder,
//! a confirmation and the new CA's passphrase; finish offers to force (with a typed
//! reason) when certificates lack a twin and to destroy the old CA's key (confirmed by
//! typing the start of its id: both CAs may share a name), then the new CA's passphrase; abort asks a confirmation and the old
//! CA's passphrase. The core has the last word: whatever it refuses comes back as an
//! error dialog, and nothing changed.

use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret as _;
use airlock::ca::{CaAlgorithm, DEFAULT_CA_DAYS};
use airlock::keystore::MIN_PASSPHRASE_CHARS;
use airlock::rotation::phase_name;
use airlock::secret::Passphrase;
use airlock::state::Phase;
use ratatui::text::{Line, Span};

use super::signing::unused_beside;
use super::{App, ChoicePurpose, Layer, PathPurpose, Pending, PromptPurpose, Unlocking, Work};
use crate::tui::action::Action;
use crate::tui::action::{Refreshed, RotationDone};
use crate::tui::screens::rotation::{
    ABORT_PHRASE, BEGIN_PHRASE, BeginPlan, FINISH_PHRASE, FinishPlan, REISSUE_PHRASE, ca_names,
    numbered,
};
use crate::tui::text;
use crate::tui::theme::{self, Theme};
use crate::tui::widgets::choice::ChoiceDialog;
use crate::tui::widgets::confirm::ConfirmDialog;
use crate::tui::widgets::pager::Pager;
use crate::tui::widgets::path_input::PathInput;
use crate::tui::widgets::prompt::TextPrompt;
use crate::tui::worker::Job;

/// Hex digits of the old CA's id typed, at least, to destroy its key.
const MIN_ID_PREFIX: usize = 8;

impl App {
    fn phase(&self) -> Phase {
        self.model.rotation.phase
    }

    pub(super) fn old_name(&self) -> String {
        ca_names(&self.model.rotation).0
    }

    pub(super) fn new_name(&self) -> String {
        ca_names(&self.model.rotation).1
    }

    /// Refuses (with a notice naming the legal steps) unless the phase is one of `legal`.
    fn in_phase(&mut self, step: &str, legal: &[Phase]) -> bool {
        if legal.contains(&self.phase()) {
            return true;
        }
        let phase = phase_name(self.phase());
        let next = match self.phase() {
            Phase::Stable => format!("{} begins one", rotation_key(&Action::RotateBegin)),
            Phase::Overlap => format!(
                "{} reissues, {} aborts",
                rotation_key(&Action::RotateReissue),
                rotation_key(&Action::RotateAbort)
            ),
            Phase::Reissued => format!("{} finishes", rotation_key(&Action::RotateFinish)),
        };
        self.notice = Some(format!("cannot {step} in phase {phase}: {next}"));
        false
    }

    pub(super) fn ask_begin(&mut self) {
        if self.busy() || !self.in_phase("begin a rotation", &[Phase::Stable]) {
            return;
        }
        let Some(old) = &self.model.rotation.old else {
            self.notice = Some(
                "this home has no CA to rotate: run 'airlock init' or 'airlock import' first"
                    .to_owned(),
            );
            return;
        };
        self.layers.push(Layer::Prompt(
            TextPrompt::new(
                "Begin a rotation: the new CA's name",
                "Asked first; then a confirmation and the passphrases. Enter keeps the active CA's name.",
                old.common_name.clone(),
                false,
            ),
            PromptPurpose::NewCaName,
        ));
    }

    pub(super) fn confirm_begin(&mut self, mut prompt: TextPrompt, name: &str) {
        let name = name.trim().to_owned();
        if name.is_empty() {
            prompt.warning = Some("the new CA needs a name".to_owned());
            self.layers
                .push(Layer::Prompt(prompt, PromptPurpose::NewCaName));
            return;
        }
        let plan = BeginPlan {
            common_name: name,
            algorithm: CaAlgorithm::EcdsaP256,
            days: DEFAULT_CA_DAYS,
            work_factor: self.work_factor,
            old_ca: self
                .model
                .rotation
                .old
                .as_ref()
                .map_or_else(String::new, |ca| ca.common_name.clone()),
        };
        let theme = self.theme;
        let old = self.old_name();
        let active = self.model.rotation.old.as_ref().map_or_else(
            || "the active CA".to_owned(),
            |ca| self.model.ca_named(&ca.id),
        );
        let body = vec![
            Line::from(vec![
                Span::raw("A new CA "),
                Span::styled(
                    format!("'{}'", text::shown(&plan.common_name)),
                    theme.strong(),
                ),
                Span::raw(format!(
                    " ({}, {} days) is generated here and joins as incoming.",
                    plan.algorithm, plan.days
                )),
            ]),
            Line::from(format!(
                "The bundle becomes '{old}' + new; new certificates are signed by the new CA."
            )),
            Line::from(format!(
                "Asks first the passphrase of {active} (it authorizes its successor), then a new passphrase for the new CA, twice."
            )),
            Line::styled(
                "To bring in a CA made elsewhere: airlock rotate begin --import-cert FILE --import-key FILE",
                theme.dim(),
            ),
        ];
        self.layers.push(Layer::Confirm(
            ConfirmDialog::new("Begin a rotation?", body, "Begin", Some(BEGIN_PHRASE)),
            Pending::Begin(plan),
        ));
    }

    pub(super) fn ask_reissue(&mut self) {
        if self.busy() || !self.in_phase("reissue", &[Phase::Overlap, Phase::Reissued]) {
            return;
        }
        let parent = self.model.home.parent().unwrap_or(Path::new("."));
        let out = unused_beside(parent, "reissued");
        self.layers.push(Layer::Path(
            PathInput::new(
                "Output folder for the reissued certificates",
                "twins, report.json and SHA256SUMS go here (created if missing)",
                out.display().to_string(),
            ),
            PathPurpose::ReissueOut,
        ));
    }

    pub(super) fn confirm_reissue(&mut self, out: PathBuf) {
        let status = &self.model.rotation;
        let theme = self.theme;
        let to_sign = status.unreissued.len();
        let body = vec![
            Line::from(vec![
                Span::raw("Sign again with "),
                Span::styled(format!("'{}'", self.new_name()), theme.strong()),
                Span::raw(format!(
                    " each active certificate of '{}': same subject and key, same end.",
                    self.old_name()
                )),
            ]),
            Line::from(format!(
                "  {} active · {} already reissued (handed back) · {to_sign} to sign now",
                status.old_active, status.reissued
            )),
            Line::from(format!("  into   {}", text::fit_path(&out, 64))),
            Line::styled(
                "Every twin is in the ledger before any file is written; a re-run signs nothing twice.",
                theme.dim(),
            ),
        ];
        self.layers.push(Layer::Confirm(
            ConfirmDialog::new(
                "Reissue the old CA's certificates?",
                body,
                "Reissue",
                Some(REISSUE_PHRASE),
            ),
            Pending::Reissue(out),
        ));
    }

    pub(super) fn ask_finish(&mut self) {
        if self.busy() || !self.in_phase("finish", &[Phase::Overlap, Phase::Reissued]) {
            return;
        }
        let plan = FinishPlan {
            force_reason: None,
            destroy_old_key: false,
            old_ca: self
                .model
                .rotation
                .old
                .as_ref()
                .map_or_else(String::new, |ca| ca.common_name.clone()),
            old_id: self
                .model
                .rotation
                .old
                .as_ref()
                .map_or_else(String::new, |ca| ca.id.clone()),
            unreissued: self.model.rotation.unreissued.len(),
        };
        if plan.unreissued == 0 {
            self.ask_old_key(plan);
            return;
        }
        let body = vec![
            Line::styled(
                format!(
                    "{} {} of '{}' have no twin from '{}'.",
                    theme::WARN,
                    text::count(plan.unreissued, "active certificate"),
                    self.old_name(),
                    self.new_name()
                ),
                self.theme.warn(),
            ),
            Line::from(
                "Finishing now locks their holders out as soon as the new-only bundle is deployed. airlock refuses unless you force it with a reason, which the ledger keeps.",
            ),
        ];
        self.layers.push(Layer::Choice(
            ChoiceDialog::new(
                "Finish with certificates not reissued?",
                body,
                vec![
                    format!(
                        "Cancel: reissue them first ({})",
                        rotation_key(&Action::RotateReissue)
                    ),
                    "Force the finish: type the reason".to_owned(),
                ],
            ),
            ChoicePurpose::FinishForce(plan),
        ));
    }

    pub(super) fn finish_forced(&mut self, plan: FinishPlan, choice: usize) {
        if choice == 0 {
            self.notice = Some(format!(
                "not finished: reissue first ({})",
                rotation_key(&Action::RotateReissue)
            ));
            return;
        }
        self.layers.push(Layer::Prompt(
            TextPrompt::new(
                "Why force the finish?",
                "kept in the ledger beside the serials left without a twin",
                String::new(),
                false,
            ),
            PromptPurpose::ForceReason(plan),
        ));
    }

    pub(super) fn force_reason(
        &mut self,
        mut prompt: TextPrompt,
        mut plan: FinishPlan,
        typed: &str,
    ) {
        let reason = typed.trim().to_owned();
        if reason.is_empty() {
            prompt.warning = Some("a forced finish needs its reason".to_owned());
            self.layers
                .push(Layer::Prompt(prompt, PromptPurpose::ForceReason(plan)));
            return;
        }
        plan.force_reason = Some(reason);
        self.ask_old_key(plan);
    }

    fn ask_old_key(&mut self, plan: FinishPlan) {
        let body = vec![Line::from(format!(
            "After the finish, '{}' is retired and trusted nowhere. Its encrypted key can stay in the home (archived) or be destroyed for good, every copy of it.",
            self.old_name()
        ))];
        self.layers.push(Layer::Choice(
            ChoiceDialog::new(
                "The old CA's key",
                body,
                vec![
                    "Keep it archived (encrypted, in the home)".to_owned(),
                    "Destroy it (you will type the start of the old CA's id)".to_owned(),
                ],
            ),
            ChoicePurpose::FinishOldKey(plan),
        ));
    }

    pub(super) fn finish_old_key(&mut self, mut plan: FinishPlan, choice: usize) {
        plan.destroy_old_key = choice == 1;
        let theme = self.theme;
        let (old, new) = (self.old_name(), self.new_name());
        let mut body = vec![
            Line::from(vec![
                Span::raw("The bundle will trust "),
                Span::styled(format!("'{new}'"), theme.strong()),
                Span::raw(format!(" alone; '{old}' is retired.")),
            ]),
            if plan.destroy_old_key {
                Line::styled(
                    format!(
                        "{} The old CA's key is DESTROYED: this cannot be undone.",
                        theme::WARN
                    ),
                    theme.bad(),
                )
            } else {
                Line::from("The old CA's key stays in the home, encrypted (archived).")
            },
        ];
        if let Some(reason) = &plan.force_reason {
            body.push(Line::styled(
                format!(
                    "{} Forced with {} not reissued: '{}'",
                    theme::WARN,
                    text::count(plan.unreissued, "certificate"),
                    text::shown(reason)
                ),
                theme.warn(),
            ));
        }
        body.push(Line::styled(
            "Deploy the new-only bundle only once every client uses its reissued certificate.",
            theme.dim(),
        ));
        // Destroying the key is confirmed by the start of the old CA's id, at least 8 hex
        // digits: both CAs often share a common name, so a name would not say which key.
        let dialog = if plan.destroy_old_key {
            body.push(Line::from(format!(
                "The key destroyed is the one of {}.",
                self.model.ca_named(&plan.old_id)
            )));
            ConfirmDialog::new(
                "Finish the rotation?",
                body,
                "Finish and destroy",
                Some(&text::shown(&plan.old_id)),
            )
            .prefix_of(MIN_ID_PREFIX)
        } else {
            ConfirmDialog::new("Finish the rotation?", body, "Finish", Some(FINISH_PHRASE))
        };
        self.layers
            .push(Layer::Confirm(dialog, Pending::Finish(plan)));
    }

    pub(super) fn ask_abort(&mut self) {
        if self.busy() {
            return;
        }
        if self.phase() == Phase::Reissued {
            self.notice = Some(
                "cannot abort in phase reissued: reissued certificates are handed out; f finishes"
                    .to_owned(),
            );
            return;
        }
        if !self.in_phase("abort", &[Phase::Overlap]) {
            return;
        }
        let theme = self.theme;
        let body = vec![
            Line::from(vec![
                Span::raw("The incoming CA "),
                Span::styled(format!("'{}'", self.new_name()), theme.strong()),
                Span::raw(" is retired and trusted nowhere."),
            ]),
            Line::from(format!(
                "The bundle goes back to '{}' alone; certificates the new CA issued stop working once it is deployed.",
                self.old_name()
            )),
            Line::from(format!("Asks the passphrase of '{}'.", self.old_name())),
        ];
        self.layers.push(Layer::Confirm(
            ConfirmDialog::new("Abort the rotation?", body, "Abort", Some(ABORT_PHRASE)),
            Pending::Abort,
        ));
    }

    /// A passphrase of a rotation step was typed: ask the next one, or start the job.
    pub(super) fn unlocked_rotation(&mut self, unlocking: Unlocking, passphrase: Passphrase) {
        match unlocking {
            Unlocking::BeginOld(plan) => self.ask_unlock(Unlocking::BeginNew(plan, passphrase)),
            Unlocking::BeginNew(plan, old) => {
                // The core refuses a short one too, but only after every prompt.
                if passphrase.expose_secret().chars().count() < MIN_PASSPHRASE_CHARS {
                    drop(passphrase);
                    self.ask_unlock(Unlocking::BeginNew(plan, old));
                    self.warn_prompt(format!(
                        "too short: at least {MIN_PASSPHRASE_CHARS} characters"
                    ));
                    return;
                }
                self.ask_unlock(Unlocking::BeginRepeat(plan, old, passphrase));
            }
            Unlocking::BeginRepeat(plan, old, new) => {
                if new.expose_secret() != passphrase.expose_secret() {
                    drop((new, passphrase));
                    self.ask_unlock(Unlocking::BeginNew(plan, old));
                    self.warn_prompt(
                        "the two passphrases differ: type the new one again".to_owned(),
                    );
                    return;
                }
                drop(passphrase);
                self.start(
                    Job::Begin(plan, old, new),
                    Work::Rotating("beginning the rotation"),
                );
            }
            Unlocking::Reissue(out) => {
                let total = self.model.rotation.unreissued.len();
                self.start(
                    Job::Reissue(out, passphrase),
                    Work::Batch {
                        label: "reissuing",
                        done: 0,
                        total,
                    },
                );
            }
            Unlocking::Finish(plan) => {
                self.start(
                    Job::Finish(plan, passphrase),
                    Work::Rotating("finishing the rotation"),
                );
            }
            Unlocking::Abort => {
                self.start(
                    Job::Abort(passphrase),
                    Work::Rotating("aborting the rotation"),
                );
            }
            // Not rotation steps: routed elsewhere by the app.
            Unlocking::Sign(_) | Unlocking::Renew(_) | Unlocking::Revoke(_) => {}
        }
    }

    fn warn_prompt(&mut self, warning: String) {
        if let Some(Layer::Passphrase(prompt, _)) = self.layers.last_mut() {
            prompt.warning = Some(warning);
        }
    }

    /// A rotation step is done: refresh, and show what changed and what to deploy.
    pub(super) fn rotated(&mut self, done: Refreshed<RotationDone>) {
        let lines = rotation_summary(&done.report, self.theme);
        let title = match &done.report {
            RotationDone::Begun(_) => "Rotation begun",
            RotationDone::Reissued(_) => "Reissued",
            RotationDone::Finished(_) => "Rotation finished",
            RotationDone::Aborted(_) => "Rotation aborted",
        };
        self.refresh(done.model, "done");
        self.rotation.scroll = 0;
        self.go_to(crate::tui::action::ScreenId::Rotation);
        self.layers.push(Layer::Pager(Pager::new(title, lines)));
    }
}

/// What a rotation step did, the bundle and what to deploy where.
pub fn rotation_summary(done: &RotationDone, theme: Theme) -> Vec<Line<'static>> {
    let phase = done.phase();
    let headline = match done {
        RotationDone::Begun(_) => {
            "Rotation begun: the new CA is incoming; the bundle trusts both.".to_owned()
        }
        RotationDone::Reissued(report) => format!(
            "Reissued {} certificate(s) with the new CA; {} handed back from an earlier run; {} not reissued.",
            report.newly_signed,
            report.reused,
            report.report.rejected.len()
        ),
        RotationDone::Finished(_) => {
            "Rotation finished: the new CA is the only one trusted.".to_owned()
        }
        RotationDone::Aborted(_) => "Rotation aborted: back to the old CA alone.".to_owned(),
    };
    let mut lines = vec![
        Line::styled(format!("{} {headline}", theme::OK), theme.ok()),
        Line::from(format!("Phase   {}", phase_name(phase.phase))),
        Line::from(format!("Bundle  {}", text::path(&phase.bundle_file))),
    ];
    for ca in &phase.trusted {
        lines.push(Line::from(format!(
            "  trusts {} ({}) sha256 {}",
            text::shown(&ca.common_name),
            text::shown(&ca.id),
            text::fit(&ca.fingerprint, 24)
        )));
    }
    if let RotationDone::Reissued(report) = done {
        lines.push(Line::from(format!("Output  {}", text::path(&report.out))));
        for rejected in &report.report.rejected {
            lines.push(Line::styled(
                format!(
                    "  {} not reissued: {} ({})",
                    theme::BAD,
                    text::shown(&rejected.input),
                    text::shown(&rejected.reasons.join("; "))
                ),
                theme.bad(),
            ));
        }
        lines.push(Line::styled("Written in the output folder", theme.title()));
        if report.written.is_empty() {
            lines.push(Line::from("  nothing new (every file was already there)"));
        }
        for name in &report.written {
            lines.push(Line::from(format!("  {}", text::shown(name))));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("Deploy now", theme.title()));
    lines.extend(numbered(&phase.checklist, theme));
    lines.push(Line::from(""));
    lines.push(Line::styled("Enter or Esc: close", theme.dim()));
    lines
}

/// The key of a rotation step, from the keymap, for prose that names it.
fn rotation_key(action: &Action) -> String {
    crate::tui::keymap::key_for(crate::tui::keymap::Mode::Rotation, action).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::tui::action::{Action, ScreenId, WorkEvent};
    use crate::tui::fixture::{self, failure, type_text, work};
    use crate::tui::keymap::Mode;
    use crate::tui::widgets::confirm::Focus;

    fn on_rotation(phase: Phase) -> App {
        let mut app = fixture::app_with(fixture::model_in(phase), Theme::colored());
        app.update(Action::GoTo(ScreenId::Rotation));
        app
    }

    /// Types the phrase, moves the focus to the confirming button and presses it.
    fn confirm(app: &mut App, phrase: &str) {
        assert_eq!(app.mode(), Mode::Confirm);
        type_text(app, phrase);
        app.update(Action::NextFocus);
        app.update(Action::Submit);
    }

    fn passphrase(app: &mut App, secret: &str) {
        assert_eq!(app.mode(), Mode::Passphrase);
        type_text(app, secret);
        app.update(Action::Submit);
    }

    #[test]
    fn steps_illegal_in_the_phase_say_what_is_legal() {
        let mut app = on_rotation(Phase::Stable);
        for action in [
            Action::RotateReissue,
            Action::RotateFinish,
            Action::RotateAbort,
        ] {
            app.update(action);
            assert!(app.layers.is_empty());
            assert!(
                app.notice
                    .as_deref()
                    .is_some_and(|n| n.contains("phase stable: b begins one")),
                "{:?}",
                app.notice
            );
        }
        let mut app = on_rotation(Phase::Overlap);
        app.update(Action::RotateBegin);
        assert!(app.layers.is_empty());
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("r reissues, x aborts"))
        );
        let mut app = on_rotation(Phase::Reissued);
        app.update(Action::RotateAbort);
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("f finishes"))
        );
        assert!(app.take_jobs().is_empty());
    }

    #[test]
    fn begin_confirm_then_cancel_changes_nothing() {
        let mut app = on_rotation(Phase::Stable);
        app.update(Action::RotateBegin);
        assert_eq!(app.mode(), Mode::Prompt);
        app.update(Action::Submit);
        type_text(&mut app, BEGIN_PHRASE);
        // The focus is still on Cancel.
        app.update(Action::Submit);
        assert!(app.layers.is_empty());
        assert_eq!(
            app.notice.as_deref(),
            Some("rotation step cancelled: nothing changed")
        );
        assert!(app.take_jobs().is_empty());
    }

    #[test]
    fn begin_confirm_then_act_asks_three_passphrases_and_starts_the_job() {
        let mut app = on_rotation(Phase::Stable);
        app.update(Action::RotateBegin);
        let Some(Layer::Prompt(prompt, PromptPurpose::NewCaName)) = app.layers.last_mut() else {
            panic!("the name prompt");
        };
        assert_eq!(prompt.text, "kubernetes");
        prompt.text.clear();
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::Prompt, "an empty name is refused");
        type_text(&mut app, "kubernetes-2025");
        app.update(Action::Submit);
        let Some(Layer::Confirm(dialog, Pending::Begin(plan))) = app.layers.last() else {
            panic!("the confirmation");
        };
        assert_eq!(dialog.focus, Focus::Cancel);
        assert_eq!(plan.common_name, "kubernetes-2025");
        assert_eq!(plan.algorithm, CaAlgorithm::EcdsaP256);
        confirm(&mut app, BEGIN_PHRASE);
        let Some(Layer::Passphrase(prompt, Unlocking::BeginOld(_))) = app.layers.last() else {
            panic!("the active CA's passphrase");
        };
        assert!(prompt.label.contains("active CA 'kubernetes'"));
        passphrase(&mut app, "old secret");
        // A short new passphrase is asked again at once.
        passphrase(&mut app, "short");
        let Some(Layer::Passphrase(prompt, Unlocking::BeginNew(..))) = app.layers.last() else {
            panic!("the new passphrase again");
        };
        assert!(
            prompt
                .warning
                .as_deref()
                .is_some_and(|w| w.contains("too short"))
        );
        passphrase(&mut app, "new secret");
        // The layers hold both passphrases now, never where Debug shows them.
        let layers = format!("{:?}", app.layers);
        assert!(matches!(
            app.layers.last(),
            Some(Layer::Passphrase(_, Unlocking::BeginRepeat(..)))
        ));
        assert!(
            !layers.contains("old secret") && !layers.contains("new secret"),
            "{layers}"
        );
        // A different repeat goes back to the new passphrase, with a warning.
        passphrase(&mut app, "new secrex");
        let Some(Layer::Passphrase(prompt, Unlocking::BeginNew(..))) = app.layers.last() else {
            panic!("the new passphrase again");
        };
        assert!(
            prompt
                .warning
                .as_deref()
                .is_some_and(|w| w.contains("differ"))
        );
        assert!(app.take_jobs().is_empty());
        passphrase(&mut app, "new secret");
        passphrase(&mut app, "new secret");
        assert!(app.layers.is_empty());
        let jobs = app.take_jobs();
        let [Job::Begin(plan, old, new)] = jobs.as_slice() else {
            panic!("a begin job, not {jobs:?}");
        };
        assert_eq!(plan.common_name, "kubernetes-2025");
        assert_eq!(plan.work_factor, airlock::keystore::DEFAULT_WORK_FACTOR);
        assert_eq!(old.expose_secret(), "old secret");
        assert_eq!(new.expose_secret(), "new secret");
        assert_eq!(app.work, Some(Work::Rotating("beginning the rotation")));
    }

    #[test]
    fn cancelling_a_begin_passphrase_changes_nothing() {
        let mut app = on_rotation(Phase::Stable);
        app.update(Action::RotateBegin);
        app.update(Action::Submit);
        confirm(&mut app, BEGIN_PHRASE);
        passphrase(&mut app, "old secret");
        type_text(&mut app, "half");
        app.update(Action::Cancel);
        assert!(app.layers.is_empty());
        assert!(app.take_jobs().is_empty());
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("nothing changed"))
        );
    }

    #[test]
    fn reissue_confirm_then_act_runs_with_a_gauge() {
        let mut app = on_rotation(Phase::Overlap);
        app.update(Action::RotateReissue);
        let Some(Layer::Path(input, PathPurpose::ReissueOut)) = app.layers.last() else {
            panic!("the output folder");
        };
        assert_eq!(input.text, "/srv/airlock/reissued");
        app.update(Action::Submit);
        let Some(Layer::Confirm(_, Pending::Reissue(out))) = app.layers.last() else {
            panic!("the confirmation");
        };
        assert_eq!(out, &PathBuf::from("/srv/airlock/reissued"));
        confirm(&mut app, REISSUE_PHRASE);
        let Some(Layer::Passphrase(prompt, Unlocking::Reissue(_))) = app.layers.last() else {
            panic!("the new CA's passphrase");
        };
        // Issue 10, item 8: named by role, name and id.
        assert_eq!(
            prompt.label,
            "the incoming CA 'kubernetes-2025' (9b8c7d6e…)"
        );
        passphrase(&mut app, "new secret");
        let jobs = app.take_jobs();
        assert!(matches!(jobs.as_slice(), [Job::Reissue(out, _)] if out.ends_with("reissued")));
        assert_eq!(
            app.work,
            Some(Work::Batch {
                label: "reissuing",
                done: 0,
                total: 2
            })
        );
        app.update(work(WorkEvent::Progress { done: 1, total: 2 }));
        assert!(matches!(app.work, Some(Work::Batch { done: 1, .. })));
        app.update(work(WorkEvent::Rotated(Ok(Box::new(fixture::reissued())))));
        assert_eq!(
            app.work,
            Some(Work::Verifying),
            "the ledger is verified again"
        );
        assert_eq!(app.model.rotation.phase, Phase::Reissued, "refreshed");
        let Some(Layer::Pager(pager)) = app.layers.last() else {
            panic!("the summary");
        };
        assert_eq!(pager.title, "Reissued");
    }

    #[test]
    fn reissue_confirm_then_cancel_changes_nothing() {
        let mut app = on_rotation(Phase::Overlap);
        app.update(Action::RotateReissue);
        app.update(Action::Submit);
        app.update(Action::NextFocus);
        app.update(Action::Cancel);
        assert!(app.layers.is_empty());
        assert!(app.take_jobs().is_empty());
    }

    #[test]
    fn finish_without_twins_offers_force_and_cancel_is_the_default() {
        let mut app = on_rotation(Phase::Overlap);
        app.update(Action::RotateFinish);
        assert_eq!(app.mode(), Mode::Choice);
        app.update(Action::Submit);
        assert!(app.layers.is_empty());
        assert_eq!(
            app.notice.as_deref(),
            Some("not finished: reissue first (r)")
        );
        assert!(app.take_jobs().is_empty());
    }

    #[test]
    fn a_forced_finish_needs_a_reason_and_destroying_needs_the_old_id() {
        let mut app = on_rotation(Phase::Overlap);
        app.update(Action::RotateFinish);
        app.update(Action::Down);
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::Prompt);
        type_text(&mut app, "  ");
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::Prompt, "a blank reason is refused");
        type_text(&mut app, "old CA key compromised");
        app.update(Action::Submit);
        let Some(Layer::Choice(_, ChoicePurpose::FinishOldKey(plan))) = app.layers.last() else {
            panic!("the old key choice");
        };
        assert_eq!(plan.force_reason.as_deref(), Some("old CA key compromised"));
        app.update(Action::Down);
        app.update(Action::Submit);
        let Some(Layer::Confirm(dialog, Pending::Finish(plan))) = app.layers.last() else {
            panic!("the confirmation");
        };
        assert!(plan.destroy_old_key);
        // Issue 10, item 17: the old CA's id, not its name (both CAs may share one), at
        // least 8 hex digits of it.
        assert_eq!(dialog.phrase.as_deref(), Some(fixture::OLD_CA));
        assert_eq!(dialog.min_prefix, Some(8));
        // Neither "finish" nor the old CA's name confirms destroying the key.
        for wrong in [FINISH_PHRASE, "kubernetes", "3f9a1c0"] {
            type_text(&mut app, wrong);
            app.update(Action::NextFocus);
            app.update(Action::Submit);
            assert_eq!(app.mode(), Mode::Confirm, "'{wrong}' does not confirm");
            for _ in wrong.chars() {
                app.update(Action::Erase);
            }
            app.update(Action::NextFocus);
        }
        type_text(&mut app, "3f9a1c0d");
        app.update(Action::NextFocus);
        app.update(Action::Submit);
        let Some(Layer::Passphrase(prompt, Unlocking::Finish(_))) = app.layers.last() else {
            panic!("the new CA's passphrase");
        };
        assert_eq!(
            prompt.label,
            "the incoming CA 'kubernetes-2025' (9b8c7d6e…)"
        );
        passphrase(&mut app, "new secret");
        let jobs = app.take_jobs();
        let [Job::Finish(plan, _)] = jobs.as_slice() else {
            panic!("a finish job, not {jobs:?}");
        };
        assert_eq!(plan.force_reason.as_deref(), Some("old CA key compromised"));
        assert!(plan.destroy_old_key);
        assert_eq!(plan.unreissued, 2);
    }

    #[test]
    fn finish_confirm_then_act_and_the_core_refusing_shows_an_error() {
        let mut app = on_rotation(Phase::Reissued);
        app.update(Action::RotateFinish);
        // Every certificate has its twin: straight to the old key.
        let Some(Layer::Choice(_, ChoicePurpose::FinishOldKey(plan))) = app.layers.last() else {
            panic!("the old key choice");
        };
        assert!(plan.force_reason.is_none());
        app.update(Action::Submit);
        let Some(Layer::Confirm(dialog, Pending::Finish(plan))) = app.layers.last() else {
            panic!("the confirmation");
        };
        assert!(!plan.destroy_old_key);
        assert_eq!(dialog.phrase.as_deref(), Some(FINISH_PHRASE));
        confirm(&mut app, FINISH_PHRASE);
        passphrase(&mut app, "new secret");
        assert!(matches!(app.take_jobs().as_slice(), [Job::Finish(..)]));
        let mut refused = failure("cannot finish the rotation");
        refused.message =
            vec!["1 active certificate(s) of the old CA have no reissued twin".to_owned()];
        app.update(work(WorkEvent::Rotated(Err(refused))));
        assert!(app.work.is_none());
        assert_eq!(app.mode(), Mode::Error);
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::Rotation, "the TUI goes on");
    }

    #[test]
    fn finish_confirm_then_cancel_changes_nothing() {
        let mut app = on_rotation(Phase::Reissued);
        app.update(Action::RotateFinish);
        app.update(Action::Submit);
        type_text(&mut app, FINISH_PHRASE);
        app.update(Action::Cancel);
        assert!(app.layers.is_empty());
        assert!(app.take_jobs().is_empty());
        // Esc on the old-key choice cancels as well.
        app.update(Action::RotateFinish);
        app.update(Action::Cancel);
        assert!(app.layers.is_empty());
        assert!(app.take_jobs().is_empty());
    }

    #[test]
    fn abort_confirm_then_cancel_and_then_act() {
        let mut app = on_rotation(Phase::Overlap);
        app.update(Action::RotateAbort);
        type_text(&mut app, ABORT_PHRASE);
        app.update(Action::Submit);
        assert!(app.layers.is_empty(), "Enter on Cancel cancels");
        assert!(app.take_jobs().is_empty());
        app.update(Action::RotateAbort);
        confirm(&mut app, ABORT_PHRASE);
        let Some(Layer::Passphrase(prompt, Unlocking::Abort)) = app.layers.last() else {
            panic!("the old CA's passphrase");
        };
        assert_eq!(prompt.label, "the retiring CA 'kubernetes' (3f9a1c0d…)");
        passphrase(&mut app, "old secret");
        let jobs = app.take_jobs();
        assert!(matches!(jobs.as_slice(), [Job::Abort(_)]));
        app.update(work(WorkEvent::Rotated(Ok(Box::new(fixture::aborted())))));
        assert_eq!(app.model.rotation.phase, Phase::Stable);
        let Some(Layer::Pager(pager)) = app.layers.last() else {
            panic!("the summary");
        };
        assert_eq!(pager.title, "Rotation aborted");
    }

    #[test]
    fn a_step_is_refused_while_work_is_in_flight() {
        let mut app = on_rotation(Phase::Stable);
        app.update(Action::VerifyLedger);
        let _ = app.take_jobs();
        app.update(Action::RotateBegin);
        assert!(app.layers.is_empty());
        assert!(app.notice.as_deref().is_some_and(|n| n.starts_with("busy")));
    }

    /// The whole frame at `width` x `height`, one string per row.
    fn drawn(app: &App, width: u16, height: u16) -> Vec<String> {
        let buffer = crate::tui::widgets::testing::render(width, height, |frame| {
            crate::tui::view::draw(frame, app);
        });
        crate::tui::widgets::testing::lines(&buffer)
    }

    /// Issue 10, item 17: at 80x24 the end of the rotation checklist can be scrolled to,
    /// in every phase and after a rotation ended; and no further.
    #[test]
    fn the_end_of_the_checklist_can_be_scrolled_to() {
        let mut finished = fixture::model();
        finished.entries.push(airlock::ledger::Entry {
            seq: 9,
            time: "2025-05-30T10:00:00Z".to_owned(),
            kind: airlock::state::KIND_ROTATION_FINISHED.to_owned(),
            payload: serde_json::json!({}),
            prev: String::new(),
            hash: String::new(),
        });
        let models = [
            fixture::model(),
            fixture::model_in(Phase::Overlap),
            fixture::model_in(Phase::Reissued),
            finished,
        ];
        for model in models {
            let last = crate::tui::screens::rotation::checklist(&model).len();
            let mut app = fixture::app_with(model, Theme::plain());
            app.update(Action::GoTo(ScreenId::Rotation));
            app.update(Action::Resize {
                width: 80,
                height: 24,
            });
            app.update(Action::Bottom);
            let rows = drawn(&app, 80, 24);
            assert!(
                rows.iter()
                    .any(|row| row.starts_with(&format!("  {last}. "))),
                "item {last} is on screen at the end:\n{}",
                rows.join("\n")
            );
            assert!(rows.iter().any(|row| row.contains("↑ more above")));
            let end = app.rotation.scroll;
            app.update(Action::Down);
            assert_eq!(app.rotation.scroll, end, "no scrolling past the end");
            app.update(Action::Up);
            assert_eq!(app.rotation.scroll, end - 1, "each key moves the screen");
        }
    }

    #[test]
    fn the_screen_scrolls_and_enter_shows_the_whole_checklist() {
        let mut app = on_rotation(Phase::Overlap);
        app.update(Action::Down);
        app.update(Action::PageDown);
        assert_eq!(app.rotation.scroll, 10, "the end, at 80x24");
        app.update(Action::Top);
        assert_eq!(app.rotation.scroll, 0);
        app.update(Action::Detail);
        let Some(Layer::Pager(pager)) = app.layers.last() else {
            panic!("the checklist");
        };
        assert_eq!(pager.title, "Deployment checklist");
        let text: Vec<String> = pager.lines.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|line| line.contains("000009-overlap-client-ca-bundle.crt"))
        );
    }
}

//! The app: all UI state, and the one place it changes ([`App::update`]). It routes each
//! action to the top modal layer, which owns the keys, or else to the current screen; it
//! owns the screen stack and the layer stack, and queues [`Job`]s for the worker.
//!
//! It never touches the home, a terminal or the clock: the event loop feeds it actions
//! and takes its jobs, so tests drive it with a fixed model and no terminal. Each flow
//! that ends in a job lives in its own file: review and signing in `app/signing.rs`, the
//! rotation steps in `app/rotation.rs`, renewal, revocation and the inventory filters in
//! `app/lifecycle.rs`. Every such flow walks through layers that hold what the next one
//! needs; cancelling any of them drops it (passphrases included) and changes nothing.

mod layer;
mod lifecycle;
mod rotation;
mod signing;

pub use layer::{ChoicePurpose, Layer, PathPurpose, Pending, PromptPurpose, Unlocking};

use std::path::PathBuf;

use airlock::keystore::DEFAULT_WORK_FACTOR;
use airlock::secret::Passphrase;
use ratatui::text::Line;
use time::OffsetDateTime;

use super::action::{Action, Failure, ScreenId, WorkEvent};
use super::keymap::{self, Mode};
use super::model::AppModel;
use super::screens::inventory::{self, InventoryState};
use super::screens::ledger::{self, LedgerCheck, LedgerState};
use super::screens::moved;
use super::screens::review::ReviewState;
use super::screens::rotation::{self as rotation_screen, RotationState};
use super::text;
use super::theme::Theme;
use super::widgets::Outcome;
use super::widgets::confirm::ConfirmDialog;
use super::widgets::error::ErrorDialog;
use super::widgets::pager::Pager;
use super::widgets::path_input::PathInput;
use super::widgets::prompt::TextPrompt;
use super::worker::Job;

/// Work in flight on the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Verifying the ledger.
    Verifying,
    /// Reading and judging a folder.
    Reviewing(PathBuf),
    /// Signing certificates, with a gauge.
    Batch {
        /// `signing`, `reissuing`, `renewing`.
        label: &'static str,
        /// Signed so far.
        done: usize,
        /// Of.
        total: usize,
    },
    /// A rotation step without a gauge (`beginning the rotation`, ...).
    Rotating(&'static str),
    /// Revoking.
    Revoking,
    /// Taking the officer's acceptance of unsealed entries.
    Accepting,
    /// Writing a kubeconfig.
    Exporting,
}

impl Work {
    /// In words, for notices and the quit dialog.
    pub fn describe(&self) -> String {
        match self {
            Self::Verifying => "verifying the ledger".to_owned(),
            Self::Reviewing(folder) => format!("reading '{}'", text::path(folder)),
            Self::Batch { label, done, total } => format!("{label} ({done} of {total} done)"),
            Self::Rotating(what) => (*what).to_owned(),
            Self::Revoking => "revoking".to_owned(),
            Self::Accepting => "accepting the unsealed entries".to_owned(),
            Self::Exporting => "writing the kubeconfig".to_owned(),
        }
    }
}

/// The UI state.
#[derive(Debug)]
pub struct App {
    /// What is known about the home.
    pub model: AppModel,
    /// Styles.
    pub theme: Theme,
    /// The time days are counted from.
    pub now: OffsetDateTime,
    /// Screens, the current one last; the dashboard is always at the bottom.
    pub screens: Vec<ScreenId>,
    /// Modal layers, the top one last.
    pub layers: Vec<Layer>,
    /// The review screen.
    pub review: ReviewState,
    /// The inventory screen.
    pub inventory: InventoryState,
    /// The ledger screen.
    pub ledger: LedgerState,
    /// The rotation screen.
    pub rotation: RotationState,
    /// The last ledger verification.
    pub ledger_check: LedgerCheck,
    /// Work in flight.
    pub work: Option<Work>,
    /// A one-line message for the status bar.
    pub notice: Option<String>,
    /// scrypt work factor protecting a new CA's key (`begin`).
    pub work_factor: u8,
    /// The terminal's columns and rows, as last reported.
    pub viewport: (u16, u16),
    /// A folder to review as soon as the work in flight is done, and the notice saying so.
    queued_intake: Option<(PathBuf, String)>,
    jobs: Vec<Job>,
    quit_when_idle: bool,
    quit: bool,
}

impl App {
    /// An app on the dashboard; the ledger's verification is queued at once.
    pub fn new(model: AppModel, theme: Theme, now: OffsetDateTime) -> Self {
        let mut app = Self {
            model,
            theme,
            now,
            screens: vec![ScreenId::Dashboard],
            layers: Vec::new(),
            review: ReviewState::default(),
            inventory: InventoryState::default(),
            ledger: LedgerState::default(),
            rotation: RotationState::default(),
            ledger_check: LedgerCheck::Unchecked,
            work: None,
            notice: None,
            work_factor: DEFAULT_WORK_FACTOR,
            viewport: (80, 24),
            queued_intake: None,
            jobs: Vec::new(),
            quit_when_idle: false,
            quit: false,
        };
        app.start(Job::Verify, Work::Verifying);
        app
    }

    /// The current screen.
    pub fn screen(&self) -> ScreenId {
        self.screens.last().copied().unwrap_or(ScreenId::Dashboard)
    }

    /// Who owns the keys now.
    pub fn mode(&self) -> Mode {
        self.layers
            .last()
            .map_or_else(|| Mode::of(self.screen()), Layer::mode)
    }

    /// The jobs queued since the last call.
    pub fn take_jobs(&mut self) -> Vec<Job> {
        std::mem::take(&mut self.jobs)
    }

    /// Whether the event loop should end.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Shows a message in the status bar.
    pub fn notify(&mut self, message: String) {
        self.notice = Some(message);
    }

    /// Queues a job unless one is in flight (then says so and returns false).
    fn start(&mut self, job: Job, work: Work) -> bool {
        if let Some(running) = &self.work {
            self.notice = Some(format!(
                "busy {}: wait for it to finish, then try again",
                running.describe()
            ));
            return false;
        }
        self.jobs.push(job);
        self.work = Some(work);
        true
    }

    /// Says so and returns true when work is in flight (a flow should not start).
    fn busy(&mut self) -> bool {
        match &self.work {
            Some(work) => {
                self.notice = Some(format!(
                    "busy {}: wait for it to finish, then try again",
                    work.describe()
                ));
                true
            }
            None => false,
        }
    }

    fn fail(&mut self, failure: Failure) {
        self.layers.push(Layer::Error(ErrorDialog { failure }));
    }

    /// Takes the home as reloaded after an operation, or says why it could not be.
    fn refresh(&mut self, model: Result<AppModel, String>, done: &str) {
        match model {
            Ok(model) => self.model = model,
            Err(reason) => {
                self.notice = Some(format!(
                    "{done}, but the screens could not be refreshed: {}",
                    text::shown(&reason)
                ));
            }
        }
    }

    /// Applies one action: the only way the UI state changes.
    pub fn update(&mut self, action: Action) {
        match action {
            Action::Work(event) => {
                self.on_work(*event);
                return;
            }
            Action::Resize { width, height } => {
                self.viewport = (width, height);
                return;
            }
            _ => {}
        }
        self.notice = None;
        match self.layers.pop() {
            // Help over a dialog: the dialog stays, its keys and the global ones shown.
            Some(layer) if matches!(action, Action::Help) && !matches!(layer, Layer::Help(_)) => {
                let mode = layer.mode();
                self.layers.push(layer);
                self.show_help_for(mode);
            }
            Some(layer) => self.on_layer(layer, &action),
            None => self.on_screen(action),
        }
    }

    fn on_screen(&mut self, action: Action) {
        match action {
            Action::Quit => self.ask_quit(),
            Action::Help => self.show_help(),
            Action::Back => {
                if self.screens.len() > 1 {
                    self.screens.pop();
                } else {
                    self.notice = Some("this is the dashboard: q quits".to_owned());
                }
            }
            Action::GoTo(screen) => self.go_to(screen),
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.move_selection(&action),
            Action::Detail => self.show_detail(),
            Action::OpenIntakePrompt => self.ask_intake(),
            Action::OpenIntake(folder) => self.open_intake(folder),
            Action::Approve => {
                if let Err(message) = self.review.approve() {
                    self.notice = Some(message);
                }
            }
            Action::Deny => {
                if let Err(message) = self.review.deny() {
                    self.notice = Some(message);
                }
            }
            Action::ApproveAll => match self.review.approve_all() {
                Ok(count) => {
                    self.notice = Some(format!("approved {}", text::count(count, "accepted item")));
                }
                Err(message) => self.notice = Some(message),
            },
            Action::Sign => self.ask_sign(),
            Action::LoadRbac => self.ask_rbac(),
            Action::FilterText => self.layers.push(Layer::Prompt(
                TextPrompt::new(
                    "Filter by text",
                    "user, group, serial, CA or input file; empty shows all",
                    self.inventory.text.clone(),
                    false,
                ),
                PromptPurpose::FilterText,
            )),
            Action::FilterExpiring => self.layers.push(Layer::Prompt(
                TextPrompt::new(
                    "Expiring within how many days?",
                    "active certificates ending within N days; empty shows all",
                    self.inventory
                        .expiring_within
                        .map(|days| days.to_string())
                        .unwrap_or_default(),
                    true,
                ),
                PromptPurpose::ExpiringDays,
            )),
            Action::FilterRevoked => self.toggle_revoked(),
            Action::FilterCa => self.next_ca_filter(),
            Action::ClearFilters => {
                self.inventory = InventoryState::default();
                self.notice = Some("filters cleared".to_owned());
            }
            Action::Renew => self.ask_renew(),
            Action::Revoke => self.ask_revoke(),
            Action::RotateBegin => self.ask_begin(),
            Action::RotateReissue => self.ask_reissue(),
            Action::RotateFinish => self.ask_finish(),
            Action::RotateAbort => self.ask_abort(),
            Action::AcceptUnsealed => self.ask_accept_unsealed(),
            Action::ExportKubeconfig => self.ask_kubeconfig(),
            Action::VerifyLedger => {
                if self.start(Job::Verify, Work::Verifying) {
                    self.ledger_check = LedgerCheck::Running;
                }
            }
            // Keys of dialogs mean nothing on a screen.
            Action::Type(_)
            | Action::Erase
            | Action::EraseForward
            | Action::EraseWord
            | Action::EraseToStart
            | Action::CursorLeft
            | Action::CursorRight
            | Action::CursorStart
            | Action::CursorEnd
            | Action::Complete
            | Action::NextFocus
            | Action::Submit
            | Action::Cancel
            | Action::Resize { .. }
            | Action::Work(_) => {}
        }
    }

    fn on_layer(&mut self, layer: Layer, action: &Action) {
        match layer {
            Layer::Help(mut pager) => {
                if let Outcome::Pending = pager.handle(action) {
                    self.layers.push(Layer::Help(pager));
                }
            }
            Layer::Pager(mut pager) => {
                if let Outcome::Pending = pager.handle(action) {
                    self.layers.push(Layer::Pager(pager));
                }
            }
            Layer::Error(dialog) => {
                if let Outcome::Pending = ErrorDialog::handle(action) {
                    self.layers.push(Layer::Error(dialog));
                }
            }
            Layer::Confirm(mut dialog, pending) => match dialog.handle(action) {
                Outcome::Pending => self.layers.push(Layer::Confirm(dialog, pending)),
                Outcome::Cancelled => self.notice = Some(pending.cancelled().to_owned()),
                Outcome::Done(()) => self.on_confirmed(pending),
            },
            Layer::Passphrase(mut prompt, unlocking) => match prompt.handle(action) {
                Outcome::Pending => self.layers.push(Layer::Passphrase(prompt, unlocking)),
                Outcome::Cancelled => self.notice = Some(unlocking.cancelled().to_owned()),
                Outcome::Done(passphrase) => self.on_unlocked(unlocking, passphrase),
            },
            Layer::Path(mut input, purpose) => match input.handle(action) {
                Outcome::Pending => self.layers.push(Layer::Path(input, purpose)),
                Outcome::Cancelled => {}
                Outcome::Done(path) => self.on_path(input, purpose, path),
            },
            Layer::Prompt(mut prompt, purpose) => match prompt.handle(action) {
                Outcome::Pending => self.layers.push(Layer::Prompt(prompt, purpose)),
                Outcome::Cancelled => {}
                Outcome::Done(typed) => self.on_prompt(prompt, purpose, typed),
            },
            Layer::Choice(mut choice, purpose) => match choice.handle(action) {
                Outcome::Pending => self.layers.push(Layer::Choice(choice, purpose)),
                Outcome::Cancelled => {}
                Outcome::Done(index) => self.on_choice(purpose, index),
            },
        }
    }

    fn on_confirmed(&mut self, pending: Pending) {
        match pending {
            Pending::Sign(plan) => self.ask_unlock(Unlocking::Sign(plan)),
            Pending::Quit => {
                self.quit_when_idle = true;
                self.quit = self.work.is_none();
                self.notice =
                    Some("airlock quits as soon as the work in flight is done".to_owned());
            }
            Pending::Begin(plan) => self.ask_unlock(Unlocking::BeginOld(plan)),
            Pending::Reissue(out) => self.ask_unlock(Unlocking::Reissue(out)),
            Pending::Finish(plan) => self.ask_unlock(Unlocking::Finish(plan)),
            Pending::Abort => self.ask_unlock(Unlocking::Abort),
            Pending::Renew(plan) => self.ask_unlock(Unlocking::Renew(plan)),
            Pending::Revoke(plan) => self.ask_unlock(Unlocking::Revoke(plan)),
        }
    }

    fn on_unlocked(&mut self, unlocking: Unlocking, passphrase: Passphrase) {
        match unlocking {
            Unlocking::Sign(plan) => self.start_sign(plan, passphrase),
            Unlocking::Renew(plan) => self.start_renew(plan, passphrase),
            Unlocking::Revoke(plan) => self.start_revoke(plan, passphrase),
            rotation => self.unlocked_rotation(rotation, passphrase),
        }
    }

    fn on_path(&mut self, input: PathInput, purpose: PathPurpose, path: PathBuf) {
        match purpose {
            PathPurpose::OpenIntake => self.open_intake(path),
            PathPurpose::SignOut => self.confirm_sign(input, path),
            PathPurpose::ReviewRbac => self.load_rbac(path),
            PathPurpose::ReissueOut => self.confirm_reissue(path),
            PathPurpose::RenewOut(mut plan) => {
                plan.out = path;
                self.confirm_renew(plan);
            }
            PathPurpose::RevokeRbac(mut plan) => {
                plan.rbac = (!path.as_os_str().is_empty()).then_some(path);
                self.confirm_revoke(plan);
            }
            PathPurpose::KubeconfigClusterCa(mut plan) => {
                plan.cluster_ca = (!path.as_os_str().is_empty()).then_some(path);
                self.ask_kubeconfig_out(plan);
            }
            PathPurpose::KubeconfigOut(mut plan) => {
                plan.out = path;
                self.start_kubeconfig(plan);
            }
        }
    }

    fn on_prompt(&mut self, prompt: TextPrompt, purpose: PromptPurpose, typed: String) {
        match purpose {
            PromptPurpose::FilterText => {
                self.inventory.text = typed;
                self.inventory.selected = 0;
            }
            PromptPurpose::ExpiringDays => {
                self.inventory.expiring_within = typed.parse().ok();
                self.inventory.selected = 0;
            }
            PromptPurpose::NewCaName => self.confirm_begin(prompt, &typed),
            PromptPurpose::ForceReason(plan) => self.force_reason(prompt, plan, &typed),
            PromptPurpose::RevokeReason(plan) => self.revoke_reason(prompt, plan, &typed),
            PromptPurpose::AcceptUnsealed => self.accept_unsealed(prompt, &typed),
            PromptPurpose::KubeconfigServer(plan) => self.kubeconfig_server(prompt, plan, &typed),
        }
    }

    fn on_choice(&mut self, purpose: ChoicePurpose, index: usize) {
        match purpose {
            ChoicePurpose::FinishForce(plan) => self.finish_forced(plan, index),
            ChoicePurpose::FinishOldKey(plan) => self.finish_old_key(plan, index),
            ChoicePurpose::RevokeScope(plan) => self.revoke_scope(plan, index),
            ChoicePurpose::RevokeCode(plan) => self.revoke_code(plan, index),
        }
    }

    fn on_work(&mut self, event: WorkEvent) {
        // Every act appends to the ledger: what the last verification said is stale until
        // it runs again (issue 10, item 17).
        // A refused act wrote nothing: the verification still holds.
        let acted = matches!(
            event,
            WorkEvent::Signed(Ok(_))
                | WorkEvent::Rotated(Ok(_))
                | WorkEvent::Renewed(Ok(_))
                | WorkEvent::Revoked(Ok(_))
                | WorkEvent::Accepted(Ok(_))
        );
        match event {
            WorkEvent::Progress { done, total } => {
                if let Some(Work::Batch { label, .. }) = self.work {
                    self.work = Some(Work::Batch { label, done, total });
                }
            }
            WorkEvent::Verified(result) => {
                self.work = None;
                self.ledger_check = match result {
                    Ok(verification) => {
                        // A notice already up (the repair of a torn ledger line at start)
                        // matters more than good news.
                        if self.notice.is_none() {
                            self.notice = Some(format!(
                                "ledger verified: {}, {}",
                                text::count64(verification.entries, "entry"),
                                text::count64(verification.seals, "seal")
                            ));
                        }
                        LedgerCheck::Intact(verification)
                    }
                    Err(failure) => {
                        self.notice =
                            Some("the ledger does NOT verify: see the Ledger screen".to_owned());
                        LedgerCheck::Broken(failure)
                    }
                };
            }
            WorkEvent::Reviewed(result) => {
                self.work = None;
                match result {
                    Ok(report) => {
                        self.review.load(report);
                        self.go_to(ScreenId::Review);
                    }
                    Err(failure) => {
                        self.review.loading = None;
                        self.review.loading_rbac = None;
                        self.fail(failure);
                    }
                }
            }
            WorkEvent::Signed(result) => {
                self.work = None;
                match result {
                    Ok(outcome) => self.signed(*outcome),
                    Err(failure) => self.fail(failure),
                }
            }
            WorkEvent::Rotated(result) => {
                self.work = None;
                match result {
                    Ok(done) => self.rotated(*done),
                    Err(failure) => self.fail(failure),
                }
            }
            WorkEvent::Renewed(result) => {
                self.work = None;
                match result {
                    Ok(done) => self.renewed(*done),
                    Err(failure) => self.fail(failure),
                }
            }
            WorkEvent::Revoked(result) => {
                self.work = None;
                match result {
                    Ok(done) => self.revoked(*done),
                    Err(failure) => self.fail(failure),
                }
            }
            WorkEvent::Accepted(result) => {
                self.work = None;
                match result {
                    Ok(done) => {
                        let count = done.report;
                        self.refresh(done.model, "accepted");
                        self.notice = Some(format!(
                            "accepted {}: the acceptance is recorded and sealed with the next act",
                            text::count64(count, "unsealed entry")
                        ));
                    }
                    Err(failure) => self.fail(failure),
                }
            }
            WorkEvent::Exported(result) => {
                self.work = None;
                match result {
                    Ok(path) => self.exported(&path),
                    Err(failure) => self.fail(failure),
                }
            }
            WorkEvent::Stopped(failure) => {
                self.work = None;
                self.fail(failure);
            }
        }
        if acted {
            self.reverify();
        }
        if self.quit_when_idle && self.work.is_none() {
            self.quit = true;
        } else if self.work.is_none()
            && let Some((folder, notice)) = self.queued_intake.take()
        {
            // The notice said it would wait; a notice put up since (a repair) stays.
            if self.notice.as_ref() == Some(&notice) {
                self.notice = None;
            }
            self.open_intake(folder);
        }
    }

    /// Verifies the ledger again after an act, so that the verified line speaks of the
    /// ledger as it is now (unless airlock is about to quit).
    fn reverify(&mut self) {
        if self.quit_when_idle {
            self.ledger_check = LedgerCheck::Unchecked;
            return;
        }
        if self.start(Job::Verify, Work::Verifying) {
            self.ledger_check = LedgerCheck::Running;
        }
    }

    /// Asks why the officer accepts the entries after the last seal that another process
    /// wrote (the Ledger screen shows them); nothing is signed over them until then.
    fn ask_accept_unsealed(&mut self) {
        let count = self.model.status.ledger.unvouched_entries;
        if count == 0 {
            self.notice = Some("no unsealed entries wait for acceptance".to_owned());
            return;
        }
        self.layers.push(Layer::Prompt(
            TextPrompt::new(
                &format!(
                    "Accept {} after the last seal?",
                    text::count64(count, "ledger entry")
                ),
                "another process wrote them, or someone planted them: read them on the Ledger screen first; type why you accept them (kept in the ledger)",
                String::new(),
                false,
            ),
            PromptPurpose::AcceptUnsealed,
        ));
    }

    fn accept_unsealed(&mut self, mut prompt: TextPrompt, typed: &str) {
        let reason = typed.trim().to_owned();
        if reason.is_empty() {
            prompt.warning = Some("the ledger keeps a reason: type one, or Esc".to_owned());
            self.layers
                .push(Layer::Prompt(prompt, PromptPurpose::AcceptUnsealed));
            return;
        }
        self.start(Job::AcceptUnsealed(reason), Work::Accepting);
    }

    fn ask_quit(&mut self) {
        let Some(work) = &self.work else {
            self.ask_quit_unsigned();
            return;
        };
        let body = vec![
            Line::from(format!("Work is in flight: {}.", work.describe())),
            Line::from("Stopping it halfway helps no one: airlock can quit as soon as it is done."),
        ];
        self.layers.push(Layer::Confirm(
            ConfirmDialog::new("Quit?", body, "Quit when done", None),
            Pending::Quit,
        ));
    }

    /// Quits at once, unless approved items wait unsigned: then asks first (the
    /// decisions are not kept).
    fn ask_quit_unsigned(&mut self) {
        let approved = self.review.counts().approved;
        if approved == 0 || self.review.signed.is_some() {
            self.quit = true;
            return;
        }
        let sign = keymap::key_for(Mode::Review, &Action::Sign).unwrap_or_else(|| "s".to_owned());
        let body = vec![
            Line::from(format!(
                "{} approved in the review {} not signed.",
                text::count(approved, "item"),
                if approved == 1 { "is" } else { "are" }
            )),
            Line::from(format!(
                "Quitting drops your decisions: nothing is signed. Cancel, then {sign} signs them."
            )),
        ];
        self.layers.push(Layer::Confirm(
            ConfirmDialog::new("Quit without signing?", body, "Quit", None),
            Pending::Quit,
        ));
    }

    fn go_to(&mut self, screen: ScreenId) {
        if let Some(index) = self.screens.iter().position(|open| *open == screen) {
            self.screens.truncate(index + 1);
        } else {
            self.screens.push(screen);
        }
    }

    fn move_selection(&mut self, action: &Action) {
        match self.screen() {
            ScreenId::Review => {
                self.review.selected = moved(self.review.selected, self.review.len(), action);
            }
            ScreenId::Inventory => {
                let len = self.inventory.rows(&self.model.certs, self.now).len();
                self.inventory.selected = moved(self.inventory.selected, len, action);
            }
            ScreenId::Ledger => {
                let len = self.model.entries.len();
                self.ledger.selected = moved(self.ledger.selected, len, action);
            }
            ScreenId::Rotation => {
                // The screen's body is the terminal less the tabs, status and help rows;
                // the rows it wraps into bound the scroll, so the end can be reached.
                let (width, height) = self.viewport;
                let last = rotation_screen::max_scroll(self, width, height.saturating_sub(3));
                self.rotation.scroll = moved(self.rotation.scroll, last + 1, action);
            }
            ScreenId::Dashboard | ScreenId::Ceremony => {}
        }
    }

    fn show_help(&mut self) {
        let mode = self.mode();
        self.show_help_for(mode);
    }

    /// The help overlay for `mode`: its keys, then the global ones (which work on the
    /// screens, so over a dialog they are said to wait until it is closed).
    fn show_help_for(&mut self, mode: Mode) {
        let mut lines = Vec::new();
        for section in [mode, Mode::Global] {
            let title = if section == Mode::Global && !mode.is_screen() {
                "Everywhere, once this dialog is closed"
            } else {
                section.title()
            };
            lines.push(Line::styled(title.to_owned(), self.theme.title()));
            for (key, description) in keymap::entries(section, false) {
                lines.push(Line::from(format!("  {key:<14} {description}")));
            }
            lines.push(Line::from(""));
        }
        lines.push(Line::from(
            "In dialogs: Esc cancels; a dangerous act needs its phrase typed and the focus moved to it (Tab).",
        ));
        lines.push(Line::from(
            "Symbols: ✔ accepted/approved/verified/active · ✘ rejected/broken/expired · ⊘ denied/revoked · ? undecided · ! attention · ● current phase · ○ to come",
        ));
        self.layers.push(Layer::Help(Pager::new(
            &format!("Help: {}", mode.title()),
            lines,
        )));
    }

    fn show_detail(&mut self) {
        let theme = self.theme;
        let (title, lines) = match self.screen() {
            ScreenId::Review => match self.review.item() {
                Some(item) => (
                    format!("Item {}", text::shown(&item.input)),
                    self.review.detail(theme),
                ),
                None => return,
            },
            ScreenId::Inventory => match self.inventory.selection(&self.model, self.now) {
                Some(cert) => (
                    format!("Certificate {}", text::shown(&cert.issued.user)),
                    inventory::detail(cert, &self.model, self.now, theme),
                ),
                None => return,
            },
            ScreenId::Ledger => match self.model.entries.get(self.ledger.selected) {
                Some(entry) => (
                    format!("Ledger entry {}", entry.seq),
                    ledger::detail(entry, theme),
                ),
                None => return,
            },
            ScreenId::Rotation => (
                "Deployment checklist".to_owned(),
                rotation_screen::checklist_detail(&self.model, theme),
            ),
            ScreenId::Dashboard | ScreenId::Ceremony => return,
        };
        self.layers.push(Layer::Pager(Pager::new(&title, lines)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture::{self, failure, type_text, work};

    #[test]
    fn the_ledger_is_verified_at_start() {
        let mut app = App::new(fixture::model(), Theme::plain(), fixture::now());
        assert!(matches!(app.take_jobs().as_slice(), [Job::Verify]));
        assert_eq!(app.work, Some(Work::Verifying));
        app.update(work(WorkEvent::Verified(Ok(fixture::verification()))));
        assert!(app.work.is_none());
        assert!(matches!(app.ledger_check, LedgerCheck::Intact(_)));
    }

    #[test]
    fn unsealed_entries_are_accepted_only_with_a_reason() {
        let mut app = fixture::app();
        app.update(Action::AcceptUnsealed);
        assert!(
            app.layers.is_empty(),
            "nothing to accept in a sealed ledger"
        );
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|notice| notice.contains("no unsealed"))
        );

        let mut model = fixture::model();
        model.status.ledger.unvouched_entries = 2;
        let mut app = fixture::app_with(model, Theme::plain());
        app.update(Action::AcceptUnsealed);
        let Some(Layer::Prompt(prompt, PromptPurpose::AcceptUnsealed)) = app.layers.last() else {
            panic!("the officer is asked why");
        };
        assert!(
            prompt.title.contains("2 ledger entries"),
            "{}",
            prompt.title
        );
        // An empty reason is refused in place; nothing goes to the worker.
        app.update(Action::Submit);
        let Some(Layer::Prompt(prompt, PromptPurpose::AcceptUnsealed)) = app.layers.last() else {
            panic!("still asking");
        };
        assert!(prompt.warning.is_some());
        assert!(app.take_jobs().is_empty());
        for character in "mine".chars() {
            app.update(Action::Type(character));
        }
        app.update(Action::Submit);
        assert!(
            matches!(app.take_jobs().as_slice(), [Job::AcceptUnsealed(reason)] if reason == "mine")
        );
        assert_eq!(app.work, Some(Work::Accepting));
        let mut accepted = fixture::model();
        accepted.status.ledger.unvouched_entries = 0;
        app.update(work(WorkEvent::Accepted(Ok(Box::new(
            crate::tui::action::Refreshed {
                report: 2,
                model: Ok(accepted),
            },
        )))));
        assert_eq!(app.work, Some(Work::Verifying), "verified again");
        assert_eq!(app.model.status.ledger.unvouched_entries, 0);
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|notice| notice.contains("accepted 2"))
        );
    }

    #[test]
    fn a_broken_ledger_is_reported_with_its_line() {
        let mut app = fixture::app();
        app.update(Action::VerifyLedger);
        assert!(matches!(app.take_jobs().as_slice(), [Job::Verify]));
        assert!(matches!(app.ledger_check, LedgerCheck::Running));
        let mut broken = failure("the ledger does not verify");
        broken.line = Some(4);
        app.update(work(WorkEvent::Verified(Err(broken))));
        let LedgerCheck::Broken(failure) = &app.ledger_check else {
            panic!("verification failed");
        };
        assert_eq!(failure.line, Some(4));
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|notice| notice.contains("NOT verify"))
        );
    }

    #[test]
    fn one_job_at_a_time() {
        let mut app = fixture::app();
        app.update(Action::VerifyLedger);
        app.update(Action::VerifyLedger);
        assert_eq!(app.take_jobs().len(), 1);
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|notice| notice.starts_with("busy"))
        );
    }

    #[test]
    fn quitting_when_idle_is_immediate() {
        let mut app = fixture::app();
        app.update(Action::Quit);
        assert!(app.should_quit());
    }

    #[test]
    fn quitting_with_work_in_flight_asks_then_cancel_stays() {
        let mut app = fixture::app();
        app.update(Action::VerifyLedger);
        app.update(Action::Quit);
        assert!(!app.should_quit());
        assert_eq!(app.mode(), Mode::Confirm);
        // Enter with the default focus is Cancel.
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::Dashboard);
        app.update(work(WorkEvent::Verified(Ok(fixture::verification()))));
        assert!(!app.should_quit());
    }

    #[test]
    fn quitting_with_work_in_flight_confirmed_waits_for_the_work() {
        let mut app = fixture::app();
        app.update(Action::VerifyLedger);
        app.update(Action::Quit);
        app.update(Action::NextFocus);
        app.update(Action::Submit);
        assert!(!app.should_quit(), "the work is still in flight");
        app.update(work(WorkEvent::Verified(Ok(fixture::verification()))));
        assert!(app.should_quit());
    }

    /// Issue 10, item 17: `q` with approved but unsigned items asks first.
    #[test]
    fn quitting_with_approved_unsigned_items_asks_first() {
        let mut app = fixture::reviewing(fixture::app());
        app.update(Action::Approve);
        app.update(Action::Quit);
        assert!(!app.should_quit());
        let Some(Layer::Confirm(dialog, Pending::Quit)) = app.layers.last() else {
            panic!("a confirmation, not {:?}", app.layers);
        };
        assert_eq!(dialog.title, "Quit without signing?");
        let body: Vec<String> = dialog.body.iter().map(ToString::to_string).collect();
        assert!(body[0].contains("1 item approved"), "{body:?}");
        assert!(body[1].contains("then s signs them"), "{body:?}");
        // Enter on the default focus stays.
        app.update(Action::Submit);
        assert!(!app.should_quit());
        assert!(app.layers.is_empty());
        app.update(Action::Quit);
        app.update(Action::NextFocus);
        app.update(Action::Submit);
        assert!(app.should_quit());
        // Nothing approved, or the batch signed: q quits at once.
        let mut app = fixture::reviewing(fixture::app());
        app.update(Action::Quit);
        assert!(app.should_quit());
    }

    /// Issue 10, item 17: `?` shows the global keys too, over a dialog as well.
    #[test]
    fn help_shows_the_global_keys_over_screens_and_dialogs() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Inventory));
        app.update(Action::Help);
        let Some(Layer::Help(pager)) = app.layers.last() else {
            panic!("the help");
        };
        let text: Vec<String> = pager.lines.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|line| line == "Everywhere"), "{text:?}");
        assert!(
            text.iter()
                .any(|line| line.contains("q/Ctrl-c") && line.ends_with("quit"))
        );
        app.update(Action::Cancel);
        // Over a choice dialog: its keys, and the global ones for after it.
        app.update(Action::Revoke);
        assert_eq!(app.mode(), Mode::Choice);
        app.update(Action::Help);
        let Some(Layer::Help(pager)) = app.layers.last() else {
            panic!("the help over the dialog");
        };
        let text: Vec<String> = pager.lines.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|line| line == "Choice"), "{text:?}");
        assert!(
            text.iter()
                .any(|line| line == "Everywhere, once this dialog is closed")
        );
        app.update(Action::Cancel);
        assert_eq!(app.mode(), Mode::Choice, "the dialog is still there");
    }

    /// Issue 10, item 17: the verified line is refreshed after every act (it said what
    /// the ledger was before the act until now).
    #[test]
    fn the_ledger_is_verified_again_after_every_act() {
        let mut app = fixture::reviewing(fixture::app());
        app.update(Action::ApproveAll);
        app.update(Action::Sign);
        app.update(Action::Submit);
        type_text(&mut app, "sign");
        app.update(Action::NextFocus);
        app.update(Action::Submit);
        type_text(&mut app, "secret");
        app.update(Action::Submit);
        let _ = app.take_jobs();
        app.update(work(WorkEvent::Signed(Ok(Box::new(
            fixture::sign_outcome(),
        )))));
        assert!(matches!(app.take_jobs().as_slice(), [Job::Verify]));
        assert!(matches!(app.ledger_check, LedgerCheck::Running));
        let mut after = fixture::verification();
        after.entries = 12;
        after.seals = 2;
        app.update(work(WorkEvent::Verified(Ok(after))));
        let LedgerCheck::Intact(verification) = &app.ledger_check else {
            panic!("verified");
        };
        assert_eq!((verification.entries, verification.seals), (12, 2));
        // Renewing, revoking and a rotation step do the same; a refused act does not.
        for event in [
            WorkEvent::Renewed(Ok(Box::new(fixture::renewed()))),
            WorkEvent::Revoked(Ok(Box::new(fixture::revoked()))),
            WorkEvent::Rotated(Ok(Box::new(fixture::begun()))),
        ] {
            let mut app = fixture::app();
            app.update(work(event));
            assert!(matches!(app.take_jobs().as_slice(), [Job::Verify]));
            assert_eq!(app.work, Some(Work::Verifying));
        }
        let mut app = fixture::app();
        app.update(work(WorkEvent::Revoked(Err(fixture::failure(
            "revocation failed",
        )))));
        assert!(app.take_jobs().is_empty());
        assert!(app.work.is_none());
    }

    #[test]
    fn help_opens_scrolls_and_closes() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Review));
        app.update(Action::Help);
        assert_eq!(app.mode(), Mode::Help);
        app.update(Action::Down);
        app.update(Action::PageDown);
        app.update(Action::PageUp);
        app.update(Action::Up);
        app.update(Action::Help);
        assert_eq!(app.mode(), Mode::Review);
        app.update(Action::Help);
        app.update(Action::Cancel);
        assert!(app.layers.is_empty());
    }

    #[test]
    fn screens_form_a_stack() {
        let mut app = fixture::app();
        app.update(Action::Back);
        assert_eq!(app.screens, vec![ScreenId::Dashboard]);
        assert!(app.notice.is_some());
        app.update(Action::GoTo(ScreenId::Inventory));
        app.update(Action::GoTo(ScreenId::Ledger));
        assert_eq!(app.screen(), ScreenId::Ledger);
        app.update(Action::Back);
        assert_eq!(app.screen(), ScreenId::Inventory);
        app.update(Action::GoTo(ScreenId::Rotation));
        app.update(Action::GoTo(ScreenId::Ceremony));
        app.update(Action::GoTo(ScreenId::Inventory));
        assert_eq!(app.screens, vec![ScreenId::Dashboard, ScreenId::Inventory]);
        app.update(Action::GoTo(ScreenId::Dashboard));
        assert_eq!(app.screens, vec![ScreenId::Dashboard]);
    }

    #[test]
    fn lists_move_within_their_rows() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Ledger));
        app.update(Action::Bottom);
        assert_eq!(app.ledger.selected, 7);
        app.update(Action::Down);
        assert_eq!(app.ledger.selected, 7);
        app.update(Action::PageUp);
        assert_eq!(app.ledger.selected, 0);
        app.update(Action::PageDown);
        app.update(Action::Top);
        assert_eq!(app.ledger.selected, 0);
        app.update(Action::GoTo(ScreenId::Inventory));
        app.update(Action::Down);
        app.update(Action::Down);
        app.update(Action::Down);
        app.update(Action::Down);
        assert_eq!(app.inventory.selected, 3, "four certificates");
        app.update(Action::Up);
        assert_eq!(app.inventory.selected, 2);
        // Nothing to move on the dashboard.
        app.update(Action::GoTo(ScreenId::Dashboard));
        app.update(Action::Down);
        assert_eq!(app.mode(), Mode::Dashboard);
    }

    #[test]
    fn details_open_in_a_pager() {
        let mut app = fixture::app();
        app.update(Action::Detail);
        assert!(app.layers.is_empty(), "the dashboard has no detail");
        for screen in [ScreenId::Inventory, ScreenId::Ledger] {
            app.update(Action::GoTo(screen));
            app.update(Action::Detail);
            assert_eq!(app.mode(), Mode::Pager);
            app.update(Action::Bottom);
            app.update(Action::Top);
            app.update(Action::Submit);
            assert_eq!(app.mode(), Mode::of(screen));
        }
        let mut app = fixture::reviewing(app);
        app.update(Action::Detail);
        let Some(Layer::Pager(pager)) = app.layers.last() else {
            panic!("the item's detail");
        };
        assert_eq!(pager.title, "Item alice.csr");
    }

    #[test]
    fn progress_outside_signing_is_ignored_and_a_lost_worker_is_reported() {
        let mut app = fixture::app();
        app.update(work(WorkEvent::Progress { done: 1, total: 2 }));
        assert!(app.work.is_none());
        app.update(Action::VerifyLedger);
        app.update(work(WorkEvent::Stopped(failure(
            "the worker stopped unexpectedly",
        ))));
        assert!(app.work.is_none());
        assert_eq!(app.mode(), Mode::Error);
    }

    #[test]
    fn dialog_keys_mean_nothing_on_a_screen() {
        let mut app = fixture::app();
        for action in [
            Action::Type('x'),
            Action::Erase,
            Action::Complete,
            Action::NextFocus,
            Action::Submit,
            Action::Cancel,
        ] {
            app.update(action);
        }
        assert!(app.layers.is_empty());
        assert!(app.take_jobs().is_empty());
        assert_eq!(app.screen(), ScreenId::Dashboard);
    }
}

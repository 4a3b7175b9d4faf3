//! The app: all UI state, and the one place it changes ([`App::update`]). It routes each
//! action to the top modal layer, which owns the keys, or else to the current screen; it
//! owns the screen stack and the layer stack, and queues [`Job`]s for the worker.
//!
//! It never touches the home, a terminal or the clock: the event loop feeds it actions
//! and takes its jobs, so tests drive it with a fixed model and no terminal. The review
//! and signing flow lives in `app/signing.rs`.

mod signing;

use std::path::PathBuf;

use ratatui::text::Line;
use time::OffsetDateTime;

use super::action::{Action, Failure, ScreenId, WorkEvent};
use super::keymap::{self, Mode};
use super::model::AppModel;
use super::screens::inventory::{self, InventoryState};
use super::screens::ledger::{self, LedgerCheck, LedgerState};
use super::screens::moved;
use super::screens::review::ReviewState;
use super::staging::SignPlan;
use super::text;
use super::theme::Theme;
use super::widgets::Outcome;
use super::widgets::confirm::ConfirmDialog;
use super::widgets::error::ErrorDialog;
use super::widgets::pager::Pager;
use super::widgets::passphrase::PassphrasePrompt;
use super::widgets::path_input::PathInput;
use super::widgets::prompt::TextPrompt;
use super::worker::Job;

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
    /// The passphrase prompt, holding the plan it will sign.
    Passphrase(PassphrasePrompt, SignPlan),
    /// A folder path.
    Path(PathInput, PathPurpose),
    /// A text prompt.
    Prompt(TextPrompt, PromptPurpose),
}

impl Layer {
    fn mode(&self) -> Mode {
        match self {
            Self::Help(_) => Mode::Help,
            Self::Pager(_) => Mode::Pager,
            Self::Error(_) => Mode::Error,
            Self::Confirm(..) => Mode::Confirm,
            Self::Passphrase(..) => Mode::Passphrase,
            Self::Path(..) => Mode::PathInput,
            Self::Prompt(..) => Mode::Prompt,
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
}

/// What a path input is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathPurpose {
    /// The intake folder to review.
    OpenIntake,
    /// The output folder for signing.
    SignOut,
}

/// What a text prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptPurpose {
    /// The inventory text filter.
    FilterText,
    /// The inventory "expiring within N days" filter.
    ExpiringDays,
}

/// Work in flight on the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Verifying the ledger.
    Verifying,
    /// Reading and judging a folder.
    Reviewing(PathBuf),
    /// Signing.
    Signing {
        /// Signed so far.
        done: usize,
        /// Of.
        total: usize,
    },
}

impl Work {
    /// In words, for notices and the quit dialog.
    pub fn describe(&self) -> String {
        match self {
            Self::Verifying => "verifying the ledger".to_owned(),
            Self::Reviewing(folder) => format!("reading '{}'", text::path(folder)),
            Self::Signing { done, total } => format!("signing ({done} of {total} done)"),
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
    /// The last ledger verification.
    pub ledger_check: LedgerCheck,
    /// Work in flight.
    pub work: Option<Work>,
    /// A one-line message for the status bar.
    pub notice: Option<String>,
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
            ledger_check: LedgerCheck::Unchecked,
            work: None,
            notice: None,
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

    fn fail(&mut self, failure: Failure) {
        self.layers.push(Layer::Error(ErrorDialog { failure }));
    }

    /// Applies one action: the only way the UI state changes.
    pub fn update(&mut self, action: Action) {
        if let Action::Work(event) = action {
            self.on_work(*event);
            return;
        }
        self.notice = None;
        match self.layers.pop() {
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
                    "unexpired certificates ending within N days; empty shows all",
                    self.inventory
                        .expiring_within
                        .map(|days| days.to_string())
                        .unwrap_or_default(),
                    true,
                ),
                PromptPurpose::ExpiringDays,
            )),
            Action::ClearFilters => {
                self.inventory = InventoryState::default();
                self.notice = Some("filters cleared".to_owned());
            }
            Action::VerifyLedger => {
                if self.start(Job::Verify, Work::Verifying) {
                    self.ledger_check = LedgerCheck::Running;
                }
            }
            // Keys of dialogs mean nothing on a screen.
            Action::Type(_)
            | Action::Erase
            | Action::Complete
            | Action::NextFocus
            | Action::Submit
            | Action::Cancel
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
                Outcome::Cancelled => {
                    self.notice = Some(match pending {
                        Pending::Sign(_) => "signing cancelled: nothing was signed".to_owned(),
                        Pending::Quit => "still here".to_owned(),
                    });
                }
                Outcome::Done(()) => self.on_confirmed(pending),
            },
            Layer::Passphrase(mut prompt, plan) => match prompt.handle(action) {
                Outcome::Pending => self.layers.push(Layer::Passphrase(prompt, plan)),
                Outcome::Cancelled => {
                    self.notice = Some("signing cancelled: nothing was signed".to_owned());
                }
                Outcome::Done(passphrase) => self.start_sign(plan, passphrase),
            },
            Layer::Path(mut input, purpose) => match input.handle(action) {
                Outcome::Pending => self.layers.push(Layer::Path(input, purpose)),
                Outcome::Cancelled => {}
                Outcome::Done(path) => match purpose {
                    PathPurpose::OpenIntake => self.on_screen(Action::OpenIntake(path)),
                    PathPurpose::SignOut => self.confirm_sign(input, path),
                },
            },
            Layer::Prompt(mut prompt, purpose) => match prompt.handle(action) {
                Outcome::Pending => self.layers.push(Layer::Prompt(prompt, purpose)),
                Outcome::Cancelled => {}
                Outcome::Done(typed) => {
                    match purpose {
                        PromptPurpose::FilterText => self.inventory.text = typed,
                        PromptPurpose::ExpiringDays => {
                            self.inventory.expiring_within = typed.parse().ok();
                        }
                    }
                    self.inventory.selected = 0;
                }
            },
        }
    }

    fn on_confirmed(&mut self, pending: Pending) {
        match pending {
            Pending::Sign(plan) => self.ask_passphrase(plan),
            Pending::Quit => {
                self.quit_when_idle = true;
                self.quit = self.work.is_none();
                self.notice =
                    Some("airlock quits as soon as the work in flight is done".to_owned());
            }
        }
    }

    fn on_work(&mut self, event: WorkEvent) {
        match event {
            WorkEvent::Progress { done, total } => {
                if let Some(Work::Signing { .. }) = self.work {
                    self.work = Some(Work::Signing { done, total });
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
                        self.fail(failure);
                    }
                }
            }
            WorkEvent::Signed(result) => {
                self.work = None;
                match result {
                    Ok(outcome) => self.signed(&outcome),
                    Err(failure) => self.fail(failure),
                }
            }
            WorkEvent::Stopped(failure) => {
                self.work = None;
                self.fail(failure);
            }
        }
        if self.quit_when_idle && self.work.is_none() {
            self.quit = true;
        }
    }

    fn ask_quit(&mut self) {
        let Some(work) = &self.work else {
            self.quit = true;
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
                let len = self.inventory.rows(&self.model.issued, self.now).len();
                self.inventory.selected = moved(self.inventory.selected, len, action);
            }
            ScreenId::Ledger => {
                let len = self.model.entries.len();
                self.ledger.selected = moved(self.ledger.selected, len, action);
            }
            ScreenId::Dashboard | ScreenId::Rotation | ScreenId::Ceremony => {}
        }
    }

    fn show_help(&mut self) {
        let mode = self.mode();
        let mut lines = Vec::new();
        for section in [mode, Mode::Global] {
            lines.push(Line::styled(section.title().to_owned(), self.theme.title()));
            for (key, description) in keymap::entries(section, false) {
                lines.push(Line::from(format!("  {key:<14} {description}")));
            }
            lines.push(Line::from(""));
        }
        lines.push(Line::from(
            "In dialogs: Esc cancels; a dangerous act needs its phrase typed and the focus moved to it (Tab).",
        ));
        lines.push(Line::from(
            "Symbols: ✔ accepted/approved/verified · ✘ rejected/broken · ⊘ denied · ? undecided · ! attention",
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
            ScreenId::Inventory => {
                let rows = self.inventory.rows(&self.model.issued, self.now);
                match rows.get(self.inventory.selected) {
                    Some(cert) => (
                        format!("Certificate {}", text::shown(&cert.user)),
                        inventory::detail(cert, self.now, theme),
                    ),
                    None => return,
                }
            }
            ScreenId::Ledger => match self.model.entries.get(self.ledger.selected) {
                Some(entry) => (
                    format!("Ledger entry {}", entry.seq),
                    ledger::detail(entry, theme),
                ),
                None => return,
            },
            ScreenId::Dashboard | ScreenId::Rotation | ScreenId::Ceremony => return,
        };
        self.layers.push(Layer::Pager(Pager::new(&title, lines)));
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use age::secrecy::ExposeSecret as _;

    use super::*;
    use crate::tui::action::Failure;
    use crate::tui::fixture::{self, work};
    use crate::tui::screens::review::Decision;

    fn failure(what: &str) -> Failure {
        Failure {
            what: what.to_owned(),
            message: vec!["wrong passphrase for CA 'kubernetes'".to_owned()],
            hint: "nothing was changed; try again".to_owned(),
            line: None,
        }
    }

    fn type_text(app: &mut App, text: &str) {
        for character in text.chars() {
            app.update(Action::Type(character));
        }
    }

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
        assert_eq!(app.ledger.selected, 5);
        app.update(Action::Down);
        assert_eq!(app.ledger.selected, 5);
        app.update(Action::PageUp);
        assert_eq!(app.ledger.selected, 0);
        app.update(Action::PageDown);
        app.update(Action::Top);
        assert_eq!(app.ledger.selected, 0);
        app.update(Action::GoTo(ScreenId::Inventory));
        app.update(Action::Down);
        app.update(Action::Down);
        app.update(Action::Down);
        assert_eq!(app.inventory.selected, 2);
        app.update(Action::Up);
        assert_eq!(app.inventory.selected, 1);
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
        let [Job::Review(folder)] = jobs.as_slice() else {
            panic!("one review job, not {jobs:?}");
        };
        assert_eq!(folder, &PathBuf::from("/media/usb/requests"));
        assert_eq!(app.review.loading.as_deref(), Some(folder.as_path()));
        app.update(work(WorkEvent::Reviewed(Ok(fixture::review_report()))));
        assert_eq!(app.review.len(), 3);
        assert!(app.work.is_none());
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
        assert!(plan.withheld.is_empty());
        assert_eq!(plan.out, PathBuf::from("/media/usb/requests-signed"));
        assert_eq!(plan.digest, fixture::DIGEST);
        assert_eq!(app.work, Some(Work::Signing { done: 0, total: 2 }));

        app.update(work(WorkEvent::Progress { done: 1, total: 2 }));
        assert_eq!(app.work, Some(Work::Signing { done: 1, total: 2 }));
        app.update(work(WorkEvent::Signed(Ok(Box::new(
            fixture::sign_outcome(),
        )))));
        assert!(app.work.is_none());
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
        let alice = report.items[0].csr_sha256.clone().expect("hash");
        assert_eq!(plan.approved.iter().collect::<Vec<_>>(), vec![&bob]);
        assert_eq!(plan.withheld.iter().collect::<Vec<_>>(), vec![&alice]);
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
    fn inventory_filters() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Inventory));
        app.update(Action::FilterText);
        assert_eq!(app.mode(), Mode::Prompt);
        type_text(&mut app, "bob");
        app.update(Action::Submit);
        assert_eq!(app.inventory.text, "bob");
        app.update(Action::FilterExpiring);
        type_text(&mut app, "3x0");
        app.update(Action::Submit);
        assert_eq!(app.inventory.expiring_within, Some(30));
        app.update(Action::FilterText);
        type_text(&mut app, "zzz");
        app.update(Action::Cancel);
        assert_eq!(app.inventory.text, "bob", "Esc keeps the filter as it was");
        app.update(Action::ClearFilters);
        assert!(app.inventory.text.is_empty());
        assert!(app.inventory.expiring_within.is_none());
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

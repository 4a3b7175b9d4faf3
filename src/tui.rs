//! The terminal UI front end: ratatui + crossterm over the same `ops` as the CLI.
//!
//! State -> update -> view: [`app::App`] holds every piece of UI state and only
//! `App::update(Action)` changes it; the views in `screens/` and `widgets/` read it.
//! This module owns the terminal and the event loop: it turns key presses into actions
//! through the [`keymap`], hands the jobs the app asks for to the [`worker`] thread that
//! owns the open home, and feeds the worker's reports back as actions.
//!
//! It must not let a panic or an error leave the terminal in raw mode: `ratatui::init`
//! installs a panic hook that restores it, and [`TerminalGuard`] restores it on every
//! other way out.

mod action;
mod app;
mod keymap;
mod model;
mod screens;
mod text;
mod theme;
mod view;
mod widgets;
mod worker;

#[cfg(test)]
mod fixture;

use std::io::IsTerminal as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use airlock::Error;
use airlock::ops::Session;
use crossterm::event::{self, Event, KeyEventKind};

use crate::cli::Global;

/// How long the loop waits for a key before it looks at the worker again.
const POLL: Duration = Duration::from_millis(50);

/// Opens the terminal UI on the home `global` names, on the review of `intake` when one
/// is given. The home is opened (locked, its ledger verified) before the terminal is
/// touched, so that a missing or locked home is reported as a plain error.
pub fn run(global: &Global, intake: Option<&Path>) -> Result<ExitCode, Error> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(Error::Refused(
            "the terminal UI needs a terminal: run it from one, or use the CLI commands (airlock --help)"
                .to_owned(),
        ));
    }
    let root = global.home_path()?;
    let now = crate::cli::now();
    // A shared lock while the TUI shows the home: commands that read work beside it.
    let mut session = Session::open_reader(&root, now)?;
    if let Some(reason) = &global.accept_unsealed {
        session.accept_unsealed(reason)?;
    }
    let model = model::AppModel::load(&session, now, global.hardening)?;
    let mut app = app::App::new(model, theme::Theme::from_env(), now);
    if let Some(folder) = intake {
        // Queued behind the ledger's verification; the review opens when it is read.
        app.update(action::Action::OpenIntake(folder.to_path_buf()));
    }
    // After the action above, which clears the status line, so that this one stays.
    if let Some(bytes) = session.opened().repaired_bytes {
        app.notify(format!(
            "the ledger's torn last line ({bytes} bytes) was cut and the repair recorded"
        ));
    }
    let mut worker = worker::Worker::new(session, global.hardening);

    let mut guard = TerminalGuard::init()
        .map_err(|error| Error::Refused(format!("cannot set up the terminal: {error}")))?;
    let outcome = event_loop(&mut guard.terminal, &mut app, &mut worker);
    drop(guard);
    outcome.map_err(|error| Error::Refused(format!("terminal error: {error}")))?;
    Ok(ExitCode::SUCCESS)
}

/// Restores the terminal when dropped: on a normal return, an error or an unwinding
/// panic (the panic hook of `ratatui::init` covers an aborting one).
struct TerminalGuard {
    terminal: ratatui::DefaultTerminal,
}

impl TerminalGuard {
    fn init() -> std::io::Result<Self> {
        Ok(Self {
            terminal: ratatui::try_init()?,
        })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut app::App,
    worker: &mut worker::Worker,
) -> std::io::Result<()> {
    let mut dirty = true;
    let size = terminal.size()?;
    app.update(action::Action::Resize {
        width: size.width,
        height: size.height,
    });
    loop {
        for job in app.take_jobs() {
            worker.submit(job);
        }
        for action in worker.poll() {
            app.update(action);
            dirty = true;
        }
        if app.should_quit() {
            return Ok(());
        }
        if dirty {
            terminal.draw(|frame| view::draw(frame, app))?;
            dirty = false;
        }
        if !event::poll(POLL)? {
            continue;
        }
        match event::read()? {
            Event::Key(key) if key.kind == KeyEventKind::Press => {
                if let Some(action) = keymap::resolve(app.mode(), key) {
                    app.update(action);
                }
                dirty = true;
            }
            Event::Resize(width, height) => {
                app.update(action::Action::Resize { width, height });
                dirty = true;
            }
            _ => {}
        }
    }
}

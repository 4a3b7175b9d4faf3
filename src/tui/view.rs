//! The view: draws the whole frame from the app's state, never changing it. Tabs on top,
//! the current screen, a status line (notice, work in flight with its gauge) and the help
//! bar generated from the keymap; then every modal layer, bottom to top.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::action::ScreenId;
use super::app::{App, Layer, Work};
use super::keymap;
use super::screens;
use super::text;
use super::theme::Theme;
use super::widgets::gauge::Gauge;

/// Draws everything.
pub fn draw(frame: &mut Frame, app: &App) {
    let [tabs, body, status, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_tabs(frame, tabs, app);
    match app.screen() {
        ScreenId::Dashboard => screens::dashboard::draw(frame, body, app),
        ScreenId::Review => screens::review::draw(frame, body, app),
        ScreenId::Inventory => screens::inventory::draw(frame, body, app),
        ScreenId::Ledger => screens::ledger::draw(frame, body, app),
        ScreenId::Rotation => screens::rotation::draw(frame, body, app),
        ScreenId::Ceremony => screens::ceremony::draw(frame, body, app.theme),
    }
    draw_status(frame, status, app);
    draw_help_bar(frame, help, app);
    for layer in &app.layers {
        match layer {
            Layer::Help(pager) | Layer::Pager(pager) => pager.render(frame, app.theme),
            Layer::Error(dialog) => dialog.render(frame, app.theme),
            Layer::Confirm(dialog, _) => dialog.render(frame, app.theme),
            Layer::Passphrase(prompt, _) => prompt.render(frame, app.theme),
            Layer::Path(input, _) => input.render(frame, app.theme),
            Layer::Prompt(prompt, _) => prompt.render(frame, app.theme),
            Layer::Choice(choice, _) => choice.render(frame, app.theme),
        }
    }
}

fn draw_tabs(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let mut spans = Vec::new();
    for (number, screen) in (1..).zip(ScreenId::ALL) {
        let label = format!("{number} {}", screen.title());
        if screen == app.screen() {
            spans.push(Span::styled(format!("[{label}]"), theme.selected()));
        } else {
            spans.push(Span::raw(format!(" {label} ")));
        }
    }
    frame.render_widget(Line::from(spans), area);
}

fn draw_status(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let work_width = if app.work.is_some() {
        40.min(area.width / 2)
    } else {
        0
    };
    let [left, right] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(work_width)]).areas(area);
    let message = app.notice.clone().unwrap_or_default();
    frame.render_widget(
        Line::styled(text::cut(&message, usize::from(left.width)), theme.warn()),
        left,
    );
    match &app.work {
        Some(Work::Batch { label, done, total }) => frame.render_widget(
            Gauge {
                label,
                done: *done,
                total: *total,
                theme,
            },
            right,
        ),
        Some(work) => frame.render_widget(
            Line::styled(
                format!(
                    "… {}",
                    text::cut(&work.describe(), usize::from(right.width) - 2)
                ),
                theme.warn(),
            ),
            right,
        ),
        None => {}
    }
}

fn draw_help_bar(frame: &mut Frame, area: Rect, app: &App) {
    let (own, always) = keymap::bar(app.mode());
    let width = usize::from(area.width);
    let reserved: usize = always
        .iter()
        .map(|(key, description)| text::width(key) + text::width(description) + 3)
        .sum();
    let mut spans = bar_spans(&own, width.saturating_sub(reserved), app.theme);
    spans.extend(bar_spans(&always, reserved, app.theme));
    frame.render_widget(Line::from(spans), area);
}

/// `key description` pairs that fit in `width` columns, whole pairs only.
fn bar_spans(entries: &[(String, &str)], width: usize, theme: Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (key, description) in entries {
        let cost = text::width(key) + 1 + text::width(description) + 2;
        if used + cost > width + 2 {
            break;
        }
        used += cost;
        spans.push(Span::styled(key.clone(), theme.key()));
        spans.push(Span::raw(format!(" {description}  ")));
    }
    spans
}

#[cfg(test)]
mod screenshots;

#[cfg(test)]
mod tests {
    //! Whole-screen snapshots of every screen and dialog at 80x24 and 120x40, from the
    //! fixed model and clock. The snapshots hold the text; colour is checked separately.

    use std::path::PathBuf;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::buffer::Buffer;
    use ratatui::style::Color;

    use super::*;
    use crate::tui::action::{Action, Failure, WorkEvent};
    use crate::tui::fixture::{self, work};

    fn buffer(app: &App, width: u16, height: u16) -> Buffer {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal.draw(|frame| draw(frame, app)).expect("draw");
        terminal.backend().buffer().clone()
    }

    fn text(app: &App, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal.draw(|frame| draw(frame, app)).expect("draw");
        terminal.backend().to_string()
    }

    fn snapshot(name: &str, app: &App) {
        insta::assert_snapshot!(format!("{name}_80x24"), text(app, 80, 24));
        insta::assert_snapshot!(format!("{name}_120x40"), text(app, 120, 40));
    }

    fn type_text(app: &mut App, text: &str) {
        for character in text.chars() {
            app.update(Action::Type(character));
        }
    }

    /// The review with alice approved and bob selected.
    fn review() -> App {
        let mut app = fixture::reviewing(fixture::app());
        app.update(Action::Approve);
        app
    }

    fn confirming() -> App {
        let mut app = fixture::reviewing(fixture::app());
        app.update(Action::Approve);
        app.update(Action::Sign);
        app.update(Action::Submit);
        app
    }

    fn at_passphrase() -> App {
        let mut app = confirming();
        type_text(&mut app, "sign");
        app.update(Action::NextFocus);
        app.update(Action::Submit);
        app
    }

    #[test]
    fn dashboard() {
        snapshot("dashboard", &fixture::app());
    }

    /// An untrusted home at a glance: a swapped ca.crt, entries nobody accepted, an edited
    /// policy file. Each is said on the dashboard, with the key that accepts the entries.
    #[test]
    fn dashboard_of_a_home_that_needs_an_officer() {
        let mut model = fixture::model();
        model.status.cas[0].cert_file = airlock::ops::CaCertFile::Differs;
        model.status.ledger.unvouched_entries = 3;
        model.status.policy_drift = Some(airlock::ops::PolicyDrift {
            recorded_digest: "ab".repeat(32),
            file_digest: Some("cd".repeat(32)),
            differences: vec!["profiles.human.max_days: 90 -> 365".to_owned()],
            file_error: None,
            unrecorded: false,
        });
        let app = fixture::app_with(model, Theme::plain());
        snapshot("dashboard_needs_an_officer", &app);
        let shown = text(&app, 120, 40);
        assert!(shown.contains("ca.crt DIFFERS from the ledger"), "{shown}");
        assert!(shown.contains("3 entries after the last seal"), "{shown}");
        assert!(shown.contains("accepts them (a)"), "{shown}");
        assert!(
            shown.contains("airlock.toml differs from the policy in force"),
            "{shown}"
        );
    }

    #[test]
    fn review_empty() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Review));
        snapshot("review_empty", &app);
    }

    #[test]
    fn review_with_decisions() {
        snapshot("review", &review());
    }

    #[test]
    fn review_rejected_item() {
        let mut app = review();
        app.update(Action::Bottom);
        snapshot("review_rejected", &app);
    }

    #[test]
    fn inventory() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Inventory));
        app.update(Action::Down);
        snapshot("inventory", &app);
    }

    #[test]
    fn inventory_filtered() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Inventory));
        app.update(Action::FilterExpiring);
        type_text(&mut app, "30");
        app.update(Action::Submit);
        snapshot("inventory_expiring", &app);
    }

    #[test]
    fn inventory_filter_prompt() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Inventory));
        app.update(Action::FilterText);
        type_text(&mut app, "ops");
        snapshot("inventory_filter_prompt", &app);
    }

    #[test]
    fn ledger() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Ledger));
        app.update(Action::Down);
        snapshot("ledger", &app);
    }

    #[test]
    fn ledger_broken() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Ledger));
        app.update(Action::VerifyLedger);
        app.update(work(WorkEvent::Verified(Err(Failure {
            what: "the ledger does not verify".to_owned(),
            message: vec![
                "ledger line 4: content was altered: it hashes to 'ab', but records 'cd'"
                    .to_owned(),
            ],
            hint: "keep the home untouched".to_owned(),
            line: Some(4),
        }))));
        snapshot("ledger_broken", &app);
    }

    #[test]
    fn ledger_entry_detail() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Ledger));
        app.update(Action::Down);
        app.update(Action::Detail);
        snapshot("ledger_detail", &app);
    }

    #[test]
    fn inventory_detail() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Inventory));
        app.update(Action::Detail);
        snapshot("inventory_detail", &app);
    }

    #[test]
    fn ceremony_placeholder() {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Ceremony));
        snapshot("ceremony", &app);
    }

    #[test]
    fn help_overlay() {
        let mut app = review();
        app.update(Action::Help);
        snapshot("help", &app);
    }

    #[test]
    fn open_folder_prompt() {
        let mut app = fixture::app();
        app.update(Action::OpenIntakePrompt);
        if let Some(Layer::Path(input, _)) = app.layers.last_mut() {
            input.text = "/media/usb/req".to_owned();
            input.candidates = vec!["requests/".to_owned(), "requests-2/".to_owned()];
        }
        snapshot("open_folder", &app);
    }

    #[test]
    fn output_folder_prompt() {
        let mut app = review();
        app.update(Action::Sign);
        snapshot("output_folder", &app);
    }

    #[test]
    fn sign_confirmation() {
        let mut app = confirming();
        type_text(&mut app, "si");
        snapshot("confirm_sign", &app);
    }

    #[test]
    fn passphrase_prompt() {
        let mut app = at_passphrase();
        type_text(&mut app, "hunter2");
        snapshot("passphrase", &app);
    }

    #[test]
    fn signing_in_progress() {
        let mut app = at_passphrase();
        type_text(&mut app, "hunter2");
        app.update(Action::Submit);
        app.update(work(WorkEvent::Progress { done: 1, total: 2 }));
        snapshot("signing", &app);
    }

    #[test]
    fn signing_summary() {
        let mut app = at_passphrase();
        type_text(&mut app, "hunter2");
        app.update(Action::Submit);
        app.update(work(WorkEvent::Signed(Ok(Box::new(
            fixture::sign_outcome(),
        )))));
        snapshot("summary", &app);
    }

    #[test]
    fn error_dialog() {
        let mut app = at_passphrase();
        type_text(&mut app, "wrong");
        app.update(Action::Submit);
        app.update(work(WorkEvent::Signed(Err(Failure {
            what: "signing failed".to_owned(),
            message: vec!["wrong passphrase for CA 'kubernetes'".to_owned()],
            hint: "nothing was changed; try again with the CA's passphrase".to_owned(),
            line: None,
        }))));
        snapshot("error", &app);
    }

    #[test]
    fn quit_while_busy() {
        let mut app = fixture::app();
        app.update(Action::VerifyLedger);
        app.update(Action::Quit);
        snapshot("quit_busy", &app);
    }

    #[test]
    fn no_color_keeps_meaning_in_symbols() {
        let app = fixture::app_with(fixture::model(), Theme::plain());
        snapshot("no_color_dashboard", &app);
        let mut app = fixture::reviewing(app);
        app.update(Action::Approve);
        app.update(Action::Deny);
        snapshot("no_color_review", &app);
        for (width, height) in [(80, 24), (120, 40)] {
            let drawn = buffer(&app, width, height);
            assert!(
                drawn
                    .content
                    .iter()
                    .all(|cell| cell.fg == Color::Reset && cell.bg == Color::Reset),
                "NO_COLOR draws no colour"
            );
        }
        let plain = text(&app, 80, 24);
        for meaning in ["✔ approved", "⊘ denied", "✘ rejected"] {
            assert!(plain.contains(meaning), "'{meaning}' is spelled out");
        }
        // With colour the words and symbols are the same; colour only repeats them.
        let mut colored = review();
        colored.update(Action::Deny);
        assert_eq!(text(&colored, 80, 24), plain);
        assert!(
            buffer(&colored, 80, 24)
                .content
                .iter()
                .any(|cell| cell.fg != Color::Reset)
        );
    }

    #[test]
    fn hostile_names_render_inert() {
        let hostile = "evil\u{1b}[31mred\u{1b}[0m\u{202e}gpj.exe";
        let mut app = fixture::app_with(fixture::model_with_user(hostile), Theme::colored());
        app.update(Action::OpenIntake(PathBuf::from("/media/usb/requests")));
        let _ = app.take_jobs();
        app.update(work(WorkEvent::Reviewed(Ok(
            fixture::review_report_with_user(hostile),
        ))));
        snapshot("hostile_review", &app);
        let review_text = text(&app, 80, 24);
        app.update(Action::GoTo(ScreenId::Inventory));
        snapshot("hostile_inventory", &app);
        let inventory_text = text(&app, 120, 40);
        for shown in [review_text, inventory_text] {
            assert!(
                !shown.contains('\u{1b}'),
                "no raw escape reaches the terminal"
            );
            assert!(
                !shown.contains('\u{202e}'),
                "no raw bidi override reaches the terminal"
            );
            assert!(
                shown.contains("evil\\u{1b}[31mred"),
                "the escape is shown, inert"
            );
            assert!(
                shown.contains("\\u{202e}gpj"),
                "the override is shown, inert"
            );
        }
    }

    #[test]
    fn the_help_bar_keeps_whole_entries() {
        let entries = vec![("a".to_owned(), "approve"), ("d".to_owned(), "deny")];
        let spans = bar_spans(&entries, 12, Theme::plain());
        let shown: String = spans.iter().map(|span| span.content.as_ref()).collect();
        assert_eq!(shown, "a approve  ");
    }
}

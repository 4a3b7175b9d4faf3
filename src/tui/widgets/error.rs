//! The error dialog: what failed, the error and its causes (inert), and what to do next.
//! Closing it returns to where the officer was; the TUI keeps running.

use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::{Outcome, centered, dialog};
use crate::tui::action::{Action, Failure};
use crate::tui::text;
use crate::tui::theme::{self, Theme};

/// An error dialog.
#[derive(Debug, Clone)]
pub struct ErrorDialog {
    /// What failed.
    pub failure: Failure,
}

impl ErrorDialog {
    /// Handles one action: Enter or Esc closes.
    pub fn handle(action: &Action) -> Outcome<()> {
        match action {
            Action::Submit | Action::Cancel => Outcome::Done(()),
            _ => Outcome::Pending,
        }
    }

    fn lines(&self, theme: Theme) -> Vec<Line<'static>> {
        let mut lines: Vec<Line<'static>> = self
            .failure
            .message
            .iter()
            .map(|line| Line::from(text::shown(line)))
            .collect();
        if let Some(line) = self.failure.line {
            lines.push(Line::from(format!("first bad ledger line: {line}")));
        }
        lines.push(Line::from(""));
        lines.push(Line::styled("What to do:", theme.title()));
        lines.push(Line::from(text::shown(&self.failure.hint)));
        lines.push(Line::from(""));
        lines.push(Line::styled("Enter or Esc: close", theme.dim()));
        lines
    }

    /// Draws the dialog in the middle of the frame.
    pub fn render(&self, frame: &mut Frame, theme: Theme) {
        let lines = self.lines(theme);
        // Long messages wrap: leave room for that (the inside is 74 columns at most).
        let inner_width = usize::from(frame.area().width.min(76))
            .saturating_sub(2)
            .max(1);
        let rows: usize = lines
            .iter()
            .map(|line| line.width().max(1).div_ceil(inner_width))
            .sum();
        let height = u16::try_from(rows + 2).unwrap_or(u16::MAX);
        let area = centered(frame.area(), 76, height);
        let title = Line::from(format!(
            " {} {} ",
            theme::BAD,
            text::shown(&self.failure.what)
        ))
        .style(theme.bad());
        let inner = dialog(frame, area, title, theme);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::widgets::testing::{render, shows};

    #[test]
    fn says_what_failed_and_what_to_do() {
        let dialog = ErrorDialog {
            failure: Failure {
                what: "signing failed".to_owned(),
                message: vec!["wrong passphrase for CA 'k8s'\u{1b}[2J".to_owned()],
                hint: "nothing was changed; try again".to_owned(),
                line: None,
            },
        };
        let buffer = render(80, 24, |frame| dialog.render(frame, Theme::plain()));
        assert!(shows(&buffer, "✘ signing failed"));
        assert!(shows(&buffer, "wrong passphrase for CA 'k8s'\\u{1b}[2J"));
        assert!(shows(&buffer, "What to do:"));
        assert!(shows(&buffer, "nothing was changed; try again"));
        assert!(matches!(ErrorDialog::handle(&Action::Up), Outcome::Pending));
        assert!(matches!(
            ErrorDialog::handle(&Action::Submit),
            Outcome::Done(())
        ));
    }
}

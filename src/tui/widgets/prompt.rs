//! A one-line text prompt (the inventory filters, names, reasons). Enter applies what is
//! typed, Esc leaves things as they were. The field takes a shell's editing keys
//! (`line_edit`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::line_edit::Cursor;
use super::{Outcome, centered, dialog};
use crate::tui::action::Action;
use crate::tui::text;
use crate::tui::theme::{self, Theme};

/// Longest text the prompt takes, in characters.
const MAX_CHARS: usize = 200;

/// A text prompt.
#[derive(Debug, Clone)]
pub struct TextPrompt {
    /// Title.
    pub title: String,
    /// One line of help.
    pub help: String,
    /// What is typed.
    pub text: String,
    /// Whether only digits are taken.
    pub digits_only: bool,
    /// Why the last key did nothing.
    pub warning: Option<String>,
    /// Where the cursor stands in `text`.
    pub cursor: Cursor,
}

impl TextPrompt {
    /// A prompt holding `initial`.
    pub fn new(title: &str, help: &str, initial: String, digits_only: bool) -> Self {
        Self {
            title: title.to_owned(),
            help: help.to_owned(),
            text: initial,
            digits_only,
            warning: None,
            cursor: Cursor::default(),
        }
    }

    /// Handles one action; [`Outcome::Done`] gives the text (possibly empty).
    pub fn handle(&mut self, action: &Action) -> Outcome<String> {
        match action {
            Action::Type(character) if self.digits_only && !character.is_ascii_digit() => {
                self.warning = Some("digits only".to_owned());
            }
            Action::Submit => return Outcome::Done(self.text.clone()),
            Action::Cancel => return Outcome::Cancelled,
            editing => {
                if self.cursor.edit(&mut self.text, editing, MAX_CHARS) {
                    self.warning = None;
                }
            }
        }
        Outcome::Pending
    }

    /// Draws the prompt in the middle of the frame.
    pub fn render(&self, frame: &mut Frame, theme: Theme) {
        // The help takes two rows when it needs them (it wraps).
        let help_rows: u16 = if text::width(&self.help) > 56 { 2 } else { 1 };
        let area = centered(frame.area(), 60, 7 + help_rows - 1);
        let inner = dialog(frame, area, Line::from(format!(" {} ", self.title)), theme);
        let [help, field, warning] = Layout::vertical([
            Constraint::Length(help_rows),
            Constraint::Length(2),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Line::styled(self.help.clone(), theme.dim())).wrap(Wrap { trim: false }),
            help,
        );
        let room = usize::from(field.width).saturating_sub(2);
        frame.render_widget(
            Line::from(vec![
                Span::raw("> "),
                Span::styled(self.cursor.show(&self.text, room), theme.strong()),
            ]),
            field,
        );
        if let Some(message) = &self.warning {
            frame.render_widget(
                Line::styled(format!("{} {message}", theme::WARN), theme.warn()),
                warning,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_only_refuses_letters() {
        let mut prompt = TextPrompt::new("Expiring", "", String::new(), true);
        prompt.handle(&Action::Type('3'));
        prompt.handle(&Action::Type('x'));
        prompt.handle(&Action::Type('0'));
        assert_eq!(prompt.text, "30");
        assert!(prompt.warning.is_none());
        prompt.handle(&Action::Type('x'));
        assert!(prompt.warning.is_some());
        assert!(matches!(prompt.handle(&Action::Submit), Outcome::Done(text) if text == "30"));
    }

    #[test]
    fn erase_and_cancel() {
        let mut prompt = TextPrompt::new("Filter", "", "alice".to_owned(), false);
        prompt.handle(&Action::Erase);
        assert_eq!(prompt.text, "alic");
        assert!(matches!(prompt.handle(&Action::Cancel), Outcome::Cancelled));
    }
}

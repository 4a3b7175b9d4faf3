//! A choice among a few options (how to finish a rotation, what to revoke). The first
//! option is selected when it opens, so the app lists the safe option first; Enter
//! picks the selected one, Esc picks none.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Outcome, centered, dialog};
use crate::tui::action::Action;
use crate::tui::theme::{self, Theme};

/// A choice dialog.
#[derive(Debug, Clone)]
pub struct ChoiceDialog {
    /// Title.
    pub title: String,
    /// What the choice is about (already inert).
    pub body: Vec<Line<'static>>,
    /// The options (already inert), the safe one first.
    pub options: Vec<String>,
    /// The selected option.
    pub selected: usize,
}

impl ChoiceDialog {
    /// A dialog with the first option selected.
    pub fn new(title: &str, body: Vec<Line<'static>>, options: Vec<String>) -> Self {
        Self {
            title: title.to_owned(),
            body,
            options,
            selected: 0,
        }
    }

    /// Handles one action; [`Outcome::Done`] gives the index of the chosen option.
    pub fn handle(&mut self, action: &Action) -> Outcome<usize> {
        let last = self.options.len().saturating_sub(1);
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down | Action::NextFocus => {
                self.selected = if self.selected >= last {
                    if matches!(action, Action::NextFocus) {
                        0
                    } else {
                        last
                    }
                } else {
                    self.selected + 1
                };
            }
            Action::Submit if !self.options.is_empty() => return Outcome::Done(self.selected),
            Action::Cancel => return Outcome::Cancelled,
            _ => {}
        }
        Outcome::Pending
    }

    /// Draws the dialog in the middle of the frame.
    pub fn render(&self, frame: &mut Frame, theme: Theme) {
        let inner_width = usize::from(frame.area().width.min(76))
            .saturating_sub(2)
            .max(1);
        let body_rows: usize = self
            .body
            .iter()
            .map(|line| line.width().max(1).div_ceil(inner_width))
            .sum();
        let options = self.options.len();
        let height = u16::try_from(body_rows + options + 4).unwrap_or(u16::MAX);
        let area = centered(frame.area(), 76, height);
        let inner = dialog(frame, area, Line::from(format!(" {} ", self.title)), theme);
        let [body, list, keys] = Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(u16::try_from(options).unwrap_or(u16::MAX)),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(self.body.clone()).wrap(Wrap { trim: false }),
            body,
        );
        let lines: Vec<Line<'static>> = self
            .options
            .iter()
            .enumerate()
            .map(|(index, option)| {
                if index == self.selected {
                    Line::styled(format!("{} {option}", theme::SELECTED), theme.selected())
                } else {
                    Line::from(format!("  {option}"))
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), list);
        frame.render_widget(
            Line::from(vec![Span::styled(
                "↑/↓: choose · Enter: take it · Esc: cancel",
                theme.dim(),
            )]),
            keys,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::widgets::testing::{render, shows};

    fn choice() -> ChoiceDialog {
        ChoiceDialog::new(
            "Old key",
            vec![Line::from("what to do with it")],
            vec!["Keep it".to_owned(), "Destroy it".to_owned()],
        )
    }

    #[test]
    fn the_first_option_is_taken_by_default() {
        let mut choice = choice();
        assert!(matches!(choice.handle(&Action::Submit), Outcome::Done(0)));
    }

    #[test]
    fn moving_stays_in_the_list_and_tab_wraps() {
        let mut choice = choice();
        choice.handle(&Action::Up);
        assert_eq!(choice.selected, 0);
        choice.handle(&Action::Down);
        choice.handle(&Action::Down);
        assert_eq!(choice.selected, 1);
        choice.handle(&Action::NextFocus);
        assert_eq!(choice.selected, 0);
        choice.handle(&Action::NextFocus);
        assert!(matches!(choice.handle(&Action::Submit), Outcome::Done(1)));
        assert!(matches!(choice.handle(&Action::Cancel), Outcome::Cancelled));
    }

    #[test]
    fn draws_the_selection_with_a_marker() {
        let mut choice = choice();
        choice.handle(&Action::Down);
        let buffer = render(80, 24, |frame| choice.render(frame, Theme::plain()));
        assert!(shows(&buffer, "  Keep it"));
        assert!(shows(&buffer, "› Destroy it"));
        assert!(shows(&buffer, "what to do with it"));
    }
}

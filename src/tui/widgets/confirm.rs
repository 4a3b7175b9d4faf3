//! A confirmation dialog for acts that cannot be taken back. The focus starts on Cancel,
//! so Enter alone never confirms; a dangerous act also needs a phrase typed exactly (or,
//! for a long identifier, a start of it at least so long).
//! The dialog does not hold the pending act: the app keeps it beside the dialog and acts
//! only on [`Outcome::Done`].

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Outcome, centered, dialog};
use crate::tui::action::Action;
use crate::tui::theme::Theme;

/// Which button has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// Close without acting (the default).
    Cancel,
    /// Act.
    Confirm,
}

/// The longest phrase the field takes.
const MAX_TYPED: usize = 100;

/// A confirmation dialog.
#[derive(Debug)]
pub struct ConfirmDialog {
    /// Title.
    pub title: String,
    /// What will happen, one line each (already inert).
    pub body: Vec<Line<'static>>,
    /// The label of the confirming button, e.g. `Sign`.
    pub confirm_label: String,
    /// The phrase to type before the confirming button works, if any.
    pub phrase: Option<String>,
    /// What has been typed.
    pub typed: String,
    /// The focused button.
    pub focus: Focus,
    /// Why the last Enter did nothing.
    pub warning: Option<String>,
    /// When set, a start of the phrase at least this many characters long confirms.
    pub min_prefix: Option<usize>,
}

impl ConfirmDialog {
    /// A dialog; `phrase` must be typed before `confirm_label` works.
    pub fn new(
        title: &str,
        body: Vec<Line<'static>>,
        confirm_label: &str,
        phrase: Option<&str>,
    ) -> Self {
        Self {
            title: title.to_owned(),
            body,
            confirm_label: confirm_label.to_owned(),
            phrase: phrase.map(str::to_owned),
            typed: String::new(),
            focus: Focus::Cancel,
            warning: None,
            min_prefix: None,
        }
    }

    /// The same dialog, confirmed by typing a start of the phrase at least `min`
    /// characters long (an id prefix, say).
    #[must_use]
    pub fn prefix_of(mut self, min: usize) -> Self {
        self.min_prefix = Some(min);
        self
    }

    /// What the field asks to be typed.
    fn asked(&self) -> String {
        let phrase = self.phrase.as_deref().unwrap_or_default();
        match self.min_prefix {
            Some(min) => {
                let start: String = phrase.chars().take(min).collect();
                format!("at least '{start}' of '{phrase}'")
            }
            None => format!("'{phrase}'"),
        }
    }

    /// Whether the phrase (if any) has been typed exactly.
    pub fn phrase_matches(&self) -> bool {
        self.phrase
            .as_deref()
            .is_none_or(|phrase| match self.min_prefix {
                Some(min) => {
                    self.typed.chars().count() >= min
                        && phrase
                            .to_lowercase()
                            .starts_with(&self.typed.to_lowercase())
                }
                None => phrase == self.typed,
            })
    }

    /// Handles one action.
    pub fn handle(&mut self, action: &Action) -> Outcome<()> {
        match action {
            Action::Type(character) if self.phrase.is_some() => {
                if self.typed.chars().count() < MAX_TYPED {
                    self.typed.push(*character);
                }
                self.warning = None;
            }
            Action::Erase => {
                self.typed.pop();
                self.warning = None;
            }
            Action::NextFocus => {
                self.focus = match self.focus {
                    Focus::Cancel => Focus::Confirm,
                    Focus::Confirm => Focus::Cancel,
                };
            }
            Action::Cancel => return Outcome::Cancelled,
            Action::Submit => match self.focus {
                Focus::Cancel => return Outcome::Cancelled,
                Focus::Confirm if self.phrase_matches() => return Outcome::Done(()),
                Focus::Confirm => {
                    self.warning = Some(format!("type {} exactly first", self.asked()));
                }
            },
            _ => {}
        }
        Outcome::Pending
    }

    /// Draws the dialog in the middle of the frame.
    pub fn render(&self, frame: &mut Frame, theme: Theme) {
        // Long lines wrap: leave room for that (the inside is 74 columns at most).
        let inner_width = usize::from(frame.area().width.min(76))
            .saturating_sub(2)
            .max(1);
        let rows: usize = self
            .body
            .iter()
            .map(|line| line.width().max(1).div_ceil(inner_width))
            .sum();
        let height = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(7);
        let area = centered(frame.area(), 76, height);
        let inner = dialog(frame, area, Line::from(format!(" {} ", self.title)), theme);
        let [body, field, warning, buttons] = Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(self.body.clone()).wrap(Wrap { trim: false }),
            body,
        );
        if self.phrase.is_some() {
            let mark = if self.phrase_matches() {
                Span::styled(format!(" {}", crate::tui::theme::OK), theme.ok())
            } else {
                Span::raw("")
            };
            frame.render_widget(
                Line::from(vec![
                    Span::raw(format!("Type {} to confirm: ", self.asked())),
                    Span::styled(
                        format!("{}▏", crate::tui::text::shown(&self.typed)),
                        theme.strong(),
                    ),
                    mark,
                ]),
                field,
            );
        }
        if let Some(text) = &self.warning {
            frame.render_widget(
                Line::styled(format!("{} {text}", crate::tui::theme::WARN), theme.warn()),
                warning,
            );
        }
        let button = |label: &str, focused: bool| {
            if focused {
                Span::styled(format!("» {label} «"), theme.selected())
            } else {
                Span::raw(format!("  {label}  "))
            }
        };
        let mut spans = vec![
            button("Cancel", self.focus == Focus::Cancel),
            Span::raw("   "),
            button(&self.confirm_label, self.focus == Focus::Confirm),
        ];
        // The keys, when they fit beside the buttons (the help bar names them anyway).
        let keys = Span::styled("   Tab: switch · Enter: press · Esc: cancel", theme.dim());
        let used: usize = spans.iter().map(Span::width).sum();
        if used + keys.width() <= usize::from(buttons.width) {
            spans.push(keys);
        }
        frame.render_widget(Line::from(spans), buttons);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::widgets::testing::{render, shows};

    fn dialog() -> ConfirmDialog {
        ConfirmDialog::new("Sign?", vec![Line::from("two items")], "Sign", Some("sign"))
    }

    #[test]
    fn enter_alone_cancels() {
        let mut dialog = dialog();
        assert_eq!(dialog.focus, Focus::Cancel);
        assert!(matches!(dialog.handle(&Action::Submit), Outcome::Cancelled));
    }

    #[test]
    fn confirming_needs_the_phrase_and_the_focus() {
        let mut dialog = dialog();
        dialog.handle(&Action::NextFocus);
        assert!(matches!(dialog.handle(&Action::Submit), Outcome::Pending));
        assert!(dialog.warning.is_some());
        for character in "sigm".chars() {
            dialog.handle(&Action::Type(character));
        }
        assert!(matches!(dialog.handle(&Action::Submit), Outcome::Pending));
        dialog.handle(&Action::Erase);
        dialog.handle(&Action::Type('n'));
        assert!(matches!(dialog.handle(&Action::Submit), Outcome::Done(())));
    }

    #[test]
    fn escape_cancels_even_with_the_phrase_typed() {
        let mut dialog = dialog();
        for character in "sign".chars() {
            dialog.handle(&Action::Type(character));
        }
        dialog.handle(&Action::NextFocus);
        assert!(matches!(dialog.handle(&Action::Cancel), Outcome::Cancelled));
    }

    /// Issue 10, item 17: an id is confirmed by a start of it, 8 characters at least.
    #[test]
    fn a_prefix_of_at_least_the_minimum_confirms() {
        let mut dialog =
            ConfirmDialog::new("Destroy?", Vec::new(), "Destroy", Some("3f9a1c0d5e7b"))
                .prefix_of(8);
        dialog.handle(&Action::NextFocus);
        for character in "3f9a1c0".chars() {
            dialog.handle(&Action::Type(character));
        }
        assert!(!dialog.phrase_matches(), "7 characters are not enough");
        assert!(matches!(dialog.handle(&Action::Submit), Outcome::Pending));
        dialog.handle(&Action::Type('x'));
        assert!(!dialog.phrase_matches(), "not a start of the id");
        dialog.handle(&Action::Erase);
        dialog.handle(&Action::Type('D'));
        assert!(dialog.phrase_matches(), "hex in either case");
        dialog.handle(&Action::Type('5'));
        assert!(dialog.phrase_matches(), "more than the minimum");
        let buffer = render(80, 24, |frame| dialog.render(frame, Theme::plain()));
        assert!(shows(
            &buffer,
            "Type at least '3f9a1c0d' of '3f9a1c0d5e7b' to confirm: "
        ));
        assert!(matches!(dialog.handle(&Action::Submit), Outcome::Done(())));
    }

    #[test]
    fn draws_the_focus_on_cancel() {
        let dialog = dialog();
        let buffer = render(80, 24, |frame| dialog.render(frame, Theme::plain()));
        assert!(shows(&buffer, "» Cancel «"));
        assert!(shows(&buffer, "  Sign  "));
        assert!(shows(&buffer, "Type 'sign' to confirm: "));
        assert!(shows(&buffer, "two items"));
    }
}

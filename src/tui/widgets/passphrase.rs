//! The masked passphrase prompt. What is typed lives only in a [`Passphrase`] (zeroized
//! when dropped) and is drawn as one `•` per character; it is never put in an action, a
//! notice or a `Debug` output. Each keystroke builds the next secret in a buffer of the
//! exact size, so no reallocation leaves a copy behind.

use age::secrecy::ExposeSecret as _;
use airlock::secret::Passphrase;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Outcome, centered, dialog};
use crate::tui::action::Action;
use crate::tui::theme::{self, Theme};

/// Longest passphrase the prompt takes, in characters.
const MAX_CHARS: usize = 1024;
/// Most mask characters drawn.
const MAX_MASK: usize = 40;

/// A masked passphrase prompt.
pub struct PassphrasePrompt {
    /// What the passphrase is for (already inert), e.g. `CA 'kubernetes'`.
    pub label: String,
    /// What this unlocks, shown under the field.
    pub purpose: String,
    secret: Passphrase,
    chars: usize,
    /// Why the last Enter did nothing.
    pub warning: Option<String>,
}

impl std::fmt::Debug for PassphrasePrompt {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PassphrasePrompt")
            .field("label", &self.label)
            .field("chars", &self.chars)
            .finish_non_exhaustive()
    }
}

impl PassphrasePrompt {
    /// An empty prompt.
    pub fn new(label: String, purpose: String) -> Self {
        Self {
            label,
            purpose,
            secret: Passphrase::from(String::new()),
            chars: 0,
            warning: None,
        }
    }

    /// Characters typed.
    pub fn len(&self) -> usize {
        self.chars
    }

    fn replace(&mut self, next: String) {
        // `next` has exactly its length as capacity: into_boxed_str does not copy it.
        self.secret = Passphrase::from(next);
    }

    /// Handles one action; [`Outcome::Done`] hands the passphrase over.
    pub fn handle(&mut self, action: &Action) -> Outcome<Passphrase> {
        match action {
            &Action::Type(character) if self.chars < MAX_CHARS => {
                let old = self.secret.expose_secret();
                let mut next = String::with_capacity(old.len() + character.len_utf8());
                next.push_str(old);
                next.push(character);
                self.replace(next);
                self.chars += 1;
                self.warning = None;
            }
            Action::Erase => {
                let old = self.secret.expose_secret();
                if let Some((index, _)) = old.char_indices().last() {
                    let mut next = String::with_capacity(index);
                    next.push_str(&old[..index]);
                    self.replace(next);
                    self.chars -= 1;
                }
            }
            Action::Submit if self.chars == 0 => {
                self.warning = Some("type the passphrase first (Esc cancels)".to_owned());
            }
            Action::Submit => {
                let secret = std::mem::replace(&mut self.secret, Passphrase::from(String::new()));
                self.chars = 0;
                return Outcome::Done(secret);
            }
            Action::Cancel => return Outcome::Cancelled,
            _ => {}
        }
        Outcome::Pending
    }

    /// Draws the prompt in the middle of the frame.
    pub fn render(&self, frame: &mut Frame, theme: Theme) {
        let area = centered(frame.area(), 70, 8);
        let inner = dialog(frame, area, Line::from(" Passphrase "), theme);
        let [label, field, purpose, warning] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(2),
            Constraint::Length(2),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(Line::from(format!("Passphrase for {}:", self.label)), label);
        let mask = "•".repeat(self.len().min(MAX_MASK));
        frame.render_widget(
            Line::from(vec![
                Span::raw("> "),
                Span::styled(format!("{mask}▏"), theme.strong()),
            ]),
            field,
        );
        frame.render_widget(
            Paragraph::new(Line::styled(self.purpose.clone(), theme.dim()))
                .wrap(ratatui::widgets::Wrap { trim: false }),
            purpose,
        );
        if let Some(text) = &self.warning {
            frame.render_widget(
                Line::styled(format!("{} {text}", theme::WARN), theme.warn()),
                warning,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::widgets::testing::{render, shows};

    #[test]
    fn typed_text_is_masked_and_handed_over() {
        let mut prompt = PassphrasePrompt::new("CA 'k8s'".to_owned(), "signs 2".to_owned());
        for character in "sé¢ret".chars() {
            prompt.handle(&Action::Type(character));
        }
        prompt.handle(&Action::Erase);
        prompt.handle(&Action::Type('t'));
        assert_eq!(prompt.len(), 6);
        let buffer = render(80, 24, |frame| prompt.render(frame, Theme::plain()));
        assert!(shows(&buffer, "> ••••••▏"));
        assert!(!shows(&buffer, "sé"));
        assert!(!format!("{prompt:?}").contains("sé"));
        let Outcome::Done(secret) = prompt.handle(&Action::Submit) else {
            panic!("submit hands the passphrase over");
        };
        assert_eq!(secret.expose_secret(), "sé¢ret");
        assert_eq!(prompt.len(), 0);
    }

    #[test]
    fn empty_submit_warns_and_escape_cancels() {
        let mut prompt = PassphrasePrompt::new("CA 'k8s'".to_owned(), String::new());
        assert!(matches!(prompt.handle(&Action::Submit), Outcome::Pending));
        assert!(prompt.warning.is_some());
        prompt.handle(&Action::Erase);
        assert_eq!(prompt.len(), 0);
        assert!(matches!(prompt.handle(&Action::Cancel), Outcome::Cancelled));
    }
}

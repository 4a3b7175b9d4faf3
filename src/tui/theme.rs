//! Colours and symbols. Meaning is always carried by a symbol or a word (✔, ✘, ⊘,
//! "expired"); colour only repeats it, and with `NO_COLOR` there is none. Modifiers
//! (bold, reversed) are not colour and stay.

use ratatui::style::{Color, Modifier, Style};

/// Accepted, approved, verified, in order.
pub const OK: &str = "✔";
/// Rejected, failed, broken.
pub const BAD: &str = "✘";
/// Denied by the officer.
pub const DENIED: &str = "⊘";
/// Not decided yet.
pub const UNDECIDED: &str = "?";
/// Needs attention.
pub const WARN: &str = "!";
/// The current step of a sequence (the rotation phase).
pub const CURRENT: &str = "●";
/// A step still to come.
pub const TO_COME: &str = "○";
/// Marks the selected row, so that selection does not depend on reverse video alone.
pub const SELECTED: &str = "›";

/// The style set, with or without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to a non-empty value.
    pub fn from_env() -> Self {
        if std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()) {
            Self::colored()
        } else {
            Self::plain()
        }
    }

    /// With colour.
    pub const fn colored() -> Self {
        Self { color: true }
    }

    /// Without colour (`NO_COLOR`).
    pub const fn plain() -> Self {
        Self { color: false }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// Good news.
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    /// Bad news.
    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Needs attention.
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }

    /// Secondary text.
    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    /// Titles and labels.
    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Key names in the help bar.
    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// The selected row, the current tab, the focused button.
    #[allow(clippy::unused_self, reason = "every style is asked of the theme")]
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Text that must stand out (the batch digest).
    #[allow(clippy::unused_self, reason = "every style is asked of the theme")]
    pub fn strong(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
}

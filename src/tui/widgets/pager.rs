//! A scrollable text dialog over most of the screen: an item's or an entry's whole
//! detail, the signing summary, the help overlay. Long lines wrap; the title says where
//! in the text the view is.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::{Outcome, dialog};
use crate::tui::action::Action;
use crate::tui::text;
use crate::tui::theme::Theme;

/// Lines moved by a page key.
const PAGE: usize = 10;

/// A pager.
#[derive(Debug, Clone)]
pub struct Pager {
    /// Title (already inert).
    pub title: String,
    /// The text (already inert).
    pub lines: Vec<Line<'static>>,
    /// First line shown.
    pub scroll: usize,
}

impl Pager {
    /// A pager at the top of `lines`.
    pub fn new(title: &str, lines: Vec<Line<'static>>) -> Self {
        Self {
            title: title.to_owned(),
            lines,
            scroll: 0,
        }
    }

    /// Handles one action: scrolling, or closing on Enter and Esc.
    pub fn handle(&mut self, action: &Action) -> Outcome<()> {
        let last = self.lines.len().saturating_sub(1);
        match action {
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll = (self.scroll + 1).min(last),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(PAGE),
            Action::PageDown => self.scroll = (self.scroll + PAGE).min(last),
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll = last,
            Action::Submit | Action::Cancel | Action::Help => return Outcome::Done(()),
            _ => {}
        }
        Outcome::Pending
    }

    /// Rows the text takes when wrapped to `width`.
    fn wrapped_height(&self, width: usize) -> usize {
        self.lines
            .iter()
            .map(|line| line.width().max(1).div_ceil(width.max(1)))
            .sum()
    }

    /// Draws the pager over the whole frame but its last row (the help bar).
    pub fn render(&self, frame: &mut Frame, theme: Theme) {
        let full = frame.area();
        let area = Rect {
            height: full.height.saturating_sub(1),
            ..full
        };
        let inner_width = usize::from(area.width.saturating_sub(2));
        let visible = usize::from(area.height.saturating_sub(2));
        let total = self.wrapped_height(inner_width);
        let scroll = self.scroll.min(total.saturating_sub(visible));
        let position = if total > visible {
            let more = if scroll + visible < total { " ↓" } else { "" };
            format!(" — {}-{} of {total}{more}", scroll + 1, scroll + visible)
        } else {
            String::new()
        };
        let title = Line::from(format!(
            " {}{position} · Esc: close ",
            text::cut(&self.title, 40)
        ));
        let inner = dialog(frame, area, title, theme);
        frame.render_widget(
            Paragraph::new(self.lines.clone())
                .wrap(Wrap { trim: false })
                .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
            inner,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::widgets::testing::{render, shows};

    fn numbered(count: usize) -> Pager {
        Pager::new(
            "Entry 7",
            (1..=count)
                .map(|n| Line::from(format!("line {n}")))
                .collect(),
        )
    }

    #[test]
    fn scrolls_within_the_text() {
        let mut pager = numbered(50);
        pager.handle(&Action::PageDown);
        pager.handle(&Action::Down);
        assert_eq!(pager.scroll, 11);
        pager.handle(&Action::Bottom);
        assert_eq!(pager.scroll, 49);
        pager.handle(&Action::Top);
        pager.handle(&Action::Up);
        assert_eq!(pager.scroll, 0);
        assert!(matches!(pager.handle(&Action::Cancel), Outcome::Done(())));
    }

    #[test]
    fn shows_where_the_view_is() {
        let mut pager = numbered(50);
        pager.handle(&Action::Bottom);
        let buffer = render(80, 24, |frame| pager.render(frame, Theme::plain()));
        // Scrolled past the end, the view stops at the last page.
        assert!(shows(&buffer, "Entry 7 — 30-50 of 50 · Esc: close"));
        assert!(shows(&buffer, "line 50"));
        assert!(!shows(&buffer, "line 29 "));
    }
}

//! One module per screen: its state (if it has any), what it does with the actions the
//! app routes to it, and how it draws. Shared here: list windows and labelled lines.

pub mod ceremony;
pub mod dashboard;
pub mod inventory;
pub mod ledger;
pub mod review;
pub mod rotation;

use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use super::action::Action;
use super::theme::Theme;

/// Rows a page key moves.
pub const PAGE: usize = 10;

/// The selection after a movement action in a list of `len` rows.
pub fn moved(selected: usize, len: usize, action: &Action) -> usize {
    let last = len.saturating_sub(1);
    let next = match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => selected + 1,
        Action::PageUp => selected.saturating_sub(PAGE),
        Action::PageDown => selected + PAGE,
        Action::Top => 0,
        Action::Bottom => last,
        _ => selected,
    };
    next.min(last)
}

/// The first row to draw so that `selected` is visible in `height` rows.
pub fn window_start(selected: usize, height: usize) -> usize {
    if height == 0 || selected < height {
        0
    } else {
        selected + 1 - height
    }
}

/// A section: a top border carrying the title (no side borders: they cost two columns
/// that an 80-column terminal needs).
pub fn section(title: String, theme: Theme) -> Block<'static> {
    Block::new()
        .borders(Borders::TOP)
        .title(Line::from(title).style(theme.title()))
}

/// `label     value`, the label padded to `width` columns.
pub fn labelled(
    label: &str,
    value: impl Into<String>,
    width: usize,
    theme: Theme,
) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<width$} "), theme.dim()),
        Span::raw(value.into()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movement_stays_in_the_list() {
        assert_eq!(moved(0, 5, &Action::Up), 0);
        assert_eq!(moved(4, 5, &Action::Down), 4);
        assert_eq!(moved(1, 50, &Action::PageDown), 11);
        assert_eq!(moved(3, 50, &Action::PageUp), 0);
        assert_eq!(moved(3, 50, &Action::Bottom), 49);
        assert_eq!(moved(3, 0, &Action::Down), 0);
    }

    #[test]
    fn the_window_follows_the_selection() {
        assert_eq!(window_start(3, 5), 0);
        assert_eq!(window_start(5, 5), 1);
        assert_eq!(window_start(40, 5), 36);
        assert_eq!(window_start(2, 0), 0);
    }
}

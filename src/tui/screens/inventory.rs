//! Inventory: every certificate the ledger says was issued, filtered by text and by
//! "expiring within N days", with the selected certificate's detail. Renewal and
//! revocation arrive with their operations and will act on [`InventoryState::selected`].

use airlock::state::CertIssued;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use time::{Duration, OffsetDateTime};

use super::{labelled, section, window_start};
use crate::tui::app::App;
use crate::tui::text;
use crate::tui::theme::{self, Theme};

/// The inventory's filters and selection.
#[derive(Debug, Default, Clone)]
pub struct InventoryState {
    /// Case-insensitive text to find in user, groups, serial, CA or input.
    pub text: String,
    /// Only unexpired certificates ending within this many days.
    pub expiring_within: Option<u32>,
    /// Selected row of the filtered list.
    pub selected: usize,
}

impl InventoryState {
    /// The certificates the filters let through, in issuance order.
    pub fn rows<'a>(&self, issued: &'a [CertIssued], now: OffsetDateTime) -> Vec<&'a CertIssued> {
        let needle = self.text.to_lowercase();
        issued
            .iter()
            .filter(|cert| {
                needle.is_empty()
                    || [&cert.user, &cert.serial, &cert.ca, &cert.input]
                        .into_iter()
                        .chain(&cert.groups)
                        .any(|field| field.to_lowercase().contains(&needle))
            })
            .filter(|cert| {
                self.expiring_within.is_none_or(|days| {
                    let end = cert.not_after_time();
                    end > now && end <= now + Duration::days(i64::from(days))
                })
            })
            .collect()
    }

    /// The filters in words.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.text.is_empty() {
            parts.push(format!("text '{}'", text::shown(&self.text)));
        }
        if let Some(days) = self.expiring_within {
            parts.push(format!("expiring within {days} days"));
        }
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// Whole days from `now` to the end of `cert`, and how that reads.
fn days_left(cert: &CertIssued, now: OffsetDateTime, theme: Theme) -> Span<'static> {
    let days = (cert.not_after_time() - now).whole_days();
    if cert.not_after_time() <= now {
        Span::styled(format!("{} expired", theme::BAD), theme.bad())
    } else if days <= airlock::ops::EXPIRING_SOON_DAYS {
        Span::styled(format!("{} {days}d", theme::WARN), theme.warn())
    } else {
        Span::raw(format!("{days}d"))
    }
}

/// A certificate's whole detail.
pub fn detail(cert: &CertIssued, now: OffsetDateTime, theme: Theme) -> Vec<Line<'static>> {
    let width = 11;
    let groups = if cert.groups.is_empty() {
        "(none)".to_owned()
    } else {
        cert.groups
            .iter()
            .map(|group| text::shown(group))
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        labelled("serial", text::shown(&cert.serial), width, theme),
        labelled("user", text::shown(&cert.user), width, theme),
        labelled("groups", groups, width, theme),
        Line::from(vec![
            Span::styled(format!("{:<width$} ", "valid"), theme.dim()),
            Span::raw(format!(
                "{} to {}  ",
                text::shown(&cert.not_before),
                text::shown(&cert.not_after)
            )),
            days_left(cert, now, theme),
        ]),
        labelled("CA", text::shown(&cert.ca), width, theme),
        labelled("profile", text::shown(&cert.profile), width, theme),
        labelled(
            "from",
            format!(
                "{} → {}.crt",
                text::shown(&cert.input),
                text::shown(&cert.output)
            ),
            width,
            theme,
        ),
        labelled("batch", text::shown(&cert.batch), width, theme),
        labelled("key sha256", text::shown(&cert.key_sha256), width, theme),
        labelled(
            "credential",
            text::shown(&cert.credential_id()),
            width,
            theme,
        ),
        labelled(
            "certificate",
            format!("PEM, {} bytes (in the ledger)", cert.cert.len()),
            width,
            theme,
        ),
    ]
}

/// Draws the inventory.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let state = &app.inventory;
    let rows = state.rows(&app.model.issued, app.now);
    let [filters, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(4)]).areas(area);
    frame.render_widget(
        Line::from(vec![
            Span::styled("Filters ", theme.dim()),
            Span::raw(text::cut(&state.describe(), 50)),
            Span::styled(
                format!("  · {} of {} shown", rows.len(), app.model.issued.len()),
                theme.dim(),
            ),
        ]),
        filters,
    );
    // The list over the detail at every size: the detail's hashes need the width.
    let [list_area, detail_area] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(rest);
    let block = section(" Issued certificates ".to_owned(), theme);
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    if rows.is_empty() {
        let message = if app.model.issued.is_empty() {
            "No certificate issued yet: review and sign a folder (2)."
        } else {
            "No certificate matches the filters (c clears them)."
        };
        frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: false }), inner);
    } else {
        draw_table(frame, inner, app, &rows);
    }
    let selected = rows.get(state.selected.min(rows.len().saturating_sub(1)));
    let lines = selected.map_or_else(Vec::new, |cert| detail(cert, app.now, theme));
    let visible = usize::from(detail_area.height.saturating_sub(1));
    let title = if lines.len() > visible {
        " Detail (more: Enter) "
    } else {
        " Detail "
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(section(title.to_owned(), theme))
            .wrap(Wrap { trim: false }),
        detail_area,
    );
}

fn draw_table(frame: &mut Frame, area: Rect, app: &App, rows: &[&CertIssued]) {
    let theme = app.theme;
    let width = usize::from(area.width);
    let user_width = (width / 5).clamp(8, 24);
    let groups_width = (width / 5).clamp(8, 30);
    let header = Line::styled(
        format!(
            "  {:<9} {:<user_width$} {:<groups_width$} {:<8} {:<10} {}",
            "serial", "user", "groups", "CA", "not after", "left"
        ),
        theme.dim(),
    );
    let height = usize::from(area.height.saturating_sub(1));
    let selected = app.inventory.selected.min(rows.len().saturating_sub(1));
    let start = window_start(selected, height);
    let mut lines = vec![header];
    for (index, cert) in rows.iter().enumerate().skip(start).take(height) {
        let marker = if index == selected {
            theme::SELECTED
        } else {
            " "
        };
        let groups = cert
            .groups
            .iter()
            .map(|group| text::shown(group))
            .collect::<Vec<_>>()
            .join(",");
        let mut line = Line::from(vec![
            Span::raw(format!(
                "{marker} {:<9} {:<user_width$} {:<groups_width$} {:<8} {:<10} ",
                text::fit(&cert.serial, 9),
                text::fit(&cert.user, user_width),
                text::cut(&groups, groups_width),
                text::fit(&cert.ca, 8),
                text::fit(cert.not_after.get(..10).unwrap_or(&cert.not_after), 10),
            )),
            days_left(cert, app.now, theme),
        ]);
        if index == selected {
            line = line.style(theme.selected());
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture;

    #[test]
    fn filters_by_text_and_by_expiry() {
        let model = fixture::model();
        let now = fixture::now();
        let mut state = InventoryState::default();
        assert_eq!(state.rows(&model.issued, now).len(), model.issued.len());
        state.text = "OPS".to_owned();
        let rows = state.rows(&model.issued, now);
        assert!(!rows.is_empty());
        assert!(
            rows.iter()
                .all(|cert| cert.groups.iter().any(|group| group == "ops"))
        );
        state.text.clear();
        state.expiring_within = Some(30);
        let rows = state.rows(&model.issued, now);
        assert_eq!(rows.len(), 1, "one certificate ends within 30 days");
        assert!(rows[0].not_after_time() > now);
        assert_eq!(state.describe(), "expiring within 30 days");
    }
}

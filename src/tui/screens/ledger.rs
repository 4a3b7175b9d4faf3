//! Ledger: the entries, one line each, the whole of one on Enter (its payload pretty
//! printed, certificates shown by size instead of as PEM), and the verification result
//! with the first bad line when there is one. Every ledger string is drawn inert.

use airlock::ledger::{Entry, Verification};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::Value;

use super::{labelled, section, window_start};
use crate::tui::action::Failure;
use crate::tui::app::App;
use crate::tui::text;
use crate::tui::theme::{self, Theme};

/// The last verification of the ledger.
#[derive(Debug, Clone)]
pub enum LedgerCheck {
    /// Not verified in this session yet.
    Unchecked,
    /// Verifying on the worker.
    Running,
    /// Every line, link and seal verified.
    Intact(Verification),
    /// Verification failed.
    Broken(Failure),
}

impl LedgerCheck {
    /// One line saying where verification stands.
    pub fn line(&self, theme: Theme) -> Line<'static> {
        match self {
            Self::Unchecked => Line::from("not verified yet (v verifies)"),
            Self::Running => Line::styled("verifying …", theme.warn()),
            Self::Intact(verification) => Line::styled(
                format!(
                    "{} verified: {}, {}, head {}",
                    theme::OK,
                    text::count64(verification.entries, "entry"),
                    text::count64(verification.seals, "seal"),
                    text::fit(&verification.head, 16)
                ),
                theme.ok(),
            ),
            Self::Broken(failure) => {
                let line = failure
                    .line
                    .map_or_else(String::new, |line| format!(" at line {line}"));
                Line::styled(
                    format!(
                        "{} BROKEN{line}: {}",
                        theme::BAD,
                        failure.message.first().map_or("", String::as_str)
                    ),
                    theme.bad(),
                )
            }
        }
    }
}

/// The ledger screen's selection.
#[derive(Debug, Default, Clone)]
pub struct LedgerState {
    /// Selected entry (index, not seq).
    pub selected: usize,
}

/// A one-line, inert summary of a payload: its short fields, no certificates.
pub fn summary(payload: &Value) -> String {
    let payload = without_pem(payload);
    let Some(object) = payload.as_object() else {
        return String::new();
    };
    object
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "cert" | "signature" | "cut_start"))
        .filter_map(|(key, value)| {
            let shown = match value {
                Value::String(text) => text.clone(),
                Value::Array(items) => items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map_or_else(|| item.to_string(), str::to_owned)
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            (shown.len() <= 80).then(|| format!("{key}={}", text::shown(&shown)))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The payload with every PEM block replaced by its kind and size.
fn without_pem(value: &Value) -> Value {
    match value {
        Value::String(text) if text.trim_start().starts_with("-----BEGIN ") => {
            let kind = if text.contains("CERTIFICATE-----") {
                "certificate"
            } else {
                "PEM block"
            };
            Value::String(format!("{kind} ({} bytes)", text.len()))
        }
        Value::Array(items) => Value::Array(items.iter().map(without_pem).collect()),
        Value::Object(object) => Value::Object(
            object
                .iter()
                .map(|(key, value)| (key.clone(), without_pem(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// An entry's whole detail.
pub fn detail(entry: &Entry, theme: Theme) -> Vec<Line<'static>> {
    let width = 7;
    let mut lines = vec![
        labelled("seq", entry.seq.to_string(), width, theme),
        labelled("time", text::shown(&entry.time), width, theme),
        labelled("kind", text::shown(&entry.kind), width, theme),
        labelled("prev", text::shown(&entry.prev), width, theme),
        labelled("hash", text::shown(&entry.hash), width, theme),
        Line::styled("payload", theme.dim()),
    ];
    let pretty = serde_json::to_string_pretty(&without_pem(&entry.payload))
        .unwrap_or_else(|error| format!("(cannot show the payload: {error})"));
    lines.extend(pretty.lines().map(|line| Line::from(text::shown(line))));
    lines
}

/// Draws the ledger screen.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let entries = &app.model.entries;
    let [status, list_area] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(area);
    let ledger = &app.model.status.ledger;
    let seals = match ledger.last_seal_line {
        Some(line) => format!(
            "{}, the last at line {line}, {} after it",
            text::count64(ledger.seals, "seal"),
            text::count64(ledger.unsealed_entries, "entry")
        ),
        None => "no seal yet".to_owned(),
    };
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled("Ledger ", theme.dim()),
                Span::raw(format!("{} entries · {seals}", entries.len())),
            ]),
            app.ledger_check.line(theme),
        ])
        .wrap(ratatui::widgets::Wrap { trim: false }),
        status,
    );
    let block = section(
        format!(
            " Entries {}-{} · Enter: detail ",
            entries.first().map_or(0, |e| e.seq),
            entries.last().map_or(0, |e| e.seq)
        ),
        theme,
    );
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    let height = usize::from(inner.height.saturating_sub(1));
    let selected = app.ledger.selected.min(entries.len().saturating_sub(1));
    let start = window_start(selected, height);
    let width = usize::from(inner.width);
    let mut lines = vec![Line::styled(
        format!("  {:>5}  {:<20} {:<15} summary", "seq", "time", "kind"),
        theme.dim(),
    )];
    for (index, entry) in entries.iter().enumerate().skip(start).take(height) {
        let marker = if index == selected {
            theme::SELECTED
        } else {
            " "
        };
        let row = format!(
            "{marker} {:>5}  {:<20} {:<15} {}",
            entry.seq,
            text::fit(&entry.time, 20),
            text::fit(&entry.kind, 15),
            summary(&entry.payload)
        );
        let mut line = Line::from(text::cut(&row, width));
        if index == selected {
            line = line.style(theme.selected());
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_are_shown_by_size() {
        let payload = serde_json::json!({
            "user": "alice",
            "cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "nested": ["-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----"],
        });
        let shown = without_pem(&payload);
        assert_eq!(shown["cert"], "certificate (59 bytes)");
        assert_eq!(shown["nested"][0], "PEM block (53 bytes)");
        assert_eq!(summary(&payload), "nested=PEM block (53 bytes) user=alice");
    }

    #[test]
    fn summaries_are_inert() {
        let payload = serde_json::json!({ "user": "evil\u{1b}[31m\u{202e}" });
        let shown = summary(&payload);
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{202e}'));
    }
}

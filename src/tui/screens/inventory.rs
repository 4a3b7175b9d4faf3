//! Inventory: every certificate the ledger says was issued, with its state as `ops::list`
//! computes it (active, expired, revoked, untrusted), filtered by text, by "expiring
//! within N days", to the revoked ones and by CA; the selected certificate's detail.
//!
//! Renewal and revocation act on the selected row; the plans below are what the app
//! carries through its dialogs to the worker. Nothing here acts.

use std::path::PathBuf;

use airlock::revocation_reason::RevocationReason;
use airlock::state::CertIssued;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use time::{Duration, OffsetDateTime};

use super::{labelled, section, window_start};
use crate::tui::app::App;
use crate::tui::model::{AppModel, Cert};
use crate::tui::text;
use crate::tui::theme::{self, Theme};

/// The inventory's filters and selection.
#[derive(Debug, Default, Clone)]
pub struct InventoryState {
    /// Case-insensitive text to find in user, groups, serial, CA or input.
    pub text: String,
    /// Only active certificates ending within this many days.
    pub expiring_within: Option<u32>,
    /// Only revoked certificates.
    pub revoked_only: bool,
    /// Only certificates issued by this CA (id).
    pub ca: Option<String>,
    /// Selected row of the filtered list.
    pub selected: usize,
}

impl InventoryState {
    /// The certificates the filters let through, in issuance order.
    pub fn rows<'a>(&self, certs: &'a [Cert], now: OffsetDateTime) -> Vec<&'a Cert> {
        let needle = self.text.to_lowercase();
        certs
            .iter()
            .filter(|cert| {
                let issued = &cert.issued;
                needle.is_empty()
                    || [&issued.user, &issued.serial, &issued.ca, &issued.input]
                        .into_iter()
                        .chain(&issued.groups)
                        .any(|field| field.to_lowercase().contains(&needle))
            })
            .filter(|cert| {
                // As `airlock list --expiring-within`: active ones only.
                self.expiring_within.is_none_or(|days| {
                    let end = cert.issued.not_after_time();
                    cert.state == "active"
                        && end > now
                        && end <= now + Duration::days(i64::from(days))
                })
            })
            .filter(|cert| !self.revoked_only || cert.revoked.is_some())
            .filter(|cert| self.ca.as_deref().is_none_or(|ca| cert.issued.ca == ca))
            .collect()
    }

    /// The selected certificate, if any row is shown.
    pub fn selection<'a>(&self, model: &'a AppModel, now: OffsetDateTime) -> Option<&'a Cert> {
        let rows = self.rows(&model.certs, now);
        rows.get(self.selected.min(rows.len().saturating_sub(1)))
            .copied()
    }

    /// The next CA filter: none, then each CA of the home in turn, then none again.
    pub fn next_ca(&self, model: &AppModel) -> Option<String> {
        let ids: Vec<&str> = model
            .status
            .cas
            .iter()
            .map(|ca| ca.info.id.as_str())
            .collect();
        match &self.ca {
            None => ids.first().map(|id| (*id).to_owned()),
            Some(current) => ids
                .iter()
                .position(|id| id == current)
                .and_then(|index| ids.get(index + 1))
                .map(|id| (*id).to_owned()),
        }
    }

    /// The filters in words.
    pub fn describe(&self, model: &AppModel) -> String {
        let mut parts = Vec::new();
        if !self.text.is_empty() {
            parts.push(format!("text '{}'", text::shown(&self.text)));
        }
        if let Some(days) = self.expiring_within {
            parts.push(format!("expiring within {days} days"));
        }
        if self.revoked_only {
            parts.push("revoked".to_owned());
        }
        if let Some(ca) = &self.ca {
            parts.push(format!("CA '{}'", ca_label(model, ca)));
        }
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// A CA id as the officer knows it: its common name (inert), or the id.
pub fn ca_label(model: &AppModel, id: &str) -> String {
    model
        .status
        .cas
        .iter()
        .find(|ca| ca.info.id == id)
        .map_or_else(|| text::shown(id), |ca| text::shown(&ca.info.common_name))
}

/// What renewing one certificate will do, carried from the output folder to the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewPlan {
    /// The serial to renew.
    pub serial: String,
    /// Its user (typed to confirm).
    pub user: String,
    /// The output folder.
    pub out: PathBuf,
    /// The CA that signs the renewal (common name, for the prompts).
    pub ca: String,
}

/// What revoking will do, carried from the reason prompt to the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokePlan {
    /// Whether every active certificate of the user goes, or only the selected one.
    pub whole_user: bool,
    /// The selected certificate's serial.
    pub serial: String,
    /// Its user (typed to confirm).
    pub user: String,
    /// The serials that will be revoked, as the model sees it now.
    pub serials: Vec<String>,
    /// Why: the RFC 5280 code and the officer's free text (kept in the ledger).
    pub reason: RevocationReason,
    /// An RBAC snapshot file, if one was given.
    pub rbac: Option<PathBuf>,
    /// The issuing CA of the selected certificate (common name, for the prompts).
    pub ca: String,
    /// Its id (the passphrase prompt names it by role and id).
    pub issuer: String,
}

/// What exporting a kubeconfig will write, carried from the server prompt to the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeconfigPlan {
    /// The certificate to put in it.
    pub serial: String,
    /// Its user (for the file name and the summary).
    pub user: String,
    /// The API server URL.
    pub server: String,
    /// The CA of the API server's serving certificate, if a file is given.
    pub cluster_ca: Option<PathBuf>,
    /// Where the kubeconfig is written (never over an existing file).
    pub out: PathBuf,
    /// Whether the certificate's CA was generated by airlock: then it did not sign the
    /// API server's serving certificate, and the cluster CA file is needed.
    pub ca_generated: bool,
}

/// How a state reads: symbol and word, the style repeating it.
pub fn state_span(state: &str, theme: Theme) -> Span<'static> {
    let (symbol, style): (&str, Style) = match state {
        "active" => (theme::OK, theme.ok()),
        "revoked" => (theme::DENIED, theme.bad()),
        "expired" => (theme::BAD, theme.dim()),
        _ => (theme::WARN, theme.warn()),
    };
    Span::styled(format!("{symbol} {state:<9}"), style)
}

/// Whole days from `now` to the end of `cert`, and how that reads.
fn days_left(cert: &CertIssued, now: OffsetDateTime, theme: Theme) -> Span<'static> {
    let days = (cert.not_after_time() - now).whole_days();
    if cert.not_after_time() <= now {
        Span::styled("ended", theme.dim())
    } else if days <= airlock::ops::EXPIRING_SOON_DAYS {
        Span::styled(format!("{} {days}d", theme::WARN), theme.warn())
    } else {
        Span::raw(format!("{days}d"))
    }
}

/// A certificate's whole detail.
pub fn detail(
    cert: &Cert,
    model: &AppModel,
    now: OffsetDateTime,
    theme: Theme,
) -> Vec<Line<'static>> {
    let width = 11;
    let issued = &cert.issued;
    let groups = if issued.groups.is_empty() {
        "(none)".to_owned()
    } else {
        issued
            .groups
            .iter()
            .map(|group| text::shown(group))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{:<width$} ", "state"), theme.dim()),
            state_span(cert.state, theme),
        ]),
        labelled("serial", text::shown(&issued.serial), width, theme),
        labelled("user", text::shown(&issued.user), width, theme),
        labelled("groups", groups, width, theme),
        Line::from(vec![
            Span::styled(format!("{:<width$} ", "valid"), theme.dim()),
            Span::raw(format!(
                "{} to {}  ",
                text::shown(&issued.not_before),
                text::shown(&issued.not_after)
            )),
            days_left(issued, now, theme),
        ]),
        labelled(
            "CA",
            format!(
                "{} ({})",
                ca_label(model, &issued.ca),
                text::shown(&issued.ca)
            ),
            width,
            theme,
        ),
    ];
    if let Some(revoked) = &cert.revoked {
        lines.push(labelled(
            "revoked",
            match revoked.code.as_deref() {
                // A code alone is recorded with the code as its text: shown once.
                Some(code) if code != revoked.reason => format!(
                    "{}: {}: {}",
                    text::shown(&revoked.time),
                    text::shown(code),
                    text::shown(&revoked.reason)
                ),
                _ => format!(
                    "{}: {}",
                    text::shown(&revoked.time),
                    text::shown(&revoked.reason)
                ),
            },
            width,
            theme,
        ));
    }
    if let Some(old) = &issued.reissue_of {
        lines.push(labelled(
            "reissue of",
            format!("serial {} (rotation twin)", text::shown(old)),
            width,
            theme,
        ));
    }
    lines.extend([
        labelled("profile", text::shown(&issued.profile), width, theme),
        labelled(
            "from",
            format!(
                "{} → {}.crt",
                text::shown(&issued.input),
                text::shown(&issued.output)
            ),
            width,
            theme,
        ),
        labelled("batch", text::shown(&issued.batch), width, theme),
        labelled("key sha256", text::shown(&issued.key_sha256), width, theme),
        labelled(
            "credential",
            text::shown(&issued.credential_id()),
            width,
            theme,
        ),
        labelled(
            "certificate",
            format!("PEM, {} bytes (in the ledger)", issued.cert.len()),
            width,
            theme,
        ),
    ]);
    lines
}

/// Draws the inventory.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let state = &app.inventory;
    let rows = state.rows(&app.model.certs, app.now);
    let [filters, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(4)]).areas(area);
    frame.render_widget(
        Line::from(vec![
            Span::styled("Filters ", theme.dim()),
            Span::raw(text::cut(&state.describe(&app.model), 50)),
            Span::styled(
                format!("  · {} of {} shown", rows.len(), app.model.certs.len()),
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
        let message = if app.model.certs.is_empty() {
            "No certificate issued yet: review and sign a folder (2)."
        } else {
            "No certificate matches the filters (c clears them)."
        };
        frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: false }), inner);
    } else {
        draw_table(frame, inner, app, &rows);
    }
    let lines = state
        .selection(&app.model, app.now)
        .map_or_else(Vec::new, |cert| detail(cert, &app.model, app.now, theme));
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

fn draw_table(frame: &mut Frame, area: Rect, app: &App, rows: &[&Cert]) {
    let theme = app.theme;
    let width = usize::from(area.width);
    let user_width = (width / 6).clamp(8, 24);
    let groups_width = (width / 6).clamp(6, 30);
    let header = Line::styled(
        format!(
            "  {:<9} {:<user_width$} {:<groups_width$} {:<11} {:<10} {:<10} {}",
            "serial", "user", "groups", "state", "CA", "not after", "left"
        ),
        theme.dim(),
    );
    let height = usize::from(area.height.saturating_sub(1));
    let selected = app.inventory.selected.min(rows.len().saturating_sub(1));
    let start = window_start(selected, height);
    let mut lines = vec![header];
    for (index, cert) in rows.iter().enumerate().skip(start).take(height) {
        let issued = &cert.issued;
        let marker = if index == selected {
            theme::SELECTED
        } else {
            " "
        };
        let groups = issued
            .groups
            .iter()
            .map(|group| text::shown(group))
            .collect::<Vec<_>>()
            .join(",");
        let mut line = Line::from(vec![
            Span::raw(format!(
                "{marker} {:<9} {:<user_width$} {:<groups_width$} ",
                text::fit(&issued.serial, 9),
                text::fit(&issued.user, user_width),
                text::cut(&groups, groups_width),
            )),
            state_span(cert.state, theme),
            Span::raw(format!(
                " {:<10} {:<10} ",
                text::cut(&ca_label(&app.model, &issued.ca), 10),
                text::fit(issued.not_after.get(..10).unwrap_or(&issued.not_after), 10),
            )),
            days_left(issued, app.now, theme),
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
        assert_eq!(state.rows(&model.certs, now).len(), model.certs.len());
        state.text = "OPS".to_owned();
        let rows = state.rows(&model.certs, now);
        assert!(!rows.is_empty());
        assert!(
            rows.iter()
                .all(|cert| cert.issued.groups.iter().any(|group| group == "ops"))
        );
        state.text.clear();
        state.expiring_within = Some(30);
        let rows = state.rows(&model.certs, now);
        assert_eq!(rows.len(), 1, "one certificate ends within 30 days");
        assert!(rows[0].issued.not_after_time() > now);
        assert_eq!(state.describe(&model), "expiring within 30 days");
        // The revoked one ends within 90 days but is not active.
        state.expiring_within = Some(90);
        assert!(
            state
                .rows(&model.certs, now)
                .iter()
                .all(|cert| cert.state == "active")
        );
    }

    #[test]
    fn filters_revoked_and_by_ca() {
        let model = fixture::model();
        let now = fixture::now();
        let mut state = InventoryState {
            revoked_only: true,
            ..InventoryState::default()
        };
        let rows = state.rows(&model.certs, now);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].issued.user, "dave");
        assert_eq!(rows[0].state, "revoked");
        state.revoked_only = false;
        state.ca = state.next_ca(&model);
        assert_eq!(state.ca.as_deref(), Some(fixture::OLD_CA));
        assert_eq!(state.rows(&model.certs, now).len(), 4);
        assert_eq!(state.describe(&model), "CA 'kubernetes'");
        assert_eq!(state.next_ca(&model), None, "one CA: back to all");
        state.ca = Some("another".to_owned());
        assert!(state.rows(&model.certs, now).is_empty());
    }

    #[test]
    fn states_read_without_colour() {
        let plain = Theme::plain();
        for (state, shown) in [
            ("active", "✔ active"),
            ("revoked", "⊘ revoked"),
            ("expired", "✘ expired"),
            ("untrusted", "! untrusted"),
        ] {
            assert!(state_span(state, plain).content.starts_with(shown));
        }
    }
}

//! Dashboard: the home at a glance. Each CA (subject, algorithm, fingerprint, days left,
//! role), the rotation phase, certificate counts (revoked included), the ledger and its
//! verification, the process hardening.

use airlock::ops::{CaStatus, EXPIRING_SOON_DAYS};
use airlock::state::CaRole;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::labelled;
use crate::tui::app::App;
use crate::tui::text;
use crate::tui::theme::{self, Theme};

fn heading(title: &str, theme: Theme) -> Line<'static> {
    Line::styled(format!("── {title} "), theme.title())
}

fn yes_no(done: bool, yes: &str, no: &str, theme: Theme) -> Span<'static> {
    if done {
        Span::styled(format!("{} {yes}", theme::OK), theme.ok())
    } else {
        Span::styled(format!("{} {no}", theme::BAD), theme.bad())
    }
}

fn ca_lines(ca: &CaStatus, theme: Theme) -> Vec<Line<'static>> {
    let role = match ca.role {
        CaRole::Active => Span::styled(format!("{} active ", theme::OK), theme.ok()),
        CaRole::Incoming => Span::styled(format!("{} incoming ", theme::OK), theme.ok()),
        // Superseded, retired, and whatever roles rotation adds: not signing.
        other => Span::styled(
            format!("– {} ", format!("{other:?}").to_lowercase()),
            theme.dim(),
        ),
    };
    let left = if ca.days_left < 0 {
        Span::styled(format!("{} EXPIRED", theme::BAD), theme.bad())
    } else if ca.days_left <= EXPIRING_SOON_DAYS {
        Span::styled(
            format!("{} {} days left", theme::WARN, ca.days_left),
            theme.warn(),
        )
    } else {
        Span::raw(format!("{} days left", ca.days_left))
    };
    let width = 12;
    vec![
        Line::from(vec![
            role,
            Span::styled(text::shown(&ca.info.common_name), theme.strong()),
            Span::styled(
                format!(
                    "  {} · {} · id {}",
                    ca.info.key,
                    text::shown(&ca.origin),
                    text::shown(&ca.info.id)
                ),
                theme.dim(),
            ),
        ]),
        labelled("  subject", text::shown(&ca.info.subject), width, theme),
        labelled("  sha256", text::shown(&ca.info.fingerprint), width, theme),
        match ca.cert_file {
            airlock::ops::CaCertFile::Matches => {
                labelled("  ca.crt", "matches the ledger".to_owned(), width, theme)
            }
            other => Line::styled(
                format!(
                    "{} ca.crt {other}: do not distribute it; nothing is signed with this CA",
                    theme::BAD
                ),
                theme.bad(),
            ),
        },
        Line::from(vec![
            Span::styled(format!("{:<width$} ", "  valid"), theme.dim()),
            Span::raw(format!(
                "{} to {}, ",
                text::day(ca.info.not_before),
                text::day(ca.info.not_after)
            )),
            left,
        ]),
    ]
}

/// The dashboard's lines.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let theme = app.theme;
    let status = &app.model.status;
    let mut lines = vec![Line::from(vec![
        Span::styled("CA home ", theme.dim()),
        Span::raw(text::path(&app.model.home)),
    ])];
    let phase = airlock::rotation::phase_name(status.phase);
    lines.push(heading(
        &format!("Certificate authorities · rotation phase {phase}"),
        theme,
    ));
    if status.cas.is_empty() {
        lines.push(Line::styled(
            format!(
                "{} no CA yet: run 'airlock init --cn NAME' or 'airlock import' first",
                theme::WARN
            ),
            theme.warn(),
        ));
    }
    for ca in &status.cas {
        lines.extend(ca_lines(ca, theme));
    }
    lines.push(heading("Certificates", theme));
    let soon = if status.expiring_soon > 0 {
        Span::styled(
            format!(
                "{} {} expiring within {EXPIRING_SOON_DAYS} days",
                theme::WARN,
                status.expiring_soon
            ),
            theme.warn(),
        )
    } else {
        Span::raw(format!("none expiring within {EXPIRING_SOON_DAYS} days"))
    };
    let revoked = if status.revoked > 0 {
        Span::styled(
            format!("{} {} revoked", theme::DENIED, status.revoked),
            theme.warn(),
        )
    } else {
        Span::raw("none revoked")
    };
    lines.push(Line::from(vec![
        Span::raw(format!(
            "{} issued · {} unexpired · ",
            status.issued, status.unexpired
        )),
        soon,
        Span::raw(" · "),
        revoked,
    ]));
    lines.push(heading("Ledger", theme));
    let ledger = &status.ledger;
    let seals = match ledger.last_seal_line {
        Some(line) => format!(
            "{} (last at line {line}, {} after it)",
            text::count64(ledger.seals, "seal"),
            text::count64(ledger.unsealed_entries, "entry")
        ),
        None => "no seal yet".to_owned(),
    };
    lines.push(Line::from(format!("{} entries · {seals}", ledger.entries)));
    if let Some(anchor) = &ledger.anchor {
        lines.push(labelled("anchor", text::shown(anchor), 8, theme));
    }
    lines.push(labelled("head", text::shown(&ledger.head), 8, theme));
    lines.push(Line::styled(
        "compare anchor and head with the record kept outside the home",
        theme.dim(),
    ));
    if ledger.unvouched_entries > 0 {
        lines.push(Line::styled(
            format!(
                "{} {} after the last seal not written by airlock here: nothing is signed until an officer reads them (Ledger screen) and accepts them ({})",
                theme::BAD,
                text::count64(ledger.unvouched_entries, "entry"),
                crate::tui::keymap::key_for(
                    crate::tui::keymap::Mode::Dashboard,
                    &crate::tui::action::Action::AcceptUnsealed
                )
                .unwrap_or_default()
            ),
            theme.bad(),
        ));
    }
    if let Some(drift) = &status.policy_drift {
        let what = if drift.file_error.is_some() {
            "airlock.toml cannot be read".to_owned()
        } else {
            format!(
                "airlock.toml differs from the policy in force ({})",
                text::count(drift.differences.len(), "change")
            )
        };
        lines.push(Line::styled(
            format!(
                "{} {what}: the recorded policy is used until accepted (airlock policy accept)",
                theme::WARN
            ),
            theme.warn(),
        ));
    }
    lines.push(app.ledger_check.line(theme));
    lines.push(heading("Host", theme));
    lines.push(Line::from(vec![
        yes_no(
            app.model.hardening.core_dumps_disabled,
            "core dumps disabled",
            "core dumps NOT disabled",
            theme,
        ),
        Span::raw(" · "),
        yes_no(
            app.model.hardening.not_dumpable,
            "not dumpable",
            "dumpable",
            theme,
        ),
    ]));
    lines.push(Line::styled(
        "o: review a folder · 3: inventory · 4: ledger · 5: rotation · ?: every key",
        theme.dim(),
    ));
    lines
}

/// Draws the dashboard.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    frame.render_widget(Paragraph::new(lines(app)).wrap(Wrap { trim: false }), area);
}

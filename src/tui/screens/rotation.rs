//! Rotation: where the dual-CA rotation stands and what comes next. The phase timeline
//! (the current phase marked by a symbol, not by colour alone), the keys of the steps
//! legal now and what each does, the old CA's certificates and how many have a twin,
//! the bundle for `--client-ca-file`, both CAs, and the deployment checklist
//! (`rotation::checklist`; Enter shows all of it).
//!
//! Nothing here acts: the plans below are what the app carries through its dialogs to the
//! worker. The screen scrolls when it does not fit.

use airlock::ca::{CaAlgorithm, CaInfo};
use airlock::ops::RotationStatus;
use airlock::rotation::{self, ChecklistItem};
use airlock::state::Phase;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::tui::app::App;
use crate::tui::model::AppModel;
use crate::tui::text;
use crate::tui::theme::{self, Theme};

/// The phrase typed to confirm `begin`.
pub const BEGIN_PHRASE: &str = "begin";
/// The phrase typed to confirm `reissue`.
pub const REISSUE_PHRASE: &str = "reissue";
/// The phrase typed to confirm `finish` (destroying the old key needs its name instead).
pub const FINISH_PHRASE: &str = "finish";
/// The phrase typed to confirm `abort`.
pub const ABORT_PHRASE: &str = "abort";

/// The rotation screen's scroll position.
#[derive(Debug, Default, Clone)]
pub struct RotationState {
    /// First row shown.
    pub scroll: usize,
}

/// What `begin` will do, carried from the name prompt to the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeginPlan {
    /// Common name of the new CA.
    pub common_name: String,
    /// Its key algorithm.
    pub algorithm: CaAlgorithm,
    /// Its lifetime in days.
    pub days: u32,
    /// scrypt work factor protecting its key.
    pub work_factor: u8,
    /// Common name of the active CA (for the prompts).
    pub old_ca: String,
}

/// What `finish` will do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FinishPlan {
    /// Why the finish is forced, if it is (certificates without a twin).
    pub force_reason: Option<String>,
    /// Delete the old CA's encrypted key instead of archiving it.
    pub destroy_old_key: bool,
    /// Common name of the old CA (typed to confirm destroying its key).
    pub old_ca: String,
    /// Active old-CA certificates without a twin, when the plan was made.
    pub unreissued: usize,
}

/// A CA's common name as drawn, or a stand-in.
pub fn ca_name(info: Option<&CaInfo>) -> String {
    info.map_or_else(|| "(none)".to_owned(), |ca| text::shown(&ca.common_name))
}

/// The old and the new CA's names as drawn. A new CA often keeps the old one's common
/// name (the CLI's default): then each is told apart by the start of its id.
pub fn ca_names(status: &RotationStatus) -> (String, String) {
    let old = ca_name(status.old.as_ref());
    let new = ca_name(status.new.as_ref());
    match (&status.old, &status.new) {
        (Some(old_ca), Some(new_ca)) if old_ca.common_name == new_ca.common_name => (
            format!("{old} {}", short_id(old_ca)),
            format!("{new} {}", short_id(new_ca)),
        ),
        _ => (old, new),
    }
}

fn short_id(ca: &CaInfo) -> String {
    format!("(id {})", text::fit(&ca.id, 9))
}

fn heading(title: &str, theme: Theme) -> Line<'static> {
    Line::styled(format!("── {title} "), theme.title())
}

/// The timeline: done steps ✔, the current one ● (and reversed), those to come ○.
fn timeline(phase: Phase, theme: Theme) -> Vec<Line<'static>> {
    let current = match phase {
        Phase::Stable => 0,
        Phase::Overlap => 1,
        Phase::Reissued => 2,
    };
    let names = ["stable", "overlap", "reissued", "stable (new CA)"];
    let steps = ["begin", "reissue", "finish"];
    let mut spans = vec![Span::raw(" ")];
    for (index, name) in names.iter().enumerate() {
        let (symbol, style) = match index.cmp(&current) {
            std::cmp::Ordering::Less => (theme::OK, theme.ok()),
            std::cmp::Ordering::Equal => (theme::CURRENT, theme.selected()),
            std::cmp::Ordering::Greater => (theme::TO_COME, theme.dim()),
        };
        spans.push(Span::styled(format!("{symbol} {name}"), style));
        if let Some(step) = steps.get(index) {
            spans.push(Span::styled(format!(" ─{step}─▶ "), theme.dim()));
        }
    }
    vec![
        Line::from(spans),
        Line::styled(
            "   abort (from overlap only) goes back to stable with the old CA alone",
            theme.dim(),
        ),
    ]
}

/// The keys legal now and what each does.
fn next_lines(model: &AppModel, theme: Theme) -> Vec<Line<'static>> {
    let status = &model.rotation;
    let (old, new) = ca_names(status);
    let key = |key: &str| Span::styled(format!("{key:<2}"), theme.key());
    let mut lines = Vec::new();
    match status.phase {
        Phase::Stable if status.old.is_none() => lines.push(Line::styled(
            format!(
                "{} no CA yet: run 'airlock init --cn NAME' or 'airlock import' first",
                theme::WARN
            ),
            theme.warn(),
        )),
        Phase::Stable => lines.push(Line::from(vec![
            key("b"),
            Span::raw(format!(
                "begin: generate a new CA; the bundle trusts '{old}' and the new one; new certificates are signed by the new CA. Asks the passphrase of '{old}', then a new one for the new CA (twice)."
            )),
        ])),
        Phase::Overlap => {
            lines.push(Line::from(vec![
                key("r"),
                Span::raw(format!(
                    "reissue: sign each active certificate of '{old}' again with '{new}' (same subject and key) into a folder; asks the passphrase of '{new}'. Once every one has its twin the phase is reissued."
                )),
            ]));
            lines.push(Line::from(vec![
                key("x"),
                Span::raw(format!(
                    "abort: retire '{new}'; the bundle goes back to '{old}' alone; asks the passphrase of '{old}'."
                )),
            ]));
            lines.push(Line::from(vec![
                key("f"),
                Span::raw(format!(
                    "finish early: only with a typed reason while {} have no twin.",
                    text::count(status.unreissued.len(), "certificate")
                )),
            ]));
        }
        Phase::Reissued => {
            lines.push(Line::from(vec![
                key("f"),
                Span::raw(format!(
                    "finish: once every client uses its reissued certificate, trust '{new}' alone; '{old}' is retired, its key archived or destroyed; asks the passphrase of '{new}'."
                )),
            ]));
            lines.push(Line::from(vec![
                key("r"),
                Span::raw("reissue again: hands back the twins already signed (into another folder, say)."),
            ]));
        }
    }
    lines
}

fn count_lines(model: &AppModel, theme: Theme) -> Vec<Line<'static>> {
    let status = &model.rotation;
    if status.phase == Phase::Stable {
        return vec![Line::from(format!(
            "{} of the active CA: a rotation reissues each of them.",
            text::count(status.old_active, "active certificate")
        ))];
    }
    let missing = status.unreissued.len();
    let mut line = vec![Span::raw(format!(
        "{} active · {} reissued · ",
        status.old_active, status.reissued
    ))];
    if missing == 0 {
        line.push(Span::styled(
            format!("{} every one has its twin", theme::OK),
            theme.ok(),
        ));
    } else {
        line.push(Span::styled(
            format!("{} {missing} without a twin", theme::WARN),
            theme.warn(),
        ));
    }
    let mut lines = vec![Line::from(line)];
    for serial in status.unreissued.iter().take(3) {
        lines.push(Line::styled(
            format!("  not yet reissued: serial {}", text::fit(serial, 34)),
            theme.dim(),
        ));
    }
    if missing > 3 {
        lines.push(Line::styled(
            format!("  … and {} more", missing - 3),
            theme.dim(),
        ));
    }
    lines
}

fn bundle_lines(model: &AppModel, theme: Theme) -> Vec<Line<'static>> {
    match &model.bundle {
        None => vec![Line::from(
            "none written yet: each rotation step writes one into bundles/ in the home ('airlock bundle --out FILE' writes one now)",
        )],
        Some(bundle) if bundle.current => vec![Line::from(vec![
            Span::styled(format!("{} ", theme::OK), theme.ok()),
            Span::raw(text::path(&bundle.path)),
        ])],
        Some(bundle) => vec![
            Line::from(text::path(&bundle.path)),
            Line::styled(
                format!(
                    "{} it no longer matches the trusted CAs (a CA was renewed since): write a fresh one with 'airlock bundle --out FILE'",
                    theme::WARN
                ),
                theme.warn(),
            ),
        ],
    }
}

fn ca_lines(label: &str, ca: &CaInfo, theme: Theme) -> Vec<Line<'static>> {
    vec![
        Line::from(vec![
            Span::styled(format!("  {label:<7} "), theme.dim()),
            Span::styled(text::shown(&ca.common_name), theme.strong()),
            Span::styled(
                format!(
                    "  {} · id {} · until {}",
                    ca.key,
                    text::shown(&ca.id),
                    text::day(ca.not_after)
                ),
                theme.dim(),
            ),
        ]),
        Line::from(vec![
            Span::styled(format!("  {:<7} ", "sha256"), theme.dim()),
            Span::raw(text::shown(&ca.fingerprint)),
        ]),
    ]
}

/// The checklist for the current phase, with the bundle the officer will carry.
pub fn checklist(model: &AppModel) -> Vec<ChecklistItem> {
    let bundle = model.bundle.as_ref().map_or_else(
        || "the bundle".to_owned(),
        |bundle| bundle.path.display().to_string(),
    );
    rotation::checklist(model.rotation.phase, false, &bundle)
}

/// The whole checklist, for the pager.
pub fn checklist_detail(model: &AppModel, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(format!(
        "Phase {}: deploy the bundle for this phase where it is named below.",
        rotation::phase_name(model.rotation.phase)
    ))];
    lines.extend(numbered(&checklist(model), theme));
    lines
}

/// Checklist items, numbered, each target then its action (inert).
pub fn numbered(items: &[ChecklistItem], theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (number, item) in (1..).zip(items) {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            format!("{number}. {}", text::shown(item.target)),
            theme.title(),
        ));
        lines.push(Line::from(format!(
            "   {}",
            text::shown_whole(&item.action)
        )));
    }
    lines
}

/// The screen's lines.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let theme = app.theme;
    let model = &app.model;
    let status = &model.rotation;
    let mut lines = vec![heading(
        &format!("Rotation phase {}", rotation::phase_name(status.phase)),
        theme,
    )];
    lines.extend(timeline(status.phase, theme));
    lines.push(heading("Next", theme));
    lines.extend(next_lines(model, theme));
    let whose = if status.phase == Phase::Stable {
        "Certificates"
    } else {
        "Certificates of the old CA"
    };
    lines.push(heading(whose, theme));
    lines.extend(count_lines(model, theme));
    lines.push(heading("Client-CA bundle (for --client-ca-file)", theme));
    lines.extend(bundle_lines(model, theme));
    lines.push(heading("Certificate authorities", theme));
    match (&status.old, &status.new) {
        (Some(old), Some(new)) => {
            lines.extend(ca_lines("old", old, theme));
            lines.extend(ca_lines("new", new, theme));
        }
        (Some(active), None) => lines.extend(ca_lines("active", active, theme)),
        _ => lines.push(Line::from("  (none)")),
    }
    lines.push(heading("Deployment checklist (Enter: all of it)", theme));
    for (number, item) in (1..).zip(checklist(model)) {
        lines.push(Line::from(format!(
            "  {number}. {}",
            text::shown(item.target)
        )));
    }
    lines
}

/// Rows `lines` take when wrapped to `width` (an estimate by display width).
pub fn wrapped_rows(lines: &[Line<'_>], width: usize) -> usize {
    lines
        .iter()
        .map(|line| line.width().max(1).div_ceil(width.max(1)))
        .sum()
}

/// Draws the rotation screen.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let lines = lines(app);
    let total = wrapped_rows(&lines, usize::from(area.width));
    let height = usize::from(area.height);
    if total <= height {
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        return;
    }
    // One row says that there is more, and which way.
    let [body, more] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let rows = usize::from(body.height);
    let scroll = app.rotation.scroll.min(total - rows);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        body,
    );
    let hint = match (scroll > 0, scroll + rows < total) {
        (_, true) => "↓ more below (↓/PgDn scrolls)",
        (true, false) => "↑ more above (↑/PgUp scrolls)",
        (false, false) => "",
    };
    frame.render_widget(Line::styled(hint, app.theme.dim()).right_aligned(), more);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture;

    fn shown(lines: &[Line<'_>]) -> String {
        lines
            .iter()
            .map(|line| {
                line.spans
                    .iter()
                    .map(|span| span.content.as_ref())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_timeline_marks_the_current_phase_with_a_symbol() {
        let theme = Theme::plain();
        let stable = shown(&timeline(Phase::Stable, theme));
        assert!(stable.contains("● stable ─begin─▶ ○ overlap"), "{stable}");
        let overlap = shown(&timeline(Phase::Overlap, theme));
        assert!(overlap.contains("✔ stable ─begin─▶ ● overlap ─reissue─▶ ○ reissued"));
        let reissued = shown(&timeline(Phase::Reissued, theme));
        assert!(reissued.contains("✔ overlap ─reissue─▶ ● reissued ─finish─▶ ○ stable (new CA)"));
    }

    #[test]
    fn each_phase_offers_its_legal_steps() {
        let theme = Theme::plain();
        let stable = shown(&next_lines(&fixture::model(), theme));
        assert!(stable.starts_with("b "));
        assert!(!stable.contains("abort"));
        let overlap = shown(&next_lines(&fixture::model_in(Phase::Overlap), theme));
        for step in ["r reissue", "x abort", "f finish early"] {
            assert!(overlap.contains(step), "{overlap}");
        }
        let reissued = shown(&next_lines(&fixture::model_in(Phase::Reissued), theme));
        assert!(reissued.starts_with("f finish"));
        assert!(!reissued.contains("abort"));
    }

    #[test]
    fn cas_of_the_same_name_are_told_apart_by_id() {
        let mut model = fixture::model_in(Phase::Overlap);
        assert_eq!(
            ca_names(&model.rotation),
            ("kubernetes".to_owned(), "kubernetes-2025".to_owned())
        );
        if let Some(new) = &mut model.rotation.new {
            new.common_name = "kubernetes".to_owned();
        }
        let (old, new) = ca_names(&model.rotation);
        assert_eq!(old, "kubernetes (id 3f9a1c0d…)");
        assert_eq!(new, "kubernetes (id 9b8c7d6e…)");
    }

    #[test]
    fn the_checklist_names_the_bundle() {
        let model = fixture::model_in(Phase::Overlap);
        let items = checklist(&model);
        assert!(
            items[0]
                .action
                .contains("000009-overlap-client-ca-bundle.crt")
        );
        assert!(
            items
                .iter()
                .any(|item| item.target.contains("--cluster-signing-cert-file"))
        );
    }
}

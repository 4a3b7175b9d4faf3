//! Rotation: where the dual-CA rotation stands and what comes next. The phase timeline
//! (the current phase marked by a symbol, not by colour alone), the keys of the steps
//! legal now and what each does, the old CA's certificates and how many have a twin,
//! the bundle for `--client-ca-file`, both CAs, and the deployment checklist
//! (`rotation::checklist`; Enter shows all of it).
//!
//! Once a rotation has ended (finished or aborted, and no other begun since) the screen
//! says so in the past tense, and the checklist is the one of the ended rotation.
//!
//! Nothing here acts: the plans below are what the app carries through its dialogs to the
//! worker. The screen scrolls when it does not fit: its lines are wrapped here, so that
//! the app knows exactly how far it scrolls ([`max_scroll`]).

use airlock::ca::{CaAlgorithm, CaInfo};
use airlock::ops::RotationStatus;
use airlock::rotation::{self, ChecklistItem};
use airlock::state::Phase;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::{self, Mode};
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
    /// Common name of the old CA (for the prompts).
    pub old_ca: String,
    /// The old CA's id: a prefix of it (8 hex digits at least) is typed to confirm
    /// destroying its key, since both CAs may share a common name.
    pub old_id: String,
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

/// How the last rotation ended, when it has and no other has begun since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Finished on this day: the new CA alone is trusted.
    Finished(String),
    /// Aborted on this day: back to the old CA alone.
    Aborted(String),
}

/// How the last rotation ended, from the ledger (`None` during one, or before any).
pub fn ended(model: &AppModel) -> Option<Ended> {
    if model.rotation.phase != Phase::Stable {
        return None;
    }
    let entry = model
        .entries
        .iter()
        .rev()
        .find(|entry| entry.kind.starts_with("rotation."))?;
    let day = text::shown(entry.time.get(..10).unwrap_or(&entry.time));
    match entry.kind.as_str() {
        airlock::state::KIND_ROTATION_FINISHED => Some(Ended::Finished(day)),
        airlock::state::KIND_ROTATION_ABORTED => Some(Ended::Aborted(day)),
        _ => None,
    }
}

/// The label of the key bound to `action` on this screen, as the keymap has it.
fn key_label(action: &Action) -> String {
    keymap::key_for(Mode::Rotation, action).unwrap_or_default()
}

/// The user of the certificate with `serial`, as drawn.
fn user_of(model: &AppModel, serial: &str) -> String {
    model
        .certs
        .iter()
        .find(|cert| cert.issued.serial == serial)
        .map_or_else(|| "?".to_owned(), |cert| text::fit(&cert.issued.user, 24))
}

fn heading(title: &str, theme: Theme) -> Line<'static> {
    Line::styled(format!("── {title} "), theme.title())
}

/// The timeline: done steps ✔, the current one ● (and reversed), those to come ○.
fn timeline(phase: Phase, finished: bool, theme: Theme) -> Vec<Line<'static>> {
    let current = match phase {
        Phase::Stable if finished => 3,
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
    let key = |action: &Action| Span::styled(format!("{:<2}", key_label(action)), theme.key());
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
            key(&Action::RotateBegin),
            Span::raw(format!(
                "begin: first asks the new CA's name, then a typed confirmation, the passphrase of '{old}' (it authorizes its successor) and a new passphrase for the new CA, twice. The new CA is generated here; the bundle trusts both; new certificates are signed by the new CA."
            )),
        ])),
        Phase::Overlap => {
            lines.push(Line::from(vec![
                key(&Action::RotateReissue),
                Span::raw(format!(
                    "reissue: sign each active certificate of '{old}' again with '{new}' (same subject and key) into a folder; asks the passphrase of '{new}'. Once every one has its twin the phase is reissued."
                )),
            ]));
            lines.push(Line::from(vec![
                key(&Action::RotateAbort),
                Span::raw(format!(
                    "abort: retire '{new}'; the bundle goes back to '{old}' alone; asks the passphrase of '{old}'."
                )),
            ]));
            lines.push(Line::from(vec![
                key(&Action::RotateFinish),
                Span::raw(format!(
                    "finish early: only with a typed reason while {} have no twin.",
                    text::count(status.unreissued.len(), "certificate")
                )),
            ]));
        }
        Phase::Reissued => {
            lines.push(Line::from(vec![
                key(&Action::RotateFinish),
                Span::raw(format!(
                    "finish: once every client uses its reissued certificate, trust '{new}' alone; '{old}' is retired, its key archived or destroyed; asks the passphrase of '{new}'."
                )),
            ]));
            lines.push(Line::from(vec![
                key(&Action::RotateReissue),
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
            format!(
                "  not yet reissued: serial {} ({})",
                text::fit(serial, 34),
                user_of(model, serial)
            ),
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

/// The checklist for the current phase (or of the rotation that just finished), with
/// the bundle the officer will carry.
pub fn checklist(model: &AppModel) -> Vec<ChecklistItem> {
    let bundle = model.bundle.as_ref().map_or_else(
        || "the bundle".to_owned(),
        |bundle| bundle.path.display().to_string(),
    );
    let finished = matches!(ended(model), Some(Ended::Finished(_)));
    rotation::checklist(model.rotation.phase, finished, &bundle)
}

/// What the checklist is, in words: for the phase now, or in the past tense once a
/// rotation has ended.
fn checklist_intro(model: &AppModel) -> String {
    let (active, _) = ca_names(&model.rotation);
    match ended(model) {
        Some(Ended::Finished(day)) => format!(
            "The rotation finished on {day}: '{active}' alone has been trusted since. Each place below was to get the new-only bundle; check that each did."
        ),
        Some(Ended::Aborted(day)) => format!(
            "The rotation was aborted on {day}: the bundle went back to '{active}' alone. Each place below was to get it again; check that each did."
        ),
        None => format!(
            "Phase {}: deploy the bundle for this phase where it is named below.",
            rotation::phase_name(model.rotation.phase)
        ),
    }
}

/// The whole checklist, for the pager.
pub fn checklist_detail(model: &AppModel, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(checklist_intro(model))];
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

/// The screen's lines, before wrapping.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let theme = app.theme;
    let model = &app.model;
    let status = &model.rotation;
    let ended = ended(model);
    let since = match &ended {
        Some(Ended::Finished(day)) => format!(" · the last rotation finished on {day}"),
        Some(Ended::Aborted(day)) => format!(" · the last rotation was aborted on {day}"),
        None => String::new(),
    };
    let mut lines = vec![heading(
        &format!(
            "Rotation phase {}{since}",
            rotation::phase_name(status.phase)
        ),
        theme,
    )];
    lines.extend(timeline(
        status.phase,
        matches!(ended, Some(Ended::Finished(_))),
        theme,
    ));
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
    let detail = key_label(&Action::Detail);
    let title = if ended.is_some() {
        format!("Deployment checklist of the ended rotation ({detail}: all of it)")
    } else {
        format!("Deployment checklist ({detail}: all of it)")
    };
    lines.push(heading(&title, theme));
    if ended.is_some() {
        lines.push(Line::from(checklist_intro(model)));
    }
    for (number, item) in (1..).zip(checklist(model)) {
        lines.push(Line::from(format!(
            "  {number}. {}",
            text::shown(item.target)
        )));
    }
    lines
}

/// `line` wrapped at word boundaries into rows of at most `width` columns, styles kept
/// (a word longer than a row is cut). Each row is drawn as it is, so the row count is
/// exact.
pub fn wrap(line: &Line<'_>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let cells: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|span| {
            let style = line.style.patch(span.style);
            span.content
                .chars()
                .map(move |character| (character, style))
        })
        .collect();
    let columns = |character: char| text::width(character.encode_utf8(&mut [0; 4]));
    let mut rows: Vec<Vec<(char, Style)>> = Vec::new();
    let mut row: Vec<(char, Style)> = Vec::new();
    let mut used = 0;
    // Where the row may break: just after its last space.
    let mut after_space: Option<usize> = None;
    for (character, style) in cells {
        let needed = columns(character);
        if used + needed > width && !row.is_empty() {
            if character == ' ' {
                rows.push(std::mem::take(&mut row));
                used = 0;
                after_space = None;
                continue;
            }
            let rest = match after_space {
                Some(at) if at < row.len() => row.split_off(at),
                _ => Vec::new(),
            };
            rows.push(std::mem::replace(&mut row, rest));
            used = row.iter().map(|(character, _)| columns(*character)).sum();
            after_space = None;
        }
        row.push((character, style));
        used += needed;
        if character == ' ' {
            after_space = Some(row.len());
        }
    }
    rows.push(row);
    rows.into_iter()
        .map(|row| {
            let mut spans: Vec<Span<'static>> = Vec::new();
            for (character, style) in row {
                match spans.last_mut() {
                    Some(span) if span.style == style => span.content.to_mut().push(character),
                    _ => spans.push(Span::styled(character.to_string(), style)),
                }
            }
            Line::from(spans)
        })
        .collect()
}

/// The screen's rows at `width` columns.
pub fn rows(app: &App, width: usize) -> Vec<Line<'static>> {
    lines(app)
        .iter()
        .flat_map(|line| wrap(line, width))
        .collect()
}

/// The first row shown when scrolled to the end, in an area of `width` x `height` (the
/// last row then says there is more above).
pub fn max_scroll(app: &App, width: u16, height: u16) -> usize {
    let total = rows(app, usize::from(width)).len();
    let height = usize::from(height);
    if total <= height {
        0
    } else {
        total - height.saturating_sub(1).max(1)
    }
}

/// Draws the rotation screen.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let rows = rows(app, usize::from(area.width));
    let total = rows.len();
    let height = usize::from(area.height);
    if total <= height {
        frame.render_widget(Paragraph::new(rows), area);
        return;
    }
    // One row says that there is more, and which way.
    let [body, more] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let shown = usize::from(body.height);
    let scroll = app.rotation.scroll.min(total - shown);
    frame.render_widget(
        Paragraph::new(rows).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        body,
    );
    let hint = match (scroll > 0, scroll + shown < total) {
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
        let stable = shown(&timeline(Phase::Stable, false, theme));
        assert!(stable.contains("● stable ─begin─▶ ○ overlap"), "{stable}");
        let overlap = shown(&timeline(Phase::Overlap, false, theme));
        assert!(overlap.contains("✔ stable ─begin─▶ ● overlap ─reissue─▶ ○ reissued"));
        let reissued = shown(&timeline(Phase::Reissued, false, theme));
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

    /// Issue 10, item 17: the begin step says it first asks the new CA's name; the key
    /// comes from the keymap.
    #[test]
    fn begin_says_it_first_asks_the_new_name() {
        let stable = shown(&next_lines(&fixture::model(), Theme::plain()));
        assert!(
            stable.starts_with("b begin: first asks the new CA's name, then"),
            "{stable}"
        );
    }

    /// Issue 10, item 17: serials in the rotation lists show their user.
    #[test]
    fn unreissued_serials_show_their_user() {
        let model = fixture::model_in(Phase::Overlap);
        let lines = shown(&count_lines(&model, Theme::plain()));
        let alice = &model.certs[0].issued.serial;
        assert!(
            lines.contains(&format!("not yet reissued: serial {alice} (alice)")),
            "{lines}"
        );
        assert!(lines.contains("(bob)"), "{lines}");
    }

    /// Issue 10, item 17: once a rotation has ended, the screen and its checklist speak
    /// in the past tense.
    #[test]
    fn an_ended_rotation_is_spoken_of_in_the_past_tense() {
        let mut model = fixture::model();
        assert_eq!(ended(&model), None);
        let ending = |kind: &str| airlock::ledger::Entry {
            seq: 9,
            time: "2025-05-30T10:00:00Z".to_owned(),
            kind: kind.to_owned(),
            payload: serde_json::json!({}),
            prev: String::new(),
            hash: String::new(),
        };
        model
            .entries
            .push(ending(airlock::state::KIND_ROTATION_FINISHED));
        assert_eq!(
            ended(&model),
            Some(Ended::Finished("2025-05-30".to_owned()))
        );
        let detail = shown(&checklist_detail(&model, Theme::plain()));
        assert!(
            detail.starts_with("The rotation finished on 2025-05-30: 'kubernetes' alone has been trusted since. Each place below was to get the new-only bundle"),
            "{detail}"
        );
        assert!(detail.contains("the new CA alone"), "{detail}");
        let app = fixture::app_with(model.clone(), Theme::plain());
        let screen = shown(&lines(&app));
        assert!(
            screen.contains("Rotation phase stable · the last rotation finished on 2025-05-30")
        );
        assert!(
            screen.contains("✔ reissued ─finish─▶ ● stable (new CA)"),
            "{screen}"
        );
        assert!(screen.contains("Deployment checklist of the ended rotation"));
        model.entries.pop();
        model
            .entries
            .push(ending(airlock::state::KIND_ROTATION_ABORTED));
        let detail = shown(&checklist_detail(&model, Theme::plain()));
        assert!(
            detail.starts_with("The rotation was aborted on 2025-05-30"),
            "{detail}"
        );
        // During a rotation the checklist is for the phase, in the present.
        let overlap = fixture::model_in(Phase::Overlap);
        assert!(
            shown(&checklist_detail(&overlap, Theme::plain())).starts_with("Phase overlap: deploy")
        );
    }

    #[test]
    fn wrapping_keeps_words_and_styles_and_counts_rows_exactly() {
        let line = Line::from(vec![
            Span::raw("alpha beta "),
            Span::styled("gamma", Theme::colored().warn()),
        ]);
        let rows = wrap(&line, 10);
        let text: Vec<String> = rows.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec!["alpha beta", "gamma"],
            "the space at the break is dropped"
        );
        assert_eq!(
            rows[1].spans.last().map(|span| span.style),
            Some(Theme::colored().warn())
        );
        let long: Vec<String> = wrap(&Line::from("x".repeat(25)), 10)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(long, vec!["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
        assert_eq!(wrap(&Line::from(""), 10).len(), 1);
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

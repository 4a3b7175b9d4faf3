//! Review: the items of one intake folder with the policy's verdict and the officer's
//! decision, the selected item's detail (with the RBAC bindings it would match once a
//! snapshot is loaded), and the batch digest in large characters. The header names the
//! CA that will sign by role and id (during a rotation, the incoming one); a row whose
//! user or groups an RBAC binding to cluster-admin or wildcard rules would match is
//! flagged in the list itself.
//!
//! Owns the decisions. A rejected item can never be approved; an accepted item starts
//! undecided and is signed only once approved. Nothing here signs: [`ReviewState::plan`]
//! says what would be signed and the app takes it from there.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use airlock::ops::ReviewReport;
use airlock::policy::{ItemReview, Verdict};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{labelled, section, window_start};
use crate::tui::app::App;
use crate::tui::text;
use crate::tui::theme::{self, Theme};
use crate::tui::widgets::digest::{self, BigDigest};

/// What the officer decided to sign: handed to the worker, which signs exactly the
/// approved CSRs of the folder, and only if its digest is still the one read aloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignPlan {
    /// The reviewed intake folder.
    pub intake: PathBuf,
    /// The output folder.
    pub out: PathBuf,
    /// The digest the officer read aloud.
    pub digest: String,
    /// CSR SHA-256 of every approved item.
    pub approved: BTreeSet<String>,
    /// Approved items (duplicates counted).
    pub approved_items: usize,
    /// The CA that will sign, as the review named it.
    pub ca: Option<String>,
}

/// The officer's decision on an accepted item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Not decided: not signed.
    Undecided,
    /// Will be signed.
    Approved,
    /// Will not be signed.
    Denied,
}

/// Counts for the headings and the confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Accepted by the policy.
    pub accepted: usize,
    /// Rejected by the policy.
    pub rejected: usize,
    /// Approved.
    pub approved: usize,
    /// Denied.
    pub denied: usize,
    /// Accepted, not decided.
    pub undecided: usize,
}

/// The review screen's state.
#[derive(Debug, Default)]
pub struct ReviewState {
    /// The report being reviewed.
    pub report: Option<ReviewReport>,
    /// One decision per item (meaningless for rejected items).
    pub decisions: Vec<Decision>,
    /// The selected item.
    pub selected: usize,
    /// The folder being read, while it is.
    pub loading: Option<PathBuf>,
    /// The output folder, once this batch is signed.
    pub signed: Option<PathBuf>,
    /// The RBAC snapshot whose bindings the report shows, if one is loaded.
    pub rbac: Option<PathBuf>,
    /// The RBAC snapshot of the review being read, while it is.
    pub loading_rbac: Option<PathBuf>,
}

impl ReviewState {
    /// Shows a new report. The same unsigned batch read again (with an RBAC snapshot,
    /// say) keeps its decisions and selection; anything else starts afresh.
    pub fn load(&mut self, report: ReviewReport) {
        let same = self.signed.is_none()
            && self.report.as_ref().is_some_and(|old| {
                old.intake == report.intake
                    && old.digest == report.digest
                    && old.items.len() == report.items.len()
            });
        if !same {
            self.decisions = vec![Decision::Undecided; report.items.len()];
            self.selected = 0;
        }
        self.report = Some(report);
        self.loading = None;
        self.signed = None;
        self.rbac = self.loading_rbac.take();
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.report.as_ref().map_or(0, |report| report.items.len())
    }

    /// The selected item.
    pub fn item(&self) -> Option<&ItemReview> {
        self.report.as_ref()?.items.get(self.selected)
    }

    /// Sets the selected item's decision; refuses for a rejected item or a signed batch.
    fn decide(&mut self, decision: Decision) -> Result<(), String> {
        if self.signed.is_some() {
            return Err(
                "this batch is signed: open the folder again (o) to review it anew".to_owned(),
            );
        }
        let item = self.item().ok_or("no item selected")?;
        if item.verdict == Verdict::Rejected {
            return Err(format!(
                "'{}' is rejected by the policy and can never be approved or signed",
                text::fit(&item.input, 40)
            ));
        }
        self.decisions[self.selected] = decision;
        self.selected = (self.selected + 1).min(self.len().saturating_sub(1));
        Ok(())
    }

    /// Approves the selected item and moves to the next.
    pub fn approve(&mut self) -> Result<(), String> {
        self.decide(Decision::Approved)
    }

    /// Denies the selected item and moves to the next.
    pub fn deny(&mut self) -> Result<(), String> {
        self.decide(Decision::Denied)
    }

    /// Approves every accepted item; returns how many.
    pub fn approve_all(&mut self) -> Result<usize, String> {
        if self.signed.is_some() {
            return Err(
                "this batch is signed: open the folder again (o) to review it anew".to_owned(),
            );
        }
        let report = self
            .report
            .as_ref()
            .ok_or("open an intake folder first (o)")?;
        let mut count = 0;
        for (item, decision) in report.items.iter().zip(self.decisions.iter_mut()) {
            if item.verdict == Verdict::Accepted {
                *decision = Decision::Approved;
                count += 1;
            }
        }
        Ok(count)
    }

    /// The counts.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        let Some(report) = &self.report else {
            return counts;
        };
        for (item, decision) in report.items.iter().zip(&self.decisions) {
            if item.verdict == Verdict::Rejected {
                counts.rejected += 1;
                continue;
            }
            counts.accepted += 1;
            match decision {
                Decision::Approved => counts.approved += 1,
                Decision::Denied => counts.denied += 1,
                Decision::Undecided => counts.undecided += 1,
            }
        }
        counts
    }

    /// What signing into `out` would sign: the approved items, nothing else.
    pub fn plan(&self, out: PathBuf) -> Result<SignPlan, String> {
        let report = self
            .report
            .as_ref()
            .ok_or("open an intake folder first (o)")?;
        let mut approved = BTreeSet::new();
        let mut approved_items = 0;
        for (item, decision) in report.items.iter().zip(&self.decisions) {
            let (Verdict::Accepted, Some(hash)) = (item.verdict, &item.csr_sha256) else {
                continue;
            };
            if *decision == Decision::Approved {
                approved.insert(hash.clone());
                approved_items += 1;
            }
        }
        if approved.is_empty() {
            return Err(
                "approve at least one accepted item first (a, or A for all accepted)".to_owned(),
            );
        }
        Ok(SignPlan {
            intake: report.intake.clone(),
            out,
            digest: report.digest.clone(),
            approved,
            approved_items,
            ca: report.ca.clone(),
        })
    }

    /// How an item's state reads: symbol and word, the style repeating it.
    pub fn mark(&self, index: usize, theme: Theme) -> Span<'static> {
        let Some(report) = &self.report else {
            return Span::raw("");
        };
        if report.items[index].verdict == Verdict::Rejected {
            return Span::styled(format!("{} rejected ", theme::BAD), theme.bad());
        }
        match self.decisions[index] {
            Decision::Approved if self.signed.is_some() => {
                Span::styled(format!("{} signed   ", theme::OK), theme.ok())
            }
            Decision::Approved => Span::styled(format!("{} approved ", theme::OK), theme.ok()),
            Decision::Denied => Span::styled(format!("{} denied   ", theme::DENIED), theme.warn()),
            Decision::Undecided => Span::raw(format!("{} accepted ", theme::UNDECIDED)),
        }
    }

    /// The selected item's detail (all of it; the pane shows what fits).
    pub fn detail(&self, theme: Theme) -> Vec<Line<'static>> {
        let Some(item) = self.item() else {
            return Vec::new();
        };
        let width = 10;
        let none = || "—".to_owned();
        let mut lines = vec![
            Line::from(vec![
                Span::styled(format!("{:<width$} ", "item"), theme.dim()),
                self.mark(self.selected, theme),
                // A rejected item is never written: it has no output name.
                Span::raw(if item.verdict == Verdict::Rejected {
                    format!(" {}", text::shown(&item.input))
                } else {
                    format!(
                        " {} → {}.crt",
                        text::shown(&item.input),
                        text::shown(&item.stem)
                    )
                }),
            ]),
            labelled(
                "user",
                item.user.as_deref().map_or_else(none, text::shown),
                width,
                theme,
            ),
            labelled(
                "groups",
                if item.groups.is_empty() {
                    "(none)".to_owned()
                } else {
                    item.groups
                        .iter()
                        .map(|group| text::shown(group))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                width,
                theme,
            ),
            labelled(
                "uid",
                item.uid
                    .as_deref()
                    .map_or_else(none, |uid| format!("{} (not carried)", text::shown(uid))),
                width,
                theme,
            ),
            labelled(
                "key",
                item.key.as_deref().map_or_else(none, text::shown),
                width,
                theme,
            ),
            labelled(
                "key sha256",
                item.key_sha256.as_deref().map_or_else(none, text::shown),
                width,
                theme,
            ),
        ];
        if item.verdict == Verdict::Accepted {
            let lifetime = match (item.lifetime_days, item.not_after) {
                (Some(days), Some(not_after)) => {
                    format!("{} days, until {}", days, text::day(not_after))
                }
                _ => none(),
            };
            lines.push(labelled("lifetime", lifetime, width, theme));
        }
        lines.push(labelled(
            "profile",
            item.profile.as_deref().map_or_else(none, text::shown),
            width,
            theme,
        ));
        for reason in &item.reasons {
            lines.push(Line::from(vec![
                Span::styled(format!("{:<width$} ", "reason"), theme.bad()),
                Span::raw(format!("{} {}", theme::BAD, text::shown(reason))),
            ]));
        }
        for flag in &item.flags {
            lines.push(Line::from(vec![
                Span::styled(format!("{:<width$} ", "note"), theme.warn()),
                Span::raw(format!("{} {}", theme::WARN, text::shown(flag))),
            ]));
        }
        lines.push(labelled(
            "csr sha256",
            item.csr_sha256.as_deref().map_or_else(none, text::shown),
            width,
            theme,
        ));
        if item.user.is_some() {
            lines.extend(self.binding_lines(item, width, theme));
        }
        lines
    }

    /// The RBAC bindings an item would match, or why none are shown.
    fn binding_lines(&self, item: &ItemReview, width: usize, theme: Theme) -> Vec<Line<'static>> {
        if self.rbac.is_none() {
            return vec![labelled(
                "rbac",
                "— (b loads an RBAC snapshot: the bindings this user would match)",
                width,
                theme,
            )];
        }
        if item.bindings.is_empty() {
            return vec![labelled(
                "rbac",
                "no binding in the snapshot names this user or its groups",
                width,
                theme,
            )];
        }
        item.bindings
            .iter()
            .map(|binding| labelled("rbac", text::shown(binding), width, theme))
            .collect()
    }
}

/// Draws the review screen.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let state = &app.review;
    let Some(report) = &state.report else {
        let message = match &state.loading {
            Some(folder) => format!("Reading {} …", text::path(folder)),
            None => "No intake folder is open.\n\nPress o to choose one (Tab completes folder names). Each CSR is judged against the policy; you approve or deny each accepted one; only approved items are signed.".to_owned(),
        };
        frame.render_widget(
            Paragraph::new(message)
                .wrap(Wrap { trim: false })
                .block(section(" Review ".to_owned(), theme)),
            area,
        );
        return;
    };
    let big = area.height >= 20 && usize::from(area.width) > digest::width(&report.digest);
    let [header, digest_area, rest] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(if big { 4 } else { 2 }),
        Constraint::Min(4),
    ])
    .areas(area);
    // The model knows roles and ids; the report only the signing CA's name.
    let ca = match (app.model.signing_ca(), report.ca.as_deref()) {
        (Some(signing), _) => app.model.ca_named(&signing.info.id),
        (None, Some(name)) => format!("CA '{}'", text::shown(name)),
        (None, None) => "no CA yet (review only)".to_owned(),
    };
    let room = usize::from(header.width).saturating_sub(text::width(&ca) + 16);
    frame.render_widget(
        Line::from(vec![
            Span::styled("Intake ", theme.dim()),
            Span::raw(text::fit_path(&report.intake, room)),
            Span::styled("  signs: ", theme.dim()),
            Span::raw(ca),
        ]),
        header,
    );
    draw_digest(frame, digest_area, &report.digest, big, theme);
    // The list over the detail at every size: the detail's hashes need the width.
    let most = (rest.height / 2).max(3);
    let list_rows = u16::try_from(state.len())
        .unwrap_or(u16::MAX)
        .clamp(2, most)
        + 1;
    let [list_area, detail_area] =
        Layout::vertical([Constraint::Length(list_rows), Constraint::Min(3)]).areas(rest);
    draw_list(frame, list_area, state, theme);
    let detail = state.detail(theme);
    let visible = usize::from(detail_area.height.saturating_sub(1));
    let title = if detail.len() > visible {
        " Detail (more: Enter) ".to_owned()
    } else {
        " Detail ".to_owned()
    };
    frame.render_widget(
        Paragraph::new(detail)
            .block(section(title, theme))
            .wrap(Wrap { trim: false }),
        detail_area,
    );
}

fn draw_digest(frame: &mut Frame, area: Rect, digest: &str, big: bool, theme: Theme) {
    let title = format!(
        " Batch digest {} — read it aloud; the requester compares ",
        text::shown(digest)
    );
    let block = section(title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if big {
        frame.render_widget(
            BigDigest {
                digest,
                style: theme.strong(),
            },
            inner,
        );
    } else {
        frame.render_widget(
            Line::styled(text::grouped(digest, 100), theme.strong()),
            inner,
        );
    }
}

/// Columns from which the review list has a groups column.
const GROUPS_FROM: usize = 100;

/// How an item's matched RBAC bindings read in the list when one grants everything or
/// wildcard rules (the core marks such bindings; its flag says which, in the detail).
fn broad_rbac(item: &ItemReview) -> Option<&'static str> {
    if item
        .bindings
        .iter()
        .any(|binding| binding.ends_with(" (full control)"))
    {
        Some("RBAC: cluster-admin")
    } else if item
        .bindings
        .iter()
        .any(|binding| binding.ends_with(" (wildcard rules)"))
    {
        Some("RBAC: wildcard role")
    } else {
        None
    }
}

fn draw_list(frame: &mut Frame, area: Rect, state: &ReviewState, theme: Theme) {
    let counts = state.counts();
    let signed = if state.signed.is_some() {
        " · signed"
    } else {
        ""
    };
    let title = format!(
        " Items: {} accepted ({} approved, {} denied, {} undecided), {} rejected{signed} ",
        counts.accepted, counts.approved, counts.denied, counts.undecided, counts.rejected
    );
    let block = section(title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(report) = &state.report else {
        return;
    };
    let height = usize::from(inner.height);
    let start = window_start(state.selected, height);
    let width = usize::from(inner.width);
    let input_width = (width / 4).clamp(10, 30);
    let user_width = (width / 5).clamp(8, 24);
    // The groups get a column where the reason keeps room beside it (from 100 columns).
    let groups_width = if width >= GROUPS_FROM {
        (width / 6).clamp(8, 24)
    } else {
        0
    };
    let mut lines = Vec::new();
    for (index, item) in report.items.iter().enumerate().skip(start).take(height) {
        let selected = index == state.selected;
        let marker = if selected { theme::SELECTED } else { " " };
        let first = item
            .reasons
            .first()
            .or(item.flags.first())
            .map(|reason| text::shown(reason))
            .unwrap_or_default();
        let mut rest = format!(
            " {:<input_width$} {:<user_width$} ",
            text::fit(&item.input, input_width),
            text::fit(item.user.as_deref().unwrap_or("—"), user_width),
        );
        if groups_width > 0 {
            let groups = if item.groups.is_empty() {
                "—".to_owned()
            } else {
                item.groups.join(",")
            };
            let _ = write!(rest, "{:<groups_width$} ", text::fit(&groups, groups_width));
        }
        let mark = state.mark(index, theme);
        let mut used = 2 + text::width(&mark.content) + text::width(&rest);
        let mut spans = vec![Span::raw(format!("{marker} ")), mark, Span::raw(rest)];
        // An RBAC binding granting everything (or wildcard rules) leads the note.
        if let Some(broad) = broad_rbac(item) {
            let flag = format!("{} {broad} ", theme::WARN);
            used += text::width(&flag);
            spans.push(Span::styled(
                text::cut(&flag, width.saturating_sub(used - text::width(&flag))),
                theme.warn(),
            ));
        }
        spans.push(Span::raw(text::cut(&first, width.saturating_sub(used))));
        let mut line = Line::from(spans);
        if selected {
            line = line.style(theme.selected());
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixture;

    #[test]
    fn rejected_items_can_never_be_approved() {
        let mut state = ReviewState::default();
        state.load(fixture::review_report());
        state.selected = fixture::REJECTED_INDEX;
        assert!(state.approve().is_err());
        assert_eq!(state.approve_all(), Ok(2));
        assert_eq!(
            state.decisions[fixture::REJECTED_INDEX],
            Decision::Undecided
        );
        let plan = state.plan(PathBuf::from("/out")).expect("a plan");
        assert_eq!(plan.approved.len(), 2);
    }

    #[test]
    fn reading_the_same_batch_again_keeps_the_decisions() {
        let mut state = ReviewState::default();
        state.load(fixture::review_report());
        state.approve().expect("accepted");
        state.loading_rbac = Some(PathBuf::from("/media/usb/rbac.yaml"));
        let mut with_bindings = fixture::review_report();
        with_bindings.items[0].bindings =
            vec!["ClusterRoleBinding dev-view grants ClusterRole/view".to_owned()];
        state.load(with_bindings);
        assert_eq!(state.decisions[0], Decision::Approved);
        assert_eq!(state.selected, 1);
        assert_eq!(state.rbac, Some(PathBuf::from("/media/usb/rbac.yaml")));
        state.selected = 0;
        let detail: Vec<String> = state
            .detail(Theme::plain())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            detail
                .iter()
                .any(|line| line.contains("rbac       ClusterRoleBinding dev-view")),
            "{detail:?}"
        );
        // Another folder starts afresh.
        let mut other = fixture::review_report();
        other.digest = "ffff-0000".to_owned();
        state.load(other);
        assert_eq!(state.decisions[0], Decision::Undecided);
        assert_eq!(
            state.rbac, None,
            "the snapshot goes with the read that loaded it"
        );
    }

    fn drawn(app: &App, width: u16, height: u16) -> Vec<String> {
        let buffer = crate::tui::widgets::testing::render(width, height, |frame| {
            crate::tui::view::draw(frame, app);
        });
        crate::tui::widgets::testing::lines(&buffer)
    }

    /// Issue 10, item 8: the review header says which CA signs, by role and id: during an
    /// overlap, the incoming one.
    #[test]
    fn the_header_names_the_signing_ca_by_role_and_id() {
        let app = fixture::reviewing(fixture::app_with(
            fixture::model_in(airlock::state::Phase::Overlap),
            Theme::plain(),
        ));
        let rows = drawn(&app, 120, 40);
        assert!(
            rows[1].contains("signs: the incoming CA 'kubernetes-2025' (9b8c7d6e…)"),
            "{}",
            rows[1]
        );
    }

    /// Issue 10, item 17: an RBAC match to cluster-admin or a wildcard role is flagged in
    /// the list, ahead of the item's other notes; rows show the groups where they fit.
    #[test]
    fn the_list_flags_broad_rbac_and_shows_groups_where_they_fit() {
        let mut report = fixture::review_report_with_bindings();
        report.items[1].bindings.push(
            "ClusterRoleBinding ops-admins grants ClusterRole/cluster-admin (full control)"
                .to_owned(),
        );
        report.items[1].flags.push(
            "ClusterRoleBinding 'ops-admins' grants cluster-admin: full control of the cluster"
                .to_owned(),
        );
        report.items[0]
            .bindings
            .push("RoleBinding star in namespace app grants Role/star (wildcard rules)".to_owned());
        let mut app = fixture::app_with(fixture::model(), Theme::plain());
        app.update(crate::tui::action::Action::OpenIntake(PathBuf::from(
            "/media/usb/requests",
        )));
        let _ = app.take_jobs();
        app.update(fixture::work(crate::tui::action::WorkEvent::Reviewed(Ok(
            report,
        ))));
        for (width, height) in [(80, 24), (120, 40)] {
            let rows = drawn(&app, width, height);
            let bob = rows
                .iter()
                .find(|row| row.contains("bob.yaml"))
                .expect("bob's row");
            assert!(bob.contains("! RBAC: cluster-admin"), "{bob}");
            let alice = rows
                .iter()
                .find(|row| row.contains("alice.csr") && row.contains('›'))
                .expect("alice's row");
            assert!(alice.contains("! RBAC: wildcard role"), "{alice}");
            assert_eq!(alice.contains("dev,ops"), width >= 100, "{alice}");
        }
    }

    /// Issue 10, item 17: a rejected item shows no output name (it is never written).
    #[test]
    fn a_rejected_item_has_no_output_name() {
        let mut state = ReviewState::default();
        state.load(fixture::review_report());
        let first = state.detail(Theme::plain())[0].to_string();
        assert!(first.ends_with("alice.csr → alice.crt"), "{first}");
        state.selected = fixture::REJECTED_INDEX;
        let first = state.detail(Theme::plain())[0].to_string();
        assert!(first.ends_with("rejected  root.pem"), "{first}");
        assert!(!first.contains(".crt"), "{first}");
    }

    #[test]
    fn denied_and_undecided_items_are_withheld() {
        let mut state = ReviewState::default();
        state.load(fixture::review_report());
        assert!(
            state.plan(PathBuf::from("/out")).is_err(),
            "nothing approved yet"
        );
        state.approve().expect("first is accepted");
        assert_eq!(state.selected, 1);
        let counts = state.counts();
        assert_eq!(
            (counts.approved, counts.undecided, counts.rejected),
            (1, 1, 1)
        );
        let plan = state.plan(PathBuf::from("/out")).expect("a plan");
        assert_eq!(plan.approved_items, 1);
        assert_eq!(plan.approved.len(), 1);
        state.selected = 1;
        state.deny().expect("second is accepted");
        assert_eq!(state.counts().denied, 1);
    }
}

//! Whole-screen snapshots of the rotation screen in each phase, and of every dialog of
//! the rotation, renewal, revocation and RBAC review flows, at 80x24 and 120x40, from
//! the fixed model and clock (`fixture`). Stored beside the other screens' snapshots.

use airlock::export::revocation::{parse_snapshot, rbac_plan};
use airlock::state::Phase;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::draw;
use crate::tui::action::{Action, Failure, ScreenId, WorkEvent};
use crate::tui::app::{App, Layer};
use crate::tui::fixture::{self, type_text, work};
use crate::tui::screens::rotation::{ABORT_PHRASE, BEGIN_PHRASE, REISSUE_PHRASE};
use crate::tui::theme::Theme;

fn text(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|frame| draw(frame, app)).expect("draw");
    terminal.backend().to_string()
}

fn snapshot(name: &str, app: &App) {
    insta::with_settings!({ snapshot_path => "../snapshots" }, {
        insta::assert_snapshot!(format!("{name}_80x24"), text(app, 80, 24));
        insta::assert_snapshot!(format!("{name}_120x40"), text(app, 120, 40));
    });
}

fn rotation(phase: Phase) -> App {
    let mut app = fixture::app_with(fixture::model_in(phase), Theme::colored());
    app.update(Action::GoTo(ScreenId::Rotation));
    app
}

fn inventory() -> App {
    let mut app = fixture::app();
    app.update(Action::GoTo(ScreenId::Inventory));
    app
}

/// Types the phrase, moves the focus to the confirming button and presses it.
fn confirm(app: &mut App, phrase: &str) {
    type_text(app, phrase);
    app.update(Action::NextFocus);
    app.update(Action::Submit);
}

#[test]
fn rotation_in_each_phase() {
    snapshot("rotation_stable", &rotation(Phase::Stable));
    snapshot("rotation_overlap", &rotation(Phase::Overlap));
    snapshot("rotation_reissued", &rotation(Phase::Reissued));
}

#[test]
fn rotation_scrolled_to_the_end() {
    let mut app = rotation(Phase::Overlap);
    app.update(Action::Bottom);
    snapshot("rotation_scrolled", &app);
}

#[test]
fn rotation_without_colour_keeps_the_phase_in_symbols() {
    let mut app = fixture::app_with(fixture::model_in(Phase::Overlap), Theme::plain());
    app.update(Action::GoTo(ScreenId::Rotation));
    let shown = text(&app, 80, 24);
    assert!(shown.contains("✔ stable ─begin─▶ ● overlap ─reissue─▶ ○ reissued"));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    terminal.draw(|frame| draw(frame, &app)).expect("draw");
    assert!(
        terminal
            .backend()
            .buffer()
            .content
            .iter()
            .all(|cell| cell.fg == Color::Reset && cell.bg == Color::Reset)
    );
}

#[test]
fn rotation_checklist() {
    let mut app = rotation(Phase::Overlap);
    app.update(Action::Detail);
    snapshot("rotation_checklist", &app);
}

#[test]
fn begin_dialogs() {
    let mut app = rotation(Phase::Stable);
    app.update(Action::RotateBegin);
    snapshot("begin_name", &app);
    app.update(Action::Submit);
    type_text(&mut app, "be");
    snapshot("begin_confirm", &app);
    type_text(&mut app, "gin");
    app.update(Action::NextFocus);
    app.update(Action::Submit);
    snapshot("begin_old_passphrase", &app);
    type_text(&mut app, "old");
    app.update(Action::Submit);
    type_text(&mut app, "new one!");
    app.update(Action::Submit);
    type_text(&mut app, "new two!");
    app.update(Action::Submit);
    snapshot("begin_passphrases_differ", &app);
}

#[test]
fn begin_in_progress_and_done() {
    let mut app = rotation(Phase::Stable);
    app.update(Action::RotateBegin);
    app.update(Action::Submit);
    confirm(&mut app, BEGIN_PHRASE);
    for secret in ["old", "new secret", "new secret"] {
        type_text(&mut app, secret);
        app.update(Action::Submit);
    }
    snapshot("begin_running", &app);
    app.update(work(WorkEvent::Rotated(Ok(Box::new(fixture::begun())))));
    snapshot("begin_summary", &app);
}

#[test]
fn reissue_dialogs() {
    let mut app = rotation(Phase::Overlap);
    app.update(Action::RotateReissue);
    snapshot("reissue_out", &app);
    app.update(Action::Submit);
    snapshot("reissue_confirm", &app);
    confirm(&mut app, REISSUE_PHRASE);
    type_text(&mut app, "new");
    app.update(Action::Submit);
    app.update(work(WorkEvent::Progress { done: 1, total: 2 }));
    snapshot("reissue_running", &app);
    app.update(work(WorkEvent::Rotated(Ok(Box::new(fixture::reissued())))));
    snapshot("reissue_summary", &app);
}

#[test]
fn finish_dialogs() {
    let mut app = rotation(Phase::Overlap);
    app.update(Action::RotateFinish);
    snapshot("finish_force", &app);
    app.update(Action::Down);
    app.update(Action::Submit);
    type_text(&mut app, "old CA key exposed");
    snapshot("finish_reason", &app);
    app.update(Action::Submit);
    app.update(Action::Down);
    snapshot("finish_old_key", &app);
    app.update(Action::Submit);
    type_text(&mut app, "kube");
    snapshot("finish_destroy_confirm", &app);
}

#[test]
fn finish_refused_by_the_core() {
    let mut app = rotation(Phase::Reissued);
    app.update(Action::RotateFinish);
    app.update(Action::Submit);
    confirm(&mut app, "finish");
    type_text(&mut app, "new");
    app.update(Action::Submit);
    app.update(work(WorkEvent::Rotated(Err(Failure {
        what: "cannot finish the rotation".to_owned(),
        message: vec!["1 active certificate(s) of the old CA have no reissued twin (e.g. serial 0a1b2c): their holders would be locked out. Run 'airlock rotate reissue --out DIR', or finish with --force --reason TEXT".to_owned()],
        hint: "nothing changed: reissue the missing certificates first (r), or finish again (f) and choose to force it with a reason".to_owned(),
        line: None,
    }))));
    snapshot("finish_refused", &app);
}

#[test]
fn abort_confirm() {
    let mut app = rotation(Phase::Overlap);
    app.update(Action::RotateAbort);
    type_text(&mut app, &ABORT_PHRASE[..3]);
    snapshot("abort_confirm", &app);
}

#[test]
fn inventory_revoked_filter() {
    let mut app = inventory();
    app.update(Action::FilterRevoked);
    snapshot("inventory_revoked", &app);
}

#[test]
fn renew_dialogs() {
    let mut app = inventory();
    app.update(Action::Renew);
    snapshot("renew_out", &app);
    app.update(Action::Submit);
    type_text(&mut app, "ali");
    snapshot("renew_confirm", &app);
    app.update(Action::Cancel);
    app.update(work(WorkEvent::Renewed(Ok(Box::new(fixture::renewed())))));
    snapshot("renew_summary", &app);
}

#[test]
fn revoke_dialogs() {
    let mut model = fixture::model();
    let mut second = model.certs[0].clone();
    second.issued.serial = "77".repeat(16);
    model.certs.push(second);
    let mut app = fixture::app_with(model, Theme::colored());
    app.update(Action::GoTo(ScreenId::Inventory));
    app.update(Action::Revoke);
    snapshot("revoke_scope", &app);
    app.update(Action::Submit);
    app.update(Action::Down);
    snapshot("revoke_code", &app);
    app.update(Action::Submit);
    type_text(&mut app, "laptop stolen");
    snapshot("revoke_reason", &app);
    app.update(Action::Submit);
    snapshot("revoke_rbac", &app);
    if let Some(Layer::Path(input, _)) = app.layers.last_mut() {
        input.text = "/media/usb/rbac.yaml".to_owned();
    }
    app.update(Action::Submit);
    type_text(&mut app, "al");
    snapshot("revoke_confirm", &app);
}

#[test]
fn revoke_summary() {
    // Alice's one serial revoked while a second certificate of hers stays active: the
    // binding naming her alone is deleted (and the summary says the other certificate
    // relied on it), the group binding is only listed, the everyone binding remains.
    let rbac = "kind: List\nitems:\n\
- {kind: ClusterRoleBinding, metadata: {name: alice-view}, roleRef: {kind: ClusterRole, name: view}, subjects: [{kind: User, name: alice}]}\n\
- {kind: RoleBinding, metadata: {name: devs, namespace: app}, roleRef: {kind: ClusterRole, name: edit}, subjects: [{kind: Group, name: dev}]}\n\
- {kind: ClusterRoleBinding, metadata: {name: discovery}, roleRef: {kind: ClusterRole, name: system:discovery}, subjects: [{kind: Group, name: system:authenticated}]}\n";
    let bindings = parse_snapshot(rbac.as_bytes()).expect("snapshot");
    let model = fixture::model();
    let mut alice = model.certs[0].issued.clone();
    alice.groups = vec!["dev".to_owned()];
    let mut other = alice.clone();
    other.serial = "77".repeat(16);
    let mut done = fixture::revoked();
    done.report.rbac = rbac_plan(&[&alice], &[&other], Some(&bindings));
    let mut app = inventory();
    app.update(work(WorkEvent::Revoked(Ok(Box::new(done)))));
    snapshot("revoke_summary", &app);
    if let Some(Layer::Pager(pager)) = app.layers.last_mut() {
        pager.scroll = 8;
    }
    snapshot("revoke_summary_scrolled", &app);
}

#[test]
fn review_with_rbac_bindings() {
    let mut app = fixture::reviewing(fixture::app());
    app.update(Action::LoadRbac);
    snapshot("review_rbac_path", &app);
    app.update(Action::Submit);
    let _ = app.take_jobs();
    app.update(work(WorkEvent::Reviewed(Ok(
        fixture::review_report_with_bindings(),
    ))));
    snapshot("review_rbac", &app);
}

#[test]
fn review_flags_a_cluster_admin_binding() {
    // What review_with_rbac makes of a binding to cluster-admin: the binding marked, and
    // a plain flag among the item's notes.
    let mut report = fixture::review_report_with_bindings();
    report.items[0].bindings.push(
        "ClusterRoleBinding ops-admins grants ClusterRole/cluster-admin (full control)".to_owned(),
    );
    report.items[0].flags.push(
        "ClusterRoleBinding 'ops-admins' grants cluster-admin: full control of the cluster"
            .to_owned(),
    );
    let mut app = fixture::reviewing(fixture::app());
    app.update(Action::LoadRbac);
    app.update(Action::Submit);
    let _ = app.take_jobs();
    app.update(work(WorkEvent::Reviewed(Ok(report))));
    snapshot("review_rbac_cluster_admin", &app);
}

#[test]
fn signing_summary_with_withheld_items() {
    let mut app = fixture::reviewing(fixture::app());
    app.update(Action::Approve);
    app.update(Action::Sign);
    app.update(Action::Submit);
    confirm(&mut app, "sign");
    type_text(&mut app, "secret");
    app.update(Action::Submit);
    let mut outcome = fixture::sign_outcome();
    outcome.report.newly_signed = 1;
    outcome.report.report.issued.truncate(1);
    outcome.report.report.withheld = vec![airlock::export::ReportRejected {
        input: "bob.yaml".to_owned(),
        reasons: vec!["not approved by the officer".to_owned()],
    }];
    outcome.report.written = ["alice.crt", "report.json", "SHA256SUMS"]
        .map(str::to_owned)
        .to_vec();
    app.update(work(WorkEvent::Signed(Ok(Box::new(outcome)))));
    snapshot("summary_withheld", &app);
}

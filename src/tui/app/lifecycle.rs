//! The inventory's filters and what it does to a certificate: renew and revoke.
//!
//! Renewal asks the output folder, a confirmation typed as the user's name and the
//! signing CA's passphrase. Revocation asks, when the user holds several active
//! certificates, whether to revoke all of them; then the RFC 5280 reason code (a choice
//! list) and optional free text, an RBAC snapshot (or none), a confirmation typed as the
//! user's name, and the issuing CA's passphrase. Both
//! run on the worker; the summary says what was written where, and for a revocation, in
//! plain words, that Kubernetes does not check CRLs. A kubeconfig needs no key: the API
//! server URL, the cluster CA file (optional only for a CA that came from kubeadm) and
//! the output file, then the worker writes it.

use std::path::{Path, PathBuf};

use airlock::export::revocation::{BindingFate, KUBERNETES_NOTE, RbacPlan};
use airlock::ops::{RenewReport, RevokeReport};
use airlock::revocation_reason::{ReasonCode, RevocationReason};
use airlock::secret::Passphrase;
use ratatui::text::{Line, Span};

use super::signing::unused_beside;
use super::{App, ChoicePurpose, Layer, PathPurpose, Pending, PromptPurpose, Work};
use crate::tui::action::Refreshed;
use crate::tui::model::Cert;
use crate::tui::screens::inventory::{KubeconfigPlan, RenewPlan, RevokePlan, ca_label};
use crate::tui::text;
use crate::tui::theme::{self, Theme};
use crate::tui::widgets::choice::ChoiceDialog;
use crate::tui::widgets::confirm::ConfirmDialog;
use crate::tui::widgets::pager::Pager;
use crate::tui::widgets::path_input::PathInput;
use crate::tui::widgets::prompt::TextPrompt;
use crate::tui::worker::Job;

impl App {
    pub(super) fn toggle_revoked(&mut self) {
        self.inventory.revoked_only = !self.inventory.revoked_only;
        self.inventory.selected = 0;
        self.notice = Some(if self.inventory.revoked_only {
            "showing revoked certificates only (x again: all)".to_owned()
        } else {
            "showing revoked and unrevoked certificates".to_owned()
        });
    }

    pub(super) fn next_ca_filter(&mut self) {
        self.inventory.ca = self.inventory.next_ca(&self.model);
        self.inventory.selected = 0;
        self.notice = Some(match &self.inventory.ca {
            Some(ca) => format!(
                "showing certificates of CA '{}' (i: the next CA)",
                ca_label(&self.model, ca)
            ),
            None => "showing certificates of every CA".to_owned(),
        });
    }

    /// The selected certificate, or a notice that there is none.
    fn selected_cert(&mut self) -> Option<Cert> {
        let cert = self.inventory.selection(&self.model, self.now).cloned();
        if cert.is_none() {
            self.notice = Some("no certificate selected (c clears the filters)".to_owned());
        }
        cert
    }

    pub(super) fn ask_renew(&mut self) {
        if self.busy() {
            return;
        }
        let Some(cert) = self.selected_cert() else {
            return;
        };
        if cert.revoked.is_some() {
            self.notice = Some("this certificate is revoked: it cannot be renewed".to_owned());
            return;
        }
        let Some(ca) = self.model.active_ca().map(str::to_owned) else {
            self.notice = Some("this home has no CA to sign with".to_owned());
            return;
        };
        let parent = self.model.home.parent().unwrap_or(Path::new("."));
        let out = unused_beside(parent, "renewed");
        let plan = RenewPlan {
            serial: cert.issued.serial.clone(),
            user: cert.issued.user.clone(),
            out: out.clone(),
            ca,
        };
        self.layers.push(Layer::Path(
            PathInput::new(
                "Output folder for the renewed certificate",
                "the certificate, report.json and SHA256SUMS go here (created if missing)",
                out.display().to_string(),
            ),
            PathPurpose::RenewOut(plan),
        ));
    }

    pub(super) fn confirm_renew(&mut self, plan: RenewPlan) {
        let theme = self.theme;
        let user = text::shown(&plan.user);
        let body = vec![
            Line::from(vec![
                Span::raw("Sign again the subject and key of "),
                Span::styled(format!("'{user}'"), theme.strong()),
                Span::raw(format!(" (serial {})", text::fit(&plan.serial, 20))),
            ]),
            Line::from(format!(
                "with a fresh lifetime under the policy, by CA '{}'.",
                text::shown(&plan.ca)
            )),
            Line::from(format!("  into   {}", text::fit_path(&plan.out, 64))),
            Line::styled(
                "The old certificate stays valid until it ends (revoke it separately if needed).",
                theme.dim(),
            ),
        ];
        self.layers.push(Layer::Confirm(
            ConfirmDialog::new("Renew this certificate?", body, "Renew", Some(&user)),
            Pending::Renew(plan),
        ));
    }

    pub(super) fn start_renew(&mut self, plan: RenewPlan, passphrase: Passphrase) {
        self.start(
            Job::Renew(plan, passphrase),
            Work::Batch {
                label: "renewing",
                done: 0,
                total: 1,
            },
        );
    }

    pub(super) fn renewed(&mut self, done: Refreshed<RenewReport>) {
        let lines = renew_summary(&done.report, self.theme);
        self.refresh(done.model, "renewed");
        self.layers.push(Layer::Pager(Pager::new("Renewed", lines)));
    }

    pub(super) fn ask_revoke(&mut self) {
        if self.busy() {
            return;
        }
        let Some(cert) = self.selected_cert() else {
            return;
        };
        if cert.revoked.is_some() {
            self.notice = Some("this certificate is revoked already".to_owned());
            return;
        }
        let user = cert.issued.user.clone();
        let active: Vec<String> = self
            .model
            .certs
            .iter()
            .filter(|other| other.issued.user == user && other.state == "active")
            .map(|other| other.issued.serial.clone())
            .collect();
        let plan = RevokePlan {
            whole_user: false,
            serial: cert.issued.serial.clone(),
            user,
            serials: vec![cert.issued.serial.clone()],
            reason: RevocationReason::from(ReasonCode::Unspecified),
            rbac: None,
            ca: ca_label(&self.model, &cert.issued.ca),
            issuer: cert.issued.ca.clone(),
        };
        if cert.state != "active" || active.len() < 2 {
            self.ask_revoke_code(plan);
            return;
        }
        let user = text::shown(&plan.user);
        let body = vec![Line::from(format!(
            "'{user}' holds {}. Revoke only the selected one, or all of them?",
            text::count(active.len(), "active certificate")
        ))];
        self.layers.push(Layer::Choice(
            ChoiceDialog::new(
                "What to revoke",
                body,
                vec![
                    format!("Only serial {}", text::fit(&plan.serial, 34)),
                    format!("Every active certificate of '{user}' ({})", active.len()),
                ],
            ),
            ChoicePurpose::RevokeScope(RevokePlan {
                serials: active,
                ..plan
            }),
        ));
    }

    pub(super) fn revoke_scope(&mut self, mut plan: RevokePlan, choice: usize) {
        plan.whole_user = choice == 1;
        if !plan.whole_user {
            plan.serials = vec![plan.serial.clone()];
        }
        self.ask_revoke_code(plan);
    }

    /// The RFC 5280 reason code, from a choice list; the free text is asked next.
    fn ask_revoke_code(&mut self, plan: RevokePlan) {
        let body = vec![
            Line::from("The reason code goes into the ledger and the CRL (RFC 5280 CRLReason)."),
            Line::from("Details in your own words come next."),
        ];
        let options = ReasonCode::ALL
            .iter()
            .map(|code| format!("{:<21}{}", code.name(), code.meaning()))
            .collect();
        let mut dialog = ChoiceDialog::new("Why revoke?", body, options);
        dialog.selected = ReasonCode::ALL
            .iter()
            .position(|code| *code == plan.reason.code())
            .unwrap_or(0);
        self.layers
            .push(Layer::Choice(dialog, ChoicePurpose::RevokeCode(plan)));
    }

    pub(super) fn revoke_code(&mut self, mut plan: RevokePlan, choice: usize) {
        let Some(code) = ReasonCode::ALL.get(choice).copied() else {
            return;
        };
        plan.reason = RevocationReason::from(code);
        self.layers.push(Layer::Prompt(
            TextPrompt::new(
                &format!("Details for '{code}' (optional)"),
                "kept in the ledger beside the code; empty: the code alone",
                String::new(),
                false,
            ),
            PromptPurpose::RevokeReason(plan),
        ));
    }

    pub(super) fn revoke_reason(
        &mut self,
        mut prompt: TextPrompt,
        mut plan: RevokePlan,
        typed: &str,
    ) {
        match RevocationReason::new(plan.reason.code(), typed) {
            Ok(reason) => plan.reason = reason,
            Err(error) => {
                prompt.warning = Some(error.to_string());
                self.layers
                    .push(Layer::Prompt(prompt, PromptPurpose::RevokeReason(plan)));
                return;
            }
        }
        self.layers.push(Layer::Path(
            PathInput::new(
                "RBAC snapshot (optional)",
                "kubectl get clusterrolebindings,rolebindings -A -o yaml; empty: the script finds the bindings with kubectl",
                String::new(),
            )
            .for_file()
            .optional(),
            PathPurpose::RevokeRbac(plan),
        ));
    }

    pub(super) fn confirm_revoke(&mut self, plan: RevokePlan) {
        let theme = self.theme;
        let user = text::shown(&plan.user);
        let what = if plan.whole_user {
            format!(
                "every active certificate of '{user}' ({})",
                plan.serials.len()
            )
        } else {
            format!("serial {} of '{user}'", text::fit(&plan.serial, 34))
        };
        let snapshot = plan.rbac.as_deref().map_or_else(
            || "none: the script lists candidates with kubectl and deletes nothing".to_owned(),
            |path| text::fit_path(path, 50),
        );
        let body = vec![
            Line::from(vec![
                Span::raw("Revoke "),
                Span::styled(what, theme.strong()),
            ]),
            Line::from(format!(
                "  reason     {}",
                text::shown(&plan.reason.to_string())
            )),
            Line::from(format!("  snapshot   {snapshot}")),
            Line::from("  writes     a CRL and revoke-rbac.sh into revocations/ in the home"),
            Line::styled(format!("{} {KUBERNETES_NOTE}", theme::WARN), theme.warn()),
        ];
        self.layers.push(Layer::Confirm(
            ConfirmDialog::new("Revoke?", body, "Revoke", Some(&user)),
            Pending::Revoke(plan),
        ));
    }

    pub(super) fn start_revoke(&mut self, plan: RevokePlan, passphrase: Passphrase) {
        self.start(Job::Revoke(plan, passphrase), Work::Revoking);
    }

    pub(super) fn revoked(&mut self, done: Refreshed<RevokeReport>) {
        let lines = revoke_summary(&done.report, self.theme);
        self.refresh(done.model, "revoked");
        self.layers.push(Layer::Pager(Pager::new("Revoked", lines)));
    }
}

impl App {
    /// Starts a kubeconfig for the selected certificate: the API server URL first.
    pub(super) fn ask_kubeconfig(&mut self) {
        if self.busy() {
            return;
        }
        let Some(cert) = self.selected_cert() else {
            return;
        };
        if cert.revoked.is_some() {
            self.notice = Some("this certificate is revoked: no kubeconfig for it".to_owned());
            return;
        }
        let ca_generated = self
            .model
            .status
            .cas
            .iter()
            .find(|ca| ca.info.id == cert.issued.ca)
            .is_some_and(|ca| ca.origin == "generated");
        let plan = KubeconfigPlan {
            serial: cert.issued.serial.clone(),
            user: cert.issued.user.clone(),
            server: String::new(),
            cluster_ca: None,
            out: PathBuf::new(),
            ca_generated,
        };
        self.layers.push(Layer::Prompt(
            TextPrompt::new(
                &format!("Kubeconfig for '{}'", text::fit(&plan.user, 30)),
                "the API server URL, e.g. https://10.0.0.1:6443",
                "https://".to_owned(),
                false,
            ),
            PromptPurpose::KubeconfigServer(plan),
        ));
    }

    pub(super) fn kubeconfig_server(
        &mut self,
        mut prompt: TextPrompt,
        mut plan: KubeconfigPlan,
        typed: &str,
    ) {
        let server = typed.trim();
        let host = server.strip_prefix("https://").unwrap_or_default();
        if host.is_empty() || host.contains(char::is_whitespace) {
            prompt.warning =
                Some("an https:// URL with a host, e.g. https://10.0.0.1:6443".to_owned());
            self.layers
                .push(Layer::Prompt(prompt, PromptPurpose::KubeconfigServer(plan)));
            return;
        }
        server.clone_into(&mut plan.server);
        let (title, help) = if plan.ca_generated {
            (
                "Cluster CA file",
                "the CA of the API server's serving certificate (kubeadm: /etc/kubernetes/pki/ca.crt): airlock made this CA, so it did not sign the API server",
            )
        } else {
            (
                "Cluster CA file (optional)",
                "the CA of the API server's serving certificate; empty: the client-CA bundle, right when the same (kubeadm) CA signed the API server",
            )
        };
        let input = PathInput::new(title, help, String::new()).for_file();
        let input = if plan.ca_generated {
            input
        } else {
            input.optional()
        };
        self.layers
            .push(Layer::Path(input, PathPurpose::KubeconfigClusterCa(plan)));
    }

    pub(super) fn ask_kubeconfig_out(&mut self, plan: KubeconfigPlan) {
        let parent = self.model.home.parent().unwrap_or(Path::new("."));
        let name = format!("{}.kubeconfig", airlock::intake::sanitize(&plan.user));
        let out = unused_beside(parent, &name);
        self.layers.push(Layer::Path(
            PathInput::new(
                "Write the kubeconfig to",
                "a new file (mode 0600; an existing file is never overwritten)",
                out.display().to_string(),
            )
            .for_file(),
            PathPurpose::KubeconfigOut(plan),
        ));
    }

    pub(super) fn start_kubeconfig(&mut self, plan: KubeconfigPlan) {
        self.start(Job::Kubeconfig(plan), Work::Exporting);
    }

    pub(super) fn exported(&mut self, path: &Path) {
        let theme = self.theme;
        let lines = vec![
            Line::styled(
                format!("{} Kubeconfig written: {}", theme::OK, text::path(path)),
                theme.ok(),
            ),
            Line::from(
                "It names the client key by path (client-key): point it at the user's private key file.",
            ),
            Line::from(""),
            Line::styled("Enter or Esc: close", theme.dim()),
        ];
        self.layers
            .push(Layer::Pager(Pager::new("Kubeconfig written", lines)));
    }
}

/// What a renewal signed and wrote.
pub fn renew_summary(report: &RenewReport, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        format!(
            "{} Renewed {} certificate(s); {} handed back from an earlier run; {} refused.",
            theme::OK,
            report.newly_signed,
            report.reused,
            report.report.rejected.len()
        ),
        theme.ok(),
    )];
    for issued in &report.report.issued {
        lines.push(Line::from(format!(
            "  {} → serial {} until {} ({})",
            text::shown(&issued.input),
            text::fit(&issued.serial, 34),
            text::shown(issued.not_after.get(..10).unwrap_or(&issued.not_after)),
            text::shown(&issued.cert)
        )));
    }
    for rejected in &report.report.rejected {
        lines.push(Line::styled(
            format!(
                "  {} refused: {} ({})",
                theme::BAD,
                text::shown(&rejected.input),
                text::shown(&rejected.reasons.join("; "))
            ),
            theme.bad(),
        ));
    }
    lines.push(Line::from(format!("Output  {}", text::path(&report.out))));
    lines.push(Line::styled("Written in the output folder", theme.title()));
    if report.written.is_empty() {
        lines.push(Line::from("  nothing new (every file was already there)"));
    }
    for name in &report.written {
        lines.push(Line::from(format!("  {}", text::shown(name))));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("Enter or Esc: close", theme.dim()));
    lines
}

/// What a revocation recorded and wrote, and what it cannot do.
pub fn revoke_summary(report: &RevokeReport, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        format!(
            "{} Revoked {} in the ledger.",
            theme::OK,
            text::count(report.revoked.len(), "certificate")
        ),
        theme.ok(),
    )];
    for serial in &report.revoked {
        lines.push(Line::from(format!("  serial {}", text::shown(serial))));
    }
    lines.push(Line::from(format!(
        "reason       {}",
        text::shown(&report.reason)
    )));
    for crl in &report.crls {
        lines.push(Line::from(format!("CRL          {}", text::path(crl))));
    }
    for skipped in &report.crl_skipped {
        lines.push(Line::styled(
            format!("no CRL       {}", text::shown(skipped)),
            theme.warn(),
        ));
    }
    lines.push(Line::from(format!(
        "RBAC script  {}",
        text::path(&report.script)
    )));
    lines.extend(rbac_plan_lines(&report.rbac, theme));
    lines.push(Line::from(""));
    // The note is airlock's own text, not untrusted input: shown whole.
    lines.push(Line::styled(
        format!("{} {}", theme::WARN, report.note),
        theme.warn(),
    ));
    lines.push(Line::from(""));
    lines.push(Line::styled("Enter or Esc: close", theme.dim()));
    lines
}

/// What the RBAC script deletes, only comments out and why, and what access remains.
fn rbac_plan_lines(plan: &RbacPlan, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if plan.from_snapshot {
        lines.push(Line::styled(
            "The script deletes (review it, then run it where kubectl reaches the cluster)",
            theme.title(),
        ));
        let deleted: Vec<_> = plan.with_fate(BindingFate::Deleted).collect();
        if deleted.is_empty() {
            lines.push(Line::from("  nothing"));
        }
        for step in deleted {
            lines.push(Line::from(format!(
                "  {}",
                text::shown_whole(&step.binding)
            )));
            let style = if step.also_relied_on_by.is_empty() {
                theme.dim()
            } else {
                theme.warn()
            };
            lines.push(Line::styled(
                format!("    because {}", text::shown_whole(&step.why)),
                style,
            ));
        }
        let kept: Vec<_> = plan
            .steps
            .iter()
            .filter(|step| step.fate != BindingFate::Deleted)
            .collect();
        if !kept.is_empty() {
            lines.push(Line::styled(
                "Only listed, commented out: you decide",
                theme.title(),
            ));
        }
        for step in kept {
            lines.push(Line::from(format!(
                "  {}",
                text::shown_whole(&step.binding)
            )));
            lines.push(Line::styled(
                format!("    because {}", text::shown_whole(&step.why)),
                theme.dim(),
            ));
            if let Some(warning) = &step.warning {
                lines.push(Line::styled(
                    format!("    {} {}", theme::WARN, text::shown_whole(warning)),
                    theme.warn(),
                ));
            }
        }
    }
    lines.push(Line::styled("Access that remains", theme.title()));
    for remaining in &plan.remaining {
        lines.push(Line::styled(
            format!("  {} {}", theme::WARN, text::shown_whole(remaining)),
            theme.warn(),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use age::secrecy::ExposeSecret as _;

    use super::*;
    use crate::tui::action::{Action, ScreenId, WorkEvent};
    use crate::tui::fixture::{self, failure, type_text, work};
    use crate::tui::keymap::Mode;

    fn inventory() -> App {
        let mut app = fixture::app();
        app.update(Action::GoTo(ScreenId::Inventory));
        app
    }

    fn confirm(app: &mut App, phrase: &str) {
        assert_eq!(app.mode(), Mode::Confirm);
        type_text(app, phrase);
        app.update(Action::NextFocus);
        app.update(Action::Submit);
    }

    #[test]
    fn inventory_filters() {
        let mut app = inventory();
        app.update(Action::FilterText);
        assert_eq!(app.mode(), Mode::Prompt);
        type_text(&mut app, "bob");
        app.update(Action::Submit);
        assert_eq!(app.inventory.text, "bob");
        app.update(Action::FilterExpiring);
        type_text(&mut app, "3x0");
        app.update(Action::Submit);
        assert_eq!(app.inventory.expiring_within, Some(30));
        app.update(Action::FilterText);
        type_text(&mut app, "zzz");
        app.update(Action::Cancel);
        assert_eq!(app.inventory.text, "bob", "Esc keeps the filter as it was");
        app.update(Action::FilterRevoked);
        assert!(app.inventory.revoked_only);
        app.update(Action::FilterCa);
        assert_eq!(app.inventory.ca.as_deref(), Some(fixture::OLD_CA));
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("'kubernetes'"))
        );
        app.update(Action::ClearFilters);
        assert!(app.inventory.text.is_empty());
        assert!(app.inventory.expiring_within.is_none());
        assert!(!app.inventory.revoked_only);
        assert!(app.inventory.ca.is_none());
        app.update(Action::FilterRevoked);
        app.update(Action::FilterRevoked);
        assert!(!app.inventory.revoked_only, "x toggles");
    }

    #[test]
    fn renew_confirm_then_cancel_signs_nothing() {
        let mut app = inventory();
        app.update(Action::Renew);
        let Some(Layer::Path(input, PathPurpose::RenewOut(_))) = app.layers.last() else {
            panic!("the output folder");
        };
        assert_eq!(input.text, "/srv/airlock/renewed");
        app.update(Action::Submit);
        type_text(&mut app, "alice");
        app.update(Action::Submit);
        assert!(app.layers.is_empty(), "Enter on Cancel cancels");
        assert_eq!(
            app.notice.as_deref(),
            Some("renewal cancelled: nothing was signed")
        );
        assert!(app.take_jobs().is_empty());
    }

    #[test]
    fn renew_confirm_then_act_needs_the_user_name() {
        let mut app = inventory();
        app.update(Action::Renew);
        app.update(Action::Submit);
        let Some(Layer::Confirm(dialog, Pending::Renew(plan))) = app.layers.last() else {
            panic!("the confirmation");
        };
        assert_eq!(dialog.phrase.as_deref(), Some("alice"));
        assert_eq!(plan.out, PathBuf::from("/srv/airlock/renewed"));
        confirm(&mut app, "alicx");
        assert_eq!(app.mode(), Mode::Confirm, "a wrong name does not confirm");
        app.update(Action::Erase);
        type_text(&mut app, "e");
        app.update(Action::Submit);
        let Some(Layer::Passphrase(prompt, _)) = app.layers.last() else {
            panic!("the passphrase");
        };
        assert!(prompt.label.contains("CA 'kubernetes'"));
        type_text(&mut app, "secret");
        app.update(Action::Submit);
        let jobs = app.take_jobs();
        let [Job::Renew(plan, passphrase)] = jobs.as_slice() else {
            panic!("a renew job, not {jobs:?}");
        };
        assert_eq!(plan.user, "alice");
        assert_eq!(passphrase.expose_secret(), "secret");
        app.update(work(WorkEvent::Renewed(Ok(Box::new(fixture::renewed())))));
        let Some(Layer::Pager(pager)) = app.layers.last() else {
            panic!("the summary");
        };
        assert_eq!(pager.title, "Renewed");
    }

    #[test]
    fn a_revoked_certificate_is_neither_renewed_nor_revoked_again() {
        let mut app = inventory();
        app.update(Action::FilterRevoked);
        for action in [Action::Renew, Action::Revoke] {
            app.update(action);
            assert!(app.layers.is_empty());
            assert!(app.notice.as_deref().is_some_and(|n| n.contains("revoked")));
        }
        app.update(Action::FilterText);
        type_text(&mut app, "nobody");
        app.update(Action::Submit);
        app.update(Action::Revoke);
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains("no certificate selected"))
        );
    }

    #[test]
    fn revoke_confirm_then_cancel_revokes_nothing() {
        let mut app = inventory();
        app.update(Action::Revoke);
        assert_eq!(
            app.mode(),
            Mode::Choice,
            "alice holds one active certificate: the reason code comes first"
        );
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::Prompt);
        type_text(&mut app, "left the team");
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::PathInput);
        app.update(Action::Submit);
        type_text(&mut app, "alice");
        app.update(Action::Cancel);
        assert!(app.layers.is_empty());
        assert_eq!(
            app.notice.as_deref(),
            Some("revocation cancelled: nothing was revoked")
        );
        assert!(app.take_jobs().is_empty());
    }

    #[test]
    fn revoke_confirm_then_act_with_a_snapshot() {
        let mut app = inventory();
        app.update(Action::Revoke);
        let Some(Layer::Choice(dialog, ChoicePurpose::RevokeCode(_))) = app.layers.last() else {
            panic!("the reason code");
        };
        assert_eq!(dialog.options.len(), ReasonCode::ALL.len());
        assert!(dialog.options[1].starts_with("keyCompromise"));
        // cessationOfOperation: unspecified, keyCompromise, affiliationChanged,
        // superseded, then it.
        for _ in 0..4 {
            app.update(Action::Down);
        }
        app.update(Action::Submit);
        let Some(Layer::Prompt(prompt, PromptPurpose::RevokeReason(_))) = app.layers.last() else {
            panic!("the free text");
        };
        assert!(prompt.title.contains("'cessationOfOperation'"));
        type_text(&mut app, "left the team");
        app.update(Action::Submit);
        let Some(Layer::Path(input, PathPurpose::RevokeRbac(_))) = app.layers.last_mut() else {
            panic!("the snapshot path");
        };
        assert!(input.optional && input.files);
        input.text = "/media/usb/rbac.yaml".to_owned();
        app.update(Action::Submit);
        let Some(Layer::Confirm(dialog, Pending::Revoke(plan))) = app.layers.last() else {
            panic!("the confirmation");
        };
        assert_eq!(dialog.phrase.as_deref(), Some("alice"));
        assert_eq!(plan.rbac, Some(PathBuf::from("/media/usb/rbac.yaml")));
        assert!(
            dialog
                .body
                .iter()
                .any(|line| line.to_string().contains("does not check CRLs"))
        );
        confirm(&mut app, "alice");
        type_text(&mut app, "secret");
        app.update(Action::Submit);
        let jobs = app.take_jobs();
        let [Job::Revoke(plan, _)] = jobs.as_slice() else {
            panic!("a revoke job, not {jobs:?}");
        };
        assert!(!plan.whole_user);
        assert_eq!(plan.reason.code(), ReasonCode::CessationOfOperation);
        assert_eq!(plan.reason.text(), "left the team");
        assert_eq!(app.work, Some(Work::Revoking));
        app.update(work(WorkEvent::Revoked(Ok(Box::new(fixture::revoked())))));
        let Some(Layer::Pager(pager)) = app.layers.last() else {
            panic!("the summary");
        };
        let text: Vec<String> = pager.lines.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|line| line.contains("revoke-rbac.sh")));
        assert!(text.iter().any(|line| line.contains("does not check CRLs")));
    }

    #[test]
    fn a_code_alone_is_a_reason_and_overlong_text_is_refused_in_place() {
        let mut app = inventory();
        app.update(Action::Revoke);
        app.update(Action::Down);
        app.update(Action::Submit);
        // The prompt bounds what is typed; a longer text (pasted, say) is refused in place.
        let Some(Layer::Prompt(prompt, _)) = app.layers.last_mut() else {
            panic!("the prompt");
        };
        prompt.text = "x".repeat(airlock::revocation_reason::MAX_TEXT_CHARS + 1);
        app.update(Action::Submit);
        let Some(Layer::Prompt(prompt, PromptPurpose::RevokeReason(_))) = app.layers.last() else {
            panic!("the prompt stays");
        };
        assert!(
            prompt
                .warning
                .as_deref()
                .is_some_and(|warning| warning.contains("longer than"))
        );
        let Some(Layer::Prompt(prompt, _)) = app.layers.last_mut() else {
            panic!("the prompt");
        };
        prompt.text.clear();
        app.update(Action::Submit);
        app.update(Action::Submit);
        let Some(Layer::Confirm(dialog, Pending::Revoke(plan))) = app.layers.last() else {
            panic!("the confirmation");
        };
        assert_eq!(
            plan.reason,
            RevocationReason::from(ReasonCode::KeyCompromise)
        );
        assert!(
            dialog
                .body
                .iter()
                .any(|line| line.to_string().ends_with("reason     keyCompromise"))
        );
    }

    #[test]
    fn revoking_a_user_with_several_certificates_asks_which() {
        let mut model = fixture::model();
        let mut second = model.certs[0].clone();
        second.issued.serial = "77".repeat(16);
        model.certs.push(second);
        let mut app = fixture::app_with(model, Theme::plain());
        app.update(Action::GoTo(ScreenId::Inventory));
        app.update(Action::Revoke);
        assert_eq!(app.mode(), Mode::Choice);
        app.update(Action::Down);
        app.update(Action::Submit);
        let Some(Layer::Choice(_, ChoicePurpose::RevokeCode(plan))) = app.layers.last() else {
            panic!("the reason code");
        };
        assert!(plan.whole_user);
        assert_eq!(plan.serials.len(), 2);
        // Esc on the choice revokes nothing.
        app.update(Action::Cancel);
        app.update(Action::Revoke);
        app.update(Action::Cancel);
        assert!(app.layers.is_empty());
        assert!(app.take_jobs().is_empty());
    }

    /// Issue 10, item 17: the inventory exports a kubeconfig: the server URL, a cluster
    /// CA file (required for a CA airlock generated), the output file, then the worker.
    #[test]
    fn the_inventory_exports_a_kubeconfig() {
        let mut app = inventory();
        app.update(Action::ExportKubeconfig);
        let Some(Layer::Prompt(prompt, PromptPurpose::KubeconfigServer(_))) = app.layers.last()
        else {
            panic!("the server URL, not {:?}", app.layers);
        };
        assert_eq!(prompt.text, "https://");
        app.update(Action::Submit);
        assert_eq!(app.mode(), Mode::Prompt, "a URL without a host is refused");
        type_text(&mut app, "10.0.0.1:6443");
        app.update(Action::Submit);
        let Some(Layer::Path(input, PathPurpose::KubeconfigClusterCa(plan))) = app.layers.last()
        else {
            panic!("the cluster CA file");
        };
        assert!(plan.ca_generated, "the fixture's CA was generated");
        assert!(!input.optional, "required for a generated CA");
        assert_eq!(plan.server, "https://10.0.0.1:6443");
        type_text(&mut app, "/media/usb/ca.crt");
        app.update(Action::Submit);
        let Some(Layer::Path(input, PathPurpose::KubeconfigOut(_))) = app.layers.last() else {
            panic!("the output file");
        };
        assert_eq!(input.text, "/srv/airlock/alice.kubeconfig");
        app.update(Action::Submit);
        let jobs = app.take_jobs();
        let [Job::Kubeconfig(plan)] = jobs.as_slice() else {
            panic!("a kubeconfig job, not {jobs:?}");
        };
        assert_eq!(plan.cluster_ca, Some(PathBuf::from("/media/usb/ca.crt")));
        assert_eq!(plan.out, PathBuf::from("/srv/airlock/alice.kubeconfig"));
        assert_eq!(plan.user, "alice");
        assert_eq!(app.work, Some(Work::Exporting));
        app.update(work(WorkEvent::Exported(Ok(plan.out.clone()))));
        let Some(Layer::Pager(pager)) = app.layers.last() else {
            panic!("the summary");
        };
        assert_eq!(pager.title, "Kubeconfig written");
        assert!(
            app.take_jobs().is_empty(),
            "writing a kubeconfig changes no ledger"
        );
        // An imported (kubeadm) CA: the cluster CA file is optional.
        let mut model = fixture::model();
        model.status.cas[0].origin = "imported".to_owned();
        let mut app = fixture::app_with(model, Theme::plain());
        app.update(Action::GoTo(ScreenId::Inventory));
        app.update(Action::ExportKubeconfig);
        type_text(&mut app, "api.example");
        app.update(Action::Submit);
        let Some(Layer::Path(input, _)) = app.layers.last() else {
            panic!("the cluster CA file");
        };
        assert!(input.optional);
        // A revoked certificate gets none.
        let mut app = inventory();
        app.update(Action::FilterRevoked);
        app.update(Action::ExportKubeconfig);
        assert!(app.layers.is_empty());
    }

    /// Issue 10, item 8: renewal and revocation prompts name the CA by role and id.
    #[test]
    fn renew_and_revoke_prompts_name_the_ca_by_role_and_id() {
        let mut app = fixture::app_with(
            fixture::model_in(airlock::state::Phase::Overlap),
            Theme::plain(),
        );
        app.update(Action::GoTo(ScreenId::Inventory));
        app.update(Action::Renew);
        app.update(Action::Submit);
        confirm(&mut app, "alice");
        let Some(Layer::Passphrase(prompt, _)) = app.layers.last() else {
            panic!("the passphrase");
        };
        assert_eq!(
            prompt.label,
            "the incoming CA 'kubernetes-2025' (9b8c7d6e…)"
        );
        app.update(Action::Cancel);
        app.update(Action::Revoke);
        app.update(Action::Submit);
        app.update(Action::Submit);
        app.update(Action::Submit);
        confirm(&mut app, "alice");
        let Some(Layer::Passphrase(prompt, _)) = app.layers.last() else {
            panic!("the passphrase");
        };
        assert_eq!(prompt.label, "the retiring CA 'kubernetes' (3f9a1c0d…)");
    }

    #[test]
    fn a_failed_revocation_shows_an_error() {
        let mut app = inventory();
        app.update(Action::Revoke);
        app.update(Action::Submit);
        type_text(&mut app, "why");
        app.update(Action::Submit);
        app.update(Action::Submit);
        confirm(&mut app, "alice");
        type_text(&mut app, "wrong");
        app.update(Action::Submit);
        let _ = app.take_jobs();
        app.update(work(WorkEvent::Revoked(Err(failure("revocation failed")))));
        assert!(app.work.is_none());
        assert_eq!(app.mode(), Mode::Error);
    }
}

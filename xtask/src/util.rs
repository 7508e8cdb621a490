//! Small helpers shared by every command: paths, running programs with a
//! deadline, polling with a deadline, process liveness and termination.
//!
//! Nothing here knows about a particular server or about TestKit.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Result type of every xtask step: errors are messages for a human.
pub type Res<T = ()> = Result<T, String>;

/// The loopback address every server and listener binds.
pub const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// Cargo's target directory (`CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        _ => workspace_root().join("target"),
    }
}

/// Where servers are installed and run: `<target>/servers`.
pub fn servers_dir() -> PathBuf {
    target_dir().join("servers")
}

/// The user's cache directory: `$XDG_CACHE_HOME`, else `~/.cache`.
pub fn cache_home() -> Res<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".cache")),
        None => Err("neither XDG_CACHE_HOME nor HOME is set".into()),
    }
}

/// Creates a directory and its parents, with the path in the error.
pub fn mkdir(dir: &Path) -> Res {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Removes a directory tree if it exists.
pub fn rmdir(dir: &Path) -> Res {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", dir.display())),
    }
}

/// Prints a progress line prefixed with `xtask:`.
pub fn say(msg: impl AsRef<str>) {
    eprintln!("xtask: {}", msg.as_ref());
}

/// Describes a command for messages: program and arguments.
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `cmd` to completion, killing it after `limit`. Output goes where the
/// command's own settings say (inherited by default). Fails on a non-zero exit.
pub fn run(cmd: &mut Command, limit: Duration) -> Res {
    let status = run_status(cmd, limit)?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// Like [`run`] but returns the exit status instead of failing on it.
pub fn run_status(cmd: &mut Command, limit: Duration) -> Res<ExitStatus> {
    let what = describe(cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `{what}`: {e}"))?;
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{what}` did not finish within {}s and was killed",
                    limit.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("cannot wait for `{what}`: {e}")),
        }
    }
}

/// Runs `cmd` with a deadline and returns its stdout (stderr is captured and
/// put into the error message on failure).
pub fn output(cmd: &mut Command, limit: Duration) -> Res<String> {
    let what = describe(cmd);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{what}`: {e}"))?;
    // Drain both pipes on threads so a chatty child cannot block on a full pipe.
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = err_pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{what}` did not finish within {}s and was killed",
                    limit.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("cannot wait for `{what}`: {e}")),
        }
    };
    let out = out_t.join().unwrap_or_default();
    let err = err_t.join().unwrap_or_default();
    if status.success() {
        Ok(out)
    } else {
        Err(format!("`{what}` failed ({status}): {}", tail(&err, 20)))
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The last `n` lines of a file (empty if it cannot be read).
pub fn tail_file(path: &Path, n: usize) -> String {
    std::fs::read(path)
        .map(|b| tail(&String::from_utf8_lossy(&b), n))
        .unwrap_or_default()
}

/// Polls `check` every `every` until it returns `Some`, or fails with
/// `what` once `limit` has passed. `check` may fail early with `Err`.
pub fn wait_for<T>(
    what: &str,
    limit: Duration,
    every: Duration,
    mut check: impl FnMut() -> Res<Option<T>>,
) -> Res<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check()? {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {}s: {what}", limit.as_secs()));
        }
        std::thread::sleep(every);
    }
}

/// True if a TCP connection to `addr` succeeds within a second.
pub fn port_open(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
}

/// True if `port` on 127.0.0.1 can be bound right now.
pub fn port_free(port: u16) -> bool {
    TcpListener::bind((LOOPBACK, port)).is_ok()
}

/// A port on 127.0.0.1 that was free a moment ago (bind to port 0).
pub fn free_port() -> Res<u16> {
    let l =
        TcpListener::bind((LOOPBACK, 0)).map_err(|e| format!("cannot bind 127.0.0.1:0: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot read local address: {e}"))
}

/// True if process `pid` exists and is not a zombie.
pub fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "pid (comm) S ...": the state follows the last ')'.
        Ok(stat) => match stat.rfind(')') {
            Some(i) => !matches!(stat[i + 1..].trim_start().chars().next(), Some('Z' | 'X')),
            None => true,
        },
        Err(_) => false,
    }
}

/// The command line of process `pid`, arguments joined by spaces.
pub fn pid_cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// Sends `signal` (e.g. "TERM", "KILL") to `pid` with the `kill` command.
pub fn send_signal(pid: u32, signal: &str) -> Res {
    let out = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run kill: {e}"))?;
    if out.success() || !pid_alive(pid) {
        Ok(())
    } else {
        Err(format!("kill -{signal} {pid} failed ({out})"))
    }
}

/// Stops `pid`: SIGTERM, wait up to `grace`, then SIGKILL and wait 5 s more.
/// `reap` is called while waiting so a parent can collect its own child.
pub fn terminate(pid: u32, grace: Duration, mut reap: impl FnMut()) -> Res {
    if !pid_alive(pid) {
        return Ok(());
    }
    send_signal(pid, "TERM")?;
    let gone = |reap: &mut dyn FnMut()| {
        reap();
        Ok(if pid_alive(pid) { None } else { Some(()) })
    };
    if wait_for("", grace, Duration::from_millis(100), || gone(&mut reap)).is_ok() {
        return Ok(());
    }
    say(format!(
        "process {pid} ignored SIGTERM for {}s; sending SIGKILL",
        grace.as_secs()
    ));
    send_signal(pid, "KILL")?;
    wait_for(
        &format!("process {pid} to exit after SIGKILL"),
        Duration::from_secs(5),
        Duration::from_millis(100),
        || gone(&mut reap),
    )
}

/// Finds an executable on `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Recursively copies `from` to `to` (files and directories; symlinks are
/// followed). File permissions are kept.
pub fn copy_tree(from: &Path, to: &Path) -> Res {
    mkdir(to)?;
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        if src.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst)
                .map_err(|e| format!("cannot copy {} to {}: {e}", src.display(), dst.display()))?;
        }
    }
    Ok(())
}

/// Formats a duration as seconds with one decimal.
pub fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

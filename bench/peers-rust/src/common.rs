//! What every Rust bench peer shares: arguments, query texts, the
//! warm-up/measure loop and its JSON lines (same format as the Python and
//! JavaScript peers).

#![allow(dead_code)]

use std::time::Instant;

pub const Q_ONE: &str = "RETURN 1";
pub const Q_PARAM: &str = "RETURN $i";
pub const Q_CREATE: &str = "CREATE (:Bench {i: $i})";

pub fn q_ints(n: u64) -> String {
    format!("UNWIND range(1, {n}) AS x RETURN x")
}

pub fn q_maps(n: u64) -> String {
    format!(
        "UNWIND range(1, {n}) AS i RETURN {{id: i, name: 'name-' + toString(i), \
         score: i * 0.5, tags: ['a', 'b'], active: i % 2 = 0}} AS m"
    )
}

/// Command-line arguments, as xtask passes them.
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub uri: String,
    pub user: String,
    pub password: String,
    pub db: String,
    pub workload: String,
    pub warmup: u64,
    pub runs: u64,
    pub rows: u64,
    pub ops: u64,
    pub conc: u64,
}

impl Args {
    pub fn parse() -> Args {
        let mut a = Args {
            warmup: 1,
            runs: 3,
            conc: 16,
            ..Args::default()
        };
        let argv: Vec<String> = std::env::args().skip(1).collect();
        for pair in argv.chunks(2) {
            let v = pair.get(1).cloned().unwrap_or_default();
            let num = || v.parse::<u64>().expect("numeric argument");
            match pair[0].as_str() {
                "--uri" => a.uri = v.clone(),
                "--user" => a.user = v.clone(),
                "--password" => a.password = v.clone(),
                "--db" => a.db = v.clone(),
                "--workload" => a.workload = v.clone(),
                "--warmup" => a.warmup = num(),
                "--runs" => a.runs = num(),
                "--rows" => a.rows = num(),
                "--ops" => a.ops = num(),
                "--conc" => a.conc = num(),
                other => panic!("unknown argument {other}"),
            }
        }
        a
    }

    /// `host:port` of a `bolt://host:port` URI.
    pub fn host_port(&self) -> (String, u16) {
        let rest = self.uri.split("://").nth(1).unwrap_or(&self.uri);
        let (h, p) = rest.rsplit_once(':').expect("URI with a port");
        (
            h.to_string(),
            p.trim_end_matches('/').parse().expect("port"),
        )
    }
}

/// Process CPU time in seconds (all threads).
pub fn cpu_now() -> f64 {
    cpu_time::ProcessTime::now().as_duration().as_secs_f64()
}

/// Runs `once` warm-up + measured times, printing one JSON line per run.
/// Warm-up runs get `rows / 10` rows (streams warm up on a shorter one).
pub fn measure(a: &Args, version: &str, mut once: impl FnMut(&Args) -> u64) {
    let mut total = 0;
    let warm = Args {
        rows: (a.rows / 10).max(1),
        ..a.clone()
    };
    for i in 0..a.warmup + a.runs {
        let (c0, w0) = (cpu_now(), Instant::now());
        let ops = once(if i < a.warmup { &warm } else { a });
        let wall = w0.elapsed().as_secs_f64();
        let cpu = cpu_now() - c0;
        total += ops;
        if i >= a.warmup {
            println!(
                "{}",
                serde_json::json!({"wall_s": wall, "cpu_s": cpu, "ops": ops})
            );
        }
    }
    println!(
        "{}",
        serde_json::json!({"done": true, "total_ops": total, "version": version})
    );
}

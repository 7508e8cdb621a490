//! A logging, fault-injecting Bolt proxy on the command line:
//!
//! ```text
//! cargo run -p bolt-proxy --example proxy -- \
//!     --listen 127.0.0.1:7688 --upstream 127.0.0.1:7687 --fault 'close@COMMIT.reply#once'
//! ```
//!
//! Prints every message it forwards (decoded) and every fault it fires,
//! until Ctrl-C. `--fault` may be repeated or hold a comma-separated plan
//! (grammar: `bolt_proxy::spec`).

use bolt_proxy::{FaultPlan, Proxy};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut listen = "127.0.0.1:7688".to_owned();
    let mut upstream = None;
    let mut plan = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--listen" => listen = value()?,
            "--upstream" => upstream = Some(value()?),
            "--fault" => plan.push(value()?),
            _ => return Err(format!("unknown argument {a:?}").into()),
        }
    }
    let upstream = upstream.ok_or("--upstream HOST:PORT is required")?;
    let plan: FaultPlan = plan.join(",").parse()?;
    let proxy = Proxy::builder(upstream.clone())
        .plan(plan.clone())
        .observe(|e| println!("{e}"))
        .bind(listen)
        .await?;
    eprintln!(
        "proxying {} -> {upstream}, faults: {}",
        proxy.local_addr(),
        if plan.specs().is_empty() {
            "none".to_owned()
        } else {
            plan.to_string()
        }
    );
    tokio::signal::ctrl_c().await?;
    proxy.shutdown().await;
    Ok(())
}

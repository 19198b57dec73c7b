//! `--metrics ADDR`: a Prometheus scrape endpoint (`GET /metrics`, OpenMetrics text) with
//! the gateway's counters while a simulation or the demo runs — the same counters their
//! summaries print. Every `GatewayStats` field is exported as `subgate_gateway_<field>_total`,
//! and what the gateway holds per station and source (`Gateway::footprint`, bounded by
//! `[limits]`: docs/hardening.md) as gauges `subgate_gateway_footprint_<field>`; the
//! terminals' side adds readings made and acked and the virtual clock.
//!
//! The server is a plain HTTP/1.1 responder on one thread: one short request per connection,
//! as a Prometheus scraper makes them.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use subgate_testbench::sim::SimProgress;

/// The longest request head read before answering (a scrape is a few hundred bytes).
const MAX_REQUEST: usize = 8 * 1024;

/// A running endpoint; it serves until the process ends.
pub struct MetricsServer {
    /// The address it listens on (the port is the real one when 0 was asked for).
    pub addr: SocketAddr,
}

/// Starts serving `progress` on `addr`.
pub fn serve(addr: &str, progress: Arc<SimProgress>) -> Result<MetricsServer> {
    let listener =
        TcpListener::bind(addr).with_context(|| format!("--metrics {addr}: cannot listen"))?;
    let addr = listener.local_addr()?;
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for conn in listener.incoming() {
                match conn {
                    Ok(stream) => {
                        if let Err(e) = answer(stream, &progress) {
                            tracing::debug!(error = %e, "metrics request failed");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "metrics endpoint: accept failed"),
                }
            }
        })?;
    Ok(MetricsServer { addr })
}

/// Reads one request head and answers it.
fn answer(stream: TcpStream, progress: &SimProgress) -> Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut first = String::new();
    let mut seen = reader.read_line(&mut first)?;
    // The rest of the head, up to the blank line.
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        seen += n;
        if n == 0 || line == "\r\n" || line == "\n" || seen > MAX_REQUEST {
            break;
        }
    }
    let mut parts = first.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut out = stream;
    let (status, kind, body) = match (method, path) {
        ("GET", "/metrics") => (
            "200 OK",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            exposition(progress)?,
        ),
        ("GET", _) => (
            "404 Not Found",
            "text/plain",
            "only /metrics is served here\n".to_string(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            "GET /metrics\n".to_string(),
        ),
    };
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    out.flush()?;
    Ok(())
}

/// The counters as OpenMetrics text.
pub fn exposition(progress: &SimProgress) -> Result<String> {
    let mut registry = Registry::with_prefix("subgate");
    let stats = progress
        .gateway
        .lock()
        .map(|g| *g)
        .map_err(|_| anyhow::anyhow!("the simulation thread panicked"))?;
    let fields = serde_json::to_value(stats)?;
    if let Some(map) = fields.as_object() {
        for (name, v) in map {
            if let Some(n) = v.as_u64() {
                registry.register(
                    format!("gateway_{name}"),
                    format!("gateway counter {name} (GatewayStats, docs/guide.md)"),
                    ConstCounter::new(n),
                );
            }
        }
    }
    let footprint = progress
        .footprint
        .lock()
        .map(|f| *f)
        .map_err(|_| anyhow::anyhow!("the simulation thread panicked"))?;
    if let Some(map) = serde_json::to_value(footprint)?.as_object() {
        for (name, v) in map {
            if let Some(n) = v.as_i64() {
                registry.register(
                    format!("gateway_footprint_{name}"),
                    format!("gateway footprint {name}: entries held now (docs/hardening.md)"),
                    ConstGauge::new(n),
                );
            }
        }
    }
    registry.register(
        "terminal_readings",
        "readings the virtual meters made",
        ConstCounter::new(progress.generated.load(Ordering::Relaxed)),
    );
    registry.register(
        "terminal_readings_acked",
        "readings the virtual meters saw acked",
        ConstCounter::new(progress.acked.load(Ordering::Relaxed)),
    );
    registry.register(
        "virtual_seconds",
        "virtual time reached by the simulation, s",
        ConstGauge::new((progress.virtual_us.load(Ordering::Relaxed) / 1_000_000) as i64),
    );
    let mut text = String::new();
    encode(&mut text, &registry)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).expect("connects");
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("writes");
        let mut body = String::new();
        s.read_to_string(&mut body).expect("reads");
        body
    }

    #[test]
    fn serves_the_counters_it_is_given() {
        let p = Arc::new(SimProgress::default());
        if let Ok(mut g) = p.gateway.lock() {
            g.reports_stored = 1234;
            g.records_published = 7;
        }
        p.acked.store(99, Ordering::Relaxed);
        if let Ok(mut f) = p.footprint.lock() {
            f.joining = 17;
        }
        let s = serve("127.0.0.1:0", p.clone()).expect("listens");
        let r = get(s.addr, "/metrics");
        assert!(r.starts_with("HTTP/1.1 200 OK"), "{r}");
        assert!(
            r.contains("subgate_gateway_reports_stored_total 1234"),
            "{r}"
        );
        assert!(
            r.contains("subgate_gateway_records_published_total 7"),
            "{r}"
        );
        assert!(
            r.contains("subgate_terminal_readings_acked_total 99"),
            "{r}"
        );
        assert!(r.contains("# TYPE subgate_gateway_beacons counter"), "{r}");
        assert!(r.contains("subgate_gateway_footprint_joining 17"), "{r}");
        assert!(r.trim_end().ends_with("# EOF"), "{r}");
        p.acked.store(100, Ordering::Relaxed);
        assert!(get(s.addr, "/metrics").contains("subgate_terminal_readings_acked_total 100"));
        assert!(get(s.addr, "/").starts_with("HTTP/1.1 404"));
    }

    #[test]
    fn a_taken_port_is_a_clear_error() {
        let p = Arc::new(SimProgress::default());
        let s = serve("127.0.0.1:0", p.clone()).expect("listens");
        let e = serve(&s.addr.to_string(), p).err().expect("refused");
        assert!(e.to_string().contains("cannot listen"), "{e}");
    }
}

//! The demo's northbound peer: a real MQTT broker (rumqttd, embedded, on loopback) and an
//! observer linked into it that counts what the gateway published, by topic kind — so the
//! summary can say what reached the broker, not only what the gateway sent.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rumqttd::{Broker, Config, ConnectionSettings, Notification, RouterConfig, ServerSettings};

/// Messages seen at the broker per topic kind (the last topic level: `batches`, `events`,
/// `status`, `charging`, …).
pub type Seen = Arc<Mutex<HashMap<String, u64>>>;

/// An embedded broker and its observer; both run until the process ends.
pub struct EmbeddedBroker {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// What the observer counted.
    pub seen: Seen,
}

/// Starts rumqttd on a free loopback port with an observer subscribed to `filter`.
pub fn start(filter: &str) -> Result<EmbeddedBroker> {
    // A free port: bind, read it, release it for the broker.
    let addr = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .context("no free loopback port for the embedded broker")?;
    let server = ServerSettings {
        name: "subgate-demo".into(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            // The gateway's batches go up to 1 MiB.
            max_payload_size: 2 << 20,
            max_inflight_count: 200,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: 64,
            max_outgoing_packet_count: 200,
            max_segment_size: 100 << 20,
            max_segment_count: 10,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("1".to_string(), server)])),
        ..Config::default()
    };
    let mut broker = Broker::new(config);
    let (mut link_tx, mut link_rx) = broker
        .link("subgate-demo-observer")
        .map_err(|e| anyhow::anyhow!("embedded broker: {e}"))?;
    std::thread::Builder::new()
        .name("rumqttd".into())
        .spawn(move || {
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "embedded broker stopped");
            }
        })?;
    link_tx
        .subscribe(filter)
        .map_err(|e| anyhow::anyhow!("embedded broker: {e}"))?;
    let seen: Seen = Arc::default();
    let counts = seen.clone();
    std::thread::Builder::new()
        .name("mqtt-observer".into())
        .spawn(move || loop {
            match link_rx.recv() {
                Ok(Some(Notification::Forward(f))) => {
                    let topic = String::from_utf8_lossy(&f.publish.topic);
                    let kind = topic.rsplit('/').next().unwrap_or("").to_string();
                    if let Ok(mut m) = counts.lock() {
                        *m.entry(kind).or_default() += 1;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        })?;
    // Wait until the broker answers an MQTT CONNECT (a bare TCP probe would make it log an
    // error for the aborted connection).
    for _ in 0..100 {
        if connack(addr).is_ok() {
            return Ok(EmbeddedBroker { addr, seen });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("the embedded broker did not start listening on {addr}")
}

/// Connects with MQTT 3.1.1, waits for a successful CONNACK and disconnects.
fn connack(addr: SocketAddr) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    let id = b"subgate-demo-probe";
    let mut packet = vec![0x10, (10 + 2 + id.len()) as u8];
    // protocol name "MQTT", level 4, clean session, keep-alive 60 s
    packet.extend_from_slice(&[0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60]);
    packet.extend_from_slice(&[0, id.len() as u8]);
    packet.extend_from_slice(id);
    s.write_all(&packet)?;
    let mut ack = [0u8; 4];
    s.read_exact(&mut ack)?;
    s.write_all(&[0xE0, 0x00])?;
    if ack == [0x20, 0x02, 0x00, 0x00] {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "unexpected CONNACK {ack:02x?}"
        )))
    }
}

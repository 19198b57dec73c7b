//! MQTT northbound (rumqttc, MQTT 3.1.1): each batch is published with QoS 1 to
//! `<topic_prefix>/<gateway>/batches` and counts as forwarded only once the broker's PUBACK
//! for it arrived. Until then it stays pending in the store — the durable outbox — and is
//! published again, with the same `batch_id`, by the next aggregation: a broker outage or a
//! gateway crash loses nothing, and consumers drop copies by id. Events go the same way to
//! `.../events` and closed charging records to `.../charging`; the status goes retained to `.../status`, with an `online: false` last
//! will; downlink commands are read from `.../commands` (subscribed QoS 1 on every
//! connection). TLS (rustls, ring) and user name / password are options.
//!
//! The connection runs on its own thread (rumqttc's blocking `Connection`), reconnecting
//! with a backoff from 100 ms to 5 s, so a broker that comes back is picked up without a
//! tight loop. While it is down [`Northbound::forward`] fails at once (no publish is queued
//! in memory); while it is up, `forward` waits at most `timeout_ms` for the PUBACK. The
//! session is clean: nothing rumqttc held in memory is replayed; the store replays.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::{
    Client, Event, LastWill, MqttOptions, Outgoing, Packet, QoS, TlsConfiguration, Transport,
};

use super::command::{Command, CommandInput};
use super::event::{EventPayload, StatusPayload};
use super::payload::BatchPayload;
use super::record::RecordPayload;
use crate::aggregate::{Batch, Northbound, NorthboundError};
use crate::config::{ConfigError, NorthboundConfig};
use crate::store::charging::StoredRecord;
use crate::store::StoredEvent;

/// Largest MQTT packet we send or take (a batch of 100 reports of 4 KiB fits).
const MAX_PACKET: usize = 1 << 20;
/// Reconnect backoff bounds.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// What the connection thread tells `forward`.
#[derive(Debug, Clone, Copy)]
enum Signal {
    /// A PUBLISH left with this packet id.
    Sent(u16),
    /// The broker acknowledged this packet id.
    Acked(u16),
}

/// Counters of the MQTT link.
#[derive(Debug, Default)]
pub struct MqttCounters {
    /// Batches acknowledged by the broker.
    pub acked: AtomicU64,
    /// Publishes whose PUBACK did not come in time (the batch is retried).
    pub timeouts: AtomicU64,
    /// `forward` calls refused because the broker was not connected.
    pub unavailable: AtomicU64,
    /// Connections made (the first one and every reconnection).
    pub connections: AtomicU64,
    /// Downlink command messages received (valid or not).
    pub commands: AtomicU64,
}

/// The MQTT northbound. See the module docs.
pub struct MqttNorthbound {
    client: Client,
    signals: mpsc::Receiver<Signal>,
    commands: mpsc::Receiver<CommandInput>,
    connected: Arc<AtomicBool>,
    /// Set when it is dropped: the connection's end is then expected, not a failure.
    closing: Arc<AtomicBool>,
    counters: Arc<MqttCounters>,
    /// Packet ids sent and not acknowledged yet (to tell our next PUBLISH from a resend).
    unacked: HashSet<u16>,
    gateway: String,
    topic: String,
    event_topic: String,
    record_topic: String,
    status_topic: String,
    timeout: Duration,
}

impl std::fmt::Debug for MqttNorthbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttNorthbound")
            .field("topic", &self.topic)
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl MqttNorthbound {
    /// Starts the connection thread for `config` (validated: `broker` is `host:port`) on
    /// behalf of gateway `gateway`. Returns at once; the first connection is made in the
    /// background ([`wait_connected`](Self::wait_connected) waits for it).
    pub fn start(gateway: &str, config: &NorthboundConfig) -> Result<MqttNorthbound, ConfigError> {
        let (host, port) = config.broker_host_port()?;
        let id = if config.client_id.is_empty() {
            gateway.to_string()
        } else {
            config.client_id.clone()
        };
        let base = format!("{}/{}", config.topic_prefix, gateway);
        let status_topic = format!("{base}/status");
        let command_topic = format!("{base}/commands");
        let mut opts = MqttOptions::new(id, host, port);
        opts.set_keep_alive(Duration::from_secs(u64::from(config.keep_alive_s)))
            .set_clean_session(true)
            .set_max_packet_size(MAX_PACKET, MAX_PACKET)
            .set_last_will(LastWill::new(
                status_topic.clone(),
                StatusPayload::offline(gateway).to_json(),
                QoS::AtLeastOnce,
                true,
            ));
        if !config.username.is_empty() {
            opts.set_credentials(config.username.clone(), config.password.clone());
        }
        if config.tls {
            opts.set_transport(Transport::tls_with_config(tls_config(config)?));
        }
        let (client, mut connection) = Client::new(opts, 16);
        let (tx, signals) = mpsc::channel();
        let (command_tx, commands) = mpsc::channel();
        let connected = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(MqttCounters::default());
        let (up, count) = (connected.clone(), counters.clone());
        let closing = Arc::new(AtomicBool::new(false));
        let stopping = closing.clone();
        let broker = config.broker.clone();
        let subscriber = client.clone();
        thread::Builder::new()
            .name("mqtt-northbound".into())
            .spawn(move || {
                let mut backoff = BACKOFF_MIN;
                for event in connection.iter() {
                    let signal = match event {
                        Ok(Event::Incoming(Packet::ConnAck(_))) => {
                            up.store(true, Ordering::SeqCst);
                            count.connections.fetch_add(1, Ordering::Relaxed);
                            backoff = BACKOFF_MIN;
                            // A clean session forgets subscriptions: subscribe on every one.
                            if let Err(e) =
                                subscriber.try_subscribe(command_topic.clone(), QoS::AtLeastOnce)
                            {
                                tracing::warn!(%broker, error = %e, "command subscription not sent");
                            }
                            tracing::info!(%broker, "northbound connected");
                            None
                        }
                        Ok(Event::Outgoing(Outgoing::Publish(pkid))) => Some(Signal::Sent(pkid)),
                        Ok(Event::Incoming(Packet::PubAck(a))) => Some(Signal::Acked(a.pkid)),
                        Ok(Event::Incoming(Packet::Publish(p))) if p.topic == command_topic => {
                            count.commands.fetch_add(1, Ordering::Relaxed);
                            // Command::from_json refuses oversized payloads unread.
                            let input = Command::from_json(&p.payload);
                            if command_tx.send(input).is_err() {
                                break;
                            }
                            None
                        }
                        Ok(_) => None,
                        Err(e) => {
                            if stopping.load(Ordering::SeqCst) {
                                tracing::debug!(%broker, "northbound closed");
                                break;
                            }
                            if up.swap(false, Ordering::SeqCst) {
                                tracing::warn!(%broker, error = %e, "northbound disconnected");
                            } else {
                                tracing::debug!(%broker, error = %e, "northbound connect failed");
                            }
                            thread::sleep(backoff);
                            backoff = (backoff * 2).min(BACKOFF_MAX);
                            None
                        }
                    };
                    if let Some(s) = signal {
                        if tx.send(s).is_err() {
                            break; // the northbound was dropped
                        }
                    }
                }
            })
            .map_err(|e| ConfigError::Invalid {
                file: String::new(),
                key: "northbound".into(),
                value: String::new(),
                expected: format!("a thread for the MQTT connection ({e})"),
            })?;
        Ok(MqttNorthbound {
            client,
            signals,
            commands,
            connected,
            closing,
            counters,
            unacked: HashSet::new(),
            gateway: gateway.to_string(),
            topic: format!("{base}/batches"),
            event_topic: format!("{base}/events"),
            record_topic: format!("{base}/charging"),
            status_topic,
            timeout: Duration::from_millis(u64::from(config.timeout_ms)),
        })
    }

    /// Whether the broker connection is up now.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Waits up to `limit` for the connection; returns whether it is up.
    pub fn wait_connected(&self, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        while !self.is_connected() {
            if Instant::now() >= end {
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
        true
    }

    /// The link's counters.
    pub fn counters(&self) -> &MqttCounters {
        &self.counters
    }

    /// The topic batches go to.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    fn take_signal(&mut self, s: Signal) -> Signal {
        match s {
            Signal::Sent(p) => {
                self.unacked.insert(p);
            }
            Signal::Acked(p) => {
                self.unacked.remove(&p);
            }
        }
        s
    }
}

impl MqttNorthbound {
    /// Publishes `payload` with QoS 1 and waits up to `timeout_ms` for its PUBACK. `what`
    /// names it in errors.
    fn publish_acked(
        &mut self,
        topic: &str,
        payload: Vec<u8>,
        retain: bool,
        what: &str,
    ) -> Result<(), NorthboundError> {
        if !self.is_connected() {
            self.counters.unavailable.fetch_add(1, Ordering::Relaxed);
            return Err(NorthboundError::Unavailable(
                "MQTT broker not connected".into(),
            ));
        }
        // Signals left over from earlier (timed-out) publishes.
        while let Ok(s) = self.signals.try_recv() {
            self.take_signal(s);
        }
        self.client
            .try_publish(topic, QoS::AtLeastOnce, retain, payload)
            .map_err(|e| NorthboundError::Unavailable(format!("MQTT publish: {e}")))?;
        let deadline = Instant::now() + self.timeout;
        let mut mine: Option<u16> = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(s) = self.signals.recv_timeout(left) else {
                self.counters.timeouts.fetch_add(1, Ordering::Relaxed);
                return Err(NorthboundError::Unavailable(format!(
                    "no PUBACK for {what} within {} ms",
                    self.timeout.as_millis()
                )));
            };
            let fresh = matches!(s, Signal::Sent(p) if !self.unacked.contains(&p));
            match self.take_signal(s) {
                Signal::Sent(p) if mine.is_none() && fresh => mine = Some(p),
                Signal::Acked(p) if Some(p) == mine => {
                    self.counters.acked.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                _ => {}
            }
        }
    }
}

impl Northbound for MqttNorthbound {
    fn forward(&mut self, batch: &Batch) -> Result<(), NorthboundError> {
        let payload = BatchPayload::new(&self.gateway, batch).to_json();
        let topic = self.topic.clone();
        self.publish_acked(&topic, payload, false, &format!("batch {}", batch.id))
    }

    fn publish_event(&mut self, event: &StoredEvent) -> Result<(), NorthboundError> {
        let payload = EventPayload::new(&self.gateway, event).to_json();
        let topic = self.event_topic.clone();
        self.publish_acked(&topic, payload, false, &format!("event {}", event.id))
    }

    fn publish_record(&mut self, record: &StoredRecord) -> Result<(), NorthboundError> {
        let payload = RecordPayload::new(&self.gateway, record).to_json();
        let topic = self.record_topic.clone();
        self.publish_acked(&topic, payload, false, &format!("record {}", record.id))
    }

    fn publish_status(&mut self, status: &StatusPayload) -> Result<(), NorthboundError> {
        let topic = self.status_topic.clone();
        self.publish_acked(&topic, status.to_json(), true, "status")
    }

    fn take_commands(&mut self) -> Vec<CommandInput> {
        self.commands.try_iter().collect()
    }
}

/// The TLS settings of `config` (`tls = true`): the CA bundle, and the client certificate
/// and key when given. `Invalid` naming the key whose file cannot be read.
fn tls_config(config: &NorthboundConfig) -> Result<TlsConfiguration, ConfigError> {
    let read = |key: &str, path: &str| {
        std::fs::read(path).map_err(|e| {
            ConfigError::invalid(
                format!("northbound.{key}"),
                format!("{path:?}"),
                format!("a readable PEM file ({e})"),
            )
        })
    };
    let ca = read("ca_file", &config.ca_file)?;
    let client_auth = if config.client_cert_file.is_empty() {
        None
    } else {
        Some((
            read("client_cert_file", &config.client_cert_file)?,
            read("client_key_file", &config.client_key_file)?,
        ))
    };
    Ok(TlsConfiguration::Simple {
        ca,
        alpn: None,
        client_auth,
    })
}

impl Drop for MqttNorthbound {
    fn drop(&mut self) {
        // A clean stop replaces the retained status (the last will is only for a dying
        // connection), then ends the connection thread's iterator; the thread is not joined
        // (it may be asleep in a reconnect backoff).
        self.closing.store(true, Ordering::SeqCst);
        let offline = StatusPayload::offline(&self.gateway).to_json();
        let _ = self
            .client
            .try_publish(self.status_topic.clone(), QoS::AtLeastOnce, true, offline);
        let _ = self.client.try_disconnect();
    }
}

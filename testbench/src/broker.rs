//! A real mosquitto on loopback for the northbound's tests and benches (Debian package
//! `mosquitto`, installed by `.ci/run`), and a consumer that collects what the gateway
//! publishes the way an M2M platform would: persistent session, QoS 1, re-subscribing on
//! every CONNACK.
//!
//! [`Mosquitto::start`] writes a config into a temporary directory (persistence on, a plain
//! listener on a free port, and with TLS a second listener whose certificates `openssl`
//! makes at start), and waits for the port. [`Mosquitto::kill`] is SIGKILL: the broker's own
//! durability is then what its persistence file holds.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use subgate_control::northbound::{BatchPayload, EventPayload, RecordPayload, StatusPayload};

/// Where Debian puts the broker.
pub const MOSQUITTO: &str = "/usr/sbin/mosquitto";
/// The user of the password listener ([`Mosquitto::start_with`]).
pub const USER: &str = "gateway";
/// Its password.
pub const PASSWORD: &str = "subgate-test-password";

/// A running mosquitto.
#[derive(Debug)]
pub struct Mosquitto {
    dir: tempfile::TempDir,
    /// Plain MQTT port on 127.0.0.1.
    pub port: u16,
    /// TLS port on 127.0.0.1, when started with TLS.
    pub tls_port: Option<u16>,
    /// Port on 127.0.0.1 that takes only [`USER`] / [`PASSWORD`] (anonymous clients are
    /// refused), when started with it.
    pub auth_port: Option<u16>,
    child: Option<Child>,
}

/// Whether mosquitto is installed here.
pub fn installed() -> bool {
    Path::new(MOSQUITTO).exists()
}

/// For tests: whether mosquitto is here; when it is not, says the test is skipped — and
/// panics under `CI=true`, where `.ci/run` must have installed it.
pub fn required() -> bool {
    if installed() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "mosquitto not installed but CI=true"
    );
    println!("mosquitto not installed: test skipped");
    false
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Mosquitto {
    /// Starts a broker with a plain listener.
    pub fn start() -> io::Result<Mosquitto> {
        Self::start_with(false, false)
    }

    /// Starts a broker with a plain listener and a TLS one (server certificate for
    /// `localhost` / 127.0.0.1 signed by a CA made now; [`ca_file`](Self::ca_file)).
    pub fn start_tls() -> io::Result<Mosquitto> {
        Self::start_with(true, false)
    }

    /// Starts a broker with a plain anonymous listener, plus a TLS one (`tls`) and one that
    /// takes only [`USER`] / [`PASSWORD`] (`auth`; the password file is made with
    /// `mosquitto_passwd`).
    pub fn start_with(tls: bool, auth: bool) -> io::Result<Mosquitto> {
        let dir = tempfile::Builder::new().prefix("subgate-mqtt-").tempdir()?;
        let port = free_port()?;
        let tls_port = if tls {
            make_certificates(dir.path())?;
            Some(free_port()?)
        } else {
            None
        };
        let auth_port = if auth {
            let out = Command::new("mosquitto_passwd")
                .args(["-b", "-c"])
                .arg(dir.path().join("passwd"))
                .args([USER, PASSWORD])
                .output()?;
            if !out.status.success() {
                return Err(io::Error::other(format!(
                    "mosquitto_passwd: {}",
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
            Some(free_port()?)
        } else {
            None
        };
        let d = dir.path().display();
        let mut conf = std::fs::File::create(dir.path().join("mosquitto.conf"))?;
        write!(
            conf,
            "per_listener_settings true\npersistence true\npersistence_location {d}/\n\
             user root\nlog_dest none\nlistener {port} 127.0.0.1\nallow_anonymous true\n"
        )?;
        if let Some(tp) = tls_port {
            write!(
                conf,
                "listener {tp} 127.0.0.1\nallow_anonymous true\ncafile {d}/ca.pem\n\
                 certfile {d}/server.pem\nkeyfile {d}/server.key\n"
            )?;
        }
        if let Some(ap) = auth_port {
            write!(
                conf,
                "listener {ap} 127.0.0.1\nallow_anonymous false\npassword_file {d}/passwd\n"
            )?;
        }
        drop(conf);
        let mut m = Mosquitto {
            dir,
            port,
            tls_port,
            auth_port,
            child: None,
        };
        m.restart()?;
        Ok(m)
    }

    /// `127.0.0.1:<port>` of the plain listener.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The CA certificate the TLS listener's certificate chains to.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(&mut self) -> io::Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill()?;
            c.wait()?;
        }
        Ok(())
    }

    /// SIGTERM (a clean stop: mosquitto writes its persistence file on the way out), and
    /// wait for the process to be gone.
    pub fn stop(&mut self) -> io::Result<()> {
        if let Some(mut c) = self.child.take() {
            let status = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status()?;
            if !status.success() {
                c.kill()?;
            }
            c.wait()?;
        }
        Ok(())
    }

    /// Starts the broker again (after [`kill`](Self::kill)) on the same ports and files,
    /// and waits up to 10 s for its ports.
    pub fn restart(&mut self) -> io::Result<()> {
        self.kill()?;
        let child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(self.dir.path().join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let end = Instant::now() + Duration::from_secs(10);
        for p in std::iter::once(self.port)
            .chain(self.tls_port)
            .chain(self.auth_port)
        {
            while TcpStream::connect(("127.0.0.1", p)).is_err() {
                if Instant::now() > end {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("mosquitto did not open port {p} within 10 s"),
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// A CA and a server certificate for 127.0.0.1 / localhost, with the `openssl` command.
fn make_certificates(dir: &Path) -> io::Result<()> {
    let run = |args: &[&str]| -> io::Result<()> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "openssl {}: {}",
                args.first().copied().unwrap_or(""),
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    };
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n",
    )?;
    // A P-256 key and a request for it, self-signed (`-x509`) for the CA.
    let new_key = |key: &str, extra: &[&str]| {
        let mut args = vec![
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ];
        args.extend_from_slice(&["-nodes", "-keyout", key]);
        args.extend_from_slice(extra);
        run(&args)
    };
    new_key(
        "ca.key",
        &[
            "-x509",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=subgate test CA",
        ],
    )?;
    new_key(
        "server.key",
        &["-out", "server.csr", "-subj", "/CN=localhost"],
    )?;
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ])
}

/// What a [`Consumer`] received, in arrival order.
#[derive(Debug, Default, Clone)]
pub struct Received {
    /// Batch messages.
    pub batches: Vec<BatchPayload>,
    /// Event messages.
    pub events: Vec<EventPayload>,
    /// Status messages (the retained one first after each subscription).
    pub statuses: Vec<StatusPayload>,
    /// Charging-record messages.
    pub records: Vec<RecordPayload>,
    /// Messages on our topics that did not parse.
    pub unparsed: u64,
    /// Subscriptions the broker acknowledged (four per connection).
    pub subscriptions: u64,
}

impl Received {
    /// Every report in the batches received, as (terminal, sequence).
    pub fn report_keys(&self) -> std::collections::BTreeSet<(String, u32)> {
        self.batches
            .iter()
            .flat_map(|b| b.reports.iter().map(|r| (r.terminal.clone(), r.sequence)))
            .collect()
    }
}

/// A platform-side MQTT client: collects batches, events, status and charging records of every gateway under
/// `prefix`, and sends downlink commands.
#[derive(Clone)]
pub struct Consumer {
    client: Client,
    got: Arc<Mutex<Received>>,
    prefix: String,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl Consumer {
    /// Connects to `host:port` as client `id` with a persistent session and subscribes
    /// (QoS 1, again on every CONNACK) to `<prefix>/+/batches`, `/events`, `/status` and `/charging`;
    /// returns once the first subscriptions are acknowledged (or after 10 s).
    pub fn start(port: u16, id: &str, prefix: &str) -> Consumer {
        let got = Arc::new(Mutex::new(Received::default()));
        let mut opts = MqttOptions::new(id, "127.0.0.1", port);
        opts.set_clean_session(false)
            .set_keep_alive(Duration::from_secs(5))
            .set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut conn) = Client::new(opts, 256);
        let (sink, sub, p) = (got.clone(), client.clone(), prefix.to_string());
        std::thread::spawn(move || {
            for ev in conn.iter() {
                match ev {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        for t in ["batches", "events", "status", "charging"] {
                            let _ = sub.try_subscribe(format!("{p}/+/{t}"), QoS::AtLeastOnce);
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let Ok(mut g) = sink.lock() else { break };
                        g.subscriptions += 1;
                    }
                    Ok(Event::Incoming(Packet::Publish(m))) => {
                        let Ok(mut g) = sink.lock() else { break };
                        let ok = if m.topic.ends_with("/batches") {
                            serde_json::from_slice(&m.payload)
                                .map(|b| g.batches.push(b))
                                .is_ok()
                        } else if m.topic.ends_with("/charging") {
                            serde_json::from_slice(&m.payload)
                                .map(|r| g.records.push(r))
                                .is_ok()
                        } else if m.topic.ends_with("/events") {
                            serde_json::from_slice(&m.payload)
                                .map(|e| g.events.push(e))
                                .is_ok()
                        } else {
                            serde_json::from_slice(&m.payload)
                                .map(|s| g.statuses.push(s))
                                .is_ok()
                        };
                        if !ok {
                            g.unparsed += 1;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => std::thread::sleep(Duration::from_millis(100)),
                }
            }
        });
        let c = Consumer {
            client,
            got,
            prefix: prefix.to_string(),
        };
        c.wait_for(Duration::from_secs(10), |r| r.subscriptions >= 4);
        c
    }

    /// A copy of what arrived so far.
    pub fn received(&self) -> Received {
        self.got.lock().map(|g| g.clone()).unwrap_or_default()
    }

    /// Waits up to `limit` for `done` to hold on what arrived; returns whether it did.
    pub fn wait_for(&self, limit: Duration, done: impl Fn(&Received) -> bool) -> bool {
        let end = Instant::now() + limit;
        loop {
            if self.got.lock().map(|g| done(&g)).unwrap_or(false) {
                return true;
            }
            if Instant::now() > end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Publishes a downlink command (QoS 1) to gateway `gateway`.
    pub fn command(&self, gateway: &str, json: &str) -> Result<(), rumqttc::ClientError> {
        self.client.try_publish(
            format!("{}/{gateway}/commands", self.prefix),
            QoS::AtLeastOnce,
            false,
            json.as_bytes().to_vec(),
        )
    }
}

//! A real FreeRADIUS on loopback, for the AAA tests, the simulation and `subgate bench
//! control --aaa radius` (issue 7: "no mock RADIUS in tests that claim AAA").
//!
//! [`FreeRadius::start`] copies the configuration shipped in `aaa/freeradius/` into a
//! temporary directory with the port, the shared secret and the thread count filled in,
//! writes a `users` file for the given [`AaaUser`]s, starts `freeradius -f` on it and waits
//! until the server answers a Status-Server (RFC 5997) sent by our own client. Dropping the
//! handle kills the server. Requires the Debian package `freeradius` (`.ci/run` installs it);
//! without it [`FreeRadius::start`] says so ([`AaaError::NotInstalled`]).

use std::fmt::Write as _;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use subgate_control::radius::{dict::attr, Attribute, Client, ClientConfig, Code, Repr};
use subgate_control::registrar::proof::aaa_secret;
use subgate_control::registrar::Psk;
use subgate_control::wire::m2m::{ServiceInfoRepr, Sid};

const RADIUSD_CONF: &str = include_str!("../../aaa/freeradius/radiusd.conf");
const DICTIONARY: &str = include_str!("../../aaa/freeradius/dictionary.subgate");
const AES_PROOF_SH: &str = include_str!("../../aaa/freeradius/aes-proof.sh");

/// Where Debian installs the server.
pub const FREERADIUS: &str = "/usr/sbin/freeradius";

/// Why the server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum AaaError {
    /// The `freeradius` binary is missing.
    #[error("{FREERADIUS} not found: install the Debian package `freeradius`")]
    NotInstalled,
    /// Files or the process could not be set up.
    #[error("FreeRADIUS set-up: {0}")]
    Io(#[from] std::io::Error),
    /// The server did not answer Status-Server in time; its log is attached.
    #[error("FreeRADIUS did not come up: {0}")]
    NotReady(String),
}

/// One M2M user of the AAA server: its PSK and the service information of each service.
#[derive(Debug, Clone)]
pub struct AaaUser {
    /// The M2M user id (the name of a `user:` SID).
    pub name: String,
    /// The pre-shared key (the CHAP and EAP-pwd password is its hex text).
    pub psk: Psk,
    /// Service type name (the name of a `service:` SID) → its service information.
    pub services: Vec<(String, ServiceInfoRepr)>,
}

/// A running FreeRADIUS.
#[derive(Debug)]
pub struct FreeRadius {
    child: Child,
    dir: tempfile::TempDir,
    /// Its authentication address.
    pub addr: SocketAddr,
    /// The shared secret it has with `127.0.0.1`.
    pub secret: String,
}

/// Whether FreeRADIUS is installed.
pub fn installed() -> bool {
    Path::new(FREERADIUS).exists()
}

/// The `users` file for `users`: one entry per (user, service), matched on the service the
/// terminal asked for, replying with its service information; then one per user for
/// requests that name no service (EAP-pwd's password lookup), with the password only. A
/// request for a service the user does not have matches nothing and is rejected.
pub fn users_file(users: &[AaaUser]) -> String {
    let mut out = String::from("# written by subgate-testbench (testbench/src/aaa.rs)\n");
    for u in users {
        let password = aaa_secret(&u.psk);
        for (service, info) in &u.services {
            let _ = writeln!(
                out,
                "{name}\tCleartext-Password := \"{password}\", Subgate-Service-Type == \"{service}\"",
                name = quote_name(&u.name)
            );
            let _ = write!(out, "{}", reply_items(info));
        }
        // Requests that name no service (EAP-pwd's password lookup): the password only.
        let _ = writeln!(
            out,
            "{name}\tCleartext-Password := \"{password}\", Subgate-Service-Type !* ANY\n",
            name = quote_name(&u.name)
        );
    }
    out
}

fn quote_name(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

fn reply_items(info: &ServiceInfoRepr) -> String {
    let mut items = vec![
        format!("Subgate-Report-Period = {}", info.report_period),
        format!("Subgate-Data-Format = {}", u8::from(info.data_format)),
        format!("Subgate-Data-Amount = {}", info.data_amount),
    ];
    if let Some(server) = &info.server {
        items.push(format!("Subgate-Server-Id = \"{server}\""));
    }
    let mut out = String::new();
    let last = items.len() - 1;
    for (i, item) in items.into_iter().enumerate() {
        let _ = writeln!(out, "\t{item}{}", if i < last { "," } else { "" });
    }
    out.push('\n');
    out
}

fn free_udp_port() -> std::io::Result<u16> {
    Ok(UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl FreeRadius {
    /// Starts a server for `users` with `threads` worker threads, and waits (≤ 15 s) until
    /// it answers.
    pub fn start(users: &[AaaUser], threads: usize) -> Result<FreeRadius, AaaError> {
        if !installed() {
            return Err(AaaError::NotInstalled);
        }
        let dir = tempfile::tempdir()?;
        let root = dir.path();
        std::fs::create_dir_all(root.join("log"))?;
        std::fs::create_dir_all(root.join("run"))?;
        let port = free_udp_port()?;
        let secret = format!("subgate-{port}");
        let conf = RADIUSD_CONF
            .replace("@DIR@", &root.display().to_string())
            .replace("@PORT@", &port.to_string())
            .replace("@SECRET@", &secret)
            .replace("@THREADS@", &threads.max(1).to_string());
        std::fs::write(root.join("radiusd.conf"), conf)?;
        std::fs::write(root.join("dictionary.subgate"), DICTIONARY)?;
        std::fs::write(root.join("aes-proof.sh"), AES_PROOF_SH)?;
        std::fs::write(root.join("dictionary"), "$INCLUDE dictionary.subgate\n")?;
        std::fs::write(root.join("users"), users_file(users))?;
        let log = std::fs::File::create(root.join("log/server.log"))?;
        let child = Command::new(FREERADIUS)
            .arg("-f")
            .arg("-d")
            .arg(root)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let mut server = FreeRadius {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            secret,
            dir,
        };
        server.wait_ready(Duration::from_secs(15))?;
        tracing::info!(addr = %server.addr, "FreeRADIUS ready");
        Ok(server)
    }

    /// A client configuration for this server.
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig {
            server: self.addr,
            secret: self.secret.clone().into_bytes(),
            timeout: Duration::from_millis(300),
            retries: 3,
        }
    }

    /// The configuration directory (radiusd.conf, users, log/server.log).
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log/server.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), AaaError> {
        let end = Instant::now() + limit;
        let mut cfg = self.client_config();
        cfg.timeout = Duration::from_millis(100);
        cfg.retries = 0;
        let mut client =
            Client::new(cfg).map_err(|e| AaaError::NotReady(format!("client: {e}")))?;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(AaaError::NotReady(format!(
                    "exited {status}\n{}",
                    self.log()
                )));
            }
            let ping = Repr {
                code: Code::StatusServer,
                identifier: 0,
                authenticator: [0; 16],
                attributes: vec![Attribute {
                    kind: attr::NAS_IDENTIFIER,
                    value: b"subgate-testbench".to_vec(),
                }],
            };
            if client.exchange(ping).is_ok() {
                return Ok(());
            }
            if Instant::now() > end {
                return Err(AaaError::NotReady(self.log()));
            }
        }
    }

    /// Stops the server now (also done on drop).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for FreeRadius {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `user:` SID of an [`AaaUser`] (for terminals' SID lists).
pub fn user_sid(user: &AaaUser) -> Option<Sid> {
    Sid::user(&user.name).ok()
}

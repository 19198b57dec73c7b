//! A blocking RADIUS client over UDP (RFC 2865 §2.5, RFC 5080 §2.2.1).
//!
//! One request at a time: the gateway's registrations run one after another, each answered
//! in well under a millisecond by a server on the LAN. [`Client::exchange`] gives the
//! request a fresh identifier and random Request Authenticator, signs it with a
//! Message-Authenticator (FreeRADIUS 3.2 with `require_message_authenticator` drops requests
//! without one), sends it, and waits `timeout`; on silence it sends the same packet again and
//! doubles the wait, `retries` times. Every datagram that arrives is checked before it is
//! believed: from the server's address, parseable, answering this identifier, with a
//! Response Authenticator and Message-Authenticator that verify with the shared secret.
//! Anything else is dropped, logged and counted ([`ClientStats`]) — a forged Access-Accept
//! cannot register a terminal.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use super::auth::{sign_message, verify_response};
use super::dict::attr;
use super::packet::{Attribute, Code, Packet, Repr, MAX_LEN};
use super::RadiusError;

/// Where and how to reach the RADIUS server.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The server's authentication port, e.g. `127.0.0.1:1812`.
    pub server: SocketAddr,
    /// The shared secret (non-empty).
    pub secret: Vec<u8>,
    /// Wait for the first answer; doubled after every retransmission.
    pub timeout: Duration,
    /// Retransmissions after the first try.
    pub retries: u32,
}

/// What the client saw, for logs and the gateway's status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Requests sent (first tries).
    pub requests: u64,
    /// Retransmissions.
    pub retransmissions: u64,
    /// Exchanges that ended without a verified answer.
    pub timeouts: u64,
    /// Datagrams dropped because their authenticators did not verify.
    pub forged: u64,
    /// Datagrams dropped as malformed, from elsewhere, or for another identifier.
    pub stray: u64,
}

/// A verified answer and the Request Authenticator it answers (which keys MS-MPPE key
/// decryption).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The answer.
    pub repr: Repr,
    /// The request's authenticator.
    pub request_authenticator: [u8; 16],
}

/// The client: one UDP socket, bound to an ephemeral port of the server's address family.
#[derive(Debug)]
pub struct Client {
    socket: UdpSocket,
    cfg: ClientConfig,
    next_id: u8,
    stats: ClientStats,
}

fn io(e: std::io::Error) -> RadiusError {
    RadiusError::Io(e.to_string())
}

impl Client {
    /// Binds the socket. `Secret` for an empty secret.
    pub fn new(cfg: ClientConfig) -> Result<Client, RadiusError> {
        if cfg.secret.is_empty() {
            return Err(RadiusError::Secret);
        }
        let bind: SocketAddr = if cfg.server.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let socket = UdpSocket::bind(bind).map_err(io)?;
        let mut first = [0u8; 1];
        getrandom::getrandom(&mut first).map_err(|e| RadiusError::Io(e.to_string()))?;
        Ok(Client {
            socket,
            cfg,
            next_id: first[0],
            stats: ClientStats::default(),
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> ClientStats {
        self.stats
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// Sends `request` (its identifier and authenticator are set here; any
    /// Message-Authenticator in it is replaced) and returns the first verified answer.
    /// `Timeout` after `1 + retries` tries without one.
    pub fn exchange(&mut self, mut request: Repr) -> Result<Response, RadiusError> {
        request.identifier = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        getrandom::getrandom(&mut request.authenticator)
            .map_err(|e| RadiusError::Io(e.to_string()))?;
        request
            .attributes
            .retain(|a| a.kind != attr::MESSAGE_AUTHENTICATOR);
        request
            .attributes
            .push(Attribute::new(attr::MESSAGE_AUTHENTICATOR, vec![0u8; 16])?);
        let mut bytes = request.to_bytes()?;
        sign_message(&mut bytes, None, &self.cfg.secret)?;
        let ra = request.authenticator;
        let mut wait = self.cfg.timeout;
        let mut buf = vec![0u8; MAX_LEN];
        self.stats.requests += 1;
        for attempt in 0..=self.cfg.retries {
            if attempt > 0 {
                self.stats.retransmissions += 1;
                tracing::debug!(id = request.identifier, attempt, "RADIUS retransmission");
            }
            self.socket.send_to(&bytes, self.cfg.server).map_err(io)?;
            let deadline = Instant::now() + wait;
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                if left.is_zero() {
                    break;
                }
                self.socket.set_read_timeout(Some(left)).map_err(io)?;
                let (n, from) = match self.socket.recv_from(&mut buf) {
                    Ok(x) => x,
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        break
                    }
                    // ICMP port unreachable surfaces as ConnectionRefused on Linux: the
                    // server is down; keep waiting out the try like a silent one.
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                        std::thread::sleep(left.min(Duration::from_millis(10)));
                        continue;
                    }
                    Err(e) => return Err(io(e)),
                };
                match self.check(&buf[..n], from, request.identifier, &ra) {
                    Ok(repr) => {
                        return Ok(Response {
                            repr,
                            request_authenticator: ra,
                        })
                    }
                    Err(RadiusError::BadAuthenticator) => {
                        self.stats.forged += 1;
                        tracing::warn!(%from, "RADIUS answer with a bad authenticator dropped");
                    }
                    Err(e) => {
                        self.stats.stray += 1;
                        tracing::debug!(%from, error = %e, "RADIUS datagram dropped");
                    }
                }
            }
            wait = wait.saturating_mul(2);
        }
        self.stats.timeouts += 1;
        Err(RadiusError::Timeout(self.cfg.retries + 1))
    }

    /// Checks one datagram against the request it should answer.
    fn check(
        &self,
        datagram: &[u8],
        from: SocketAddr,
        id: u8,
        ra: &[u8; 16],
    ) -> Result<Repr, RadiusError> {
        if from != self.cfg.server {
            return Err(RadiusError::Malformed("answer from another address"));
        }
        let packet = Packet::new_checked(datagram)?;
        if packet.identifier() != id {
            return Err(RadiusError::Malformed("answer to another identifier"));
        }
        if !matches!(
            packet.code(),
            Code::AccessAccept | Code::AccessReject | Code::AccessChallenge
        ) {
            return Err(RadiusError::Malformed("not an answer to an Access-Request"));
        }
        let eap = packet
            .attributes()
            .any(|a| matches!(a, Ok((attr::EAP_MESSAGE, _))));
        verify_response(&packet, ra, &self.cfg.secret, eap)?;
        Repr::parse(&packet)
    }
}

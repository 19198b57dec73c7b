//! Drives a [`Gateway`] from tokio: received frames come in on a channel, transmissions go
//! out on another, and the gateway is polled at the times it asks for on tokio's clock (TSF
//! 0 = the instant [`run`] started). Under `tokio::time::pause` (tests, simulation) the same
//! code runs in virtual time.
//!
//! The gateway task owns the store: a commit blocks this task for one SQLite transaction
//! (one fsync), at most once per `store.commit_interval_ms`; the radio side keeps queueing
//! into the channel meanwhile.

use tokio::sync::mpsc;
use tokio::time::{sleep_until, Duration, Instant};

use super::{Gateway, Transmission};

/// A PSDU as the PHY hands it over: FCS included, with its channel and end time (µs since
/// [`run`] started, on the same clock as the gateway's TSF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Channel number.
    pub channel: u8,
    /// When its last sample arrived, µs since start.
    pub end_us: u64,
    /// The PSDU, FCS included.
    pub psdu: Vec<u8>,
}

/// Runs `gateway` until `rx` closes (then commits what is pending and returns the gateway),
/// or until `tx` is closed by the receiver. Transmissions are sent as soon as they are
/// decided (each carries its own start time).
pub async fn run(
    mut gateway: Gateway,
    mut rx: mpsc::Receiver<Received>,
    tx: mpsc::Sender<Transmission>,
) -> Gateway {
    let start = Instant::now();
    gateway.set_clock_origin_ms(super::charging::wall_clock_ms());
    let now_us =
        |at: Instant| u64::try_from(at.duration_since(start).as_micros()).unwrap_or(u64::MAX);
    loop {
        let wake = start + Duration::from_micros(gateway.next_wakeup());
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(r) => gateway.handle_rx(r.end_us.max(now_us(Instant::now())), r.channel, &r.psdu),
                None => {
                    gateway.flush(now_us(Instant::now()));
                    let _ = send_all(&mut gateway, &tx).await;
                    return gateway;
                }
            },
            () = sleep_until(wake) => gateway.poll(now_us(Instant::now())),
        }
        if send_all(&mut gateway, &tx).await.is_err() {
            return gateway;
        }
    }
}

async fn send_all(
    gateway: &mut Gateway,
    tx: &mpsc::Sender<Transmission>,
) -> Result<(), mpsc::error::SendError<Transmission>> {
    for t in gateway.drain_transmissions() {
        tx.send(t).await?;
    }
    Ok(())
}

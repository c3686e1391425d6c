//! The service manager's notification protocol (sd_notify(3)) for `Type=notify` units
//! (deploy/systemd/localeval.service): READY=1 once the listener is bound, STOPPING=1 when
//! SIGINT/SIGTERM arrives, and WATCHDOG=1 from the event loop when the unit sets
//! `WatchdogSec=`. Outside systemd (no `NOTIFY_SOCKET`) each call does nothing.

use std::time::Duration;

use sd_notify::NotifyState;

/// Tells the service manager the server accepts connections on `addr`.
pub fn ready(addr: std::net::SocketAddr) {
    let status = format!("listening on http://{addr}");
    send(
        &[NotifyState::Ready, NotifyState::Status(&status)],
        "READY=1",
    );
}

/// Tells the service manager the server is shutting down (in-flight runs finish first).
pub fn stopping() {
    send(
        &[
            NotifyState::Stopping,
            NotifyState::Status("stopping: in-flight executions finish, then the sandboxes go"),
        ],
        "STOPPING=1",
    );
}

/// When the unit has a watchdog, pings it at half its interval from a task of the async
/// runtime: a stuck event loop stops the pings and systemd restarts the service.
pub fn spawn_watchdog() -> Option<tokio::task::JoinHandle<()>> {
    let interval = sd_notify::watchdog_enabled()?;
    let every = (interval / 2).max(Duration::from_millis(100));
    tracing::info!(
        interval_ms = interval.as_millis() as u64,
        "systemd watchdog enabled"
    );
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            send(&[NotifyState::Watchdog], "WATCHDOG=1");
        }
    }))
}

fn send(state: &[NotifyState], what: &'static str) {
    if let Err(e) = sd_notify::notify(state) {
        tracing::warn!(error = %e, message = what, "cannot notify the service manager (NOTIFY_SOCKET)");
    }
}

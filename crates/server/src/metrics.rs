//! `GET /metrics`: Prometheus text. Counters of sandboxes and execs, kills
//! by reason, the queue's depth, and a histogram of exec latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use capsa_runtime::{ExitStatus, Limit};

use crate::App;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0];

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    created: AtomicU64,
    execs: AtomicU64,
    rejected: AtomicU64,
    paused: AtomicU64,
    reaped: AtomicU64,
    kills: [AtomicU64; 6],
    buckets: [AtomicU64; BUCKETS.len()],
    latency_sum_us: AtomicU64,
}

/// Kill reasons, in `Metrics::kills` order.
const KILLS: [&str; 6] = ["cpu", "fuel", "wall_clock", "stdout", "stderr", "signal_or_trap"];

impl Metrics {
    /// A sandbox was created.
    pub fn created(&self) {
        self.created.fetch_add(1, Ordering::Relaxed);
    }

    /// A call was refused: the queue was full.
    pub fn rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// The reaper paused and deleted these many.
    pub fn reaped(&self, paused: usize, deleted: usize) {
        self.paused.fetch_add(paused as u64, Ordering::Relaxed);
        self.reaped.fetch_add(deleted as u64, Ordering::Relaxed);
    }

    /// An exec ended so, after `took`.
    pub fn exec_done(&self, status: &ExitStatus, took: Duration) {
        self.execs.fetch_add(1, Ordering::Relaxed);
        let kill = match status {
            ExitStatus::Exited(_) => None,
            ExitStatus::Killed(Limit::CpuTime(_)) => Some(0),
            ExitStatus::Killed(Limit::Fuel(_)) => Some(1),
            ExitStatus::Killed(Limit::WallClock(_)) => Some(2),
            ExitStatus::Killed(Limit::Stdout(_)) => Some(3),
            ExitStatus::Killed(Limit::Stderr(_)) => Some(4),
            ExitStatus::Trapped(_) | ExitStatus::Signaled(_) => Some(5),
        };
        if let Some(at) = kill {
            self.kills[at].fetch_add(1, Ordering::Relaxed);
        }
        let secs = took.as_secs_f64();
        for (bound, count) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_sum_us.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }
}

/// The handler.
pub(crate) async fn render(State(app): State<Arc<App>>) -> impl IntoResponse {
    let m = &app.metrics;
    let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let all = app.registry.all();
    let loaded = all.iter().filter(|sb| sb.loaded().is_some()).count();
    let mut text = String::new();
    let mut line = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in samples {
            text.push_str(&format!("{name}{labels} {value}\n"));
        }
    };
    let one = |value: u64| vec![(String::new(), value.to_string())];
    line(
        "capsa_sandboxes",
        "gauge",
        "Sandboxes, by state.",
        &[
            ("{state=\"running\"}".into(), loaded.to_string()),
            ("{state=\"paused\"}".into(), (all.len() - loaded).to_string()),
        ],
    );
    line("capsa_sandboxes_created_total", "counter", "Sandboxes created.", &one(get(&m.created)));
    line("capsa_sandboxes_paused_total", "counter", "Idle sandboxes paused.", &one(get(&m.paused)));
    line("capsa_sandboxes_reaped_total", "counter", "Sandboxes deleted for idleness or TTL.", &one(get(&m.reaped)));
    line("capsa_execs_total", "counter", "Commands run.", &one(get(&m.execs)));
    line("capsa_queue_depth", "gauge", "VM calls waiting for a slot.", &one(app.queue_depth() as u64));
    line("capsa_rejected_total", "counter", "Calls refused with 429: the queue was full.", &one(get(&m.rejected)));
    let kills: Vec<(String, String)> =
        KILLS.iter().zip(&m.kills).map(|(why, n)| (format!("{{reason=\"{why}\"}}"), get(n).to_string())).collect();
    line("capsa_kills_total", "counter", "Commands ended by a limit, signal or trap.", &kills);
    let mut histogram: Vec<(String, String)> = BUCKETS
        .iter()
        .zip(&m.buckets)
        .map(|(bound, n)| (format!("_bucket{{le=\"{bound}\"}}"), get(n).to_string()))
        .collect();
    let count = get(&m.execs);
    histogram.push(("_bucket{le=\"+Inf\"}".into(), count.to_string()));
    histogram.push(("_sum".into(), format!("{}", get(&m.latency_sum_us) as f64 / 1e6)));
    histogram.push(("_count".into(), count.to_string()));
    line("capsa_exec_seconds", "histogram", "Latency of commands, queueing included.", &histogram);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

//! capsa on more than one machine, on NATS with JetStream.
//!
//! `capsa serve --nats URL` runs the same HTTP API as a stateless
//! front-end and `capsa worker --nats URL` runs the VMs. Everything they
//! share is in NATS, so no process of ours holds anything another needs:
//!
//! ```text
//! stream CAPSA_JOBS (work queue)  one-shot runs (Piston, Judge0, run_code);
//!                                 a worker acks once the result is stored
//! object store capsa-results      each job's result, kept for the retention
//! kv capsa-workers (TTL)          each worker's heartbeat and load: its lease
//! kv capsa-sandboxes              sandbox -> tenant, worker, persistent
//! kv capsa-mcp                    MCP session -> worker
//! object store capsa-saved        persistent sandboxes and snapshots:
//!                                 record + image (the tree, naming blobs)
//! object store capsa-blobs        file contents by sha256, written once
//! object store capsa-modules      compiled modules, by engine and sha256
//! subject capsa.worker.<id>.http  a front-end's call relayed to a worker
//! ```
//!
//! The front-end authenticates a call, finds the worker that holds the
//! sandbox (placing a new one on the least loaded), and relays the HTTP
//! request over NATS ([`relay`]; the shell WebSocket as a session of
//! messages, [`shell`]); the worker runs it through the very same router as
//! a single-process server. A persistent sandbox is copied to the
//! object store before a call that changed it answers; when its worker's
//! lease lapses, the next call restores it on another. Failure by failure:
//! `docs/scaling.md`.

#![forbid(unsafe_code)]

mod frontend;
mod jobs;
mod nats;
mod relay;
mod shell;
mod sync;
mod worker;

pub use frontend::Frontend;
pub use nats::{Cluster, ClusterError, WorkerInfo};
pub use worker::{Worker, WorkerConfig};

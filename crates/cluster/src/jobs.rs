//! One-shot runs on the work queue. A front-end publishes the job (its id
//! as the message id, so a retried publish queues it once) and waits for
//! its result object; a worker takes one job per free slot, marks it in
//! progress while it runs, stores the result, announces it, and only then
//! acks. A worker that dies mid-run never acks: after [`ACK_WAIT`] the job
//! goes to another worker, and the client, still waiting on its id, sees
//! one result.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::{AckPolicy, pull};
use axum::http::StatusCode;
use capsa_server::oneshot::{Job, JobResult};
use capsa_server::{ApiError, App, JobFuture, JobOutcome, Jobs, Tenant};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, watch};

use crate::nats::{ACK_WAIT, Cluster, ClusterError, JOBS_CONSUMER, JOBS_SUBJECT, done_subject};

/// A job as queued.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    id: String,
    tenant: Tenant,
    job: Job,
}

/// A job's result as stored.
#[derive(Debug, Serialize, Deserialize)]
enum Reply {
    /// It ran (or its files were unusable).
    Ran(Result<JobResult, String>),
    /// The worker's service refused it (a tenant quota, a full queue).
    Refused { status: u16, code: String, message: String, retry_after: Option<u64> },
}

/// Longest a front-end waits beyond a job's own limits (queueing behind
/// other jobs, a redelivery after a worker died).
const SLACK: Duration = Duration::from_secs(120);

/// [`Jobs`] on the cluster's work queue (a front-end's).
#[derive(Debug)]
pub(crate) struct ClusterJobs {
    pub(crate) cluster: Cluster,
}

impl Jobs for ClusterJobs {
    fn start(
        &self,
        _app: Arc<App>,
        tenant: Tenant,
        job: Job,
        id: String,
    ) -> JobFuture<Result<JobFuture<JobOutcome>, ApiError>> {
        let cluster = self.cluster.clone();
        Box::pin(async move {
            let waiting = submit(&cluster, tenant, job, id).await?;
            Ok(Box::pin(waiting.wait(cluster)) as JobFuture<JobOutcome>)
        })
    }

    fn finished(&self, id: String) -> JobFuture<Option<JobOutcome>> {
        let cluster = self.cluster.clone();
        Box::pin(async move { result_of(&cluster, &id).await.ok().flatten() })
    }

    fn keep(&self, name: String, bytes: Vec<u8>) -> JobFuture<()> {
        let cluster = self.cluster.clone();
        Box::pin(async move {
            if let Err(err) = cluster.put_object(&cluster.results, &name, &bytes).await {
                tracing::warn!("keeping {name}: {err}");
            }
        })
    }

    fn kept(&self, name: String) -> JobFuture<Option<Vec<u8>>> {
        let cluster = self.cluster.clone();
        Box::pin(async move { cluster.get_object(&cluster.results, &name).await.ok().flatten() })
    }
}

/// Job `id`'s result, if it is stored.
async fn result_of(cluster: &Cluster, id: &str) -> Result<Option<JobOutcome>, ApiError> {
    let Some(bytes) = cluster.get_object(&cluster.results, id).await.map_err(|err| unavailable(err.to_string()))?
    else {
        return Ok(None);
    };
    let reply: Reply = serde_json::from_slice(&bytes)
        .map_err(|err| ApiError::internal(format!("a job result that does not parse: {err}")))?;
    Ok(Some(match reply {
        Reply::Ran(result) => Ok(result),
        Reply::Refused { status, code, message, retry_after } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            Err(ApiError { status, code: known_code(&code), message, retry_after })
        }
    }))
}

fn unavailable(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "cluster_unavailable", message)
}

/// A job in the queue, and what its front-end waits on.
struct Queued {
    id: String,
    patience: Duration,
    done: async_nats::Subscriber,
}

/// Queues a job: when this returns, JetStream holds it (a front-end that
/// dies now loses nothing: a worker runs it and stores its result).
async fn submit(cluster: &Cluster, tenant: Tenant, job: Job, id: String) -> Result<Queued, ApiError> {
    let patience = job.limits.wall.saturating_add(job.budget.wall.saturating_mul(4)).saturating_add(SLACK);
    let envelope = serde_json::to_vec(&Envelope { id: id.clone(), tenant, job })
        .map_err(|err| ApiError::internal(err.to_string()))?;
    if envelope.len() > cluster.max_payload() {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "a job of {} bytes is past the cluster's message size ({} bytes)",
                envelope.len(),
                cluster.max_payload()
            ),
        ));
    }
    // Subscribed before publishing: the announcement cannot be missed.
    let done = cluster.client.subscribe(done_subject(&id)).await.map_err(|err| unavailable(format!("NATS: {err}")))?;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", id.as_str());
    let js = async_nats::jetstream::new(cluster.client.clone());
    let ack = js
        .publish_with_headers(JOBS_SUBJECT, headers, envelope.into())
        .await
        .map_err(|err| unavailable(format!("queueing the job: {err}")))?;
    ack.await.map_err(|err| unavailable(format!("queueing the job: {err}")))?;
    Ok(Queued { id, patience, done })
}

impl Queued {
    /// Waits for the job's result.
    async fn wait(mut self, cluster: Cluster) -> JobOutcome {
        let (id, patience) = (self.id, self.patience);
        let deadline = Instant::now() + patience;
        loop {
            // The announcement, or a look at the store every second (an
            // announcement is not kept for a front-end that was not listening).
            let _ = tokio::time::timeout(Duration::from_secs(1), self.done.next()).await;
            if let Some(outcome) = result_of(&cluster, &id).await? {
                return outcome;
            }
            if Instant::now() >= deadline {
                return Err(unavailable(format!("job {id} did not finish in {patience:?}; it may still run: retry")));
            }
        }
    }
}

/// A refusal's code as the server's own (codes are static strings there).
fn known_code(code: &str) -> &'static str {
    const CODES: &[&str] =
        &["too_many_requests", "shutting_down", "bad_request", "too_large", "not_found", "no_space", "internal"];
    CODES.iter().find(|known| **known == code).copied().unwrap_or("worker_error")
}

/// Takes jobs off the queue while `stopping` is false, at most `capacity`
/// at once, until told to stop; then waits for the running ones.
pub(crate) async fn consume(
    cluster: Cluster,
    app: Arc<App>,
    capacity: usize,
    done: Arc<AtomicU64>,
    mut stopping: watch::Receiver<bool>,
) -> Result<(), ClusterError> {
    let consumer = cluster
        .jobs
        .get_or_create_consumer(
            JOBS_CONSUMER,
            pull::Config {
                durable_name: Some(JOBS_CONSUMER.into()),
                ack_policy: AckPolicy::Explicit,
                ack_wait: ACK_WAIT,
                ..Default::default()
            },
        )
        .await
        .map_err(|err| ClusterError::nats("the jobs consumer", err))?;
    let slots = Arc::new(Semaphore::new(capacity.max(1)));
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.map_err(|err| ClusterError::nats("slots", err))?,
            _ = stopping.wait_for(|s| *s) => break,
        };
        // One job per free slot: what a worker fetches it runs at once, so
        // no job waits on a busy worker while another is idle.
        let batch = consumer.batch().max_messages(1).expires(Duration::from_secs(1)).messages().await;
        let mut batch = match batch {
            Ok(batch) => batch,
            Err(err) => {
                tracing::warn!("fetching jobs: {err}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let message = tokio::select! {
            message = batch.next() => message,
            _ = stopping.wait_for(|s| *s) => break,
        };
        let Some(Ok(message)) = message else { continue };
        let (cluster, app, done) = (cluster.clone(), app.clone(), done.clone());
        tokio::spawn(async move {
            if let Err(err) = handle(&cluster, &app, message).await {
                tracing::warn!("a job: {err}");
            } else {
                done.fetch_add(1, Ordering::Relaxed);
            }
            drop(permit);
        });
    }
    // Drained: every slot back means every job taken has been answered.
    let _ = slots.acquire_many(capacity.max(1) as u32).await;
    Ok(())
}

async fn handle(
    cluster: &Cluster,
    app: &Arc<App>,
    message: async_nats::jetstream::Message,
) -> Result<(), ClusterError> {
    let envelope: Envelope = match serde_json::from_slice(&message.payload) {
        Ok(envelope) => envelope,
        Err(err) => {
            // Not ours to run, ever: dropped, not redelivered.
            let _ = message.ack_with(AckKind::Term).await;
            return Err(ClusterError::nats("a queued job", format!("does not parse: {err}")));
        }
    };
    let id = envelope.id;
    // Redelivered after its result was stored (the ack was lost): done.
    if cluster.results.info(&id).await.is_err() {
        let run = app.run_job_here(&envelope.tenant, envelope.job);
        tokio::pin!(run);
        let mut progress = tokio::time::interval(ACK_WAIT / 3);
        progress.tick().await;
        let outcome = loop {
            tokio::select! {
                outcome = &mut run => break outcome,
                _ = progress.tick() => { let _ = message.ack_with(AckKind::Progress).await; }
            }
        };
        let reply = match outcome {
            Ok(result) => Reply::Ran(result),
            Err(err) => Reply::Refused {
                status: err.status.as_u16(),
                code: err.code.to_string(),
                message: err.message,
                retry_after: err.retry_after,
            },
        };
        let bytes = serde_json::to_vec(&reply).map_err(|err| ClusterError::nats("a job result", err))?;
        cluster.put_object(&cluster.results, &id, &bytes).await?;
    }
    let _ = cluster.client.publish(done_subject(&id), "".into()).await;
    message.double_ack().await.map_err(|err| ClusterError::nats(format!("acking {id}"), err))
}

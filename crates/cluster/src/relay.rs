//! HTTP over NATS: a front-end's call, run by a worker's own router.
//!
//! The front-end publishes the request — its head as JSON in the
//! `Capsa-Head` header (with the tenant it authenticated, and what the
//! worker must first restore, if anything), its body as the payload — to
//! `capsa.worker.<id>.http`, with a fresh inbox to answer on. The worker
//! answers with a stream of messages on that inbox, each marked by
//! `Capsa-Kind`: `head` (status and headers), `data` (body bytes, in
//! order), then `end` — or `error` if the call could not complete. A
//! response is whole only at `end`: a worker copies a changed persistent
//! sandbox to the object store before it sends `end`, so what a client saw
//! succeed is never lost with the worker.
//!
//! The front-end waits in steps of [`PATIENCE`]; between them it probes the
//! worker (a request marked `Capsa-Probe`, answered at once by a live one)
//! and checks its lease, so a worker that dies mid-call turns into a
//! retryable `503` within about a second, not a hang.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use capsa_server::{ApiError, Tenant};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::nats::{Cluster, worker_subject};

/// How long a front-end waits for the next message before it checks that
/// the worker still holds its lease.
const PATIENCE: Duration = Duration::from_secs(1);

/// A relayed request's head.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Head {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub tenant: Tenant,
    /// Saved state to take in from the object store first.
    pub restore: Option<Restore>,
}

/// What a worker restores from the object store before a relayed call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Restore {
    /// A persistent sandbox whose worker is gone.
    Sandbox(String),
    /// A snapshot the new sandbox starts from.
    Snapshot(String),
}

/// Request headers a worker needs; the rest (credentials above all) stay
/// at the front-end.
const FORWARDED: &[&str] = &["content-type", "accept", "mcp-session-id", "mcp-protocol-version", "last-event-id"];

/// The head of `request`, to relay for `tenant`.
pub(crate) fn head_of(parts: &axum::http::request::Parts, tenant: &Tenant, restore: Option<Restore>) -> Head {
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| FORWARDED.contains(&name.as_str()))
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
        .collect();
    let uri = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_string(), |pq| pq.to_string());
    Head { method: parts.method.to_string(), uri, headers, tenant: tenant.clone(), restore }
}

/// The error a client sees when the worker is lost mid-call: retry.
pub(crate) fn worker_lost(worker: &str) -> ApiError {
    let mut err = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "worker_lost",
        format!("worker {worker} stopped answering; the call may be retried"),
    );
    err.retry_after = Some(1);
    err
}

/// The error when nothing listens on the worker's subject: the call never
/// reached it (so it may be sent elsewhere), and the worker is gone.
pub(crate) fn worker_unreachable(worker: &str) -> ApiError {
    let mut err = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        UNREACHABLE,
        format!("worker {worker} is not listening; the call may be retried"),
    );
    err.retry_after = Some(1);
    err
}

/// The code of [`worker_unreachable`].
pub(crate) const UNREACHABLE: &str = "worker_unreachable";

/// A message of a relayed answer.
pub(crate) enum Part {
    Head(StatusCode, Vec<(String, String)>),
    Data(Bytes),
    End,
    Error(String),
}

fn part_of(message: &async_nats::Message) -> Option<Part> {
    let headers = message.headers.as_ref()?;
    let kind = headers.get("Capsa-Kind")?.as_str();
    Some(match kind {
        "head" => {
            let status = headers.get("Capsa-Status")?.as_str().parse::<u16>().ok()?;
            let fields = headers.get("Capsa-Headers").map_or("[]", |v| v.as_str());
            Part::Head(StatusCode::from_u16(status).ok()?, serde_json::from_str(fields).ok()?)
        }
        "data" => Part::Data(message.payload.clone()),
        "end" => Part::End,
        "error" => Part::Error(String::from_utf8_lossy(&message.payload).into_owned()),
        _ => return None,
    })
}

/// The next part of worker `worker`'s answer; `Err` once it is lost.
pub(crate) async fn next_part(
    cluster: &Cluster,
    worker: &str,
    inbox: &mut async_nats::Subscriber,
) -> Result<Part, ApiError> {
    loop {
        match tokio::time::timeout(PATIENCE, inbox.next()).await {
            Ok(Some(message)) => {
                if message.status == Some(async_nats::StatusCode::NO_RESPONDERS) {
                    return Err(worker_unreachable(worker));
                }
                if let Some(part) = part_of(&message) {
                    return Ok(part);
                }
            }
            Ok(None) => return Err(worker_lost(worker)),
            Err(_) => {
                if !alive(cluster, worker).await {
                    return Err(worker_lost(worker));
                }
            }
        }
    }
}

/// Whether `worker` answers a probe (or, when NATS is slow to say, still
/// holds its lease).
async fn alive(cluster: &Cluster, worker: &str) -> bool {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(PROBE, "1");
    let probe = cluster.client.request_with_headers(worker_subject(worker), headers, Bytes::new());
    match tokio::time::timeout(PATIENCE, probe).await {
        Ok(Ok(_)) => true,
        Ok(Err(err)) if err.kind() == async_nats::RequestErrorKind::NoResponders => false,
        Ok(Err(_)) | Err(_) => matches!(cluster.worker(worker).await, Ok(Some(_))),
    }
}

/// The header that marks a liveness probe.
pub(crate) const PROBE: &str = "Capsa-Probe";

/// Relays a call to `worker` and answers with what it answers, streamed.
///
/// # Errors
/// The worker is gone (before or during the call: `503`, retryable), or
/// NATS refused the request.
pub(crate) async fn call(cluster: &Cluster, worker: &str, head: &Head, body: Bytes) -> Result<Response, ApiError> {
    let (status, headers, inbox) = start(cluster, worker, head, body).await?;
    let (cluster, worker) = (cluster.clone(), worker.to_string());
    let stream = futures_util::stream::unfold(Some(inbox), move |state| {
        let (cluster, worker) = (cluster.clone(), worker.clone());
        async move {
            let mut inbox = state?;
            match next_part(&cluster, &worker, &mut inbox).await {
                Ok(Part::Data(bytes)) => Some((Ok(bytes), Some(inbox))),
                Ok(Part::End) => None,
                Ok(Part::Head(..)) => Some((Err(std::io::Error::other("a second head")), None)),
                Ok(Part::Error(message)) => Some((Err(std::io::Error::other(message)), None)),
                Err(err) => Some((Err(std::io::Error::other(err.message)), None)),
            }
        }
    });
    Ok(response(status, headers, Body::from_stream(stream)))
}

/// A response with a worker's status and headers (any that does not parse
/// is dropped; repeated ones are kept) around `body`.
pub(crate) fn response(status: StatusCode, headers: Vec<(String, String)>, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// Relays a call and collects the whole answer (for the front-end's own
/// use of it: a list to merge, an id to record).
///
/// # Errors
/// As [`call`].
pub(crate) async fn call_whole(
    cluster: &Cluster,
    worker: &str,
    head: &Head,
    body: Bytes,
) -> Result<(StatusCode, Vec<(String, String)>, Bytes), ApiError> {
    let (status, headers, mut inbox) = start(cluster, worker, head, body).await?;
    let mut whole = Vec::new();
    loop {
        match next_part(cluster, worker, &mut inbox).await? {
            Part::Data(bytes) => whole.extend_from_slice(&bytes),
            Part::End => return Ok((status, headers, whole.into())),
            Part::Head(..) => return Err(ApiError::internal("a relayed answer with two heads")),
            Part::Error(message) => return Err(ApiError::internal(message)),
        }
    }
}

async fn start(
    cluster: &Cluster,
    worker: &str,
    head: &Head,
    body: Bytes,
) -> Result<(StatusCode, Vec<(String, String)>, async_nats::Subscriber), ApiError> {
    start_with(cluster, worker, head, body, None).await
}

/// Opens a relayed call marked with the header `mark` (a shell session's
/// opening) and waits for its head.
///
/// # Errors
/// As [`call`].
pub(crate) async fn start_marked(
    cluster: &Cluster,
    worker: &str,
    head: &Head,
    mark: &str,
) -> Result<(StatusCode, Vec<(String, String)>, async_nats::Subscriber), ApiError> {
    start_with(cluster, worker, head, Bytes::new(), Some(mark)).await
}

async fn start_with(
    cluster: &Cluster,
    worker: &str,
    head: &Head,
    body: Bytes,
    mark: Option<&str>,
) -> Result<(StatusCode, Vec<(String, String)>, async_nats::Subscriber), ApiError> {
    let nats_down = |err: &dyn std::fmt::Display| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "cluster_unavailable", format!("NATS: {err}"))
    };
    let limit = cluster.max_payload().saturating_sub(64 << 10);
    if body.len() > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("through a cluster a request body is at most {limit} bytes (NATS max_payload)"),
        ));
    }
    let inbox_subject = cluster.client.new_inbox();
    let mut inbox = cluster.client.subscribe(inbox_subject.clone()).await.map_err(|e| nats_down(&e))?;
    let mut headers = async_nats::HeaderMap::new();
    let head_json = serde_json::to_string(head).map_err(|err| ApiError::internal(err.to_string()))?;
    headers.insert("Capsa-Head", head_json.as_str());
    if let Some(mark) = mark {
        headers.insert(mark, "1");
    }
    cluster
        .client
        .publish_with_reply_and_headers(worker_subject(worker), inbox_subject, headers, body)
        .await
        .map_err(|e| nats_down(&e))?;
    match next_part(cluster, worker, &mut inbox).await? {
        Part::Head(status, headers) => Ok((status, headers, inbox)),
        Part::Error(message) => Err(ApiError::internal(message)),
        Part::Data(_) | Part::End => Err(ApiError::internal("a relayed answer without a head")),
    }
}

/// A relayed request's head, as a worker reads it.
pub(crate) fn head_in(message: &async_nats::Message) -> Option<Head> {
    let value = message.headers.as_ref()?.get("Capsa-Head")?;
    serde_json::from_str(value.as_str()).ok()
}

/// The worker's side: answers go to one inbox, in order.
pub(crate) struct Answer {
    client: async_nats::Client,
    inbox: async_nats::Subject,
    chunk: usize,
}

impl Answer {
    /// An answer to `inbox`.
    pub(crate) fn new(client: async_nats::Client, inbox: async_nats::Subject) -> Answer {
        let chunk = (client.server_info().max_payload / 2).clamp(4 << 10, 512 << 10);
        Answer { client, inbox, chunk }
    }

    async fn send(&self, kind: &str, extra: &[(&str, String)], payload: Bytes) -> Result<(), async_nats::Error> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Capsa-Kind", kind);
        for (name, value) in extra {
            headers.insert(*name, value.as_str());
        }
        self.client.publish_with_headers(self.inbox.clone(), headers, payload).await?;
        Ok(())
    }

    /// The status and headers.
    pub(crate) async fn head(&self, status: StatusCode, headers: &[(String, String)]) -> Result<(), async_nats::Error> {
        let fields = serde_json::to_string(headers)?;
        self.send("head", &[("Capsa-Status", status.as_u16().to_string()), ("Capsa-Headers", fields)], Bytes::new())
            .await
    }

    /// Body bytes, cut to the message size.
    pub(crate) async fn data(&self, bytes: &Bytes) -> Result<(), async_nats::Error> {
        let mut at = 0;
        while at < bytes.len() {
            let end = (at + self.chunk).min(bytes.len());
            self.send("data", &[], bytes.slice(at..end)).await?;
            at = end;
        }
        Ok(())
    }

    /// The answer is whole.
    pub(crate) async fn end(&self) -> Result<(), async_nats::Error> {
        self.send("end", &[], Bytes::new()).await?;
        self.client.flush().await?;
        Ok(())
    }

    /// The call could not complete.
    pub(crate) async fn error(&self, message: &str) -> Result<(), async_nats::Error> {
        self.send("error", &[], Bytes::from(message.to_string())).await?;
        self.client.flush().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relayed_head_carries_the_tenant_but_never_credentials() {
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/v1/sandboxes/sb-1/exec?x=1")
            .header("authorization", "Bearer secret")
            .header("x-auth-token", "secret")
            .header("cookie", "a=b")
            .header("content-type", "application/json")
            .header("mcp-session-id", "s1")
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        let tenant = Tenant { name: "acme".into(), quotas: capsa_server::Quotas::default() };
        let head = head_of(&parts, &tenant, None);
        assert_eq!(
            (head.method.as_str(), head.uri.as_str(), head.tenant.name.as_str()),
            ("POST", "/v1/sandboxes/sb-1/exec?x=1", "acme")
        );
        let names: Vec<&str> = head.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["content-type", "mcp-session-id"]);
    }
}

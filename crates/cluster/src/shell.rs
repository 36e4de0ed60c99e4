//! The shell WebSocket through a cluster. The front-end upgrades the
//! client's connection; the worker runs the very session a single-process
//! server runs (`capsa_server::shell::session`), and the two exchange the
//! session's JSON messages over NATS:
//!
//! - the front-end opens with a relayed `GET …/shell` marked `Capsa-Shell`,
//!   answered on its inbox by a `head`: `101` with the subject the worker
//!   listens on for this session (`Capsa-Channel`), or the error;
//! - then each client message goes to that subject as `data`, each server
//!   message comes back on the inbox as `data`, until either side sends
//!   `end`;
//! - the front-end sends `ping` every [`KEEPALIVE`]; a worker that hears
//!   nothing for three of them ends the session (its line is killed, as
//!   when a client leaves), and a front-end whose worker stops answering
//!   probes tells the client (`worker_lost`) and closes.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::Response;
use capsa_server::{ApiError, App};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::mpsc;

use crate::nats::Cluster;
use crate::relay::{self, Answer, Head, Part};

/// How often the front-end tells the worker the client is still there.
const KEEPALIVE: Duration = Duration::from_secs(5);

/// The header that marks a shell session's opening.
pub(crate) const SHELL: &str = "Capsa-Shell";

/// Opens a session on `worker` and, once it is open, upgrades `upgrade`
/// to pump messages both ways.
///
/// # Errors
/// The worker refused (404, a quota…) or is gone.
pub(crate) async fn open(
    cluster: &Cluster,
    worker: &str,
    head: &Head,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let (status, headers, mut inbox) = relay::start_marked(cluster, worker, head, SHELL).await?;
    let channel = headers.iter().find(|(name, _)| name == "capsa-channel").map(|(_, v)| v.clone());
    let Some(channel) = channel.filter(|_| status == StatusCode::SWITCHING_PROTOCOLS) else {
        // The worker's refusal, as it said it.
        let mut body = Vec::new();
        while let Ok(Part::Data(bytes)) = relay::next_part(cluster, worker, &mut inbox).await {
            body.extend_from_slice(&bytes);
        }
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let message = value["error"]["message"].as_str().unwrap_or("the worker refused the shell").to_string();
        return Err(ApiError::new(status, "shell_refused", message));
    };
    let (cluster, worker) = (cluster.clone(), worker.to_string());
    Ok(upgrade.on_upgrade(move |socket| pump(cluster, worker, channel, inbox, socket)))
}

async fn send(cluster: &Cluster, channel: &str, kind: &str, payload: Bytes) -> bool {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Capsa-Kind", kind);
    cluster.client.publish_with_headers(channel.to_string(), headers, payload).await.is_ok()
}

async fn pump(cluster: Cluster, worker: String, channel: String, mut inbox: async_nats::Subscriber, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    loop {
        tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    if !send(&cluster, &channel, "data", Bytes::from(text.to_string())).await {
                        break;
                    }
                }
                Some(Ok(Message::Binary(_) | Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
            },
            part = relay::next_part(&cluster, &worker, &mut inbox) => match part {
                Ok(Part::Data(bytes)) => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Ok(Part::End) => break,
                Ok(Part::Head(..) | Part::Error(_)) | Err(_) => {
                    let lost = json!({"type": "error", "code": "worker_lost",
                        "message": format!("worker {worker} stopped answering; open the shell again")});
                    let _ = sink.send(Message::Text(lost.to_string().into())).await;
                    break;
                }
            },
            _ = keepalive.tick() => {
                if !send(&cluster, &channel, "ping", Bytes::new()).await {
                    break;
                }
            }
        }
    }
    let _ = send(&cluster, &channel, "end", Bytes::new()).await;
    let _ = sink.close().await;
}

/// The worker's side: runs the session for a relayed opening.
pub(crate) async fn serve(cluster: &Cluster, app: &Arc<App>, head: &Head, answer: Answer) {
    let id = head.uri.trim_start_matches("/v1/sandboxes/").split('/').next().unwrap_or_default().to_string();
    let sandbox = match capsa_server::shell::open(app, &head.tenant, &id).await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            let body = json!({"error": {"code": err.code, "message": err.message}}).to_string();
            let _ = answer.head(err.status, &[]).await;
            let _ = answer.data(&Bytes::from(body)).await;
            let _ = answer.end().await;
            return;
        }
    };
    let channel = cluster.client.new_inbox();
    let Ok(mut from_front) = cluster.client.subscribe(channel.clone()).await else {
        let _ = answer.error("cannot subscribe for the shell").await;
        return;
    };
    if answer.head(StatusCode::SWITCHING_PROTOCOLS, &[("capsa-channel".into(), channel)]).await.is_err() {
        return;
    }
    let (incoming, messages) = mpsc::channel::<String>(64);
    let (out, mut outgoing) = mpsc::unbounded_channel();
    let session = tokio::spawn(capsa_server::shell::session(app.clone(), sandbox, messages, out));
    let silence = KEEPALIVE * 3;
    loop {
        tokio::select! {
            message = tokio::time::timeout(silence, from_front.next()) => {
                let Ok(Some(message)) = message else { break };
                let kind = message.headers.as_ref().and_then(|h| h.get("Capsa-Kind")).map(|v| v.as_str().to_string());
                match kind.as_deref() {
                    Some("data") => {
                        let text = String::from_utf8_lossy(&message.payload).into_owned();
                        if incoming.send(text).await.is_err() {
                            break;
                        }
                    }
                    Some("ping") => {}
                    _ => break,
                }
            }
            message = outgoing.recv() => {
                let Some(message) = message else { break };
                let exit = message["type"] == "exit";
                if answer.data(&Bytes::from(message.to_string())).await.is_err() || exit {
                    break;
                }
            }
        }
    }
    // The client (or its front-end) is gone, or the shell exited.
    drop(incoming);
    let _ = session.await;
    let _ = answer.end().await;
}

//! The API's errors: an HTTP status, a stable code and a message, sent as
//! `{"error":{"code":"...","message":"..."}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use capsa_kernel::KernelError;
use capsa_session::{SessionError, StoreError};

/// An error the API answers with.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable, machine-readable code (`not_found`, `bad_request`…).
    pub code: &'static str,
    /// What was wrong, for a person.
    pub message: String,
    /// Seconds after which the client may retry (`429`, `503`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404: no such thing (for this tenant).
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 429: over a quota or the queue is full; retry after `seconds`.
    pub fn too_many(message: impl Into<String>, seconds: u64) -> Self {
        ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
        }
    }

    /// 500: capsa failed.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<SessionError> for ApiError {
    fn from(err: SessionError) -> Self {
        let message = err.to_string();
        match &err {
            SessionError::BadPath { .. } | SessionError::Archive(_) => ApiError::bad_request(message),
            SessionError::File { source, .. } => file_error(source, message),
            SessionError::TooLarge { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message),
            SessionError::SnapshotTooLarge { .. } => {
                ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "no_space", message)
            }
            SessionError::Unavailable(_) => ApiError::new(StatusCode::CONFLICT, "unavailable", message),
            SessionError::Runtime(_) | SessionError::Suite(_) | SessionError::Setup(_) | SessionError::Thread(_) => {
                ApiError::internal(message)
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match &err {
            StoreError::NotFound(_) => ApiError::not_found(err.to_string()),
            StoreError::BadName(_) => ApiError::bad_request(err.to_string()),
            StoreError::Io { .. } | StoreError::BadImage { .. } => ApiError::internal(err.to_string()),
        }
    }
}

/// The status of a failed file operation in a sandbox.
fn file_error(err: &KernelError, message: String) -> ApiError {
    use KernelError as K;
    let (status, code) = match err {
        K::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        K::Exists | K::NotEmpty | K::Busy | K::CrossDevice => (StatusCode::CONFLICT, "conflict"),
        K::AccessDenied | K::NotPermitted | K::ReadOnly => (StatusCode::FORBIDDEN, "forbidden"),
        K::NoSpace | K::LimitExceeded(_) | K::TooManyLinks => (StatusCode::INSUFFICIENT_STORAGE, "no_space"),
        K::FileTooBig | K::Overflow | K::MessageSize => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        K::NotDir | K::IsDir | K::Loop | K::Invalid | K::NameTooLong | K::IllegalSequence => {
            (StatusCode::BAD_REQUEST, "bad_path")
        }
        K::TooManyFiles | K::VmFileLimit | K::NoMemory | K::WouldBlock | K::Interrupted => {
            (StatusCode::SERVICE_UNAVAILABLE, "busy")
        }
        K::BadFd
        | K::NotSupported
        | K::Protocol
        | K::NoSys
        | K::NoDevice
        | K::BrokenPipe
        | K::IllegalSeek
        | K::NotTty
        | K::NotSocket
        | K::Io
        | K::NotExecutable
        | K::NoChild
        | K::NoSuchProcess
        | K::ArgListTooLong
        | K::Range
        | K::AddrInUse
        | K::AddrNotAvailable
        | K::AddrFamily
        | K::ConnectionRefused
        | K::ConnectionReset
        | K::NotConnected
        | K::IsConnected
        | K::InProgress
        | K::Already
        | K::DestAddrRequired => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    };
    ApiError::new(status, code, message)
}

//! A small HTTP/1.1 client over the VM's network (`wasi_ext::net`), shared
//! by `curl` and `wget`: URLs, one request per connection, responses
//! delimited by `Content-Length`, chunked transfer coding or the end of the
//! connection, read as a stream.
//!
//! `http://` and `https://`. TLS is the runtime's (`host_net.net_tls`,
//! docs/abi.md): the socket asks for it before it connects, the host
//! verifies the server against the bundled web roots (plus `--cacert`) and
//! encrypts, and this client reads and writes plaintext — no key or crypto
//! code lives in the guest. Names are resolved through `host_net`; what a
//! VM may reach is its grants' business (`--allow-net`), which refuse the
//! connect otherwise.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr};

use wasi_ext::net::{TcpStream, Tls};

/// wasi-libc's `EPROTO`: a TLS handshake failed.
const EPROTO: i32 = 65;
/// wasi-libc's `EINVAL`.
const EINVAL: i32 = 28;
/// The most header bytes a response may have.
const MAX_HEAD: usize = 64 * 1024;

/// A parsed `http://` URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Url {
    /// `http` or `https`.
    pub scheme: String,
    /// The host as written (an IPv6 address without brackets).
    pub host: String,
    /// The port, explicit or the scheme's.
    pub port: u16,
    /// The path and query, starting with `/`.
    pub target: String,
    /// `user:password` from the URL, if any.
    pub userinfo: Option<String>,
}

/// Why a URL or a request failed, in the terms curl's exit codes use.
#[derive(Debug)]
pub enum HttpError {
    /// Not a URL (curl 3).
    Malformed(String),
    /// A scheme other than http (curl 1).
    Protocol(String),
    /// The name did not resolve (curl 6).
    Resolve(String),
    /// No address accepted the connection (curl 7).
    Connect { host: String, port: u16, err: io::Error },
    /// Sending failed (curl 55).
    Send(io::Error),
    /// Receiving failed (curl 56).
    Recv(io::Error),
    /// The server closed without a response (curl 52).
    Empty,
    /// The response was not HTTP (curl 8).
    Weird(String),
    /// The TLS handshake failed: the certificate is not trusted for the
    /// host, or the server does not speak TLS (curl 60).
    Tls(String),
    /// The CA file is not usable (curl 77).
    CaFile(String),
}

impl HttpError {
    /// curl's exit code for it.
    pub fn curl_code(&self) -> i32 {
        match self {
            HttpError::Protocol(_) => 1,
            HttpError::Malformed(_) => 3,
            HttpError::Resolve(_) => 6,
            HttpError::Connect { .. } => 7,
            HttpError::Weird(_) => 8,
            HttpError::Empty => 52,
            HttpError::Send(_) => 55,
            HttpError::Recv(_) => 56,
            HttpError::Tls(_) => 60,
            HttpError::CaFile(_) => 77,
        }
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Malformed(url) => write!(f, "URL rejected: Malformed input to a URL function: {url}"),
            HttpError::Protocol(scheme) => write!(f, "Protocol \"{scheme}\" not supported"),
            HttpError::Resolve(host) => write!(f, "Could not resolve host: {host}"),
            HttpError::Connect { host, port, err } => {
                write!(f, "Failed to connect to {host} port {port}: {}", crate::util::errmsg(err))
            }
            HttpError::Send(err) => write!(f, "Failed sending data to the peer: {}", crate::util::errmsg(err)),
            HttpError::Recv(err) => {
                write!(f, "Failure when receiving data from the peer: {}", crate::util::errmsg(err))
            }
            HttpError::Empty => write!(f, "Empty reply from server"),
            HttpError::Weird(what) => write!(f, "Weird server reply: {what}"),
            HttpError::Tls(host) => write!(
                f,
                "SSL certificate problem: the certificate of {host} is not trusted for that name, or it does not speak TLS"
            ),
            HttpError::CaFile(why) => write!(f, "error setting certificate verify locations: {why}"),
        }
    }
}

impl Url {
    /// Parses `text`; a URL without a scheme is taken as `http://` (as
    /// curl does).
    ///
    /// # Errors
    /// `Malformed` or `Protocol`.
    pub fn parse(text: &str) -> Result<Url, HttpError> {
        let malformed = || HttpError::Malformed(text.to_string());
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("http".to_string(), text),
        };
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err(HttpError::Protocol(scheme)),
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, mut target) = rest.split_at(end);
        if let Some(hash) = target.find('#') {
            target = &target[..hash];
        }
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((user, hostport)) => (Some(user.to_string()), hostport),
            None => (None, authority),
        };
        let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
            let (host, after) = inner.split_once(']').ok_or_else(malformed)?;
            (host, after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (hostport, None),
            }
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(malformed());
        }
        let port = match port {
            Some(text) => text.parse::<u16>().map_err(|_| malformed())?,
            None => default_port,
        };
        let target = if target.starts_with('/') { target.to_string() } else { format!("/{target}") };
        Ok(Url { scheme, host: host.to_string(), port, target, userinfo })
    }

    /// The URL a redirect's `Location` names, relative to this one.
    ///
    /// # Errors
    /// As [`Url::parse`].
    pub fn join(&self, location: &str) -> Result<Url, HttpError> {
        if location.contains("://") {
            return Url::parse(location);
        }
        if let Some(rest) = location.strip_prefix("//") {
            return Url::parse(&format!("{}://{rest}", self.scheme));
        }
        let target = if location.starts_with('/') {
            location.to_string()
        } else {
            let path = self.target.split('?').next().unwrap_or("/");
            let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
            format!("{dir}{location}")
        };
        Ok(Url { target, ..self.clone() })
    }

    /// `host:port` as a `Host` header gives it (the port only when not the
    /// scheme's own).
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        let default = if self.scheme == "https" { 443 } else { 80 };
        if self.port == default { host } else { format!("{host}:{}", self.port) }
    }

    /// The URL written out again.
    pub fn to_text(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority(), self.target)
    }

    /// The last path segment: the file name `curl -O` and `wget` save to.
    pub fn file_name(&self) -> &str {
        let path = self.target.split('?').next().unwrap_or("");
        path.rsplit('/').next().unwrap_or("")
    }
}

/// One request.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// Where to.
    pub url: Url,
    /// Headers besides `Host`, in order.
    pub headers: Vec<(String, String)>,
    /// The body, if any (sent with its `Content-Length`).
    pub body: Option<Vec<u8>>,
    /// For `https://`: how the server is checked.
    pub tls: TlsOptions,
}

/// How an `https://` server is checked.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// PEM certificates trusted beyond the bundled roots (`--cacert`).
    pub extra_roots_pem: Vec<u8>,
    /// Check the certificate (`-k` clears it).
    pub verify: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        Self { extra_roots_pem: Vec::new(), verify: true }
    }
}

/// A response's status line and headers.
#[derive(Debug, Clone)]
pub struct Head {
    /// `HTTP/1.1`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The head as received, for `curl -i`.
    pub raw: Vec<u8>,
}

impl Head {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The request as sent on the wire.
pub fn request_bytes(request: &Request) -> Vec<u8> {
    let mut text =
        format!("{} {} HTTP/1.1\r\nHost: {}\r\n", request.method, request.url.target, request.url.authority());
    for (name, value) in &request.headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = &request.body
        && !request.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        text.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    text.push_str("\r\n");
    let mut bytes = text.into_bytes();
    if let Some(body) = &request.body {
        bytes.extend_from_slice(body);
    }
    bytes
}

/// Connects, sends `request`, reads the head; the body follows from the
/// returned reader (nothing for `HEAD`, 1xx, 204 and 304).
///
/// # Errors
/// See [`HttpError`].
pub fn send(request: &Request) -> Result<(Head, Body), HttpError> {
    let url = &request.url;
    let addrs: Vec<SocketAddr> = match url.host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, url.port)],
        Err(_) => wasi_ext::net::lookup_host(&url.host, url.port).map_err(|_| HttpError::Resolve(url.host.clone()))?,
    };
    if addrs.is_empty() {
        return Err(HttpError::Resolve(url.host.clone()));
    }
    let mut last = io::Error::from(io::ErrorKind::ConnectionRefused);
    let mut stream = None;
    let tls = Tls { server_name: &url.host, extra_roots_pem: &request.tls.extra_roots_pem, verify: request.tls.verify };
    for addr in addrs {
        let connected =
            if url.scheme == "https" { TcpStream::connect_tls(addr, &tls) } else { TcpStream::connect(addr) };
        match connected {
            Ok(connected) => {
                stream = Some(connected);
                break;
            }
            // EPROTO: the handshake failed; another address will not help.
            Err(err) if err.raw_os_error() == Some(EPROTO) => return Err(HttpError::Tls(url.host.clone())),
            Err(err) if err.raw_os_error() == Some(EINVAL) && url.scheme == "https" => {
                return Err(HttpError::CaFile("the CA certificates are not PEM certificates".into()));
            }
            Err(err) => last = err,
        }
    }
    let Some(mut stream) = stream else {
        return Err(HttpError::Connect { host: url.host.clone(), port: url.port, err: last });
    };
    stream.write_all(&request_bytes(request)).map_err(HttpError::Send)?;
    let mut reader = BufReader::new(stream);
    let head = read_head(&mut reader)?;
    let no_body = request.method == "HEAD" || head.status < 200 || head.status == 204 || head.status == 304;
    let framing = if no_body {
        Framing::Length(0)
    } else if head.header("transfer-encoding").is_some_and(|te| te.to_ascii_lowercase().contains("chunked")) {
        Framing::Chunked { left: 0, done: false }
    } else if let Some(length) = head.header("content-length") {
        Framing::Length(length.trim().parse().map_err(|_| HttpError::Weird(format!("Content-Length: {length}")))?)
    } else {
        Framing::UntilClose
    };
    Ok((head, Body { reader, framing }))
}

/// Reads the status line and headers, skipping `100 Continue` heads.
fn read_head(reader: &mut BufReader<TcpStream>) -> Result<Head, HttpError> {
    loop {
        let mut raw = Vec::new();
        loop {
            let before = raw.len();
            let n = reader.read_until(b'\n', &mut raw).map_err(HttpError::Recv)?;
            if n == 0 {
                return Err(if raw.is_empty() {
                    HttpError::Empty
                } else {
                    HttpError::Weird("a truncated head".into())
                });
            }
            if raw.len() > MAX_HEAD {
                return Err(HttpError::Weird("a head over 64 KiB".into()));
            }
            let line = &raw[before..];
            if line == b"\r\n" || line == b"\n" {
                break;
            }
        }
        let mut headers = [httparse::EMPTY_HEADER; 128];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&raw) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) | Err(_) => {
                let first = String::from_utf8_lossy(raw.split(|&b| b == b'\n').next().unwrap_or_default());
                return Err(HttpError::Weird(first.trim().to_string()));
            }
        }
        let status = response.code.unwrap_or(0);
        let version = format!("HTTP/1.{}", response.version.unwrap_or(1));
        let reason = response.reason.unwrap_or("").to_string();
        let headers = response
            .headers
            .iter()
            .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned()))
            .collect();
        if status == 100 {
            continue;
        }
        return Ok(Head { version, status, reason, headers, raw });
    }
}

/// How the body's end is known.
enum Framing {
    Length(u64),
    Chunked { left: u64, done: bool },
    UntilClose,
}

/// A response body, read as it arrives.
pub struct Body {
    reader: BufReader<TcpStream>,
    framing: Framing,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.framing {
            Framing::Length(left) => {
                if *left == 0 || buf.is_empty() {
                    return Ok(0);
                }
                let want = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                let n = self.reader.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the body ended early"));
                }
                *left -= n as u64;
                Ok(n)
            }
            Framing::UntilClose => self.reader.read(buf),
            Framing::Chunked { left, done } => {
                if *done || buf.is_empty() {
                    return Ok(0);
                }
                if *left == 0 {
                    let mut line = String::new();
                    self.reader.read_line(&mut line)?;
                    let size = line.trim().split(';').next().unwrap_or("");
                    let size = u64::from_str_radix(size, 16)
                        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a bad chunk size"))?;
                    if size == 0 {
                        // Trailers, up to the blank line.
                        loop {
                            let mut trailer = String::new();
                            if self.reader.read_line(&mut trailer)? == 0 || trailer.trim().is_empty() {
                                break;
                            }
                        }
                        *done = true;
                        return Ok(0);
                    }
                    *left = size;
                }
                let want = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                let n = self.reader.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "a chunk ended early"));
                }
                *left -= n as u64;
                if *left == 0 {
                    let mut crlf = String::new();
                    self.reader.read_line(&mut crlf)?;
                }
                Ok(n)
            }
        }
    }
}

//! TLS spoken on a guest's behalf on an egress connection it asked to be
//! encrypted (`host_net.net_tls` before its connect). The guest reads and
//! writes plaintext on its socket; here rustls verifies the server against
//! the bundled web roots (plus any PEM roots the guest passed, e.g. a test
//! CA) for the name the guest gave, and encrypts. The guest never holds a
//! key or sees a certificate: a failed handshake is its connect failing
//! with `EPROTO`.
//!
//! Two threads pump the connection, as for plain TCP; they share the TLS
//! state under a lock held only while records are processed, never while
//! waiting on either side.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use capsa_kernel::KernelError;
use capsa_kernel::net::{ExternalConn, TlsRequest};

use super::net::{next_from_host, to_guest};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, ConfigBuilder, DigitallySignedStruct, RootCertStore, SignatureScheme, WantsVerifier,
};

/// How long the handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a blocked host read checks whether the guest side is gone.
const CHECK_EVERY: Duration = Duration::from_millis(50);
/// Bytes moved per read.
const CHUNK: usize = 16 * 1024;
/// The most PEM a guest may pass as extra roots.
const MAX_ROOTS_PEM: usize = 1 << 20;

/// The crypto provider: ring, as the rest of the workspace's TLS.
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: LazyLock<Arc<CryptoProvider>> =
        LazyLock::new(|| Arc::new(rustls::crypto::ring::default_provider()));
    PROVIDER.clone()
}

/// The bundled roots (Mozilla's, from `webpki-roots`).
fn web_roots() -> RootCertStore {
    RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() }
}

/// A client configuration with the protocol versions rustls deems safe.
fn builder() -> Result<ConfigBuilder<ClientConfig, WantsVerifier>, KernelError> {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|_| KernelError::Protocol)
}

/// Verifying against `roots`.
fn verifying(roots: RootCertStore) -> Result<Arc<ClientConfig>, KernelError> {
    Ok(Arc::new(builder()?.with_root_certificates(roots).with_no_client_auth()))
}

/// The client configuration for `tls`; the two without extra roots are made
/// once.
fn config(tls: &TlsRequest) -> Result<Arc<ClientConfig>, KernelError> {
    static WEB: LazyLock<Option<Arc<ClientConfig>>> = LazyLock::new(|| verifying(web_roots()).ok());
    static UNVERIFIED: LazyLock<Option<Arc<ClientConfig>>> = LazyLock::new(|| {
        let verifier = Arc::new(Unverified(provider().signature_verification_algorithms));
        let config = builder().ok()?.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth();
        Some(Arc::new(config))
    });
    if !tls.verify {
        return UNVERIFIED.clone().ok_or(KernelError::Protocol);
    }
    if tls.extra_roots_pem.is_empty() {
        return WEB.clone().ok_or(KernelError::Protocol);
    }
    if tls.extra_roots_pem.len() > MAX_ROOTS_PEM {
        return Err(KernelError::Invalid);
    }
    let mut roots = web_roots();
    let mut added = 0;
    for cert in CertificateDer::pem_slice_iter(&tls.extra_roots_pem) {
        let cert = cert.map_err(|_| KernelError::Invalid)?;
        roots.add(cert).map_err(|_| KernelError::Invalid)?;
        added += 1;
    }
    if added == 0 {
        return Err(KernelError::Invalid);
    }
    verifying(roots)
}

/// Shakes hands over `stream` as `tls` asks, then pumps `conn` through the
/// session.
///
/// # Errors
/// `Invalid` for a server name or extra roots that are not usable;
/// `Protocol` if the handshake fails; `ConnectionRefused` if the pumps
/// cannot start.
pub(crate) fn connect(mut stream: TcpStream, tls: &TlsRequest, conn: ExternalConn) -> Result<(), KernelError> {
    let name = ServerName::try_from(tls.server_name.clone()).map_err(|_| KernelError::Invalid)?;
    let mut client = ClientConnection::new(config(tls)?, name).map_err(|_| KernelError::Protocol)?;
    let timeouts = stream
        .set_read_timeout(Some(HANDSHAKE_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(HANDSHAKE_TIMEOUT)));
    timeouts.map_err(|_| KernelError::ConnectionRefused)?;
    while client.is_handshaking() {
        if let Err(err) = client.complete_io(&mut stream) {
            tracing::debug!(server = %tls.server_name, %err, "TLS handshake failed");
            return Err(KernelError::Protocol);
        }
    }
    let setup = || -> std::io::Result<()> {
        stream.set_write_timeout(None)?;
        let inbound = stream.try_clone()?;
        inbound.set_read_timeout(Some(CHECK_EVERY))?;
        let client = Arc::new(Mutex::new(client));
        let conn = Arc::new(conn);
        let (to_guest, from_guest) = (conn.clone(), client.clone());
        thread::Builder::new()
            .name("capsa-tls-in".into())
            .spawn(move || host_to_guest(inbound, &from_guest, &to_guest))?;
        thread::Builder::new().name("capsa-tls-out".into()).spawn(move || guest_to_host(stream, &client, &conn))?;
        Ok(())
    };
    setup().map_err(|_| KernelError::ConnectionRefused)
}

/// Records from the server, decrypted, to the guest.
fn host_to_guest(mut stream: TcpStream, client: &Mutex<ClientConnection>, conn: &ExternalConn) {
    let mut buf = vec![0u8; CHUNK];
    let mut plain = Vec::new();
    while let Some(n) = next_from_host(&mut stream, conn, &mut buf) {
        let closed = {
            let mut client = client.lock().unwrap_or_else(PoisonError::into_inner);
            match decrypt(&mut client, &buf[..n], &mut plain) {
                Ok(closed) => {
                    // Alerts and key updates the records asked for.
                    while client.wants_write() {
                        if client.write_tls(&mut stream).is_err() {
                            break;
                        }
                    }
                    closed
                }
                Err(err) => {
                    tracing::debug!(%err, "TLS record refused");
                    true
                }
            }
        };
        if !to_guest(&stream, conn, &plain) {
            return;
        }
        plain.clear();
        if closed {
            conn.shutdown_write();
            return;
        }
    }
}

/// Feeds `records` to the session and appends what they decrypt to; `true`
/// once the server closed the session.
fn decrypt(client: &mut ClientConnection, mut records: &[u8], plain: &mut Vec<u8>) -> std::io::Result<bool> {
    while !records.is_empty() {
        client.read_tls(&mut records)?;
        let state = client.process_new_packets().map_err(std::io::Error::other)?;
        let ready = state.plaintext_bytes_to_read();
        if ready > 0 {
            let start = plain.len();
            plain.resize(start + ready, 0);
            client.reader().read_exact(&mut plain[start..])?;
        }
        if state.peer_has_closed() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The guest's bytes, encrypted, to the server.
fn guest_to_host(mut stream: TcpStream, client: &Mutex<ClientConnection>, conn: &ExternalConn) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match conn.read(&mut buf) {
            Ok(0) | Err(_) => 0,
            Ok(n) => n,
        };
        let mut client = client.lock().unwrap_or_else(PoisonError::into_inner);
        if n == 0 {
            client.send_close_notify();
        } else if client.writer().write_all(&buf[..n]).is_err() {
            break;
        }
        while client.wants_write() {
            if client.write_tls(&mut stream).is_err() {
                drop(client);
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        }
        if n == 0 {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Write);
}

/// curl's `-k`: the server's certificate is not checked (its handshake
/// signatures still are); the guest's choice about its own connection.
#[derive(Debug)]
struct Unverified(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

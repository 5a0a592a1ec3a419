//! TLS for our agents: one rustls configuration per client, built once, shared by all its
//! connections.
//!
//! Why not ureq's own TLS connector: it keeps its rustls configuration only for requests made
//! with the agent's settings. Every call of ours carries its own deadline (a request-level
//! setting), and for such requests ureq builds a fresh configuration per connection: the root
//! store parsed again and the TLS session cache thrown away, so that no new connection could
//! resume a session. Here the configuration (roots, verifier, session cache) lives as long as
//! the client, so a reconnection resumes its TLS 1.3 session, and nothing is parsed per call.

use crate::error::{Error, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme, StreamOwned};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport, TransportAdapter,
};

/// The rustls configuration of one client: Mozilla's roots plus those of `ca_file` (or no
/// verification at all when `verify` is false), TLS 1.2 and 1.3, an in-memory session cache.
pub(crate) fn client_config(verify: bool, ca_file: Option<&Path>) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(crate::error::ErrorKind::Internal, format!("TLS configuration: {e}")))?;
    let config = if verify {
        let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        if let Some(path) = ca_file {
            for cert in load_ca_file(path)? {
                roots.add(cert).map_err(|e| {
                    Error::invalid(format!(
                        "ca_file {}: a certificate that cannot be a trust anchor: {e}",
                        path.display()
                    ))
                })?;
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerification(provider))).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// The CA certificates of a PEM file, read when the client is built: a bad file is an error
/// then, not at the first call.
fn load_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    use rustls::pki_types::pem::{PemObject, SectionKind};
    let pem = crate::files::read_bounded(path, crate::files::MAX_FILE_BYTES)
        .map_err(|e| Error::invalid(format!("ca_file {}: cannot read it: {e}", path.display())))?;
    let mut certs = Vec::new();
    for item in <(SectionKind, Vec<u8>) as PemObject>::pem_slice_iter(&pem) {
        match item {
            Ok((SectionKind::Certificate, der)) => certs.push(CertificateDer::from(der)),
            Ok(_) => {}
            Err(_) => return Err(Error::invalid(format!("ca_file {}: not valid PEM", path.display()))),
        }
    }
    if certs.is_empty() {
        return Err(Error::invalid(format!("ca_file {}: holds no PEM certificate", path.display())));
    }
    Ok(certs)
}

/// The connector that wraps an `https` connection in TLS (in the place of ureq's own).
#[derive(Debug)]
pub(crate) struct TlsConnector {
    pub config: Arc<ClientConfig>,
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> std::result::Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        // As ureq does: plain HTTP, or a transport that is TLS already, passes through.
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or_default();
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let name = ServerName::try_from(host.to_string()).map_err(|_| ureq::Error::Tls("invalid TLS server name"))?;
        let mut conn = ClientConnection::new(self.config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        // The handshake gets what is left of the connect timeout after the TCP connect.
        let left = match crate::tcp::connect_deadline(details) {
            Some(deadline) => deadline.saturating_duration_since(std::time::Instant::now()).into(),
            None => details.timeout.after,
        };
        sock.set_timeout(NextTimeout { after: left, ..details.timeout });
        conn.complete_io(&mut sock).map_err(handshake_error)?;
        let buffers = LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
        Ok(Some(Either::B(TlsTransport { buffers, stream: StreamOwned { conn, sock } })))
    }
}

/// A failure of the handshake as the call sees it. A failure of the transport beneath (the
/// connect timeout running out while the server says nothing, say) comes back as the ureq error
/// it was, so that it keeps its kind; anything else (a refused certificate, a reset) is marked as
/// coming before the request left ([`crate::unsent`]): the call may try another endpoint. A stop
/// is neither.
fn handshake_error(e: std::io::Error) -> ureq::Error {
    if crate::interrupt::is_stopped(&e) {
        return ureq::Error::Io(e);
    }
    match ureq::Error::from(e) {
        ureq::Error::Io(e) => ureq::Error::Io(crate::unsent::mark(e)),
        beneath => beneath,
    }
}

/// One TLS connection over the transport beneath it.
pub(crate) struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTransport").finish_non_exhaustive()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> std::result::Result<(), ureq::Error> {
        self.stream.sock.set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> std::result::Result<bool, ureq::Error> {
        self.stream.sock.set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.sock.get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

/// `verify = false`: every certificate accepted (the signatures still checked, so that the
/// handshake itself stays sound). Only for tests, as the option says.
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/ca.pem");

    #[test]
    fn ca_file_adds_to_the_built_in_roots() {
        client_config(true, Some(Path::new(CA))).unwrap();
        assert_eq!(load_ca_file(Path::new(CA)).unwrap().len(), 1);
    }

    #[test]
    fn a_bad_ca_file_is_refused_with_its_name() {
        let dir = std::env::temp_dir().join(format!("apig-tls-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let message = client_config(true, Some(&empty)).unwrap_err().to_string();
        assert!(message.contains("empty.pem: holds no PEM certificate"), "{message}");
        let message = client_config(true, Some(&dir.join("absent.pem"))).unwrap_err().to_string();
        assert!(message.contains("absent.pem: cannot read it"), "{message}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

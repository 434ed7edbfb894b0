//! TLS for the HTTP endpoints (`[http] tls_cert_file`, `tls_key_file`): the PEM files are
//! read at start and read again when they change on disk (cert-manager and the like renew
//! them in place), looked at no more than every 10 s, on a handshake. A renewal that does
//! not load (a half-written file) keeps the certificate in use and says why in the log.
//!
//! Owns the server's certificate; the accept loop is `http`'s.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;
use tracing::{info, warn};

const RECHECK: Duration = Duration::from_secs(10);

/// A TLS acceptor serving the certificate in `cert` with the key in `key`.
pub(crate) fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let resolver = Arc::new(Reloading::new(cert, key)?);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[derive(Debug)]
struct Reloading {
    cert: PathBuf,
    key: PathBuf,
    loaded: Mutex<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    key: Arc<CertifiedKey>,
    /// The files' modification times when loaded.
    stamp: (Option<SystemTime>, Option<SystemTime>),
    checked: Instant,
}

fn stamp(cert: &Path, key: &Path) -> (Option<SystemTime>, Option<SystemTime>) {
    let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    (m(cert), m(key))
}

fn load(cert: &Path, key: &Path) -> Result<CertifiedKey, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect())
        .map_err(|e| format!("reading the certificate {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate in {}", cert.display()));
    }
    let der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("reading the key {}: {e}", key.display()))?;
    let signing = rustls::crypto::ring::sign::any_supported_type(&der)
        .map_err(|e| format!("the key {}: {e}", key.display()))?;
    Ok(CertifiedKey::new(certs, signing))
}

impl Reloading {
    fn new(cert: &Path, key: &Path) -> Result<Self, String> {
        let loaded = Loaded {
            key: Arc::new(load(cert, key)?),
            stamp: stamp(cert, key),
            checked: Instant::now(),
        };
        Ok(Self {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            loaded: Mutex::new(loaded),
        })
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let mut l = self.loaded.lock().ok()?;
        if l.checked.elapsed() >= RECHECK {
            l.checked = Instant::now();
            let now = stamp(&self.cert, &self.key);
            if now != l.stamp {
                match load(&self.cert, &self.key) {
                    Ok(k) => {
                        info!(cert = %self.cert.display(), "the HTTP certificate changed on disk; serving the new one");
                        l.key = Arc::new(k);
                        l.stamp = now;
                    }
                    Err(e) => {
                        warn!(error = %e, "the HTTP certificate changed but does not load; keeping the one in use")
                    }
                }
            }
        }
        Some(Arc::clone(&l.key))
    }
}

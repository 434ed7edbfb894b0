//! `[http]`: the addresses, TLS and credentials of /metrics, the probes and /api.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    #[serde(default = "default_address")]
    pub address: String,
    /// A listener of its own for `/livez` and `/readyz` (the kubelet's probes), so that
    /// clients filling the main listener's connection limit cannot fail the probes.
    #[serde(default)]
    pub health_address: Option<String>,
    /// Users allowed to read `/metrics` and `/api/*` with basic authentication: name to
    /// bcrypt hash (as Prometheus' web config has them; `htpasswd -nbBC 10 user pw`).
    #[serde(default)]
    pub basic_auth_users: BTreeMap<String, String>,
    /// A file holding a bearer token that also admits to `/metrics` and `/api/*`.
    #[serde(default)]
    pub bearer_token_file: Option<std::path::PathBuf>,
    /// HTTPS on `address`: the certificate chain and its key (PEM), read again when they
    /// change on disk. `health_address` stays plain HTTP for the kubelet's probes.
    #[serde(default)]
    pub tls_cert_file: Option<std::path::PathBuf>,
    #[serde(default)]
    pub tls_key_file: Option<std::path::PathBuf>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            address: default_address(),
            health_address: None,
            basic_auth_users: BTreeMap::new(),
            bearer_token_file: None,
            tls_cert_file: None,
            tls_key_file: None,
        }
    }
}

fn default_address() -> String {
    "127.0.0.1:9464".into()
}

//! Who may read `/metrics` and `/api/*`: basic-auth users with bcrypt hashes (as
//! Prometheus' exporter web config has them) and a bearer token. `/livez` and `/readyz`
//! stay open for the kubelet. With neither configured, everything is open (the default,
//! for a pod reached only inside its cluster).
//!
//! Owns the check of one request's `Authorization` header; reading the token file and
//! registering it as a secret is the shell's.

use std::collections::BTreeMap;
use std::sync::Mutex;

use base64::Engine;

/// The configured credentials.
#[derive(Default)]
pub struct HttpAuth {
    users: BTreeMap<String, String>,
    token: Option<String>,
    /// Credentials already verified (bcrypt is slow by design; a scraper sends the same
    /// header every 15 s): the header text's SHA-256, never the header itself.
    verified: Mutex<Vec<[u8; 32]>>,
}

impl HttpAuth {
    pub fn new(users: BTreeMap<String, String>, token: Option<String>) -> Self {
        Self {
            users,
            token,
            verified: Mutex::new(Vec::new()),
        }
    }

    /// Whether any credential is configured.
    pub fn required(&self) -> bool {
        !self.users.is_empty() || self.token.is_some()
    }

    /// Whether a request with this `Authorization` header value may pass.
    pub fn admits(&self, authorization: Option<&str>) -> bool {
        if !self.required() {
            return true;
        }
        let Some(header) = authorization else {
            return false;
        };
        if let (Some(t), Some(given)) = (&self.token, header.strip_prefix("Bearer ")) {
            return constant_time_eq(t.as_bytes(), given.trim().as_bytes());
        }
        let Some(encoded) = header.strip_prefix("Basic ") else {
            return false;
        };
        let digest: [u8; 32] = {
            use sha2::Digest;
            sha2::Sha256::digest(header.as_bytes()).into()
        };
        if self.verified.lock().is_ok_and(|v| v.contains(&digest)) {
            return true;
        }
        let ok = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|d| String::from_utf8(d).ok())
            .and_then(|pair| {
                let (user, password) = pair.split_once(':')?;
                let hash = self.users.get(user)?;
                Some(bcrypt::verify(password, hash).unwrap_or(false))
            })
            .unwrap_or(false);
        if ok && let Ok(mut v) = self.verified.lock() {
            if v.len() >= 64 {
                v.clear();
            }
            v.push(digest);
        }
        ok
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, pw: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
        )
    }

    #[test]
    fn open_without_credentials() {
        assert!(HttpAuth::default().admits(None));
    }

    #[test]
    fn basic_users_by_bcrypt_hash_and_a_bearer_token() {
        let hash = bcrypt::hash("scrape-pw", 4).unwrap();
        let auth = HttpAuth::new(
            [("prometheus".to_string(), hash)].into(),
            Some("tok-123456".into()),
        );
        assert!(auth.admits(Some(&basic("prometheus", "scrape-pw"))));
        // Again, from the cache of verified headers.
        assert!(auth.admits(Some(&basic("prometheus", "scrape-pw"))));
        assert!(!auth.admits(Some(&basic("prometheus", "wrong"))));
        assert!(!auth.admits(Some(&basic("nobody", "scrape-pw"))));
        assert!(auth.admits(Some("Bearer tok-123456")));
        assert!(!auth.admits(Some("Bearer tok-12345")));
        assert!(!auth.admits(None));
        assert!(!auth.admits(Some("Digest x")));
    }
}

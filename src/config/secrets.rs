//! Secrets that never leak: the process-wide list of configured secret values and the
//! redaction of everything psimon prints (log lines, errors, panic messages, `/readyz`,
//! `check-config`), whoever produced the text. librdkafka echoes property values in its
//! errors (`No such configuration property: "sasl.pasword" ... Sup3rS3cret!`), so
//! redaction is by value, not by key.
//!
//! Owns: which properties are secret (`is_secret_key`), the registry (`register`), the
//! redaction (`redact`) and a writer for the log that applies it. It reads no file and
//! knows no config layout: callers register what they read.

use std::borrow::Cow;
use std::io::Write;
use std::sync::RwLock;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Shorter values are not registered: redacting every "ab" would garble the log. (A
/// password that short is a problem of its own; `check-config` says so.)
pub const MIN_LEN: usize = 4;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Words in a property name that mark its value as secret.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "jaas",
    "credential",
    "apikey",
    "api.key",
];

/// Secret properties whose names carry none of those words.
const SECRET_KEYS: &[&str] = &[
    "ssl.key.pem",
    "ssl_key",
    "sasl.oauthbearer.config",
    "sasl.oauthbearer.assertion.private.key.pem",
];

/// Whether the value of property `key` is secret by its name: it says password, secret,
/// token or key material, or is close to a name that does (a typo like `sasl.pasword`).
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| k.contains(w))
        || SECRET_KEYS.contains(&k.as_str())
        || k.split(['.', '_', '-'])
            .any(|part| SECRET_WORDS.iter().any(|w| near(part, w)))
}

/// Within one edit (insertion, deletion, substitution or transposition) of `word` of 6 or
/// 7 letters, two of a longer one.
fn near(part: &str, word: &str) -> bool {
    let most = if word.len() >= 8 { 2 } else { 1 };
    word.len() >= 6 && strsim::damerau_levenshtein(part, word) <= most
}

/// Adds `value` to the secrets redacted from everything printed from now on.
pub fn register(value: &str) {
    let v = value.trim();
    if v.len() < MIN_LEN {
        return;
    }
    if let Ok(mut s) = SECRETS.write()
        && !s.iter().any(|x| x == v)
    {
        s.push(v.to_string());
        // Longest first, so that a secret containing another is replaced whole.
        s.sort_by_key(|x| std::cmp::Reverse(x.len()));
    }
}

/// `text` with every registered secret replaced by `[redacted]`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let Ok(secrets) = SECRETS.read() else {
        return Cow::Borrowed(text);
    };
    let mut out = Cow::Borrowed(text);
    for s in secrets.iter() {
        if out.contains(s.as_str()) {
            out = Cow::Owned(out.replace(s.as_str(), REDACTED));
        }
    }
    out
}

/// Standard error, redacted: the log's writer. tracing's formatter writes each event
/// with one `write_all`, so a secret is never split across calls.
pub struct RedactedStderr;

impl Write for RedactedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Panic messages go through `redact` too.
pub fn redact_panics() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("unnamed");
        let _ = writeln!(
            std::io::stderr(),
            "thread '{name}' panicked{at}: {}",
            redact(&msg)
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_by_name_and_near_misses() {
        for k in [
            "sasl.password",
            "ssl.key.password",
            "ssl.keystore.password",
            "sasl.oauthbearer.client.secret",
            "ssl.key.pem",
            "sasl.oauthbearer.config",
            "sasl.pasword",
            "sasl.passwrod",
            "sasl.secrt",
            "sasl.secert",
            "SASL.PASSWORD",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "security.protocol",
            "ssl.ca.location",
            "ssl.key.location",
            "sasl.username",
            "bootstrap.servers",
            "compression.type",
            "sasl.mechanisms",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn registered_values_are_redacted_wherever_they_appear() {
        register("Sup3rS3cret!-redact-test");
        register("ab"); // too short: never registered
        let line = "No such configuration property: \"sasl.pasword\" Sup3rS3cret!-redact-test, ab";
        assert_eq!(
            redact(line),
            "No such configuration property: \"sasl.pasword\" [redacted], ab"
        );
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_secret_that_contains_another_is_replaced_whole() {
        register("inner-xyz-redact");
        register("outer-inner-xyz-redact-long");
        assert_eq!(redact("[outer-inner-xyz-redact-long]"), "[[redacted]]");
    }
}

//! A report or a pack filed as a bundle a committee can sign: `<stem>.json` (every
//! number), `<stem>.html` (the same, readable), `<stem>.pdf` (printed by headless Chromium
//! when one is installed), and `MANIFEST.json`: psimon's version, when, and the SHA-256 of every file
//! of the bundle, of the baseline and of the sample. With a key, `MANIFEST.sig` is a
//! detached Ed25519 signature over the manifest's bytes; the key is a PKCS#8 PEM as
//! `openssl genpkey -algorithm ed25519` writes it, so `openssl pkeyutl -verify -rawin`
//! checks the signature without psimon. `psimon verify DIR` checks every hash and, given
//! the public key, the signature. Secrets: the private key is read, never printed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use ring::signature::{ED25519, Ed25519KeyPair, UnparsedPublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub(crate) const MANIFEST: &str = "MANIFEST.json";
pub(crate) const SIGNATURE: &str = "MANIFEST.sig";

/// The SHA-256 of a file, as `sha256:<hex>`.
fn sha256_of(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let hex: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("sha256:{hex}"))
}

/// The bundle's documents: the files are `<stem>.json`, `<stem>.html`, `<stem>.pdf`.
pub(crate) struct Documents<'a> {
    pub stem: &'a str,
    pub json: &'a Value,
    pub html: String,
}

/// Writes the bundle of `docs` into `dir`; `inputs` are the files it was computed from
/// (name, path), hashed into the manifest. Returns the files written.
pub(crate) fn write_bundle(
    dir: &Path,
    docs: &Documents<'_>,
    inputs: &[(&str, &Path)],
    key: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    let (stem, doc) = (docs.stem, docs.json);
    std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    let json_path = dir.join(format!("{stem}.json"));
    std::fs::write(&json_path, serde_json::to_string_pretty(doc)? + "\n")?;
    let html_path = dir.join(format!("{stem}.html"));
    std::fs::write(&html_path, &docs.html)?;
    let mut files = vec![json_path, html_path.clone()];
    let pdf_path = dir.join(format!("{stem}.pdf"));
    match print_pdf(&html_path, &pdf_path) {
        Ok(()) => files.push(pdf_path),
        Err(why) => tracing::warn!("no PDF: {why:#}"),
    }
    let mut hashes = serde_json::Map::new();
    for f in &files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        hashes.insert(name.unwrap_or_default(), json!(sha256_of(f)?));
    }
    let mut sources = serde_json::Map::new();
    for (name, path) in inputs {
        sources.insert(
            (*name).to_string(),
            json!({ "path": path.display().to_string(), "sha256": sha256_of(path)? }),
        );
    }
    let manifest = json!({
        "psimon_version": env!("CARGO_PKG_VERSION"),
        "generated_at": doc["generated_at"],
        "files": hashes,
        "inputs": sources,
        "signature": key.map(|_| json!({ "file": SIGNATURE, "algorithm": "Ed25519" })),
    });
    let manifest_path = dir.join(MANIFEST);
    let bytes = serde_json::to_string_pretty(&manifest)? + "\n";
    std::fs::write(&manifest_path, &bytes)?;
    files.push(manifest_path);
    if let Some(key) = key {
        let signature = sign(bytes.as_bytes(), key)?;
        let sig_path = dir.join(SIGNATURE);
        std::fs::write(&sig_path, signature)?;
        files.push(sig_path);
    }
    Ok(files)
}

/// The Chromium to print with: `PSIMON_CHROMIUM`, else the first of the usual names on
/// the PATH.
fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PSIMON_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// `html` printed to `pdf` by headless Chromium (A4, no header or footer); an error when
/// there is no Chromium or it fails.
fn print_pdf(html: &Path, pdf: &Path) -> Result<()> {
    let chromium = chromium().ok_or_else(|| {
        anyhow!("no Chromium found (install Debian's chromium, or set PSIMON_CHROMIUM)")
    })?;
    let profile = tempfile::tempdir()?;
    let html = std::fs::canonicalize(html)?;
    let out = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .with_context(|| format!("running {}", chromium.display()))?;
    let written = std::fs::metadata(pdf).map(|m| m.len() > 0).unwrap_or(false);
    if !out.status.success() || !written {
        bail!(
            "{} could not print the PDF ({})",
            chromium.display(),
            out.status
        );
    }
    Ok(())
}

/// The DER inside a PEM block labelled `label`.
fn pem(text: &str, label: &str) -> Result<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let body = text
        .split_once(&begin)
        .and_then(|(_, rest)| rest.split_once(&end))
        .map(|(body, _)| body)
        .ok_or_else(|| anyhow!("not a PEM {label}"))?;
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| anyhow!("a PEM {label} whose base64 does not decode"))
}

/// The Ed25519 signature of `message` by the PKCS#8 PEM private key at `key`.
fn sign(message: &[u8], key: &Path) -> Result<Vec<u8>> {
    let text = std::fs::read_to_string(key).with_context(|| format!("--sign {}", key.display()))?;
    let der = pem(&text, "PRIVATE KEY").with_context(|| format!("--sign {}", key.display()))?;
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(|_| {
        anyhow!(
            "--sign {}: not an Ed25519 private key (PKCS#8)",
            key.display()
        )
    })?;
    Ok(pair.sign(message).as_ref().to_vec())
}

/// The raw 32-byte key of an Ed25519 public key PEM (SubjectPublicKeyInfo).
fn public_key(path: &Path) -> Result<Vec<u8>> {
    /// The SubjectPublicKeyInfo header of every Ed25519 key (RFC 8410).
    const SPKI: [u8; 12] = [
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let der = pem(&text, "PUBLIC KEY").with_context(|| format!("{}", path.display()))?;
    match der.strip_prefix(&SPKI[..]) {
        Some(key) if key.len() == 32 => Ok(key.to_vec()),
        _ => bail!("{}: not an Ed25519 public key", path.display()),
    }
}

/// Every problem of the bundle in `dir`: a file whose hash differs from the manifest's, a
/// file missing, and with `key` a signature that does not verify. Empty when it holds.
pub(crate) fn verify(dir: &Path, key: Option<&Path>) -> Result<Vec<String>> {
    let manifest_path = dir.join(MANIFEST);
    let bytes =
        std::fs::read(&manifest_path).with_context(|| format!("{}", manifest_path.display()))?;
    let manifest: Value =
        serde_json::from_slice(&bytes).with_context(|| format!("{}", manifest_path.display()))?;
    let mut problems = Vec::new();
    for (name, want) in manifest["files"].as_object().into_iter().flatten() {
        match sha256_of(&dir.join(name)) {
            Ok(got) if Some(got.as_str()) == want.as_str() => {}
            Ok(_) => problems.push(format!("{name}: changed since the manifest was written")),
            Err(_) => problems.push(format!("{name}: missing")),
        }
    }
    if let Some(key) = key {
        let public = public_key(key)?;
        match std::fs::read(dir.join(SIGNATURE)) {
            Err(_) => problems.push(format!("{SIGNATURE}: missing")),
            Ok(sig) => {
                if UnparsedPublicKey::new(&ED25519, &public)
                    .verify(&bytes, &sig)
                    .is_err()
                {
                    problems.push(format!(
                        "{MANIFEST}: the signature does not verify with {}",
                        key.display()
                    ));
                }
            }
        }
    }
    Ok(problems)
}

/// `psimon verify DIR [--public-key PEM]`.
#[derive(clap::Args)]
pub(crate) struct VerifyCli {
    /// The bundle's directory (`report --out-dir`, `pack --out-dir`).
    dir: PathBuf,
    /// The signer's Ed25519 public key (PEM); without it only the hashes are checked.
    #[arg(long)]
    public_key: Option<PathBuf>,
}

impl VerifyCli {
    pub(crate) fn run(self) -> Result<()> {
        let problems = verify(&self.dir, self.public_key.as_deref())?;
        if !problems.is_empty() {
            bail!(
                "{}: {} problem(s):\n  {}",
                self.dir.display(),
                problems.len(),
                problems.join("\n  ")
            );
        }
        let what = if self.public_key.is_some() {
            "every hash and the signature"
        } else {
            "every hash (no --public-key: the signature was not checked)"
        };
        super::fmt::emit(&format!("{}: {what} verified\n", self.dir.display()))?;
        Ok(())
    }
}

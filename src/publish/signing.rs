//! minisign keys and signatures. The secret key lives in the user's config
//! folder (or where --sign-key says), never in the room or the output.

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use minisign::{KeyPair, PublicKey, PublicKeyBox, SecretKey, SecretKeyBox, SignatureBox};
use sha2::{Digest, Sha256};

pub const KEY_ENV: &str = "DATAROOM_SIGN_KEY";
pub const KEY_PASSWORD_ENV: &str = "DATAROOM_SIGN_KEY_PASSWORD";

pub struct Signer {
    pub secret: SecretKey,
    pub public: PublicKey,
    pub secret_path: PathBuf,
    pub created: bool,
}

/// The default per-user key: `<config dir>/dataroom/minisign.key`.
pub fn default_key_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("dataroom").join("minisign.key"))
}

/// Key id as minisign prints it (16 hex digits, upper case).
pub fn key_id(pk: &PublicKey) -> String {
    key_id_of(pk.keynum())
}

fn key_id_of(keynum: &[u8]) -> String {
    let mut id = [0u8; 8];
    let n = keynum.len().min(8);
    id[..n].copy_from_slice(&keynum[..n]);
    format!("{:016X}", u64::from_le_bytes(id))
}

/// SHA-256 of the public key's base64 form, grouped for reading aloud.
pub fn fingerprint(pk: &PublicKey) -> String {
    let digest = Sha256::digest(pk.to_base64().as_bytes());
    let hex = crate::seal::hex(&digest);
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes a new unencrypted key pair (`path`, `path.pub`), secret key mode 0600.
pub fn generate(path: &Path) -> Result<(PublicKey, PathBuf), String> {
    if path.exists() {
        return Err(format!(
            "{} already exists; not overwriting a signing key",
            path.display()
        ));
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let kp = KeyPair::generate_unencrypted_keypair().map_err(|e| e.to_string())?;
    let sk_box = kp
        .sk
        .to_box(Some("dataroom signing key — keep private"))
        .map_err(|e| e.to_string())?;
    write_private(path, sk_box.to_string().as_bytes())?;
    let pub_path = public_path_for(path);
    let pk_box = kp.pk.to_box().map_err(|e| e.to_string())?;
    fs::write(&pub_path, pk_box.to_string())
        .map_err(|e| format!("cannot write {}: {e}", pub_path.display()))?;
    Ok((kp.pk, pub_path))
}

pub fn public_path_for(secret: &Path) -> PathBuf {
    let mut s = secret.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The key given with --sign-key / DATAROOM_SIGN_KEY, else the per-user key,
/// created on first use.
pub fn load_signer(explicit: Option<&Path>) -> Result<Signer, String> {
    let (path, may_create) = match explicit {
        Some(p) => (p.to_path_buf(), false),
        None => match std::env::var_os(KEY_ENV).filter(|v| !v.is_empty()) {
            Some(p) => (PathBuf::from(p), false),
            None => (
                default_key_path()
                    .ok_or("no config folder for a signing key; pass --sign-key FILE")?,
                true,
            ),
        },
    };
    let mut created = false;
    if !path.exists() {
        if !may_create {
            return Err(format!(
                "signing key {} does not exist; create one with `dataroom keygen --out {}`",
                path.display(),
                path.display()
            ));
        }
        generate(&path)?;
        created = true;
    }
    let text = fs::read_to_string(&path)
        .map_err(|e| format!("cannot read signing key {}: {e}", path.display()))?;
    let sk_box = SecretKeyBox::from_string(&text)
        .map_err(|e| format!("{} is not a minisign secret key: {e}", path.display()))?;
    let unencrypted = SecretKeyBox::from_string(&text)
        .and_then(|b| b.into_unencrypted_secret_key())
        .ok()
        .filter(|k| !k.is_encrypted());
    let secret = match unencrypted {
        Some(k) => k,
        None => {
            let pw = match std::env::var(KEY_PASSWORD_ENV).ok().filter(|p| !p.is_empty()) {
                Some(pw) => pw,
                None => rpassword::prompt_password("Signing key password / 签名密钥密码: ").map_err(|_| {
                    format!("the signing key is encrypted: set {KEY_PASSWORD_ENV} or run in a terminal")
                })?,
            };
            sk_box
                .into_secret_key(Some(pw))
                .map_err(|e| format!("cannot open the signing key: {e}"))?
        }
    };
    let public = PublicKey::from_secret_key(&secret).map_err(|e| e.to_string())?;
    Ok(Signer {
        secret,
        public,
        secret_path: path,
        created,
    })
}

impl Signer {
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> Result<String, String> {
        let sig = minisign::sign(
            Some(&self.public),
            &self.secret,
            Cursor::new(data),
            Some(trusted_comment),
            Some("signature from dataroom"),
        )
        .map_err(|e| format!("signing failed: {e}"))?;
        Ok(sig.into_string())
    }

    pub fn public_box(&self) -> String {
        self.public
            .to_box()
            .map(|b| b.into_string())
            .unwrap_or_default()
    }
}

pub fn parse_public(text: &str) -> Result<PublicKey, String> {
    let trimmed = text.trim();
    // Accept both the two-line minisign .pub file and a bare base64 key.
    let pk = if trimmed.starts_with("untrusted comment:") {
        PublicKeyBox::from_string(trimmed).and_then(|b| b.into_public_key())
    } else {
        PublicKey::from_base64(trimmed)
    };
    pk.map_err(|e| format!("not a minisign public key: {e}"))
}

/// Checks `sig_text` over `data`; returns the trusted comment.
pub fn verify(pk: &PublicKey, data: &[u8], sig_text: &str) -> Result<String, String> {
    let sig =
        SignatureBox::from_string(sig_text).map_err(|e| format!("unreadable signature: {e}"))?;
    // minisign's own error for this case says only that the key ids differ;
    // the buyer needs both ids to ask the seller which key is really theirs.
    if sig.keynum() != pk.keynum() {
        return Err(format!(
            "made by a different key: the signature is from key id {}, but the public key is key id {}",
            key_id_of(sig.keynum()),
            key_id(pk)
        ));
    }
    minisign::verify(pk, &sig, Cursor::new(data), true, false, false).map_err(|e| e.to_string())?;
    sig.trusted_comment().map_err(|e| e.to_string())
}

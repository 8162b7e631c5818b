//! minisign keys and signatures. The secret key lives in the user's config
//! folder (or where --sign-key says), never in the room or the output.

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use minisign::{KeyPair, PublicKey, PublicKeyBox, SecretKey, SecretKeyBox, SignatureBox};
use sha2::{Digest, Sha256};

use crate::i18n::Wording;

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
pub fn generate(path: &Path) -> Result<(PublicKey, PathBuf), Wording> {
    if path.exists() {
        return Err(Wording::new("err_key_exists").path("path", path));
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Wording::io_at("err_create", dir, &e))?;
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
        .map_err(|e| Wording::io_at("err_write", &pub_path, &e))?;
    Ok((kp.pk, pub_path))
}

pub fn public_path_for(secret: &Path) -> PathBuf {
    let mut s = secret.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Wording> {
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
        .map_err(|e| Wording::io_at("err_create", path, &e))?;
    f.write_all(bytes)
        .map_err(|e| Wording::io_at("err_write", path, &e))
}

/// The key given with --sign-key / DATAROOM_SIGN_KEY, else the per-user key,
/// created on first use.
/// Prompts in the language of `strings`.
pub fn load_signer(
    explicit: Option<&Path>,
    strings: &crate::i18n::Strings,
) -> Result<Signer, Wording> {
    let (path, may_create) = match explicit {
        Some(p) => (p.to_path_buf(), false),
        None => match std::env::var_os(KEY_ENV).filter(|v| !v.is_empty()) {
            Some(p) => (PathBuf::from(p), false),
            None => (
                default_key_path().ok_or_else(|| Wording::new("err_sign_key_no_config"))?,
                true,
            ),
        },
    };
    let mut created = false;
    if !path.exists() {
        if !may_create {
            return Err(Wording::new("err_sign_key_missing").path("path", &path));
        }
        generate(&path)?;
        created = true;
    }
    let text = fs::read_to_string(&path)
        .map_err(|e| Wording::io_at("err_sign_key_unreadable", &path, &e))?;
    let sk_box = SecretKeyBox::from_string(&text)
        .map_err(|_| Wording::new("err_sign_key_invalid").path("path", &path))?;
    let unencrypted = SecretKeyBox::from_string(&text)
        .and_then(|b| b.into_unencrypted_secret_key())
        .ok()
        .filter(|k| !k.is_encrypted());
    let secret = match unencrypted {
        Some(k) => k,
        None => {
            let pw = match std::env::var(KEY_PASSWORD_ENV)
                .ok()
                .filter(|p| !p.is_empty())
            {
                Some(pw) => pw,
                None => {
                    let prompt = format!("{} ", crate::i18n::text(strings, "cli_sign_key_prompt"));
                    rpassword::prompt_password(prompt).map_err(|_| {
                        Wording::new("err_sign_key_encrypted").arg("var", KEY_PASSWORD_ENV)
                    })?
                }
            };
            sk_box
                .into_secret_key(Some(pw))
                .map_err(|_| Wording::new("err_sign_key_password").path("path", &path))?
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
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> Result<String, Wording> {
        self.sign_reader(Cursor::new(data), trusted_comment)
    }

    /// [`Signer::sign`] over what `data` reads, hashed as it streams (minisign's
    /// prehashed signatures): a zip of hundreds of MB is never held in memory.
    pub fn sign_reader(
        &self,
        data: impl std::io::Read,
        trusted_comment: &str,
    ) -> Result<String, Wording> {
        let sig = minisign::sign(
            Some(&self.public),
            &self.secret,
            data,
            Some(trusted_comment),
            Some("signature from dataroom"),
        )
        .map_err(|e| Wording::new("err_signing").arg("detail", e))?;
        Ok(sig.into_string())
    }

    pub fn public_box(&self) -> String {
        self.public
            .to_box()
            .map(|b| b.into_string())
            .unwrap_or_default()
    }
}

pub fn parse_public(text: &str) -> Result<PublicKey, Wording> {
    let trimmed = text.trim();
    // Accept both the two-line minisign .pub file and a bare base64 key.
    let pk = if trimmed.starts_with("untrusted comment:") {
        PublicKeyBox::from_string(trimmed).and_then(|b| b.into_public_key())
    } else {
        PublicKey::from_base64(trimmed)
    };
    pk.map_err(|_| Wording::new("err_public_key_invalid"))
}

/// Checks `sig_text` over `data`; returns the trusted comment.
pub fn verify(pk: &PublicKey, data: &[u8], sig_text: &str) -> Result<String, Wording> {
    verify_reader(pk, Cursor::new(data), sig_text)
}

/// [`verify`] over what `data` reads, hashed as it streams.
pub fn verify_reader(
    pk: &PublicKey,
    data: impl std::io::Read + std::io::Seek,
    sig_text: &str,
) -> Result<String, Wording> {
    let sig = SignatureBox::from_string(sig_text)
        .map_err(|_| Wording::new("err_signature_unreadable"))?;
    // minisign's own error for this case says only that the key ids differ;
    // the buyer needs both ids to ask the seller which key is really theirs.
    if sig.keynum() != pk.keynum() {
        return Err(Wording::new("err_signature_other_key")
            .arg("signed", key_id_of(sig.keynum()))
            .arg("key", key_id(pk)));
    }
    minisign::verify(pk, &sig, data, true, false, false)
        .map_err(|_| Wording::new("err_signature_invalid"))?;
    sig.trusted_comment()
        .map_err(|_| Wording::new("err_signature_unreadable"))
}

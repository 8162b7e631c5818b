//! Sealing: everything from the room becomes AES-256-GCM payloads that only the
//! password opens.
//!
//! Format `dataroom-sealed/1` (the browser side is themes/default/static/dataroom.js):
//! - password → key-encryption key (KEK): PBKDF2-HMAC-SHA256, ≥ 600,000
//!   iterations, 16-byte random salt; parameters in the public header.
//! - content is encrypted under random 256-bit content keys (`kid`); a **key slot**
//!   holds content keys wrapped under one password's KEK (AES-256-GCM, associated
//!   data `dataroom-slot:<room>:<kid>`). Several passwords can hold slots for
//!   different sets of keys without any change to payloads.
//! - a payload is `gzip` (optional) then AES-256-GCM with a fresh 96-bit nonce;
//!   its opaque id is the associated data, so payloads cannot be swapped.
//!
//! Invariant: nothing leaves this module in plaintext except the header
//! (parameters, salt, wrapped keys) and payload ids, which are random.

pub mod password;
pub mod site;

use std::collections::HashMap;
use std::io::{Read, Write};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const FORMAT: &str = "dataroom-sealed/1";
/// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
pub const MIN_ITERATIONS: u32 = 600_000;

#[derive(Debug)]
pub enum SealError {
    WrongPassword,
    /// A payload that does not decrypt under its key: tampered with or damaged.
    Tampered(String),
    Malformed(String),
}

impl std::fmt::Display for SealError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SealError::WrongPassword => f.write_str("wrong password: no key slot opens with it"),
            SealError::Tampered(id) => {
                write!(f, "payload {id} has been tampered with or is damaged")
            }
            SealError::Malformed(what) => write!(f, "not a dataroom sealed file: {what}"),
        }
    }
}

impl std::error::Error for SealError {}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Kdf {
    pub name: String,
    pub hash: String,
    pub iterations: u32,
    pub salt: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WrappedKey {
    pub kid: String,
    pub nonce: String,
    pub wrapped: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Slot {
    pub keys: Vec<WrappedKey>,
}

/// The public header, `data/header.js`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub room: String,
    /// Stable across rebuilds of the same room by the same seller, so checklist
    /// ticks and quiz progress kept in the browser survive a rebuild.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub site: String,
    pub kdf: Kdf,
    pub slots: Vec<Slot>,
    /// Payload id of the encrypted index (routes, titles, navigation).
    pub index: String,
}

/// One sealed payload as stored in a `data/*.js` file.
#[derive(Serialize, Deserialize)]
pub struct PayloadFile {
    id: String,
    kid: String,
    nonce: String,
    z: u8,
    ct: String,
}

const HEADER_PREFIX: &str = "window.DATAROOM_HEADER = ";
const PAYLOAD_PREFIX: &str = "dataroomPayload(";

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    OsRng.fill_bytes(&mut b);
    b
}

pub fn hex(bytes: &[u8]) -> String {
    crate::room::document::hex(bytes)
}

/// The password is NFC-normalized first (as the browser does), so a Chinese
/// password typed with another input method still opens the room.
pub fn derive_kek(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    use unicode_normalization::UnicodeNormalization;
    let normalized: String = password.nfc().collect();
    let mut kek = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(normalized.as_bytes(), salt, iterations, &mut kek);
    kek
}

fn encrypt(key: &[u8; 32], plaintext: &[u8], aad: &[u8]) -> ([u8; 12], Vec<u8>) {
    let nonce = random_bytes::<12>();
    let cipher = Aes256Gcm::new(key.into());
    // Encryption with a valid key and nonce cannot fail for inputs this size.
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .unwrap_or_default();
    (nonce, ct)
}

fn decrypt(key: &[u8; 32], nonce: &[u8], ct: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    if nonce.len() != 12 {
        return None;
    }
    Aes256Gcm::new(key.into())
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .ok()
}

fn slot_aad(room: &str, kid: &str) -> Vec<u8> {
    format!("dataroom-slot:{room}:{kid}").into_bytes()
}

/// Seals one build: holds the content keys and the header under construction.
pub struct Sealer {
    header: Header,
    keys: HashMap<String, [u8; 32]>,
}

/// One password and the content keys it may open.
pub struct Audience<'a> {
    pub password: &'a str,
    pub kids: &'a [&'a str],
}

impl Sealer {
    /// A sealer with one content key `k0` and one slot for `password`.
    pub fn new(password: &str, iterations: u32) -> Sealer {
        Sealer::with_audiences(
            &[Audience {
                password,
                kids: &["k0"],
            }],
            iterations,
        )
    }

    /// Several passwords, each with a slot holding only its content keys.
    pub fn with_audiences(audiences: &[Audience], iterations: u32) -> Sealer {
        let room = hex(&random_bytes::<8>());
        let salt = random_bytes::<16>();
        let mut keys: HashMap<String, [u8; 32]> = HashMap::new();
        let mut slots = Vec::new();
        for a in audiences {
            let kek = derive_kek(a.password, &salt, iterations);
            let wrapped = a
                .kids
                .iter()
                .map(|kid| {
                    let key = *keys
                        .entry(kid.to_string())
                        .or_insert_with(random_bytes::<32>);
                    let (nonce, ct) = encrypt(&kek, &key, &slot_aad(&room, kid));
                    WrappedKey {
                        kid: kid.to_string(),
                        nonce: B64.encode(nonce),
                        wrapped: B64.encode(ct),
                    }
                })
                .collect();
            slots.push(Slot { keys: wrapped });
        }
        Sealer {
            header: Header {
                format: FORMAT.into(),
                room,
                site: String::new(),
                kdf: Kdf {
                    name: "PBKDF2".into(),
                    hash: "SHA-256".into(),
                    iterations,
                    salt: B64.encode(salt),
                },
                slots,
                index: String::new(),
            },
            keys,
        }
    }

    pub fn set_site(&mut self, site: String) {
        self.header.site = site;
    }

    /// A fresh opaque payload id: it says nothing about the content.
    pub fn new_id() -> String {
        hex(&random_bytes::<16>())
    }

    /// Encrypts `plaintext` as payload `id` under content key `kid`; returns the
    /// `data/<id>.js` file content.
    pub fn seal(&self, id: &str, kid: &str, plaintext: &[u8], compress: bool) -> Vec<u8> {
        let key = self.keys.get(kid).copied().unwrap_or_else(|| {
            // Only programming errors reach here: kids come from this module.
            panic!("content key {kid} was never created")
        });
        let body = if compress {
            gzip(plaintext)
        } else {
            plaintext.to_vec()
        };
        let (nonce, ct) = encrypt(&key, &body, id.as_bytes());
        let file = PayloadFile {
            id: id.into(),
            kid: kid.into(),
            nonce: B64.encode(nonce),
            z: u8::from(compress),
            ct: B64.encode(ct),
        };
        let json = serde_json::to_string(&file).unwrap_or_default();
        format!("{PAYLOAD_PREFIX}{json});\n").into_bytes()
    }

    /// The public `data/header.js`, naming the encrypted index payload.
    pub fn header_js(&mut self, index_id: &str) -> Vec<u8> {
        self.header.index = index_id.into();
        let json = serde_json::to_string(&self.header).unwrap_or_default();
        format!("{HEADER_PREFIX}{json};\n").into_bytes()
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::new(6),
    );
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

fn gunzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// The reading side, used by `restore` and the tests: opens what [`Sealer`] wrote.
pub struct Opener {
    pub header: Header,
    keys: HashMap<String, [u8; 32]>,
}

impl std::fmt::Debug for Opener {
    /// Never prints the content keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener")
            .field("room", &self.header.room)
            .field("keys", &self.keys.len())
            .finish()
    }
}

pub fn parse_header(js: &str) -> Result<Header, SealError> {
    let json = js
        .trim()
        .strip_prefix(HEADER_PREFIX)
        .and_then(|s| s.strip_suffix(';'))
        .ok_or_else(|| SealError::Malformed("data/header.js has an unexpected shape".into()))?;
    let header: Header = serde_json::from_str(json)
        .map_err(|e| SealError::Malformed(format!("data/header.js: {e}")))?;
    if header.format != FORMAT {
        return Err(SealError::Malformed(format!(
            "unknown format {}",
            header.format
        )));
    }
    Ok(header)
}

impl Opener {
    pub fn unlock(header: Header, password: &str) -> Result<Opener, SealError> {
        let salt = B64
            .decode(&header.kdf.salt)
            .map_err(|_| SealError::Malformed("salt is not base64".into()))?;
        let kek = derive_kek(password, &salt, header.kdf.iterations);
        for slot in &header.slots {
            let mut keys = HashMap::new();
            for w in &slot.keys {
                let (Ok(nonce), Ok(ct)) = (B64.decode(&w.nonce), B64.decode(&w.wrapped)) else {
                    break;
                };
                match decrypt(&kek, &nonce, &ct, &slot_aad(&header.room, &w.kid)) {
                    Some(k) if k.len() == 32 => {
                        let mut key = [0u8; 32];
                        key.copy_from_slice(&k);
                        keys.insert(w.kid.clone(), key);
                    }
                    _ => break,
                }
            }
            if !keys.is_empty() && keys.len() == slot.keys.len() {
                return Ok(Opener { header, keys });
            }
        }
        Err(SealError::WrongPassword)
    }

    /// Decrypts payload `expected_id` from the file `js` that should hold it
    /// (a single payload or a pack).
    pub fn open(&self, expected_id: &str, js: &[u8]) -> Result<Vec<u8>, SealError> {
        let payloads =
            parse_payload_file(js).ok_or_else(|| SealError::Tampered(expected_id.to_string()))?;
        let file = payloads
            .get(expected_id)
            .ok_or_else(|| SealError::Tampered(expected_id.to_string()))?;
        self.open_payload(expected_id, file)
    }

    pub fn open_payload(
        &self,
        expected_id: &str,
        file: &PayloadFile,
    ) -> Result<Vec<u8>, SealError> {
        let tampered = || SealError::Tampered(expected_id.to_string());
        if file.id != expected_id {
            return Err(tampered());
        }
        let key = self.keys.get(&file.kid).ok_or_else(tampered)?;
        let nonce = B64.decode(&file.nonce).map_err(|_| tampered())?;
        let ct = B64.decode(&file.ct).map_err(|_| tampered())?;
        let body = decrypt(key, &nonce, &ct, file.id.as_bytes()).ok_or_else(tampered)?;
        if file.z == 1 {
            gunzip(&body).ok_or_else(tampered)
        } else {
            Ok(body)
        }
    }
}

/// The payloads of a `data/*.js` file by id: one line `dataroomPayload({...});`
/// each. `None` when the file is not a well-formed payload file (tampering).
pub fn parse_payload_file(js: &[u8]) -> Option<HashMap<String, PayloadFile>> {
    let text = std::str::from_utf8(js).ok()?;
    let mut out = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let json = line
            .trim()
            .strip_prefix(PAYLOAD_PREFIX)?
            .strip_suffix(");")?;
        let file: PayloadFile = serde_json::from_str(json).ok()?;
        if out.insert(file.id.clone(), file).is_some() {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
            .collect()
    }

    #[test]
    fn pbkdf2_sha256_known_answer() {
        // RFC 7914 §11, PBKDF2-HMAC-SHA256 ("passwd", "salt", c = 1), first 32 bytes.
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"passwd", b"salt", 1, &mut out);
        assert_eq!(
            hex(&out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn aes_256_gcm_known_answer() {
        // GCM spec (McGrew & Viega) test case 14: zero key, zero IV, one zero block.
        let key = [0u8; 32];
        let cipher = Aes256Gcm::new((&key).into());
        let ct = cipher
            .encrypt(Nonce::from_slice(&[0u8; 12]), &[0u8; 16][..])
            .unwrap_or_default();
        assert_eq!(
            hex(&ct),
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"
        );
        assert_eq!(
            decrypt(
                &key,
                &[0u8; 12],
                &unhex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"),
                b""
            ),
            Some(vec![0u8; 16])
        );
    }

    #[test]
    fn passwords_are_nfc_normalized() {
        // "é" precomposed and decomposed derive the same key.
        assert_eq!(
            derive_kek("caf\u{e9}-long-pass", b"salt", 10),
            derive_kek("cafe\u{301}-long-pass", b"salt", 10)
        );
    }

    #[test]
    fn round_trip_and_failures() {
        let mut sealer = Sealer::new("correct horse battery staple", 1000);
        let id = Sealer::new_id();
        let file = sealer.seal(&id, "k0", "客户 张伟".as_bytes(), true);
        let header = parse_header(std::str::from_utf8(&sealer.header_js(&id)).unwrap_or("")).ok();
        let header = header.expect("header parses");
        assert!(matches!(
            Opener::unlock(header.clone(), "wrong"),
            Err(SealError::WrongPassword)
        ));
        let opener = Opener::unlock(header, "correct horse battery staple").expect("unlocks");
        assert_eq!(
            opener.open(&id, &file).ok(),
            Some("客户 张伟".as_bytes().to_vec())
        );
        // Swapped ids and flipped bytes are tampering.
        assert!(matches!(
            opener.open(&Sealer::new_id(), &file),
            Err(SealError::Tampered(_))
        ));
        let mut flipped = file.clone();
        let pos = flipped.len() - 10;
        flipped[pos] = if flipped[pos] == b'A' { b'B' } else { b'A' };
        assert!(matches!(
            opener.open(&id, &flipped),
            Err(SealError::Tampered(_))
        ));
    }

    #[test]
    fn packs_hold_several_payloads_each_opened_alone() {
        let mut sealer = Sealer::new("correct horse battery staple", 1000);
        let (a, b) = (Sealer::new_id(), Sealer::new_id());
        let mut pack = sealer.seal(&a, "k0", b"page a", true);
        pack.extend(sealer.seal(&b, "k0", b"page b", true));
        let header =
            parse_header(std::str::from_utf8(&sealer.header_js(&a)).unwrap_or("")).expect("header");
        let opener = Opener::unlock(header, "correct horse battery staple").expect("unlocks");
        assert_eq!(opener.open(&b, &pack).ok(), Some(b"page b".to_vec()));
        assert_eq!(opener.open(&a, &pack).ok(), Some(b"page a".to_vec()));
        // A payload the pack does not hold, or a pack holding one id twice, is tampering.
        assert!(opener.open(&Sealer::new_id(), &pack).is_err());
        let mut doubled = pack.clone();
        doubled.extend(sealer.seal(&a, "k0", b"other", true));
        assert!(parse_payload_file(&doubled).is_none());
    }

    #[test]
    fn audiences_hold_only_their_keys() {
        let sealer = Sealer::with_audiences(
            &[
                Audience {
                    password: "a-long-password-1",
                    kids: &["k0", "k1"],
                },
                Audience {
                    password: "b-long-password-2",
                    kids: &["k1"],
                },
            ],
            1000,
        );
        let id = Sealer::new_id();
        let only_k0 = sealer.seal(&id, "k0", b"secret", false);
        let mut s = sealer;
        let header =
            parse_header(std::str::from_utf8(&s.header_js(&id)).unwrap_or("")).expect("header");
        let a = Opener::unlock(header.clone(), "a-long-password-1").expect("a opens");
        let b = Opener::unlock(header, "b-long-password-2").expect("b opens");
        assert_eq!(a.open(&id, &only_k0).ok(), Some(b"secret".to_vec()));
        assert!(b.open(&id, &only_k0).is_err());
    }
}

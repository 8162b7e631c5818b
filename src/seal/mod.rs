//! Sealing: everything from the room becomes AES-256-GCM payloads that only the
//! password opens.
//!
//! Format `dataroom-sealed/2` (the browser side is themes/default/static/dataroom-crypto.js;
//! ARCHITECTURE.md has the exact layout):
//! - password → key-encryption key (KEK): PBKDF2-HMAC-SHA256, ≥ 600,000
//!   iterations (openers refuse fewer, so an edited header cannot downgrade),
//!   16-byte random salt; parameters in the public header.
//! - content is encrypted under random 256-bit content keys (`kid`); a **key slot**
//!   holds content keys wrapped under one password's KEK (AES-256-GCM, associated
//!   data [`slot_aad`]). Several passwords can hold slots for different sets of
//!   keys without any change to payloads.
//! - a payload is `gzip` (optional), framed and padded to a size bucket
//!   ([`padded_len`]), then AES-256-GCM with a fresh 96-bit nonce. Its associated
//!   data ([`payload_aad`]) binds everything that gives it meaning: format, room,
//!   id, key id, compression flag, content type and name. A payload cannot be
//!   swapped, renamed, retyped or "decompressed" by editing the public fields.
//!
//! Invariant: nothing leaves this module in plaintext except the header
//! (parameters, salt, wrapped keys) and payload ids, which are random; sizes
//! leave only rounded up to a bucket.

pub mod fixture;
pub(crate) mod parallel_gzip;
pub mod password;
pub mod routemap;
pub mod rows;
pub mod site;
pub mod stream;

use std::collections::HashMap;
use std::io::{Read, Write};

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const FORMAT: &str = "dataroom-sealed/2";
/// Formats of earlier versions: named in the error, never opened.
const OLD_FORMATS: &[&str] = &["dataroom-sealed/1"];
/// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
pub const MIN_ITERATIONS: u32 = 600_000;

#[derive(Debug)]
pub enum SealError {
    WrongPassword,
    /// A payload that does not decrypt under its key: tampered with or damaged.
    Tampered(String),
    Malformed(String),
    /// Sealing asked for a content key the plan never created (a bug in the plan).
    UnknownKey(String),
}

impl std::fmt::Display for SealError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SealError::WrongPassword => f.write_str("wrong password: no key slot opens with it"),
            SealError::UnknownKey(kid) => {
                write!(f, "content key {kid} is not in this build's seal plan")
            }
            SealError::Tampered(id) => {
                write!(f, "payload {id} has been tampered with or is damaged")
            }
            SealError::Malformed(what) => write!(f, "not a dataroom sealed file: {what}"),
        }
    }
}

impl std::error::Error for SealError {}

/// The same, worded from the catalogue for the command line.
impl From<SealError> for crate::i18n::Wording {
    fn from(e: SealError) -> Self {
        use crate::i18n::Wording;
        match e {
            SealError::WrongPassword => Wording::new("restore_wrong_password"),
            SealError::UnknownKey(kid) => Wording::new("err_seal_unknown_key").arg("kid", kid),
            SealError::Tampered(id) => Wording::new("err_seal_tampered").arg("id", id),
            SealError::Malformed(what) => Wording::new("err_seal_malformed").arg("what", what),
        }
    }
}

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
    /// Payload id of this slot's own encrypted index, when the room has several
    /// audiences (each sees its own index); otherwise [`Header::index`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub index: String,
    /// Payload id of this slot's [`GATE_META`] payload (audience name, NDA,
    /// watermark), opened before the index; otherwise [`Header::gate`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gate: String,
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
    /// Payload id of the encrypted index (routes, titles, navigation), when
    /// every slot opens the same one.
    pub index: String,
    /// Payload id of the gate (see [`GATE_META`]) every slot shares, if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gate: String,
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

/// `plaintext` encrypted into a buffer of its own (ciphertext and tag).
fn encrypt(key: &[u8; 32], plaintext: &[u8], aad: &[u8]) -> ([u8; 12], Vec<u8>) {
    let mut buffer = Vec::with_capacity(plaintext.len() + GCM_TAG);
    buffer.extend_from_slice(plaintext);
    let nonce = encrypt_in_place(key, &mut buffer, aad);
    (nonce, buffer)
}

/// The AES-GCM tag appended to every ciphertext.
const GCM_TAG: usize = 16;

/// Encrypts without a second buffer: `buffer` becomes the ciphertext and its
/// tag (a large export is tens of MB at 100,000 clients).
fn encrypt_in_place(key: &[u8; 32], buffer: &mut Vec<u8>, aad: &[u8]) -> [u8; 12] {
    let nonce = random_bytes::<12>();
    let cipher = Aes256Gcm::new(key.into());
    // Encryption with a valid key and nonce cannot fail for inputs this size
    // (nothing is sealed if it did).
    if cipher
        .encrypt_in_place(Nonce::from_slice(&nonce), aad, buffer)
        .is_err()
    {
        buffer.clear();
    }
    nonce
}

/// Decrypts in place: an export's ciphertext at 100,000 clients is tens of
/// MB, and a second buffer for its plaintext would double that.
fn decrypt(key: &[u8; 32], nonce: &[u8], mut ct: Vec<u8>, aad: &[u8]) -> Option<Vec<u8>> {
    if nonce.len() != 12 {
        return None;
    }
    Aes256Gcm::new(key.into())
        .decrypt_in_place(Nonce::from_slice(nonce), aad, &mut ct)
        .ok()?;
    Some(ct)
}

/// Associated data from length-prefixed fields (4-byte big-endian length, then
/// the UTF-8 bytes): no field can bleed into the next, whatever it holds.
fn fields_aad(fields: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 4).sum());
    for field in fields {
        out.extend_from_slice(&(field.len() as u32).to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out
}

/// A key slot's associated data: format, `slot`, room, kid.
pub fn slot_aad(room: &str, kid: &str) -> Vec<u8> {
    fields_aad(&[FORMAT, "slot", room, kid])
}

/// What a payload is. Both go into its associated data, so the public fields of
/// a payload file and the index entry that names it must agree with what was sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadMeta<'a> {
    /// MIME type the browser hands the bytes out as.
    pub content_type: &'a str,
    /// The route (pages), file name (attachments, exports) or `index`.
    pub name: &'a str,
}

/// The encrypted index's meta.
pub const INDEX_META: PayloadMeta<'static> = PayloadMeta {
    content_type: "application/json",
    name: "index",
};
/// The gate: what a reader sees after unlock and before the index is opened
/// (`seal::site::Gate`: audience name, NDA text, watermark). Until the NDA is
/// accepted no client data is decrypted.
pub const GATE_META: PayloadMeta<'static> = PayloadMeta {
    content_type: "application/json",
    name: "gate",
};
/// Filler payloads that pad packs to a fixed count; never opened.
pub const FILLER_META: PayloadMeta<'static> = PayloadMeta {
    content_type: "application/octet-stream",
    name: "",
};
/// Pages are HTML fragments named by their route.
pub const PAGE_TYPE: &str = "text/html; charset=utf-8";

/// A payload's associated data: format, `payload`, room, id, kid, compression
/// flag, content type, name.
pub fn payload_aad(room: &str, id: &str, kid: &str, z: u8, meta: &PayloadMeta) -> Vec<u8> {
    let z = z.to_string();
    fields_aad(&[
        FORMAT,
        "payload",
        room,
        id,
        kid,
        &z,
        meta.content_type,
        meta.name,
    ])
}

/// Every payload is at least this large once padded (4 KiB: a client page and a
/// small attachment look alike).
pub const MIN_BUCKET: usize = 4096;
/// The length prefix of a sealed body inside its padding.
const FRAME_HEADER: usize = 8;

/// The size a framed body of `len` bytes is padded to: at least [`MIN_BUCKET`],
/// above it Padmé (Nikitin et al., PETS 2019): only the top ~log2(log2(len))
/// bits of the length remain, overhead at most ~12 %.
pub fn padded_len(len: usize) -> usize {
    if len <= MIN_BUCKET {
        return MIN_BUCKET;
    }
    let e = usize::BITS - 1 - len.leading_zeros(); // floor(log2 len)
    let s = u32::BITS - e.leading_zeros(); // floor(log2 e) + 1
    let mask = (1usize << (e - s)) - 1;
    (len + mask) & !mask
}

/// `len as u64 LE ‖ body ‖ zeros` up to [`padded_len`]: inside the AEAD, so the
/// padding is authenticated and stripped on open.
fn frame(body: &[u8]) -> Vec<u8> {
    // Room for the tag `encrypt_in_place` appends, so it never reallocates.
    let mut out = Vec::with_capacity(padded_len(FRAME_HEADER + body.len()) + GCM_TAG);
    out.extend_from_slice(&[0; FRAME_HEADER]);
    out.extend_from_slice(body);
    frame_in_place(out)
}

/// [`frame`] of a body that already follows [`FRAME_HEADER`] bytes of room
/// in `out` (an export gzipped by [`parallel_gzip::gzip_while_written`]): framed where it
/// is, never copied (tens of MB at 100,000 clients, issue 11).
fn frame_in_place(mut out: Vec<u8>) -> Vec<u8> {
    let body_len = out.len() - FRAME_HEADER;
    out[..FRAME_HEADER].copy_from_slice(&(body_len as u64).to_le_bytes());
    let total = padded_len(out.len());
    out.reserve_exact((total + GCM_TAG).saturating_sub(out.len()));
    out.resize(total, 0);
    out
}

fn unframe(mut framed: Vec<u8>) -> Option<Vec<u8>> {
    let len_bytes: [u8; FRAME_HEADER] = framed.get(..FRAME_HEADER)?.try_into().ok()?;
    let len = usize::try_from(u64::from_le_bytes(len_bytes)).ok()?;
    if len > framed.len() - FRAME_HEADER {
        return None;
    }
    framed.truncate(FRAME_HEADER + len);
    framed.drain(..FRAME_HEADER);
    Some(framed)
}

/// A payload encrypted, before it is written as its line.
struct Encrypted {
    /// The payload file with its last field, `ct`, empty.
    file: PayloadFile,
    ciphertext: Vec<u8>,
}

impl Encrypted {
    fn base64_len(&self) -> usize {
        // A buffer in memory is at most isize::MAX bytes: its base64 length fits.
        base64::encoded_len(self.ciphertext.len(), true).expect("base64 length fits")
    }

    /// The line's length, about: room enough for it.
    fn line_len(&self) -> usize {
        PAYLOAD_PREFIX.len() + self.base64_len() + 256
    }

    /// `dataroomPayload({…,"ct":"<base64>"});`: the payload file written with
    /// its ciphertext base64-encoded into it as it goes (base64 needs no JSON
    /// escaping), so the ciphertext is never a string of its own.
    fn write_line(self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut head = serde_json::to_vec(&self.file)?;
        let closing = head.split_off(head.len() - "\"}".len());
        debug_assert_eq!(closing, b"\"}", "ct is the payload file's last field");
        out.write_all(PAYLOAD_PREFIX.as_bytes())?;
        out.write_all(&head)?;
        {
            let mut encoder = base64::write::EncoderWriter::new(&mut *out, &B64);
            encoder.write_all(&self.ciphertext)?;
            encoder.finish()?;
        }
        out.write_all(&closing)?;
        out.write_all(b");\n")
    }
}

/// Seals one build: holds the content keys and the header under construction.
pub struct Sealer {
    header: Header,
    keys: HashMap<String, [u8; 32]>,
    /// Each slot's key-encryption key (from its password).
    keks: Keks,
    /// Content keys made so far (a key is made when the seal plan first meets
    /// its set of readers, while the build streams) and the slots that hold
    /// them: wrapped into those slots when the header is written.
    holders: Vec<(String, Vec<usize>)>,
}

/// The slots' key-encryption keys, in slot order. PBKDF2 (600,000 rounds)
/// takes a tenth of a second per password and nothing needs its result
/// before the header is written, so each is derived on a thread of its own
/// while the build renders, instead of keeping the other cores waiting
/// before it starts.
struct Keks {
    /// The first slots' keys, derived.
    derived: Vec<[u8; 32]>,
    /// The following slots' keys, each being derived on its thread.
    deriving: Vec<std::thread::JoinHandle<[u8; 32]>>,
}

impl Keks {
    fn derive(passwords: &[&str], salt: [u8; 16], iterations: u32) -> Keks {
        let mut keks = Keks {
            derived: Vec::new(),
            deriving: Vec::new(),
        };
        for (n, password) in passwords.iter().enumerate() {
            let owned = password.to_string();
            let spawned =
                std::thread::Builder::new().spawn(move || derive_kek(&owned, &salt, iterations));
            match spawned {
                Ok(thread) => keks.deriving.push(thread),
                // No thread to be had: this one and the rest here and now.
                Err(_) => {
                    keks.wait();
                    keks.derived.extend(
                        passwords[n..]
                            .iter()
                            .map(|p| derive_kek(p, &salt, iterations)),
                    );
                    break;
                }
            }
        }
        keks
    }

    /// Every slot's key, waiting for the threads still deriving.
    fn wait(&mut self) -> &[[u8; 32]] {
        for thread in self.deriving.drain(..) {
            // PBKDF2 does not panic; if it did, it would here as it would have in place.
            let kek = thread
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            self.derived.push(kek);
        }
        &self.derived
    }
}

/// One password and the content keys its slot holds.
pub struct Audience<'a> {
    pub password: &'a str,
    pub kids: Vec<String>,
}

impl Sealer {
    /// A sealer with one content key `k0` and one slot for `password`.
    pub fn new(password: &str, iterations: u32) -> Sealer {
        Sealer::with_audiences(
            &[Audience {
                password,
                kids: vec!["k0".into()],
            }],
            iterations,
        )
    }

    /// Several passwords, each with a slot holding only its content keys.
    pub fn with_audiences(audiences: &[Audience], iterations: u32) -> Sealer {
        let passwords: Vec<&str> = audiences.iter().map(|a| a.password).collect();
        let mut sealer = Sealer::with_slots(&passwords, iterations);
        let mut kids: Vec<&str> = Vec::new();
        for a in audiences {
            for kid in &a.kids {
                if !kids.contains(&kid.as_str()) {
                    kids.push(kid);
                }
            }
        }
        for kid in kids {
            let holders: Vec<usize> = (0..audiences.len())
                .filter(|&s| audiences[s].kids.iter().any(|k| k == kid))
                .collect();
            sealer.add_key(kid, &holders);
        }
        sealer
    }

    /// One empty slot per password (in order); content keys come with [`Sealer::add_key`].
    pub fn with_slots(passwords: &[&str], iterations: u32) -> Sealer {
        let room = hex(&random_bytes::<8>());
        let salt = random_bytes::<16>();
        let keks = Keks::derive(passwords, salt, iterations);
        let slots = passwords
            .iter()
            .map(|_| Slot {
                keys: Vec::new(),
                index: String::new(),
                gate: String::new(),
            })
            .collect();
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
                gate: String::new(),
            },
            keys: HashMap::new(),
            keks,
            holders: Vec::new(),
        }
    }

    /// A fresh content key `kid`, to be wrapped into the slots numbered
    /// `holders` (and only those) with the header. A kid that exists already
    /// is left as it is.
    pub fn add_key(&mut self, kid: &str, holders: &[usize]) {
        if self.keys.contains_key(kid) {
            return;
        }
        self.keys.insert(kid.to_string(), random_bytes::<32>());
        self.holders.push((kid.to_string(), holders.to_vec()));
    }

    /// Wraps each content key made since the last header into its slots, in
    /// the order the keys were made.
    fn wrap_keys(&mut self) {
        let keks = self.keks.wait();
        for (kid, holders) in self.holders.drain(..) {
            let Some(key) = self.keys.get(&kid) else {
                continue;
            };
            for s in holders {
                let (Some(kek), Some(slot)) = (keks.get(s), self.header.slots.get_mut(s)) else {
                    continue;
                };
                let (nonce, ct) = encrypt(kek, key, &slot_aad(&self.header.room, &kid));
                slot.keys.push(WrappedKey {
                    kid: kid.clone(),
                    nonce: B64.encode(nonce),
                    wrapped: B64.encode(ct),
                });
            }
        }
    }

    pub fn set_site(&mut self, site: String) {
        self.header.site = site;
    }

    /// A fresh opaque payload id: it says nothing about the content.
    pub fn new_id() -> String {
        hex(&random_bytes::<16>())
    }

    /// Encrypts `plaintext` as payload `id` under content key `kid`, bound to
    /// `meta`; returns its `dataroomPayload(...);` line.
    pub fn seal(
        &self,
        id: &str,
        kid: &str,
        plaintext: &[u8],
        compress: bool,
        meta: &PayloadMeta,
    ) -> Result<Vec<u8>, SealError> {
        let z = u8::from(compress);
        let body = if compress {
            frame(&gzip(plaintext))
        } else {
            frame(plaintext)
        };
        self.seal_frame(id, kid, z, body, meta)
    }

    /// [`Sealer::seal`] of content already gzipped (by [`gzip_writer`]): the
    /// sealed build compresses a large export while it writes it, so the
    /// export is never whole in memory uncompressed.
    pub fn seal_gzipped(
        &self,
        id: &str,
        kid: &str,
        gzipped: &[u8],
        meta: &PayloadMeta,
    ) -> Result<Vec<u8>, SealError> {
        self.seal_frame(id, kid, 1, frame(gzipped), meta)
    }

    /// Seals a framed `body`: [`Sealer::encrypt_frame`], its line in memory.
    fn seal_frame(
        &self,
        id: &str,
        kid: &str,
        z: u8,
        body: Vec<u8>,
        meta: &PayloadMeta,
    ) -> Result<Vec<u8>, SealError> {
        let encrypted = self.encrypt_frame(id, kid, z, body, meta)?;
        let mut line = Vec::with_capacity(encrypted.line_len());
        // A Vec takes every write.
        let _ = encrypted.write_line(&mut line);
        Ok(line)
    }

    /// A framed `body` encrypted in place, its line still to be written.
    fn encrypt_frame(
        &self,
        id: &str,
        kid: &str,
        z: u8,
        mut body: Vec<u8>,
        meta: &PayloadMeta,
    ) -> Result<Encrypted, SealError> {
        let key = self
            .keys
            .get(kid)
            .copied()
            .ok_or_else(|| SealError::UnknownKey(kid.to_string()))?;
        let aad = payload_aad(&self.header.room, id, kid, z, meta);
        let nonce = encrypt_in_place(&key, &mut body, &aad);
        Ok(Encrypted {
            file: PayloadFile {
                id: id.into(),
                kid: kid.into(),
                nonce: B64.encode(nonce),
                z,
                ct: String::new(),
            },
            ciphertext: body,
        })
    }

    /// [`Sealer::seal_gzipped`] of a gzip stream written after
    /// [`FRAME_HEADER`] bytes of room ([`parallel_gzip::gzip_while_written`]): framed and
    /// encrypted where it is, its line written straight into `out` (a
    /// payload file). A large export is never copied to be sealed, nor its
    /// line in memory beside it (~50 MB at 100,000 clients, issue 11).
    pub fn seal_gzipped_in_place_into(
        &self,
        id: &str,
        kid: &str,
        framed_gzip: Vec<u8>,
        meta: &PayloadMeta,
        out: &mut dyn Write,
    ) -> Result<(), PayloadWriteError> {
        let encrypted = self
            .encrypt_frame(id, kid, 1, frame_in_place(framed_gzip), meta)
            .map_err(PayloadWriteError::Seal)?;
        encrypted.write_line(out).map_err(PayloadWriteError::Write)
    }

    /// A payload nobody opens, the size of the smallest page: pads a pack to
    /// its fixed payload count.
    pub fn seal_filler(&self, kid: &str) -> Result<Vec<u8>, SealError> {
        self.seal(&Sealer::new_id(), kid, b"", true, &FILLER_META)
    }

    /// The public `data/header.js`, naming the encrypted index payload every
    /// slot opens.
    pub fn header_js(&mut self, index_id: &str) -> Vec<u8> {
        self.header.index = index_id.into();
        self.header_json()
    }

    /// `data/header.js` naming the index and gate: `shared` when every slot
    /// opens the same one, else each slot's own (in slot order).
    pub fn header_js_per_slot(
        &mut self,
        shared: (String, String),
        per_slot: Vec<(String, String)>,
    ) -> Vec<u8> {
        (self.header.index, self.header.gate) = shared;
        for (slot, (index, gate)) in self.header.slots.iter_mut().zip(per_slot) {
            (slot.index, slot.gate) = (index, gate);
        }
        self.header_json()
    }

    fn header_json(&mut self) -> Vec<u8> {
        self.wrap_keys();
        let json = serde_json::to_string(&self.header).unwrap_or_default();
        format!("{HEADER_PREFIX}{json};\n").into_bytes()
    }
}

/// deflate level 2, not the usual 6: on the 10k room's pages it compresses
/// twice as fast for an output 8 % larger (BENCHMARKS.md), and deflate was the
/// largest single cost of the sealed build.
const GZIP_LEVEL: u32 = 2;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = gzip_writer(Vec::with_capacity(data.len() / 3));
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// The framed gzip stream's gzip part (after the room for the header).
pub(crate) fn framed_gzip_body(framed: &[u8]) -> &[u8] {
    &framed[FRAME_HEADER..]
}

/// The gzip stream of every compressed payload: [`gzip`] (pages) and the
/// index tables' row shards (`render::rows`). The exports are gzipped a chunk
/// at a time on every core ([`parallel_gzip`]), with the same header.
pub(crate) fn gzip_writer<W: Write>(out: W) -> flate2::write::GzEncoder<W> {
    flate2::write::GzEncoder::new(out, flate2::Compression::new(GZIP_LEVEL))
}

pub(crate) fn gunzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// The reading side, used by `restore` and the tests: opens what [`Sealer`] wrote.
pub struct Opener {
    pub header: Header,
    /// The slot the password opened.
    pub slot: usize,
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
    if OLD_FORMATS.contains(&header.format.as_str()) {
        return Err(SealError::Malformed(format!(
            "this room is in the older format {}, which this version no longer opens \
             (it did not authenticate payload metadata); rebuild the room with this dataroom \
             version, or restore it with the dataroom version that built it",
            header.format
        )));
    }
    if header.format != FORMAT {
        return Err(SealError::Malformed(format!(
            "unknown format `{}` (this version opens {FORMAT}); use the dataroom version that built the room",
            header.format
        )));
    }
    if header.kdf.name != "PBKDF2" || header.kdf.hash != "SHA-256" {
        return Err(SealError::Malformed(format!(
            "unknown key derivation {}/{}",
            header.kdf.name, header.kdf.hash
        )));
    }
    if header.kdf.iterations < MIN_ITERATIONS {
        return Err(SealError::Malformed(format!(
            "data/header.js asks for {} PBKDF2 iterations, fewer than the minimum {MIN_ITERATIONS}: \
             the header was altered to make password guessing cheaper; get the room again from the seller",
            header.kdf.iterations
        )));
    }
    Ok(header)
}

impl Opener {
    /// Opens the first key slot `password` unlocks. The header must have passed
    /// [`parse_header`] (format, minimum iterations).
    pub fn unlock(header: Header, password: &str) -> Result<Opener, SealError> {
        if header.kdf.iterations < MIN_ITERATIONS {
            return Err(SealError::Malformed(format!(
                "{} PBKDF2 iterations is below the minimum {MIN_ITERATIONS}",
                header.kdf.iterations
            )));
        }
        let salt = B64
            .decode(&header.kdf.salt)
            .map_err(|_| SealError::Malformed("salt is not base64".into()))?;
        let kek = derive_kek(password, &salt, header.kdf.iterations);
        for (slot_number, slot) in header.slots.iter().enumerate() {
            let mut keys = HashMap::new();
            for w in &slot.keys {
                let (Ok(nonce), Ok(ct)) = (B64.decode(&w.nonce), B64.decode(&w.wrapped)) else {
                    break;
                };
                match decrypt(&kek, &nonce, ct, &slot_aad(&header.room, &w.kid)) {
                    Some(k) if k.len() == 32 => {
                        let mut key = [0u8; 32];
                        key.copy_from_slice(&k);
                        keys.insert(w.kid.clone(), key);
                    }
                    _ => break,
                }
            }
            if !keys.is_empty() && keys.len() == slot.keys.len() {
                return Ok(Opener {
                    header,
                    slot: slot_number,
                    keys,
                });
            }
        }
        Err(SealError::WrongPassword)
    }

    /// The index this slot opens: its own, or the one every slot shares.
    pub fn index_id(&self) -> &str {
        let own = self
            .header
            .slots
            .get(self.slot)
            .map_or("", |s| s.index.as_str());
        if own.is_empty() {
            &self.header.index
        } else {
            own
        }
    }

    /// The gate this slot opens (empty when the room has none).
    pub fn gate_id(&self) -> &str {
        let own = self
            .header
            .slots
            .get(self.slot)
            .map_or("", |s| s.gate.as_str());
        if own.is_empty() {
            &self.header.gate
        } else {
            own
        }
    }

    /// Decrypts payload `expected_id`, sealed as `meta`, from the file `js`
    /// that should hold it (a single payload or a pack).
    pub fn open(
        &self,
        expected_id: &str,
        meta: &PayloadMeta,
        js: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let payloads =
            parse_payload_file(js).ok_or_else(|| SealError::Tampered(expected_id.to_string()))?;
        let file = payloads
            .get(expected_id)
            .ok_or_else(|| SealError::Tampered(expected_id.to_string()))?;
        self.open_payload(expected_id, meta, file)
    }

    pub fn open_payload(
        &self,
        expected_id: &str,
        meta: &PayloadMeta,
        file: &PayloadFile,
    ) -> Result<Vec<u8>, SealError> {
        let body = self.open_body(expected_id, meta, file)?;
        if file.z == 1 {
            gunzip(&body).ok_or_else(|| SealError::Tampered(expected_id.to_string()))
        } else {
            Ok(body)
        }
    }

    /// Opens a payload into `out`, decompressed as it is written: the export
    /// of 100,000 clients (hundreds of MB of JSON) is never whole in memory.
    /// Nothing is written unless the payload is authentic.
    pub fn open_payload_into(
        &self,
        expected_id: &str,
        meta: &PayloadMeta,
        file: &PayloadFile,
        out: &mut dyn Write,
    ) -> Result<(), PayloadWriteError> {
        let body = self
            .open_body(expected_id, meta, file)
            .map_err(PayloadWriteError::Seal)?;
        if file.z != 1 {
            return out.write_all(&body).map_err(PayloadWriteError::Write);
        }
        let mut unzipped = flate2::read::GzDecoder::new(&body[..]);
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let n = unzipped.read(&mut buffer).map_err(|_| {
                PayloadWriteError::Seal(SealError::Tampered(expected_id.to_string()))
            })?;
            if n == 0 {
                return Ok(());
            }
            out.write_all(&buffer[..n])
                .map_err(PayloadWriteError::Write)?;
        }
    }

    /// A payload's body, authenticated and unframed (still gzipped when `z` is 1).
    fn open_body(
        &self,
        expected_id: &str,
        meta: &PayloadMeta,
        file: &PayloadFile,
    ) -> Result<Vec<u8>, SealError> {
        let tampered = || SealError::Tampered(expected_id.to_string());
        if file.id != expected_id || file.z > 1 {
            return Err(tampered());
        }
        let key = self.keys.get(&file.kid).ok_or_else(tampered)?;
        let nonce = B64.decode(&file.nonce).map_err(|_| tampered())?;
        let ct = B64.decode(&file.ct).map_err(|_| tampered())?;
        let aad = payload_aad(&self.header.room, &file.id, &file.kid, file.z, meta);
        let framed = decrypt(key, &nonce, ct, &aad).ok_or_else(tampered)?;
        unframe(framed).ok_or_else(tampered)
    }
}

/// Why a payload was not sealed into its file ([`Sealer::seal_gzipped_in_place_into`])
/// or opened into it ([`Opener::open_payload_into`]): the payload (its key,
/// its authenticity), or writing the file.
#[derive(Debug)]
pub enum PayloadWriteError {
    Seal(SealError),
    Write(std::io::Error),
}

impl PayloadWriteError {
    /// For the user, naming the file `path` that was being written.
    pub fn worded(self, path: &str) -> crate::i18n::Wording {
        match self {
            PayloadWriteError::Seal(e) => e.into(),
            PayloadWriteError::Write(e) => crate::publish::plain::write_failed(path, e),
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
    use aes_gcm::aead::Aead;

    #[test]
    fn seal_errors_are_worded_in_the_users_language() {
        use crate::i18n::{embedded, Wording};
        use crate::room::Language;
        let tampered = Wording::from(SealError::Tampered("p12".into()));
        let zh = tampered.message(embedded(Language::ZhCn));
        assert!(zh.contains("已被篡改") && zh.contains("p12"), "{zh}");
        let en = tampered.message(embedded(Language::En));
        assert!(en.contains("tampered with") && en.contains("p12"), "{en}");
        let wrong = Wording::from(SealError::WrongPassword).message(embedded(Language::ZhCn));
        assert!(wrong.contains("密码"), "{wrong}");
        let bug =
            Wording::from(SealError::UnknownKey("k9".into())).message(embedded(Language::ZhCn));
        assert!(bug.contains("k9") && bug.contains("报告"), "{bug}");
    }

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
                unhex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"),
                b""
            ),
            Some(vec![0u8; 16])
        );
    }

    #[test]
    fn in_place_encryption_opens_like_encrypt_and_keeps_its_frame_buffer() {
        let key = [7u8; 32];
        let body = b"a page of the room".repeat(500);
        let mut framed = frame(&body);
        let (plain_len, buffer) = (framed.len(), framed.as_ptr());
        let nonce = encrypt_in_place(&key, &mut framed, b"aad");
        assert_eq!(framed.len(), plain_len + GCM_TAG);
        assert_eq!(framed.as_ptr(), buffer, "the tag fits: no second buffer");
        let opened = decrypt(&key, &nonce, framed.clone(), b"aad").and_then(unframe);
        assert_eq!(opened, Some(body));
        assert_eq!(decrypt(&key, &nonce, framed.clone(), b"other"), None);
    }

    #[test]
    fn keys_made_before_and_after_a_header_are_each_wrapped_once_into_their_slots() {
        let (first, second) = ("first-password-一二三", "second-password-四五六");
        let mut sealer = Sealer::with_slots(&[first, second], MIN_ITERATIONS);
        sealer.add_key("k0", &[0, 1]);
        sealer.add_key("k1", &[1]);
        let before = header_of(&mut sealer);
        sealer.add_key("k2", &[0]);
        sealer.add_key("k0", &[0]); // made already: left as it is
        let after = header_of(&mut sealer);
        let kids = |h: &Header, s: usize| -> Vec<String> {
            h.slots[s].keys.iter().map(|w| w.kid.clone()).collect()
        };
        assert_eq!(
            (kids(&before, 0), kids(&before, 1)),
            (vec!["k0".to_string()], vec!["k0".into(), "k1".into()])
        );
        assert_eq!(
            (kids(&after, 0), kids(&after, 1)),
            (
                vec!["k0".to_string(), "k2".into()],
                vec!["k0".into(), "k1".into()]
            )
        );
        // Each password opens its own slot's keys, and only those.
        let sealed = sealer
            .seal("p1", "k1", b"only the second", false, &PAGE)
            .expect("seals");
        let opener = Opener::unlock(after.clone(), second).expect("the second password opens");
        assert_eq!(
            opener.open("p1", &PAGE, &sealed).expect("opens"),
            b"only the second"
        );
        let opener = Opener::unlock(after, first).expect("the first password opens");
        assert!(opener.open("p1", &PAGE, &sealed).is_err());
    }

    #[test]
    fn passwords_are_nfc_normalized() {
        // "é" precomposed and decomposed derive the same key.
        assert_eq!(
            derive_kek("caf\u{e9}-long-pass", b"salt", 10),
            derive_kek("cafe\u{301}-long-pass", b"salt", 10)
        );
    }

    /// One sealer and its opener at the real minimum iteration count (the
    /// opener refuses fewer), made once for all tests of this module.
    fn sealed_pair() -> &'static (Sealer, Opener) {
        static PAIR: std::sync::OnceLock<(Sealer, Opener)> = std::sync::OnceLock::new();
        PAIR.get_or_init(|| {
            let mut sealer = Sealer::new("correct horse battery staple", MIN_ITERATIONS);
            let js = sealer.header_js(&Sealer::new_id());
            let header = parse_header(std::str::from_utf8(&js).unwrap_or("")).expect("header");
            let opener = Opener::unlock(header, "correct horse battery staple").expect("unlocks");
            (sealer, opener)
        })
    }

    const PAGE: PayloadMeta<'static> = PayloadMeta {
        content_type: PAGE_TYPE,
        name: "clients/HX-00010",
    };

    fn header_of(sealer: &mut Sealer) -> Header {
        let js = sealer.header_js(&Sealer::new_id());
        parse_header(std::str::from_utf8(&js).unwrap_or("")).expect("header")
    }

    #[test]
    fn a_gzipped_payload_written_into_its_file_is_the_payload_or_an_error() {
        let (sealer, opener) = sealed_pair();
        let text = "客户 张伟 13812345678\n".repeat(2000);
        let (framed, _) = parallel_gzip::gzip_while_written(vec![0; FRAME_HEADER], |out| {
            out.write_all(text.as_bytes())
        })
        .expect("gzip");
        let id = Sealer::new_id();
        let mut line = Vec::new();
        sealer
            .seal_gzipped_in_place_into(&id, "k0", framed.clone(), &PAGE, &mut line)
            .expect("sealed");
        assert_eq!(
            opener.open(&id, &PAGE, &line).ok(),
            Some(text.clone().into_bytes())
        );
        let in_memory = sealer
            .seal_gzipped(&id, "k0", framed_gzip_body(&framed), &PAGE)
            .expect("sealed");
        assert_eq!(in_memory.len(), line.len(), "one line, however written");
        // A disk that fills up mid-line: an error, never a panic.
        struct Full(usize);
        impl Write for Full {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                if b.len() > self.0 {
                    return Err(std::io::Error::other("disk full"));
                }
                self.0 -= b.len();
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let full =
            sealer.seal_gzipped_in_place_into(&id, "k0", framed.clone(), &PAGE, &mut Full(100));
        assert!(matches!(full, Err(PayloadWriteError::Write(_))));
        let unknown = sealer.seal_gzipped_in_place_into(&id, "k9", framed, &PAGE, &mut Vec::new());
        assert!(matches!(
            unknown,
            Err(PayloadWriteError::Seal(SealError::UnknownKey(_)))
        ));
    }

    #[test]
    fn round_trip_and_failures() {
        let (sealer, opener) = sealed_pair();
        let id = Sealer::new_id();
        let file = sealer
            .seal(&id, "k0", "客户 张伟".as_bytes(), true, &PAGE)
            .expect("k0");
        assert!(matches!(
            Opener::unlock(opener.header.clone(), "wrong"),
            Err(SealError::WrongPassword)
        ));
        assert_eq!(
            opener.open(&id, &PAGE, &file).ok(),
            Some("客户 张伟".as_bytes().to_vec())
        );
        // Swapped ids and flipped bytes are tampering.
        assert!(matches!(
            opener.open(&Sealer::new_id(), &PAGE, &file),
            Err(SealError::Tampered(_))
        ));
        let mut flipped = file.clone();
        let pos = flipped.len() - 10;
        flipped[pos] = if flipped[pos] == b'A' { b'B' } else { b'A' };
        assert!(matches!(
            opener.open(&id, &PAGE, &flipped),
            Err(SealError::Tampered(_))
        ));
    }

    #[test]
    fn a_payload_opened_into_a_writer_is_the_payload_and_a_tampered_one_writes_nothing() {
        let (sealer, opener) = sealed_pair();
        // Larger than the copy buffer, so the gunzip streams in several writes.
        let export: Vec<u8> = (0..300_000u32)
            .flat_map(|n| format!("{{\"id\":\"HX-{n}\"}},").into_bytes())
            .collect();
        for gzipped in [true, false] {
            let id = Sealer::new_id();
            let file = sealer.seal(&id, "k0", &export, gzipped, &PAGE).expect("k0");
            let stored = parsed(&file);
            let mut out = Vec::new();
            opener
                .open_payload_into(&id, &PAGE, &stored, &mut out)
                .expect("opens");
            assert!(out == export, "gzipped {gzipped}: not the payload");

            let mut flipped = file.clone();
            let pos = flipped.len() - 10;
            flipped[pos] = if flipped[pos] == b'A' { b'B' } else { b'A' };
            let mut out = Vec::new();
            let opened = opener.open_payload_into(&id, &PAGE, &parsed(&flipped), &mut out);
            assert!(matches!(
                opened,
                Err(PayloadWriteError::Seal(SealError::Tampered(_)))
            ));
            assert!(
                out.is_empty(),
                "a tampered payload wrote {} bytes",
                out.len()
            );
        }
    }

    fn parsed(line: &[u8]) -> PayloadFile {
        parse_payload_file(line)
            .and_then(|m| m.into_values().next())
            .expect("one payload")
    }

    #[test]
    fn every_public_field_of_a_payload_is_authenticated() {
        let (sealer, opener) = sealed_pair();
        let id = Sealer::new_id();
        let pdf = PayloadMeta {
            content_type: "application/pdf",
            name: "C-1.pdf",
        };
        let stored = parsed(
            &sealer
                .seal(&id, "k0", b"%PDF-1.4 contract", false, &pdf)
                .expect("k0"),
        );
        assert_eq!(
            opener.open_payload(&id, &pdf, &stored).ok(),
            Some(b"%PDF-1.4 contract".to_vec())
        );
        // The compression flag flipped: the browser used to gunzip and hand
        // out other bytes under the same name.
        let mut z = parsed(
            &sealer
                .seal(&id, "k0", b"%PDF-1.4 contract", false, &pdf)
                .expect("k0"),
        );
        z.z = 1;
        assert!(opener.open_payload(&id, &pdf, &z).is_err(), "z flipped");
        // Another content type or name in the index than was sealed.
        for other in [
            PayloadMeta {
                content_type: "text/html; charset=utf-8",
                name: "C-1.pdf",
            },
            PayloadMeta {
                content_type: "application/pdf",
                name: "C-1.pdf.exe",
            },
            INDEX_META,
        ] {
            assert!(
                opener.open_payload(&id, &other, &stored).is_err(),
                "{other:?}"
            );
        }
        // Another key id (a second key with the same bytes would still fail).
        let mut kid = parsed(&sealer.seal(&id, "k0", b"x", false, &pdf).expect("k0"));
        kid.kid = "k1".into();
        assert!(opener.open_payload(&id, &pdf, &kid).is_err());
        // Another room or format: the same payload under another header.
        let mut moved = Opener {
            slot: 0,
            header: opener.header.clone(),
            keys: opener.keys.clone(),
        };
        moved.header.room = hex(&random_bytes::<8>());
        assert!(moved.open_payload(&id, &pdf, &stored).is_err(), "room");
        assert_ne!(
            payload_aad("r", &id, "k0", 0, &pdf),
            fields_aad(&[
                "dataroom-sealed/1",
                "payload",
                "r",
                &id,
                "k0",
                "0",
                "application/pdf",
                "C-1.pdf"
            ]),
            "the format is part of the associated data"
        );
    }

    #[test]
    fn headers_of_old_unknown_or_weakened_rooms_are_refused() {
        let (_, opener) = sealed_pair();
        let js = |h: &Header| {
            format!(
                "{HEADER_PREFIX}{};",
                serde_json::to_string(h).unwrap_or_default()
            )
        };
        let mut old = opener.header.clone();
        old.format = "dataroom-sealed/1".into();
        let err = parse_header(&js(&old))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("older format dataroom-sealed/1") && err.contains("rebuild"),
            "{err}"
        );
        let mut unknown = opener.header.clone();
        unknown.format = "dataroom-sealed/9".into();
        let err = parse_header(&js(&unknown))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("unknown format `dataroom-sealed/9`"), "{err}");
        // An edited header that lowers the iteration count (cheaper guessing)
        // is refused before any key is derived, by the parser and by unlock.
        let mut weak = opener.header.clone();
        weak.kdf.iterations = 1000;
        let err = parse_header(&js(&weak))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("fewer than the minimum 600000"), "{err}");
        assert!(matches!(
            Opener::unlock(weak, "correct horse battery staple"),
            Err(SealError::Malformed(_))
        ));
    }

    #[test]
    fn the_browser_uses_the_same_minimum_iterations() {
        let js = include_str!("../../themes/default/static/dataroom-crypto.js");
        assert!(
            js.contains(&format!("var MIN_ITERATIONS = {MIN_ITERATIONS};")),
            "dataroom-crypto.js must refuse headers below {MIN_ITERATIONS} iterations"
        );
        assert!(js.contains(&format!("var FORMAT = '{FORMAT}';")));
    }

    #[test]
    fn padding_hides_sizes_within_a_bucket_and_is_stripped() {
        let (sealer, opener) = sealed_pair();
        // Sizes inside one bucket seal to the same length; each opens to itself.
        let lens = |n: usize| {
            let id = Sealer::new_id();
            let meta = PayloadMeta {
                content_type: "application/pdf",
                name: "a.pdf",
            };
            let body = vec![7u8; n];
            let line = sealer.seal(&id, "k0", &body, false, &meta).expect("k0");
            assert_eq!(opener.open(&id, &meta, &line).ok(), Some(body));
            line.len()
        };
        assert_eq!(lens(0), lens(4000));
        assert_eq!(lens(5000), lens(5003));
        assert!(lens(9000) > lens(5000));
        assert_eq!(padded_len(1), MIN_BUCKET);
        assert_eq!(padded_len(5008), 5120);
        for n in [4097usize, 10_000, 1 << 20, (1 << 20) + 1, 123_456_789] {
            let p = padded_len(n);
            assert!(p >= n && (p - n) * 100 <= n * 12, "{n} -> {p}");
        }
    }

    #[test]
    fn packs_hold_several_payloads_each_opened_alone() {
        let (sealer, opener) = sealed_pair();
        let (a, b) = (Sealer::new_id(), Sealer::new_id());
        let mut pack = sealer.seal(&a, "k0", b"page a", true, &PAGE).expect("k0");
        pack.extend(sealer.seal(&b, "k0", b"page b", true, &PAGE).expect("k0"));
        pack.extend(sealer.seal_filler("k0").expect("k0"));
        assert_eq!(opener.open(&b, &PAGE, &pack).ok(), Some(b"page b".to_vec()));
        assert_eq!(opener.open(&a, &PAGE, &pack).ok(), Some(b"page a".to_vec()));
        // A payload the pack does not hold, or a pack holding one id twice, is tampering.
        assert!(opener.open(&Sealer::new_id(), &PAGE, &pack).is_err());
        let mut doubled = pack.clone();
        doubled.extend(sealer.seal(&a, "k0", b"other", true, &PAGE).expect("k0"));
        assert!(parse_payload_file(&doubled).is_none());
    }

    #[test]
    fn audiences_hold_only_their_keys() {
        let mut sealer = Sealer::with_audiences(
            &[
                Audience {
                    password: "a-long-password-1",
                    kids: vec!["k0".into(), "k1".into()],
                },
                Audience {
                    password: "b-long-password-2",
                    kids: vec!["k1".into()],
                },
            ],
            MIN_ITERATIONS,
        );
        let id = Sealer::new_id();
        let only_k0 = sealer.seal(&id, "k0", b"secret", false, &PAGE).expect("k0");
        let header = header_of(&mut sealer);
        let a = Opener::unlock(header.clone(), "a-long-password-1").expect("a opens");
        let b = Opener::unlock(header, "b-long-password-2").expect("b opens");
        assert_eq!(a.open(&id, &PAGE, &only_k0).ok(), Some(b"secret".to_vec()));
        assert!(b.open(&id, &PAGE, &only_k0).is_err());
    }

    #[test]
    fn sealing_under_a_key_the_plan_never_made_is_an_error_not_a_panic() {
        let sealer = Sealer::new("a-long-password-1", MIN_ITERATIONS);
        let sealed = sealer.seal(&Sealer::new_id(), "k9", b"x", false, &PAGE);
        assert!(matches!(sealed, Err(SealError::UnknownKey(k)) if k == "k9"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Flips one bit of a base64 field's decoded bytes, re-encoded.
        fn flip_b64(field: &str, bit: usize) -> String {
            let mut bytes = B64.decode(field).unwrap_or_default();
            let n = bytes.len() * 8;
            if n > 0 {
                bytes[(bit % n) / 8] ^= 1 << (bit % 8);
            }
            B64.encode(bytes)
        }

        fn flip_str(s: &str, bit: usize) -> String {
            let mut bytes = s.as_bytes().to_vec();
            let i = (bit / 7) % bytes.len().max(1);
            if let Some(b) = bytes.get_mut(i) {
                // Stays ASCII, so still a valid string: only the meaning changes.
                *b ^= 1 << (bit % 7);
            }
            String::from_utf8(bytes).unwrap_or_else(|_| format!("{s}x"))
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

            #[test]
            fn any_bytes_round_trip(body in proptest::collection::vec(any::<u8>(), 0..20_000),
                                    compress in any::<bool>(),
                                    name in "\\PC{0,40}") {
                let (sealer, opener) = sealed_pair();
                let id = Sealer::new_id();
                let meta = PayloadMeta { content_type: "application/octet-stream", name: &name };
                let line = sealer.seal(&id, "k0", &body, compress, &meta).expect("k0");
                prop_assert_eq!(opener.open(&id, &meta, &line).ok(), Some(body));
            }

            #[test]
            fn any_single_bit_flip_fails(body in proptest::collection::vec(any::<u8>(), 0..2_000),
                                         compress in any::<bool>(),
                                         which in 0usize..8,
                                         bit in any::<usize>()) {
                let (sealer, opener) = sealed_pair();
                let id = Sealer::new_id();
                let meta = PayloadMeta { content_type: "application/pdf", name: "合同.pdf" };
                let stored = parsed(&sealer.seal(&id, "k0", &body, compress, &meta).expect("k0"));
                let mut file = PayloadFile {
                    id: stored.id.clone(), kid: stored.kid.clone(), nonce: stored.nonce.clone(),
                    z: stored.z, ct: stored.ct.clone(),
                };
                let mut meta_changed = meta;
                let content_type;
                let name;
                let mut header = opener.header.clone();
                match which {
                    0 => file.ct = flip_b64(&file.ct, bit),
                    1 => file.nonce = flip_b64(&file.nonce, bit),
                    2 => file.z ^= 1,
                    3 => file.kid = flip_str(&file.kid, bit),
                    4 => {
                        content_type = flip_str(meta.content_type, bit);
                        meta_changed.content_type = &content_type;
                    }
                    5 => {
                        name = flip_str(meta.name, bit);
                        meta_changed.name = &name;
                    }
                    6 => header.room = flip_str(&header.room, bit),
                    _ => {
                        // The id as the index names it and as the file says.
                        let other = flip_str(&file.id, bit);
                        file.id = other;
                    }
                }
                let changed = Opener { header, slot: 0, keys: opener.keys.clone() };
                prop_assert!(changed.open_payload(&stored.id, &meta_changed, &file).is_err());
                if which == 7 {
                    // Even asked for by its new id, a renamed payload fails.
                    prop_assert!(changed.open_payload(&file.id.clone(), &meta_changed, &file).is_err());
                }
            }
        }
    }
}

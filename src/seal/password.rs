//! Where the room password comes from, and whether it is strong enough.
//! The password is never taken from a command-line argument (other users can
//! read those) and never printed, except a generated one, once.

use std::io::IsTerminal;
use std::path::Path;

use rand::rngs::OsRng;
use rand::Rng;

pub const ENV_VAR: &str = "DATAROOM_PASSWORD";

pub enum Source {
    Env,
    File,
    Prompt,
    Generated,
}

pub struct Password {
    pub secret: String,
    pub source: Source,
}

/// Easy to read aloud and type: no 0/o, 1/l/i.
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Six groups of four: about 119 bits of entropy.
pub fn generate() -> String {
    let mut rng = OsRng;
    (0..6)
        .map(|_| {
            (0..4)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `None` when strong enough, else why not.
pub fn weakness(password: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < 12 {
        return Some(format!("it has {chars} characters; use at least 12"));
    }
    match zxcvbn::zxcvbn(password, &[]) {
        e if (e.score() as u8) < 3 => Some(
            e.feedback()
                .and_then(|f| f.warning().map(|w| w.to_string()))
                .unwrap_or_else(|| "it is easy to guess".into()),
        ),
        _ => None,
    }
}

/// Reads the password: `--password-file`, then `DATAROOM_PASSWORD`, then a prompt on
/// a terminal; `generate_if_missing` makes one when none of these is available.
pub fn obtain(
    file: Option<&Path>,
    confirm: bool,
    generate_if_missing: bool,
) -> Result<Password, String> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read the password file {}: {e}", file.display()))?;
        let secret = text.trim_end_matches(['\n', '\r']).to_string();
        if secret.is_empty() {
            return Err(format!("the password file {} is empty", file.display()));
        }
        return Ok(Password {
            secret,
            source: Source::File,
        });
    }
    if let Ok(secret) = std::env::var(ENV_VAR) {
        if !secret.is_empty() {
            return Ok(Password {
                secret,
                source: Source::Env,
            });
        }
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let secret = rpassword::prompt_password(
            "Room password, or Enter to generate one / 数据室密码（直接回车自动生成）: ",
        )
        .map_err(|e| format!("cannot read the password: {e}"))?;
        if confirm && !secret.is_empty() {
            let again = rpassword::prompt_password("Repeat it / 再次输入: ")
                .map_err(|e| format!("cannot read the password: {e}"))?;
            if again != secret {
                return Err("the two passwords differ".into());
            }
        }
        if secret.is_empty() && generate_if_missing {
            return Ok(Password {
                secret: generate(),
                source: Source::Generated,
            });
        }
        return Ok(Password {
            secret,
            source: Source::Prompt,
        });
    }
    if generate_if_missing {
        return Ok(Password {
            secret: generate(),
            source: Source::Generated,
        });
    }
    Err(format!(
        "no password: set {ENV_VAR}, pass --password-file FILE, or run in a terminal to be asked"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_strong_and_distinct() {
        let a = generate();
        assert_eq!(a.len(), 29);
        assert_eq!(weakness(&a), None);
        assert_ne!(a, generate());
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(weakness("short").is_some());
        assert!(weakness("password1234").is_some());
        assert!(weakness("123456789012").is_some());
        assert_eq!(weakness("洁净家政-移交-2026-蓝色海豚"), None);
    }
}

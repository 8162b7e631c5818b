//! Where the room password comes from, and whether it is strong enough.
//! The password is never taken from a command-line argument (other users can
//! read those) and never printed, except a generated one, once.

use std::io::IsTerminal;
use std::path::Path;

use rand::rngs::OsRng;
use rand::Rng;

use crate::i18n::{Strings, Wording};

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

/// Why a password is refused. The words it matched are never named: the
/// message would print part of the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    /// Fewer than [`MIN_CHARS`] characters (and not a strong Chinese password).
    TooShort(usize),
    /// What is left after taking out the room's own words (names, phones,
    /// dates, their pinyin) is too little to resist a targeted guess.
    RoomWords,
    /// zxcvbn finds it guessable (common words, keyboard runs, dates).
    Guessable,
    /// A Chinese password with too few Chinese characters of its own.
    FewChinese,
}

impl Weakness {
    /// The i18n catalogue key of the reason (themes/default/i18n/*.yaml).
    pub fn message_key(self) -> &'static str {
        match self {
            Weakness::TooShort(_) => "password_too_short",
            Weakness::RoomWords => "password_room_words",
            Weakness::Guessable => "password_guessable",
            Weakness::FewChinese => "password_few_chinese",
        }
    }
}

pub const MIN_CHARS: usize = 12;
/// Letters and digits that must remain once the room's own words are taken out.
const MIN_OWN_CHARS: usize = 8;
/// Distinct Chinese characters of its own a Chinese password needs.
const MIN_OWN_HAN: usize = 6;
/// ... or this many together with [`MIN_OWN_HAN_OTHER`] other characters of two classes.
const MIN_OWN_HAN_MIXED: usize = 4;
const MIN_OWN_HAN_OTHER: usize = 4;

/// The words a targeted attacker tries first: everything the room says about
/// its parties and clients, in the forms people type (lower case, digits only,
/// pinyin), squashed like passwords are before comparing (see [`squash`]).
///
/// The words of 100,000 clients are ~1.5 million: kept one after another in
/// one buffer, not as 1.5 million strings (~90 MB, issue 11).
#[derive(Default)]
pub struct RoomWords {
    text: String,
    /// Where each word ends in `text`.
    ends: Vec<usize>,
}

/// Han (CJK unified ideographs, including extension A and compatibility ones).
fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// Lower case letters, digits and Han only: `Jie-Jing 2026` → `jiejing2026`.
fn squash(s: &str) -> String {
    let mut out = String::new();
    squash_into(s, &mut out);
    out
}

/// [`squash`], appended to `out`.
fn squash_into(s: &str, out: &mut String) {
    use unicode_normalization::UnicodeNormalization;
    out.extend(
        s.nfc()
            .flat_map(char::to_lowercase)
            .filter(|c| c.is_alphanumeric()),
    );
}

/// Pinyin without tones, syllables joined: 洁净家政 → `jiejingjiazheng`
/// (characters without pinyin are kept as they are).
fn pinyin_of(s: &str) -> String {
    use pinyin::ToPinyin;
    s.chars()
        .map(|c| match c.to_pinyin() {
            Some(p) => p.plain().to_string(),
            None => c.to_string(),
        })
        .collect()
}

impl RoomWords {
    /// Adds `text` as a whole, each run of letters/digits/Han in it, and for
    /// Han runs their pinyin. `all_parts`: also every 2..=6-character piece of
    /// each Han run (company names are several words: 上海/洁净/家政/服务…),
    /// kept for the room's own parties so 10,000 clients stay cheap.
    pub fn add(&mut self, text: &str, all_parts: bool) {
        self.push(text);
        let mut runs: Vec<String> = Vec::new();
        let mut current = String::new();
        let mut current_han: Option<bool> = None;
        for c in text.chars() {
            let kind = if is_han(c) {
                Some(true)
            } else if c.is_alphanumeric() {
                Some(false)
            } else {
                None
            };
            if kind != current_han && !current.is_empty() {
                runs.push(std::mem::take(&mut current));
            }
            if kind.is_some() {
                current.push(c);
            }
            current_han = kind;
        }
        if !current.is_empty() {
            runs.push(current);
        }
        for run in runs {
            self.push(&run);
            if !run.chars().next().is_some_and(is_han) {
                continue;
            }
            self.push(&pinyin_of(&run));
            if all_parts {
                let chars: Vec<char> = run.chars().collect();
                for len in 2..=chars.len().min(6) {
                    for piece in chars.windows(len) {
                        let piece: String = piece.iter().collect();
                        self.push(&pinyin_of(&piece));
                        self.push(&piece);
                    }
                }
            }
        }
    }

    /// A date as people type it: 2026-12-15 → 20261215, 261215, 1215, 2026.
    pub fn add_date(&mut self, date: chrono::NaiveDate) {
        for form in ["%Y-%m-%d", "%Y%m%d", "%y%m%d", "%m%d", "%d%m%Y", "%Y"] {
            self.push(&date.format(form).to_string());
        }
    }

    fn push(&mut self, word: &str) {
        let start = self.text.len();
        squash_into(word, &mut self.text);
        let w = &self.text[start..];
        // Shorter pieces match too much by chance (a pinyin syllable, a year-less day).
        let long_enough = if w.chars().any(is_han) {
            w.chars().count() >= 2
        } else {
            w.len() >= 4
        };
        if long_enough {
            self.ends.push(self.text.len());
        } else {
            self.text.truncate(start);
        }
    }

    fn words(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.text[start..end])
    }

    /// The room's words, longest first, without repeats.
    fn sorted(&self) -> Vec<&str> {
        use rayon::prelude::*;
        let mut words: Vec<&str> = self.words().collect();
        // A total order (length, then the words): the same however it is
        // sorted, and in place (1.5 million words at 100,000 clients).
        words.par_sort_unstable_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        words.dedup();
        words
    }

    /// The words of a room's settings and clients.
    pub fn of_room(room: &crate::room::Room) -> RoomWords {
        use rayon::prelude::*;
        let mut words = RoomWords::default();
        let s = &room.settings;
        words.add(&s.title, true);
        if let Some(p) = &s.public_title {
            words.add(p, true);
        }
        for party in [Some(&s.seller), Some(&s.buyer), s.supervisor.as_ref()]
            .into_iter()
            .flatten()
        {
            words.add(&party.name, true);
            words.add(&party.contact, true);
        }
        words.add_date(s.handover_date);
        // The clients' words a block at a time on every core, joined in the
        // room's order: the same words, in the same order, as one by one.
        let blocks: Vec<RoomWords> = room
            .clients
            .par_chunks(CLIENTS_PER_BLOCK)
            .map(|clients| {
                let mut words = RoomWords::default();
                clients.iter().for_each(|c| words.add_client(c));
                words
            })
            .collect();
        for block in blocks {
            words.append(block);
        }
        words
    }

    /// `other`'s words after these.
    fn append(&mut self, other: RoomWords) {
        let offset = self.text.len();
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|end| end + offset));
    }

    /// A client's words: id, name, contact and identity numbers, birth date.
    fn add_client(&mut self, c: &crate::room::Client) {
        self.add(&c.id, false);
        self.add(&c.name, false);
        for v in [
            &c.contact.phone,
            &c.contact.email,
            &c.id_number,
            &c.credit_code,
        ]
        .into_iter()
        .flatten()
        {
            self.add(v, false);
        }
        // 身份证 digits 7–14 are the birth date.
        if let Some(birth) = c
            .id_number
            .as_deref()
            .and_then(|n| n.get(6..14))
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y%m%d").ok())
        {
            self.add_date(birth);
        }
    }
}

/// Clients whose words are gathered together on one core.
const CLIENTS_PER_BLOCK: usize = 4096;

/// `password` squashed, with every room word taken out (longest first).
fn without_room_words(password: &str, words: &[&str]) -> String {
    use rayon::prelude::*;
    let mut rest = squash(password);
    // Taking words out only leaves spaces, which no word has: a word found
    // after others are out was in the password already. So the few words in
    // it are found first, on every core, in their order.
    let in_password: Vec<&str> = words
        .par_iter()
        .filter(|w| rest.contains(**w))
        .copied()
        .collect();
    for w in in_password {
        if rest.contains(w) {
            rest = rest.replace(w, " ");
        }
    }
    rest.replace(' ', "")
}

/// `None` when strong enough, else why not. Chinese passwords are judged by
/// how many Chinese characters they have of their own (zxcvbn's model is
/// English); all are judged against the room's own words.
pub fn weakness(password: &str, room: &RoomWords) -> Option<Weakness> {
    let mut words = room.sorted();
    let rest = without_room_words(password, &words);
    only_findable(password, &mut words);
    if password.chars().any(is_han) {
        let mut own_han: Vec<char> = rest.chars().filter(|c| is_han(*c)).collect();
        own_han.sort_unstable();
        own_han.dedup();
        let other: String = rest.chars().filter(|c| !is_han(*c)).collect();
        let symbols = password
            .chars()
            .filter(|c| !c.is_alphanumeric() && !c.is_whitespace())
            .count();
        let classes = [
            other.chars().any(char::is_alphabetic),
            other.chars().any(|c| c.is_ascii_digit()),
            symbols > 0,
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if own_han.len() >= MIN_OWN_HAN
            || (own_han.len() >= MIN_OWN_HAN_MIXED
                && other.chars().count() + symbols >= MIN_OWN_HAN_OTHER
                && classes >= 2)
        {
            return None;
        }
        // Mostly Latin with a Chinese word in it: judge the Latin part.
        let latin: String = password.chars().filter(|c| !is_han(*c)).collect();
        if latin.chars().count() >= MIN_CHARS && latin_weakness(&latin, &other, &words).is_none() {
            return None;
        }
        return Some(Weakness::FewChinese);
    }
    latin_weakness(password, &rest, &words)
}

/// zxcvbn 3.1's l33t table: each letter, and what stands for it.
const L33T: [(char, &str); 12] = [
    ('a', "4@"),
    ('b', "8"),
    ('c', "({[<"),
    ('e', "3"),
    ('g', "69"),
    ('i', "1!|"),
    ('l', "1|7"),
    ('o', "0"),
    ('s', "$5"),
    ('t', "+7"),
    ('x', "%"),
    ('z', "2"),
];

/// Blanks (`""`, which matches nothing) each word zxcvbn could never find
/// in `password` or in any part of it (it looks up pieces of the password
/// in lower case, reversed and with l33t letters put back): longer than the
/// password, or with a character none of those has. The other words keep
/// their place, so their rank, which zxcvbn takes from the position; and
/// zxcvbn, which builds a map of all words for every lookup, gets a few
/// instead of the ~1.5 million of 100,000 clients (issue 11).
fn only_findable(password: &str, words: &mut [&str]) {
    let lower = password.to_lowercase();
    let longest = lower.chars().count().max(password.chars().count());
    let mut found: Vec<char> = lower.chars().collect();
    for (letter, stand_ins) in L33T {
        if password.chars().any(|c| stand_ins.contains(c)) {
            found.push(letter);
        }
    }
    for word in words.iter_mut() {
        let findable = word.chars().count() <= longest && word.chars().all(|c| found.contains(&c));
        if !findable {
            *word = "";
        }
    }
}

fn latin_weakness(password: &str, rest: &str, words: &[&str]) -> Option<Weakness> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Some(Weakness::TooShort(chars));
    }
    if rest.chars().count() < MIN_OWN_CHARS {
        return Some(Weakness::RoomWords);
    }
    // zxcvbn sees the room's words too, so `Jiejing@20261215` is a dictionary word plus a date.
    if (zxcvbn::zxcvbn(password, words).score() as u8) < 3 {
        return Some(Weakness::Guessable);
    }
    None
}

/// Reads the password: `--password-file`, then `DATAROOM_PASSWORD`, then a prompt on
/// a terminal; `generate_if_missing` makes one when none of these is available.
/// The prompts are worded from `strings` (the CLI's language).
pub fn obtain(
    file: Option<&Path>,
    confirm: bool,
    generate_if_missing: bool,
    strings: &Strings,
) -> Result<Password, Wording> {
    if let Some(file) = file {
        return Ok(Password {
            secret: read_password_file(file)?,
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
        let unreadable = |e: std::io::Error| {
            Wording::new("err_password_unreadable").cause("error", Wording::io(&e))
        };
        let prompt = |key: &str| format!("{} ", crate::i18n::text(strings, key));
        let secret = rpassword::prompt_password(prompt(if generate_if_missing {
            "cli_password_prompt_generate"
        } else {
            "cli_password_prompt"
        }))
        .map_err(unreadable)?;
        if confirm && !secret.is_empty() {
            let again = rpassword::prompt_password(prompt("cli_password_prompt_again"))
                .map_err(unreadable)?;
            if again != secret {
                return Err(Wording::new("err_password_differ"));
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
    Err(Wording::new("err_password_none").arg("var", ENV_VAR))
}

/// The password that seals one audience's key slot.
pub struct AudiencePassword {
    /// The audience's id; `None` for a room without `audiences:`.
    pub audience: Option<String>,
    pub secret: String,
    pub source: Source,
}

/// Reads one password file, without its final line break.
fn read_password_file(file: &Path) -> Result<String, Wording> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        Wording::new("err_password_file_unreadable")
            .path("file", file)
            .cause("error", Wording::io(&e))
    })?;
    let secret = text.trim_end_matches(['\n', '\r']).to_string();
    if secret.is_empty() {
        return Err(Wording::new("err_password_file_empty").path("file", file));
    }
    Ok(secret)
}

/// The passwords of a room with `audiences:`, one per audience in the order of
/// `dataroom.yaml`: from `--password-file AUDIENCE=FILE` (`files`), else from
/// `DATAROOM_PASSWORD_<ID>` ([`crate::room::AudienceSpec::password_var`]),
/// else generated. Every problem is returned at once, located in
/// `dataroom.yaml`: a bare `DATAROOM_PASSWORD` (it would not say whose it
/// is), a `--password-file` that names no audience, a password file that
/// cannot be read, a weak password (unless `allow_weak`), and two audiences
/// with the same password (whichever slot comes first would open for both).
/// Never repeats a password in a message. Worded in the room's language.
pub fn obtain_for_audiences(
    room: &crate::room::Room,
    files: &[String],
    allow_weak: bool,
) -> Result<Vec<AudiencePassword>, Vec<crate::Diagnostic>> {
    use crate::room::settings::SETTINGS_FILE;
    use crate::Diagnostic;
    let audiences = room.audiences();
    let mut problems = Vec::new();
    let list_loc = room.settings.audiences_loc;
    let ids = audiences
        .iter()
        .map(|a| a.id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if std::env::var(ENV_VAR).is_ok_and(|v| !v.is_empty()) {
        let vars = audiences
            .iter()
            .map(|a| a.password_var())
            .collect::<Vec<_>>()
            .join(", ");
        problems.push(Diagnostic::catalogued(
            "password-env-bare",
            SETTINGS_FILE,
            list_loc,
            "password_env_bare",
            &[("vars", &vars)],
        ));
    }
    let mut from_file: Vec<(usize, &Path)> = Vec::new();
    for arg in files {
        let known = arg
            .split_once('=')
            .and_then(|(id, file)| Some((audiences.iter().position(|a| a.id == id)?, file)));
        match known {
            Some((i, file)) => from_file.push((i, Path::new(file))),
            None => {
                let named = arg.split_once('=').map_or(arg.as_str(), |(id, _)| id);
                problems.push(Diagnostic::catalogued(
                    "password-file-audience",
                    SETTINGS_FILE,
                    list_loc,
                    "password_file_audience",
                    &[("arg", named), ("ids", &ids)],
                ));
            }
        }
    }
    let mut passwords = Vec::with_capacity(audiences.len());
    // The room's words, gathered when the first password is judged.
    let room_words = std::cell::OnceCell::new();
    for (i, a) in audiences.iter().enumerate() {
        let file = from_file
            .iter()
            .rev()
            .find(|(j, _)| *j == i)
            .map(|(_, f)| *f);
        let found = match file {
            Some(file) => match read_password_file(file) {
                Ok(secret) => Some((secret, Source::File)),
                Err(why) => {
                    problems.push(Diagnostic::error(
                        "password-file",
                        SETTINGS_FILE,
                        a.loc,
                        Wording::new("diag_password_file").cause("error", why),
                    ));
                    continue;
                }
            },
            None => std::env::var(a.password_var())
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| (v, Source::Env)),
        };
        let (secret, source) = found.unwrap_or_else(|| (generate(), Source::Generated));
        if !allow_weak && !matches!(source, Source::Generated) {
            let words = room_words.get_or_init(|| RoomWords::of_room(room));
            if let Some(reason) = crate::password_weakness_among(words, &secret) {
                problems.push(Diagnostic::error(
                    "password-weak",
                    SETTINGS_FILE,
                    a.loc,
                    Wording::new("password_audience_weak")
                        .arg("id", &a.id)
                        .arg("var", a.password_var())
                        .cause("reason", reason),
                ));
            }
        }
        if let Some(first) = passwords
            .iter()
            .find(|p: &&AudiencePassword| p.secret == secret)
        {
            let first = first.audience.as_deref().unwrap_or_default();
            problems.push(Diagnostic::catalogued(
                "password-shared",
                SETTINGS_FILE,
                a.loc,
                "password_shared",
                &[("id", &a.id), ("first", first)],
            ));
        }
        passwords.push(AudiencePassword {
            audience: Some(a.id.clone()),
            secret,
            source,
        });
    }
    if problems.is_empty() {
        Ok(passwords)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_strong_and_distinct() {
        let a = generate();
        assert_eq!(a.len(), 29);
        assert_eq!(weakness(&a, &RoomWords::default()), None);
        assert_ne!(a, generate());
    }

    #[test]
    fn weak_passwords_are_refused() {
        let none = RoomWords::default();
        assert_eq!(weakness("short", &none), Some(Weakness::TooShort(5)));
        assert_eq!(weakness("password1234", &none), Some(Weakness::Guessable));
        assert_eq!(weakness("123456789012", &none), Some(Weakness::Guessable));
        assert_eq!(weakness("洁净家政-移交-2026-蓝色海豚", &none), None);
        assert_eq!(weakness("correct horse battery staple", &none), None);
    }

    /// The example room's parties, a client and the dates, as in example-dataroom.
    #[test]
    fn a_rooms_words_gathered_on_every_core_are_those_gathered_one_by_one() {
        let room = crate::room::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/example-dataroom"
        )))
        .room
        .expect("the example loads");
        let mut room = room;
        // Several blocks, the last one short.
        let template = room.clients.clone();
        for n in 0..(2 * CLIENTS_PER_BLOCK + 7) {
            let mut c = template[n % template.len()].clone();
            c.id = format!("X-{n:05}");
            c.name = format!("{}{n}", c.name);
            room.clients.push(c);
        }
        let together = RoomWords::of_room(&room);
        // One by one: the settings' words (a room without clients), then each client's.
        let clients = std::mem::take(&mut room.clients);
        let mut one_by_one = RoomWords::of_room(&room);
        for c in &clients {
            one_by_one.add_client(c);
        }
        assert!(together.ends.len() > 2 * CLIENTS_PER_BLOCK);
        assert!(together.text == one_by_one.text, "not the same words");
        assert_eq!(together.ends, one_by_one.ends);
    }

    fn example_words() -> RoomWords {
        let mut w = RoomWords::default();
        w.add("上海洁净家政服务有限公司 客户资料移交数据室", true);
        w.add("上海洁净家政服务有限公司", true);
        w.add("总经理 陈国华，13916820457，chen.guohua@example.cn", true);
        w.add_date(chrono::NaiveDate::from_ymd_opt(2026, 12, 15).expect("date"));
        w.add("张伟", false);
        w.add("310104197904127852", false);
        w.add_date(chrono::NaiveDate::from_ymd_opt(1979, 4, 12).expect("date"));
        w
    }

    #[test]
    fn the_rooms_own_words_are_refused() {
        let room = example_words();
        for (pw, why) in [
            ("上海洁净家政服务有限公司", Weakness::FewChinese),
            ("jiejingjiazheng2026", Weakness::RoomWords),
            ("Jiejing@20261215", Weakness::RoomWords),
            ("zhangwei19790412", Weakness::RoomWords),
            ("13916820457abc", Weakness::RoomWords),
            ("ShangHai-JieJing-JiaZheng", Weakness::RoomWords),
            ("张伟洁净家政2026年12月15日", Weakness::FewChinese),
            ("陈国华 chenguohua 1215!", Weakness::FewChinese),
        ] {
            assert_eq!(weakness(pw, &room), Some(why), "{pw}");
        }
        // Without the room's words zxcvbn alone let these through: the point of the words.
        let none = RoomWords::default();
        assert_eq!(weakness("zhangwei19790412", &none), None);
        assert_eq!(weakness("13916820457abc", &none), None);
    }

    #[test]
    fn strong_passwords_pass_in_the_example_room() {
        let room = example_words();
        for pw in [
            "橙子跑步晴天蓝色海豚",            // 10 Chinese characters of its own
            "洁净家政-橙子跑步-蓝色海豚",      // the room's words do not count, the rest does
            "海豚晴天-Kx7#q2",                 // 4 Chinese + letters, digits, symbols
            "e2e 移交 password correct horse", // Latin judged as Latin
            "violet-harbor-quietly-seventeen",
        ] {
            assert_eq!(weakness(pw, &room), None, "{pw}");
        }
    }

    #[test]
    fn pinyin_and_squashing() {
        assert_eq!(pinyin_of("洁净家政"), "jiejingjiazheng");
        assert_eq!(squash("Jie-Jing 2026！"), "jiejing2026");
        let mut w = RoomWords::default();
        w.add("洁净家政", true);
        assert!(w.sorted().contains(&"jiejing"));
        assert!(w.sorted().contains(&"洁净"));
    }

    /// zxcvbn's verdict (its guesses, so its score too) on `password` with
    /// every room word, and with only the findable ones in their places.
    fn guesses_both_ways(password: &str, room: &RoomWords) -> (u64, u64) {
        let all = room.sorted();
        let mut findable = all.clone();
        only_findable(password, &mut findable);
        (
            zxcvbn::zxcvbn(password, &all).guesses(),
            zxcvbn::zxcvbn(password, &findable).guesses(),
        )
    }

    #[test]
    fn zxcvbn_judges_alike_with_only_the_findable_words() {
        let room = example_words();
        let all = room.sorted();
        for pw in [
            "Jiejing@20261215",
            "J1ej1ng@2O261215",     // l33t letters put back
            "gnijeij-Xq7-19790412", // reversed
            "ChenGuohua-Kx7#q2-violet",
            "洁净家政-chen-13916820457",
            "violet-harbor-quietly-seventeen",
        ] {
            let (with_all, with_findable) = guesses_both_ways(pw, &room);
            assert_eq!(with_all, with_findable, "{pw}");
            let mut findable = all.clone();
            only_findable(pw, &mut findable);
            let kept = findable.iter().filter(|w| !w.is_empty()).count();
            assert!(kept < all.len() / 2, "{pw}: {kept} of {}", all.len());
        }
        // A room word in the password lowers its guesses: the words still count.
        let none = RoomWords::default();
        let pw = "jiejingjiazheng-Kx7";
        assert!(guesses_both_ways(pw, &room).1 < zxcvbn::zxcvbn(pw, &[]).guesses());
        assert_eq!(
            guesses_both_ways(pw, &none).0,
            zxcvbn::zxcvbn(pw, &[]).guesses()
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn zxcvbn_never_judges_otherwise_with_only_the_findable_words(
            words in proptest::collection::vec("[a-z0-9洁净张伟]{2,9}", 1..40),
            password in "[a-zA-Z0-9@!|$+%(<37 洁净张伟-]{6,24}",
        ) {
            let mut room = RoomWords::default();
            for w in &words {
                room.add(w, false);
            }
            let (with_all, with_findable) = guesses_both_ways(&password, &room);
            proptest::prop_assert_eq!(with_all, with_findable);
        }
    }

    #[test]
    fn the_words_in_a_password_are_taken_out_longest_first() {
        let mut room = RoomWords::default();
        room.add("洁净家政 jiejing jie 2026", false);
        let words = room.sorted();
        assert_eq!(
            without_room_words("Jiejing-洁净家政-Kx7q2026", &words),
            "kx7q"
        );
        assert_eq!(
            without_room_words("nothing-of-the-room", &words),
            "nothingoftheroom"
        );
    }

    #[test]
    fn room_words_live_in_one_buffer() {
        let mut w = RoomWords::default();
        for n in 0..1000 {
            w.add(&format!("客户{n} Client-{n}"), false);
        }
        assert_eq!(w.words().count(), w.ends.len());
        assert!(w.words().any(|x| x == "client"));
        assert!(w.sorted().contains(&"客户999client999"));
        assert!(!w.words().any(|x| x.chars().count() < 2 || x.is_empty()));
    }
}

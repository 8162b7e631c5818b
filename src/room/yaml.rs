//! YAML through serde-saphyr, whose errors carry line and column.
//!
//! Records (clients, `dataroom.yaml`) are read in two steps so that one run
//! reports every mistake of a file: [`parse_tree`] turns the text into located
//! [`Node`]s (only a YAML syntax error stops here), then a [`Reader`] takes
//! each field out of its mapping, recording an unknown field, a missing one or a
//! value of the wrong shape as a problem and going on with the next.

use std::path::Path;

use serde::de::{DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::diagnostic::{Diagnostic, Loc, Wording};

/// A value together with where it was written.
pub type S<T> = serde_saphyr::Spanned<T>;

/// A value read from a record together with where it was written.
#[derive(Clone, Debug)]
pub struct Located<T> {
    pub value: T,
    pub loc: Loc,
}

/// Parses `text` (which starts `line_offset` lines and `byte_offset` bytes into
/// `file`) into `T`, turning a failure into a located diagnostic.
pub fn parse_yaml<T: DeserializeOwned>(
    file: &Path,
    text: &str,
    line_offset: usize,
    byte_offset: usize,
) -> Result<T, Diagnostic> {
    serde_saphyr::from_str::<T>(text).map_err(|e| {
        let loc = e
            .location()
            .map(|l| {
                let mut loc = Loc::from(&l);
                if loc.len == 0 && l.span().byte_offset().is_none() {
                    loc.offset = byte_offset_of(text, loc.line, loc.column);
                }
                loc
            })
            .unwrap_or(Loc::START)
            .shifted(line_offset, byte_offset);
        let full = e.without_snippet().to_string();
        let message = full
            .rsplit_once(" at line ")
            .map_or(full.as_str(), |(m, _)| m)
            .to_string();
        let (code, stem) = classify(&message);
        Diagnostic::error(code, file, loc, Wording::new(stem).arg("detail", message))
    })
}

fn byte_offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[line_start.min(text.len())..];
    line_start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// The code and catalogue stem of a serde-saphyr error message.
fn classify(message: &str) -> (&'static str, &'static str) {
    if message.starts_with("unknown field") {
        ("unknown-field", "diag_yaml_unknown_field")
    } else if message.starts_with("missing field") {
        ("missing-field", "diag_yaml_missing_field")
    } else if message.contains("expected")
        || message.contains("invalid type")
        || message.contains("cannot deserialize")
        || message.contains("invalid value")
    {
        ("wrong-type", "diag_yaml_wrong_type")
    } else if message.contains("duplicate") {
        ("duplicate-key", "diag_yaml_duplicate_key")
    } else {
        ("yaml-syntax", "diag_yaml_syntax")
    }
}

/// A YAML value with its position. Numbers, booleans and other plain scalars
/// keep their text exactly as written (`1200.50`, `021…`), never a float.
#[derive(Debug)]
pub struct Node {
    pub loc: Loc,
    pub value: Value,
}

#[derive(Debug)]
pub enum Value {
    Null,
    Text(String),
    /// A plain scalar serde-saphyr read as a number or a boolean: its source text.
    Plain(String),
    List(Vec<Node>),
    Map(Vec<(Located<String>, Node)>),
}

struct RawNode(Value);

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawNode;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<RawNode, E> {
                Ok(RawNode(Value::Null))
            }
            fn visit_none<E>(self) -> Result<RawNode, E> {
                Ok(RawNode(Value::Null))
            }
            fn visit_str<E>(self, v: &str) -> Result<RawNode, E> {
                Ok(RawNode(Value::Text(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<RawNode, E> {
                Ok(RawNode(Value::Text(v)))
            }
            // The text is replaced by the source slice in `Node::from_spanned`.
            fn visit_bool<E>(self, v: bool) -> Result<RawNode, E> {
                Ok(RawNode(Value::Plain(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawNode, E> {
                Ok(RawNode(Value::Plain(v.to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<RawNode, E> {
                Ok(RawNode(Value::Plain(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<RawNode, E> {
                Ok(RawNode(Value::Plain(v.to_string())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawNode, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<S<RawNode>>()? {
                    items.push(item);
                }
                Ok(RawNode(Value::List(
                    items.into_iter().map(Node::from_spanned).collect(),
                )))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawNode, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<S<String>, S<RawNode>>()? {
                    let key = Located {
                        loc: Loc::from(&key.referenced),
                        value: key.value,
                    };
                    entries.push((key, Node::from_spanned(value)));
                }
                Ok(RawNode(Value::Map(entries)))
            }
        }
        d.deserialize_any(V)
    }
}

impl Node {
    fn from_spanned(s: S<RawNode>) -> Node {
        Node {
            loc: Loc::from(&s.referenced),
            value: s.value.0,
        }
    }

    /// Plain scalars get their exact source text back.
    fn restore_plain(&mut self, text: &str) {
        match &mut self.value {
            Value::Plain(v) => {
                if let Some(raw) = text.get(self.loc.offset..self.loc.offset + self.loc.len) {
                    *v = raw.trim().to_string();
                }
            }
            Value::List(items) => items.iter_mut().for_each(|n| n.restore_plain(text)),
            Value::Map(entries) => entries.iter_mut().for_each(|(_, n)| n.restore_plain(text)),
            Value::Null | Value::Text(_) => {}
        }
    }
}

/// Parses a whole record file into located nodes. A syntax error is the only
/// failure, reported as the [`typing_slips`] found in the file when there are
/// any (they say what to change), else as serde-saphyr's message.
pub fn parse_tree(file: &Path, text: &str) -> Result<Node, Vec<Diagnostic>> {
    match serde_saphyr::from_str::<S<RawNode>>(text) {
        Ok(root) => {
            let mut node = Node::from_spanned(root);
            node.restore_plain(text);
            Ok(node)
        }
        Err(_) => {
            let generic = parse_yaml::<serde::de::IgnoredAny>(file, text, 0, 0)
                .err()
                .unwrap_or_else(|| {
                    Diagnostic::error(
                        "yaml-syntax",
                        file,
                        Loc::START,
                        Wording::new("diag_yaml_syntax").arg("detail", ""),
                    )
                });
            let slips = typing_slips(file, text);
            Err(if slips.is_empty() {
                vec![generic]
            } else {
                slips
            })
        }
    }
}

/// Slips of a Chinese keyboard or editor that break YAML, each at its exact
/// place: a full-width colon after a key, a full-width comma between list
/// items, curly quotes, a tab in the indentation, a byte-order mark.
pub fn typing_slips(file: &Path, text: &str) -> Vec<Diagnostic> {
    let mut slips = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let at = |byte: usize, len: usize| Loc {
            line: i + 1,
            column: line[..byte].chars().count() + 1,
            offset: offset + byte,
            len,
        };
        let mut slip = |code: &'static str, stem: &'static str, byte: usize, len: usize| {
            slips.push(Diagnostic::error(
                code,
                file,
                at(byte, len),
                Wording::new(stem),
            ));
        };
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(tab) = line[..indent].find('\t') {
            slip("tab-indent", "diag_tab_indent", tab, 1);
        }
        let content = line.split(" #").next().unwrap_or(line);
        // A full-width colon where the key's colon belongs: before any ASCII colon.
        if let Some(colon) = content.find('：') {
            if !content[..colon].contains(':') {
                slip(
                    "fullwidth-colon",
                    "diag_fullwidth_colon",
                    colon,
                    '：'.len_utf8(),
                );
            }
        }
        if let Some(comma) = content.find('，') {
            let in_flow = content[..comma].contains(['[', '{']);
            if in_flow {
                slip(
                    "fullwidth-comma",
                    "diag_fullwidth_comma",
                    comma,
                    '，'.len_utf8(),
                );
            }
        }
        if let Some(quote) = content.find(['“', '”', '‘', '’']) {
            slip("curly-quotes", "diag_curly_quotes", quote, '“'.len_utf8());
        }
        if let Some(bom) = line.find('\u{feff}') {
            slip("bom", "diag_bom", bom, '\u{feff}'.len_utf8());
        }
        offset += line.len();
    }
    slips
}

/// Takes the fields out of record nodes, collecting every problem.
pub struct Reader<'a> {
    pub file: &'a Path,
    pub problems: Vec<Diagnostic>,
}

/// The fields of one mapping, each taken by name.
pub struct Fields<'n> {
    at: Loc,
    entries: Vec<(&'n Located<String>, &'n Node)>,
}

impl<'n> Fields<'n> {
    pub fn get(&self, name: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.value == name)
            .map(|(_, v)| *v)
            .filter(|v| !matches!(v.value, Value::Null))
    }
}

impl<'a> Reader<'a> {
    pub fn new(file: &'a Path) -> Self {
        Reader {
            file,
            problems: Vec::new(),
        }
    }

    fn wrong_shape(&mut self, node: &Node, field: &str, expected: &'static str) {
        let stem = match expected {
            "map" => "diag_expected_map",
            "list" => "diag_expected_list",
            "flag" => "diag_expected_flag",
            "number" => "diag_expected_number",
            _ => "diag_expected_text",
        };
        self.problems.push(Diagnostic::error(
            "wrong-type",
            self.file,
            node.loc,
            Wording::new(stem).arg("name", field),
        ));
    }

    /// The mapping `node` as fields named in `known`; every other key is
    /// reported, with the known field it most likely means.
    pub fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        known: &[&'static str],
    ) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_shape(node, path, "map");
            return None;
        };
        let mut fields = Fields {
            at: node.loc,
            entries: Vec::new(),
        };
        for (key, value) in entries {
            if known.contains(&key.value.as_str()) {
                if fields.entries.iter().any(|(k, _)| k.value == key.value) {
                    self.problems.push(Diagnostic::error(
                        "duplicate-key",
                        self.file,
                        key.loc,
                        Wording::new("diag_duplicate_field").arg("name", &key.value),
                    ));
                }
                fields.entries.push((key, value));
            } else {
                self.problems
                    .push(unknown_field(self.file, key, path, known));
            }
        }
        Some(fields)
    }

    /// Reports `name` missing from `fields` when it is.
    pub fn required<'n>(&mut self, fields: &Fields<'n>, name: &str) -> Option<&'n Node> {
        let found = fields.get(name);
        if found.is_none() {
            self.problems.push(Diagnostic::error(
                "missing-field",
                self.file,
                fields.at,
                Wording::new("diag_missing_field").arg("name", name),
            ));
        }
        found
    }

    /// A scalar as text.
    pub fn text(&mut self, node: &Node, field: &str) -> Option<Located<String>> {
        match &node.value {
            Value::Text(v) | Value::Plain(v) => {
                if let Value::Text(v) = &node.value {
                    self.curly_quotes(node, v);
                }
                Some(Located {
                    value: v.clone(),
                    loc: node.loc,
                })
            }
            Value::Null => None,
            _ => {
                self.wrong_shape(node, field, "text");
                None
            }
        }
    }

    /// `true` or `false`, as serde-saphyr reads a boolean.
    pub fn flag(&mut self, node: &Node, field: &str) -> Option<bool> {
        self.plain(node, field, "flag")
    }

    /// A whole number, as serde-saphyr reads one.
    pub fn number(&mut self, node: &Node, field: &str) -> Option<u32> {
        self.plain(node, field, "number")
    }

    fn plain<T: DeserializeOwned>(
        &mut self,
        node: &Node,
        field: &str,
        expected: &'static str,
    ) -> Option<T> {
        let parsed = match &node.value {
            Value::Plain(v) => serde_saphyr::from_str(v).ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.wrong_shape(node, field, expected);
        }
        parsed
    }

    /// A list (an absent field is an empty one). Items written with a
    /// full-width comma (`[长期客户，VIP]`) are one item: that is reported.
    pub fn list<'n>(&mut self, node: Option<&'n Node>, field: &str) -> &'n [Node] {
        match node.map(|n| (n, &n.value)) {
            None => &[],
            Some((_, Value::List(items))) => {
                for item in items {
                    if let Value::Text(v) = &item.value {
                        if v.contains('，') {
                            self.problems.push(Diagnostic::error(
                                "fullwidth-comma",
                                self.file,
                                item.loc,
                                Wording::new("diag_fullwidth_comma"),
                            ));
                        }
                    }
                }
                items
            }
            Some((n, _)) => {
                self.wrong_shape(n, field, "list");
                &[]
            }
        }
    }

    /// `name: “张伟”` is valid YAML whose value keeps the curly quotes.
    fn curly_quotes(&mut self, node: &Node, v: &str) {
        if v.starts_with(['“', '‘']) && v.ends_with(['”', '’']) {
            self.problems.push(Diagnostic::error(
                "curly-quotes",
                self.file,
                node.loc,
                Wording::new("diag_curly_quotes"),
            ));
        }
    }
}

/// An unknown key: a Chinese label of a known field (`名称`), a typo of one
/// (`phonee`), a full-width colon inside a flow mapping (`{phone：1}`) or just unknown.
fn unknown_field(file: &Path, key: &Located<String>, path: &str, known: &[&str]) -> Diagnostic {
    let name = key.value.as_str();
    if name.contains('\u{feff}') {
        return Diagnostic::error("bom", file, key.loc, Wording::new("diag_bom"));
    }
    if let Some(colon) = name.find('：') {
        let loc = Loc {
            column: key.loc.column + name[..colon].chars().count(),
            offset: key.loc.offset + colon,
            len: '：'.len_utf8(),
            ..key.loc
        };
        return Diagnostic::error(
            "fullwidth-colon",
            file,
            loc,
            Wording::new("diag_fullwidth_colon"),
        );
    }
    let wording = match english_key(name, path, known) {
        Some(suggestion) => Wording::new("diag_chinese_key").arg("suggestion", suggestion),
        None => match nearest(name, known) {
            Some(suggestion) => {
                Wording::new("diag_unknown_field_typo").arg("suggestion", suggestion)
            }
            None => Wording::new("diag_unknown_field").arg("known", known.join(", ")),
        },
    };
    Diagnostic::error("unknown-field", file, key.loc, wording.arg("key", name))
}

/// The known field whose Chinese label (`field_*` in the zh-CN catalogue) is,
/// contains or ends with `name`: `名称` → `name` (客户名称).
fn english_key<'k>(name: &str, path: &str, known: &[&'k str]) -> Option<&'k str> {
    if name.is_ascii() {
        return None;
    }
    let strings = crate::i18n::embedded(crate::room::Language::ZhCn);
    let label = |field: &str| {
        let full = if path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        };
        strings.get(&format!("field_{}", full.replace('.', "_")))
    };
    let name = name.trim();
    known
        .iter()
        .find(|k| label(k).is_some_and(|l| l == name))
        .or_else(|| {
            known
                .iter()
                .find(|k| label(k).is_some_and(|l| l.contains(name) || name.contains(l.as_str())))
        })
        .copied()
}

/// The known field within two edits of `name`, if one is.
fn nearest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

//! A client record as its YAML file holds it: written in the field order and
//! style a person writes (`example-dataroom/clients/`), read back for
//! `--update`, compared field by field for its summary.

use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct ClientFile {
    pub id: String,
    pub name: String,
    pub kind: Option<String>,
    pub contact: Option<ContactFile>,
    pub id_number: Option<String>,
    pub credit_code: Option<String>,
    pub consent: Option<ConsentFile>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub services: Vec<ServiceFile>,
    #[serde(default)]
    pub contracts: Vec<ContractFile>,
    #[serde(default)]
    pub payments: Vec<PaymentFile>,
    pub retain_until: Option<String>,
    pub notes: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct ContactFile {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ConsentFile {
    pub given: bool,
    pub date: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ServiceFile {
    pub date: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub staff: String,
    pub notes: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ContractFile {
    pub id: String,
    pub signed: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub amount: String,
    pub file: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct PaymentFile {
    pub date: String,
    pub amount: String,
    pub method: String,
    pub invoice: Option<String>,
}

impl ClientFile {
    /// Reads an existing record; amounts are brought to two decimals so that
    /// `1200.5` and `1200.50` compare equal.
    pub fn parse(text: &str) -> Result<ClientFile, String> {
        let mut file: ClientFile = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        for c in &mut file.contracts {
            c.amount = cents(&c.amount);
        }
        for p in &mut file.payments {
            p.amount = cents(&p.amount);
        }
        Ok(file)
    }

    /// The record's fields (YAML paths) whose values differ from `other`.
    pub fn changed_fields(&self, other: &ClientFile) -> Vec<&'static str> {
        let contact = |c: &ClientFile| c.contact.clone().unwrap_or_default();
        let (a, b) = (contact(self), contact(other));
        [
            ("name", self.name != other.name),
            ("kind", self.kind != other.kind),
            ("contact.phone", a.phone != b.phone),
            ("contact.email", a.email != b.email),
            ("contact.address", a.address != b.address),
            ("id_number", self.id_number != other.id_number),
            ("credit_code", self.credit_code != other.credit_code),
            ("consent", self.consent != other.consent),
            ("tags", self.tags != other.tags),
            ("services", self.services != other.services),
            ("contracts", self.contracts != other.contracts),
            ("payments", self.payments != other.payments),
            ("retain_until", self.retain_until != other.retain_until),
            ("notes", self.notes != other.notes),
        ]
        .into_iter()
        .filter_map(|(field, changed)| changed.then_some(field))
        .collect()
    }

    /// The YAML text, one line per field, records in flow style.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        let mut line = |key: &str, value: String| out.push_str(&format!("{key}: {value}\n"));
        line("id", word(&self.id));
        line("name", quoted(&self.name));
        if let Some(kind) = &self.kind {
            line("kind", word(kind));
        }
        if let Some(c) = &self.contact {
            let fields = flow(&[
                ("phone", c.phone.as_deref().map(quoted)),
                ("email", c.email.as_deref().map(quoted)),
                ("address", c.address.as_deref().map(quoted)),
            ]);
            if fields != "{}" {
                line("contact", fields);
            }
        }
        if let Some(v) = &self.id_number {
            line("id_number", quoted(v));
        }
        if let Some(v) = &self.credit_code {
            line("credit_code", quoted(v));
        }
        if let Some(c) = &self.consent {
            line(
                "consent",
                flow(&[
                    ("given", Some(c.given.to_string())),
                    ("date", c.date.clone()),
                ]),
            );
        }
        if !self.tags.is_empty() {
            let tags: Vec<String> = self.tags.iter().map(|t| word(t)).collect();
            line("tags", format!("[{}]", tags.join(", ")));
        }
        let list = |out: &mut String, key: &str, items: Vec<String>| {
            if !items.is_empty() {
                out.push_str(&format!("{key}:\n"));
                for item in items {
                    out.push_str(&format!("  - {item}\n"));
                }
            }
        };
        list(
            &mut out,
            "services",
            self.services
                .iter()
                .map(|s| {
                    flow(&[
                        ("date", Some(s.date.clone())),
                        ("type", Some(word(&s.kind))),
                        ("staff", Some(word(&s.staff))),
                        ("notes", s.notes.as_deref().map(quoted)),
                    ])
                })
                .collect(),
        );
        list(
            &mut out,
            "contracts",
            self.contracts
                .iter()
                .map(|c| {
                    flow(&[
                        ("id", Some(word(&c.id))),
                        ("signed", c.signed.clone()),
                        ("start", c.start.clone()),
                        ("end", c.end.clone()),
                        ("amount", Some(c.amount.clone())),
                        ("file", c.file.as_deref().map(quoted)),
                    ])
                })
                .collect(),
        );
        list(
            &mut out,
            "payments",
            self.payments
                .iter()
                .map(|p| {
                    flow(&[
                        ("date", Some(p.date.clone())),
                        ("amount", Some(p.amount.clone())),
                        ("method", Some(word(&p.method))),
                        ("invoice", p.invoice.as_deref().map(quoted)),
                    ])
                })
                .collect(),
        );
        let mut line = |key: &str, value: String| out.push_str(&format!("{key}: {value}\n"));
        if let Some(v) = &self.retain_until {
            line("retain_until", v.clone());
        }
        if let Some(v) = &self.notes {
            line("notes", quoted(v));
        }
        out
    }
}

/// `1200.5` → `1200.50`; text that is not a number stays as it is (check reports it).
fn cents(amount: &str) -> String {
    match amount.trim().parse::<rust_decimal::Decimal>() {
        Ok(mut d) if d.scale() <= 2 => {
            d.rescale(2);
            d.to_string()
        }
        _ => amount.to_string(),
    }
}

/// `{a: 1, b: 2}` with the absent values left out.
fn flow(fields: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

/// A double-quoted YAML scalar (JSON's escapes are YAML's).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.escape_default()))
}

/// A word written bare as people do (`日常保洁`, `HX-00010`) when YAML reads it
/// back as the same text; quoted otherwise (numbers, `yes`, punctuation).
fn word(s: &str) -> String {
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() && c != '-')
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "true" | "false" | "on" | "off" | "null"
        );
    if plain {
        s.to_string()
    } else {
        quoted(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_records_read_back_the_same() {
        let record = ClientFile {
            id: "HX-1".into(),
            name: "张\"伟\"".into(),
            kind: Some("individual".into()),
            contact: Some(ContactFile {
                phone: Some("13812345678".into()),
                email: None,
                address: Some("上海市: 1号".into()),
            }),
            consent: Some(ConsentFile {
                given: true,
                date: Some("2024-03-01".into()),
            }),
            tags: vec!["长期客户".into(), "yes".into(), "2024".into()],
            contracts: vec![ContractFile {
                id: "C-1".into(),
                signed: None,
                start: Some("2024-01-01".into()),
                end: None,
                amount: "1234.56".into(),
                file: None,
            }],
            notes: Some("第一行\n第二行".into()),
            ..ClientFile::default()
        };
        let yaml = record.to_yaml();
        assert!(yaml.starts_with("id: HX-1\nname: \"张\\\"伟\\\"\"\nkind: individual\n"));
        assert!(yaml.contains("tags: [长期客户, \"yes\", \"2024\"]\n"));
        assert!(yaml.contains("  - {id: C-1, start: 2024-01-01, amount: 1234.56}\n"));
        assert_eq!(ClientFile::parse(&yaml), Ok(record));
    }
}

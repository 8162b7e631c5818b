use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::tokens::{exact_key, markdown_text, phone_tokens, text_tokens};
use super::*;
use crate::render::audience::room_for;
use crate::room::MaskedField;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn chinese_runs_become_bigrams_without_a_dictionary() {
    assert_eq!(text_tokens("张伟明"), strings(&["张伟", "伟明"]));
    // A lone character is no token; runs end at anything that is not Han.
    assert_eq!(text_tokens("张 伟"), Vec::<String>::new());
    assert_eq!(
        text_tokens("上海市徐汇区"),
        strings(&["上海", "海市", "市徐", "徐汇", "汇区"])
    );
}

#[test]
fn ascii_words_are_lowercased_and_split_at_punctuation() {
    assert_eq!(
        text_tokens("ZhangWei79@Example.com"),
        strings(&["zhangwei79", "example", "com"])
    );
    assert_eq!(text_tokens("C-2023-003"), strings(&["2023", "003"]));
    // Full-width digits and letters are the same as their ASCII forms.
    assert_eq!(text_tokens("ＨＴ１２３"), strings(&["ht123"]));
    assert_eq!(text_tokens("客户A12号"), strings(&["客户", "a12"]));
}

#[test]
fn phones_give_the_whole_number_and_the_last_four_digits() {
    assert_eq!(
        phone_tokens("191 1748 8582"),
        (strings(&["19117488582"]), Some("8582".into()))
    );
    assert_eq!(
        phone_tokens("+86 191-1748-8582"),
        (
            strings(&["8619117488582", "19117488582"]),
            Some("8582".into())
        )
    );
    // Masked: only the tail it shows, never a whole number.
    assert_eq!(phone_tokens("191****8582"), (vec![], Some("8582".into())));
    assert_eq!(phone_tokens("*******"), (vec![], None));
}

#[test]
fn exact_keys_compare_phones_by_digits_and_text_loosely() {
    assert_eq!(exact_key(" 191-1748 8582 "), "19117488582");
    assert_eq!(exact_key("C-2023-003"), "c-2023-003");
    assert_eq!(exact_key("Zhang  Wei"), "zhang wei");
    assert_eq!(exact_key("张伟"), "张伟");
}

#[test]
fn markdown_text_drops_markup_and_quiz_blocks() {
    let body = "# 标题\n\n正文**加粗**，`代码`。\n\n- 一项\n\n```quiz\n- q: 答案是什么\n```\n";
    assert_eq!(markdown_text(body), "标题 正文加粗，代码。 一项");
}

#[test]
fn term_shards_are_a_power_of_two_within_bounds() {
    assert_eq!(term_shards_for(0), MIN_TERM_SHARDS);
    assert_eq!(term_shards_for(100 * POSTINGS_PER_SHARD), 128);
    assert_eq!(term_shards_for(usize::MAX / 2), MAX_TERM_SHARDS);
}

fn doc(kind: Kind, title: &str, route: &str, text: &str) -> SearchDoc {
    SearchDoc {
        kind,
        title: title.into(),
        route: route.into(),
        text: text.into(),
        tokens: text_tokens(text),
    }
}

type TermShard = BTreeMap<String, Vec<u32>>;

/// The documents `token` finds in `index`, the way the browser looks it up.
fn lookup(index: &SearchIndex, token: &str) -> Vec<u32> {
    let (shard, name) = locate(&term_hash(&index.key, token), index.terms.len());
    let terms: TermShard = serde_json::from_slice(&index.terms[shard]).unwrap();
    let mut at = 0;
    terms
        .get(&name)
        .map(|deltas| {
            deltas
                .iter()
                .map(|d| {
                    at += d;
                    at
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn terms_are_found_through_their_keyed_hash_only() {
    let docs = vec![
        doc(Kind::Client, "张伟", "clients/a", "张伟 上海市"),
        doc(Kind::Client, "李伟", "clients/b", "李伟 北京市"),
        doc(Kind::Policy, "隐私", "policies/p", "上海 隐私政策"),
    ];
    let index = build(&docs, [7; 32]);
    assert_eq!(lookup(&index, "上海"), vec![0, 2]);
    assert_eq!(lookup(&index, "伟"), Vec::<u32>::new());
    assert_eq!(lookup(&index, "北京"), vec![1]);
    // No token is stored as text: not in any term shard, whatever its key.
    let all_terms: String = index
        .terms
        .iter()
        .map(|s| String::from_utf8(s.clone()).unwrap())
        .collect();
    for token in ["上海", "张伟", "北京", "隐私"] {
        assert!(!all_terms.contains(token), "{token} in the term shards");
    }
    // The doc table holds the rows in order, one shard per DOCS_PER_SHARD.
    assert_eq!(index.docs.len(), 1);
    let rows: Vec<(Kind, String, String, String)> = serde_json::from_slice(&index.docs[0]).unwrap();
    assert_eq!(rows[2].2, "policies/p");
    assert_eq!(index.groups, vec![(Kind::Client, 0), (Kind::Policy, 2)]);
    // Another key, other names: the shards cannot be compared across views.
    let other = build(&docs, [8; 32]);
    assert_ne!(index.terms, other.terms);
    assert_eq!(lookup(&other, "上海"), vec![0, 2]);
}

#[test]
fn each_audience_has_its_own_key_stable_across_rebuilds() {
    let secret = [3; 32];
    let staff = view_key(&secret, Some("买方客服人员"));
    assert_eq!(staff, view_key(&secret, Some("买方客服人员")));
    assert_ne!(staff, view_key(&secret, Some("买方管理层")));
    assert_ne!(staff, view_key(&secret, None));
    assert_ne!(staff, view_key(&[4; 32], Some("买方客服人员")));
    assert_ne!(&staff, &secret);
}

fn example_room() -> Room {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("example-dataroom");
    crate::room::load(&root)
        .room
        .expect("the example room loads")
}

fn staff() -> (Sees, BTreeSet<MaskedField>) {
    (
        Sees(
            [
                Section::Clients,
                Section::Services,
                Section::Policies,
                Section::Checklists,
                Section::Training,
            ]
            .into_iter()
            .collect(),
        ),
        [MaskedField::Phone, MaskedField::Email, MaskedField::Address]
            .into_iter()
            .collect(),
    )
}

fn has_token(docs: &[SearchDoc], token: &str) -> bool {
    docs.iter().any(|d| d.tokens.iter().any(|t| t == token))
}

#[test]
fn an_audience_finds_only_what_it_sees_masked_values_masked() {
    let room = example_room();
    let client = room
        .clients
        .iter()
        .find(|c| {
            !c.contracts.is_empty()
                && c.contact.phone.is_some()
                && c.payments.iter().any(|p| p.invoice.is_some())
        })
        .expect("a client with contracts, invoices and a phone");
    let contract = exact_key(&client.contracts[0].id);
    let invoice = client
        .payments
        .iter()
        .find_map(|p| p.invoice.clone())
        .unwrap();
    let (whole, tail) = phone_tokens(client.contact.phone.as_deref().unwrap());
    let phone = whole[0].clone();
    let tail = tail.unwrap();
    let email = exact_key(client.contact.email.as_deref().unwrap());

    let everyone = documents(&room, &Sees::all());
    assert!(has_token(&everyone, &format!("={contract}")));
    assert!(has_token(&everyone, &format!("={}", exact_key(&invoice))));
    assert!(has_token(&everyone, &phone));
    assert!(has_token(&everyone, &format!("={email}")));

    let (sees, mask) = staff();
    let theirs = documents(&room_for(&room, &sees, &mask), &sees);
    assert!(
        !has_token(&theirs, &format!("={contract}")),
        "contract number"
    );
    assert!(
        !has_token(&theirs, &format!("={}", exact_key(&invoice))),
        "invoice"
    );
    assert!(!has_token(&theirs, &phone), "full phone");
    assert!(!has_token(&theirs, &format!("={email}")), "full e-mail");
    assert!(
        !theirs
            .iter()
            .any(|d| d.text.contains(&client.contracts[0].id)),
        "contract number in a snippet"
    );
    // What they do see stays findable: the name, the phone's last four digits.
    assert!(has_token(&theirs, &tail));
    assert!(has_token(&theirs, &format!("={}", exact_key(&client.name))));
    // The policies are theirs too; nothing of a section they do not see.
    assert!(theirs.iter().any(|d| d.kind == Kind::Policy));
    assert_eq!(
        theirs.iter().filter(|d| d.kind == Kind::Client).count(),
        room.clients.len()
    );
    let no_clients = Sees([Section::Policies].into_iter().collect());
    let policies_only = documents(&room_for(&room, &no_clients, &mask), &no_clients);
    assert!(policies_only.iter().all(|d| d.kind == Kind::Policy));
}

#[test]
fn a_view_streamed_is_the_index_built_from_its_documents() {
    let room = example_room();
    let (sees, mask) = staff();
    let staff_room = room_for(&room, &sees, &mask);
    let everything = Sees::all();
    for (room, sees) in [(&room, &everything), (&staff_room, &sees)] {
        let source = SearchSource {
            room,
            sees,
            key: [5; 32],
        };
        let keep = |name: ShardName, json: Vec<u8>| -> Result<_, ()> { Ok((name, json)) };
        let streamed = source.stream(&keep).unwrap();
        let built = source.build();
        let names =
            |shards: &[(ShardName, Vec<u8>)]| shards.iter().map(|s| s.0).collect::<Vec<_>>();
        let jsons =
            |shards: Vec<(ShardName, Vec<u8>)>| shards.into_iter().map(|s| s.1).collect::<Vec<_>>();
        assert_eq!(
            names(&streamed.terms),
            (0..built.terms.len())
                .map(ShardName::Term)
                .collect::<Vec<_>>()
        );
        assert_eq!(names(&streamed.docs)[0], ShardName::Doc(0));
        assert_eq!(streamed.groups, built.groups);
        assert_eq!(streamed.doc_count, built.doc_count);
        assert_eq!(streamed.bytes, built.size());
        assert_eq!(jsons(streamed.terms), built.terms);
        assert_eq!(jsons(streamed.docs), built.docs);
    }
}

#[test]
fn doc_shards_leave_as_they_are_made_and_postings_span_every_step() {
    // Three steps of documents; "共同" is in every one, the number n in document n only.
    let count = 2 * DOCS_PER_STEP + 7;
    let made = std::sync::atomic::AtomicUsize::new(0);
    let make = |n: usize| {
        made.fetch_max(n + 1, std::sync::atomic::Ordering::SeqCst);
        doc(
            Kind::Client,
            "客户",
            &format!("clients/{n}"),
            &format!("共同 唯一{n}"),
        )
    };
    let emit = |name: ShardName, json: Vec<u8>| -> Result<_, ()> {
        if let ShardName::Doc(k) = name {
            // A doc shard is handed on before any later step's documents are made.
            let step_end = (k * DOCS_PER_SHARD / DOCS_PER_STEP + 1) * DOCS_PER_STEP;
            let so_far = made.load(std::sync::atomic::Ordering::SeqCst);
            assert!(
                so_far <= step_end,
                "doc shard {k} waited for {so_far} documents"
            );
        }
        Ok(json)
    };
    let streamed = stream(count, &make, [9; 32], &emit).unwrap();
    let index = SearchIndex {
        key: streamed.key,
        terms: streamed.terms,
        docs: streamed.docs,
        doc_count: streamed.doc_count,
        groups: streamed.groups,
    };
    assert_eq!(index.docs.len(), count.div_ceil(DOCS_PER_SHARD));
    assert_eq!(
        lookup(&index, "共同"),
        (0..count as u32).collect::<Vec<_>>()
    );
    assert_eq!(
        lookup(&index, &(count - 1).to_string()),
        vec![count as u32 - 1]
    );
    let last: Vec<(Kind, String, String, String)> =
        serde_json::from_slice(index.docs.last().unwrap()).unwrap();
    assert_eq!(last.last().unwrap().2, format!("clients/{}", count - 1));
}

#[test]
fn term_shards_hold_each_terms_documents_once_ascending_as_a_map_of_lists_would() {
    // Tokens repeated within a document and shared across many: the flat,
    // sorted postings must make exactly the shards a map of lists makes.
    let docs: Vec<SearchDoc> = (0..3000)
        .map(|n| {
            let text = format!("共同 共同 组{} 组{} 唯一{n} 唯一{n}", n % 7, n % 13);
            doc(Kind::Client, "客户", &format!("clients/{n}"), &text)
        })
        .collect();
    let key = [3; 32];
    let index = build(&docs, key);
    let mut expected: std::collections::HashMap<String, Vec<u32>> = Default::default();
    for (n, d) in docs.iter().enumerate() {
        for token in &d.tokens {
            let list = expected.entry(token.clone()).or_default();
            if list.last() != Some(&(n as u32)) {
                list.push(n as u32);
            }
        }
    }
    let postings: usize = expected.values().map(Vec::len).sum();
    assert_eq!(index.terms.len(), term_shards_for(postings));
    let mut found = 0;
    for (token, list) in &expected {
        assert_eq!(&lookup(&index, token), list, "{token}");
        found += 1;
    }
    // Nothing else in the shards: as many terms as distinct tokens.
    let terms: usize = index
        .terms
        .iter()
        .map(|s| serde_json::from_slice::<TermShard>(s).unwrap().len())
        .sum();
    assert_eq!(terms, found);
    assert_eq!(lookup(&index, "共同").len(), 3000);
}

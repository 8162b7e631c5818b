//! The id → pack map (issue 10): the routes of record pages (`clients/<id>`,
//! one per row of an index table) are not listed in the sealed index, which
//! would grow by ~100 bytes per client and be decrypted whole at unlock.
//! They are sealed instead as a few map shards, each holding the
//! [`RouteEntry`]s (payload id, title, pack) of the routes whose keyed hash
//! falls in it, so opening `#/clients/<id>` decrypts one small shard and the
//! one pack holding that page. The index names the shards and the hash key
//! ([`RouteMapRef`]); its size grows with the number of shards, not clients.
//! Packs keep their random fill: the map says where a page is, not the order.

use crate::i18n::Wording;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rows::Tables;
use super::site::{RouteEntry, SealedIndex};
use super::stream::{seal_json_shard, WritePack};
use super::{PayloadMeta, Sealer};
use crate::publish::Written;
use crate::search::term_hash;

/// About this many routes per map shard (shards are a power of two).
pub const MAP_ROUTES: usize = 1000;

/// The index's `map`: the key the browser hashes a route with, and the
/// payload ids of the shards, in shard order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RouteMapRef {
    pub key: String,
    pub shards: Vec<String>,
}

/// What map shard `n` is sealed as (its number is bound in, so a swapped
/// shard fails to open).
pub fn shard_name(n: usize) -> String {
    format!("routes/{n}")
}

/// The shard (of `shards`, a power of two) that holds `route`.
pub fn shard_of(key: &[u8; 32], route: &str, shards: usize) -> usize {
    let hash = term_hash(key, route);
    usize::from(u16::from_be_bytes([hash[0], hash[1]])) & (shards - 1)
}

fn shards_for(routes: usize) -> usize {
    routes.div_ceil(MAP_ROUTES).max(1).next_power_of_two()
}

/// Whether `route` is a record page that goes in the map: a page below an
/// index page whose rows are data (`clients/<id>` below `clients`).
pub fn is_record(route: &str, tables: &Tables) -> bool {
    route
        .split_once('/')
        .is_some_and(|(first, rest)| !rest.is_empty() && tables.contains_key(first))
}

/// A view's route map before sealing: what its index names, and each shard's
/// payload id, name and JSON.
pub(super) struct RouteMap {
    pub(super) reference: RouteMapRef,
    pub(super) shards: Vec<(String, String, Vec<u8>)>,
}

/// Takes the record pages out of `routes` into a route map; `None` when there
/// are none.
pub(super) fn split(
    routes: &mut BTreeMap<String, RouteEntry>,
    tables: &Tables,
) -> Result<Option<RouteMap>, Wording> {
    let records: Vec<String> = routes
        .keys()
        .filter(|r| is_record(r, tables))
        .cloned()
        .collect();
    if records.is_empty() {
        return Ok(None);
    }
    let key: [u8; 32] = rand::random();
    let n = shards_for(records.len());
    let mut shards: Vec<BTreeMap<String, RouteEntry>> = vec![BTreeMap::new(); n];
    for route in records {
        if let Some(entry) = routes.remove(&route) {
            shards[shard_of(&key, &route, n)].insert(route, entry);
        }
    }
    let shards = shards
        .iter()
        .enumerate()
        .map(|(number, shard)| {
            let json = serde_json::to_vec(shard).map_err(|e| Wording::internal(e.to_string()))?;
            Ok((Sealer::new_id(), shard_name(number), json))
        })
        .collect::<Result<Vec<_>, Wording>>()?;
    Ok(Some(RouteMap {
        reference: RouteMapRef {
            key: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, key),
            shards: shards.iter().map(|(id, _, _)| id.clone()).collect(),
        },
        shards,
    }))
}

/// Seals a view's map shards under `kid` (the view's own key) and writes them.
pub(super) fn seal(
    map: &RouteMap,
    kid: &str,
    sealer: &Sealer,
    write_payload: &WritePack,
) -> Result<Vec<Written>, Wording> {
    map.shards
        .iter()
        .map(|(id, name, json)| seal_json_shard(sealer, kid, id, name, json, write_payload))
        .collect()
}

/// Every route of `index`: its own and those of its map, each shard opened by
/// `open(id, meta)` (restore, verify, tests).
pub fn all_routes(
    index: &SealedIndex,
    mut open: impl FnMut(&str, &PayloadMeta) -> Result<Vec<u8>, Wording>,
) -> Result<BTreeMap<String, RouteEntry>, Wording> {
    let mut routes = index.routes.clone();
    let Some(map) = &index.map else {
        return Ok(routes);
    };
    let n = map.shards.len();
    let key: [u8; 32] =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &map.key)
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or_else(|| Wording::internal("the index's route map has no valid key"))?;
    if !n.is_power_of_two() {
        return Err(Wording::internal(
            "the index's route map has a wrong number of shards",
        ));
    }
    for (number, id) in map.shards.iter().enumerate() {
        let name = shard_name(number);
        let meta = PayloadMeta {
            content_type: "application/json",
            name: &name,
        };
        let shard: BTreeMap<String, RouteEntry> = serde_json::from_slice(&open(id, &meta)?)
            .map_err(|e| {
                Wording::internal(format!("route map shard {number} is unreadable: {e}"))
            })?;
        for (route, entry) in shard {
            if shard_of(&key, &route, n) != number {
                return Err(Wording::internal(format!(
                    "route map shard {number} holds a foreign route"
                )));
            }
            routes.insert(route, entry);
        }
    }
    Ok(routes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_counts_are_powers_of_two_of_about_map_routes_each() {
        assert_eq!(shards_for(1), 1);
        assert_eq!(shards_for(MAP_ROUTES), 1);
        assert_eq!(shards_for(MAP_ROUTES + 1), 2);
        assert_eq!(shards_for(100_000), 128);
    }

    #[test]
    fn only_pages_below_a_listed_index_are_mapped() {
        let tables: Tables = [("clients".to_string(), Vec::new())].into();
        assert!(is_record("clients/HX-1", &tables));
        assert!(!is_record("clients", &tables));
        assert!(!is_record("clients/", &tables));
        assert!(!is_record("policies/a", &tables));
        assert!(!is_record("handover/checklist", &tables));
    }

    #[test]
    fn every_route_comes_back_from_its_shard() {
        let entry = |i: usize| RouteEntry {
            p: format!("{i:032x}"),
            t: format!("客户{i}"),
            f: Some("f".repeat(32)),
        };
        let mut routes: BTreeMap<String, RouteEntry> = (0..2500)
            .map(|i| (format!("clients/HX-{i}"), entry(i)))
            .collect();
        routes.insert("clients".into(), entry(9999));
        let tables: Tables = [("clients".to_string(), Vec::new())].into();
        let map = split(&mut routes, &tables).unwrap().unwrap();
        assert_eq!(routes.keys().collect::<Vec<_>>(), vec!["clients"]);
        assert_eq!(map.reference.shards.len(), 4);
        let index = SealedIndex {
            routes,
            map: Some(map.reference.clone()),
            ..SealedIndex::default()
        };
        let by_id: BTreeMap<&str, (&str, &[u8])> = map
            .shards
            .iter()
            .map(|(id, name, json)| (id.as_str(), (name.as_str(), json.as_slice())))
            .collect();
        let all = all_routes(&index, |id, meta| {
            let (name, json) = by_id[id];
            assert_eq!(meta.name, name, "each shard is opened as its own number");
            Ok(json.to_vec())
        })
        .unwrap();
        assert_eq!(all.len(), 2501);
        assert_eq!(all["clients/HX-7"].t, "客户7");
    }
}

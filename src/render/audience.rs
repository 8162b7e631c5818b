//! The room as one audience sees it: the sections it does not see left out
//! (a client page then shows only the sections the audience sees), the
//! attachments only where a section it sees shows them, and masked values
//! rendered in, so the full values exist only in other audiences' payloads.

use super::registry::{Section, Sees};
use std::collections::BTreeSet;

use crate::room::{mask::mask, Client, MaskedField, Room};

/// A copy of `room` holding only what `sees` grants, the `masked` fields of
/// every client masked (身份证, phones, addresses …, `room::mask`).
pub fn room_for(room: &Room, sees: &Sees, masked: &BTreeSet<MaskedField>) -> Room {
    let shows = |s: Section| sees.contains(s);
    let clients: Vec<Client> = if shows(Section::Clients)
        || shows(Section::Services)
        || shows(Section::Contracts)
        || shows(Section::Payments)
        || shows(Section::Handover)
        || shows(Section::Exports)
    {
        room.clients
            .iter()
            .map(|c| {
                let mut c = c.clone();
                if !shows(Section::Services) {
                    c.services.clear();
                }
                if !shows(Section::Contracts) {
                    c.contracts.clear();
                }
                if !shows(Section::Payments) {
                    c.payments.clear();
                }
                mask_client(&mut c, masked);
                c
            })
            .collect()
    } else {
        Vec::new()
    };
    let documents: Vec<_> = room
        .documents
        .iter()
        .filter(|d| shows(Section::of_doc(d.kind)))
        .cloned()
        .collect();
    // Everything when the audience sees everything (as a room without
    // audiences); otherwise only the files its contracts and documents show.
    let attachments = room
        .attachments
        .iter()
        .filter(|a| {
            sees.is_all()
                || clients
                    .iter()
                    .flat_map(|c| &c.contracts)
                    .any(|k| k.file.as_deref() == Some(a.path.as_str()))
                || documents
                    .iter()
                    .any(|d| d.images.iter().any(|(path, _)| *path == a.path))
        })
        .cloned()
        .collect();
    Room {
        root: room.root.clone(),
        settings: room.settings.clone(),
        clients,
        documents,
        attachments,
        // The theme is loaded once for the whole build, not per audience.
        theme: Vec::new(),
    }
}

fn mask_client(c: &mut Client, masked: &BTreeSet<MaskedField>) {
    if masked.contains(&MaskedField::Phone) {
        // The parsed number is the unmasked one: a view must not show it.
        c.contact.phone_parsed = None;
    }
    for &field in masked {
        let value = match field {
            MaskedField::IdNumber => &mut c.id_number,
            MaskedField::CreditCode => &mut c.credit_code,
            MaskedField::Phone => &mut c.contact.phone,
            MaskedField::Address => &mut c.contact.address,
            MaskedField::Email => &mut c.contact.email,
        };
        if let Some(v) = value.as_mut() {
            *v = mask(field, v);
        }
    }
}

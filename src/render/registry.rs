//! The page registry: one list of page specs (route, title, template, section,
//! navigation group) from which rendering, the navigation, the room index, the
//! handover section and the sealed app's routes are all derived. An audience
//! sees a page when it sees the page's section; pages without a section (the
//! home page, the room index) every reader sees, with contents cut to what
//! the reader's sections allow.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::Selection;
use crate::room::{DocKind, Room};

pub use crate::room::Section;

impl Section {
    /// The first segment of the routes (and file paths) of this section's
    /// pages: what the sealed app answers with "no access" when it is denied.
    pub fn route_prefix(self) -> &'static str {
        self.as_str()
    }

    /// The catalogue key of the section's title (基本信息, 合同协议 …).
    pub fn title_key(self) -> &'static str {
        match self {
            Section::Clients => "basic_info",
            Section::Handover => "handover_documents",
            Section::Exports => "handover_exports",
            other => other.as_str(),
        }
    }

    pub fn of_doc(kind: DocKind) -> Section {
        match kind {
            DocKind::Policy => Section::Policies,
            DocKind::Checklist => Section::Checklists,
            DocKind::Training => Section::Training,
        }
    }
}

/// The sections one reader sees.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sees(pub BTreeSet<Section>);

impl Sees {
    pub fn all() -> Sees {
        Sees(Section::ALL.into_iter().collect())
    }

    pub fn contains(&self, s: Section) -> bool {
        self.0.contains(&s)
    }

    pub fn is_all(&self) -> bool {
        self.0.len() == Section::ALL.len()
    }

    /// The route prefixes of the sections not seen (the index's `denied`).
    pub fn denied(&self) -> Vec<String> {
        Section::ALL
            .into_iter()
            .filter(|s| !self.contains(*s))
            .map(|s| s.route_prefix().to_string())
            .collect()
    }

    /// `{"clients": true, "contracts": false, …}` for the templates.
    pub fn flags(&self) -> HashMap<&'static str, bool> {
        Section::ALL
            .into_iter()
            .map(|s| (s.as_str(), self.contains(s)))
            .collect()
    }
}

/// Where a page appears in the navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NavGroup {
    /// The top list (home, room index, the record lists).
    Main,
    Handover,
    /// Documents appear under their kind's heading.
    Docs(DocKind),
    /// Not in the navigation (client pages, the training index, which heads its group).
    None,
}

/// What a page is made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    Home,
    Clients,
    Client(usize),
    Contracts,
    Payments,
    Services,
    Doc(usize),
    TrainingIndex,
    RoomIndex,
    Handover(&'static str),
}

pub struct PageSpec {
    pub route: String,
    /// A catalogue key (fixed pages) or the record's own title.
    pub title: Title,
    pub template: &'static str,
    /// `None`: every reader sees the page.
    pub section: Option<Section>,
    pub nav: NavGroup,
    pub job: Job,
}

pub enum Title {
    Key(&'static str),
    Text(String),
}

impl Title {
    pub fn text(&self, strings: &HashMap<String, String>) -> String {
        match self {
            Title::Key(key) => crate::i18n::text(strings, key).to_string(),
            Title::Text(text) => text.clone(),
        }
    }
}

/// The handover pages: route, template, title key, section.
pub const HANDOVER: [(&str, &str, &str, Section); 8] = [
    (
        "handover/checklist",
        "handover_checklist.html",
        "handover_checklist",
        Section::Handover,
    ),
    (
        "handover/confirmation",
        "handover_confirmation.html",
        "handover_confirmation",
        Section::Handover,
    ),
    (
        "handover/notices",
        "handover_notices.html",
        "handover_notices",
        Section::Handover,
    ),
    (
        "handover/quality",
        "handover_quality.html",
        "handover_quality",
        Section::Handover,
    ),
    (
        "handover/retention",
        "handover_retention.html",
        "handover_retention",
        Section::Handover,
    ),
    (
        "handover/destruction",
        "handover_destruction.html",
        "handover_destruction",
        Section::Handover,
    ),
    (
        "handover/impact",
        "handover_impact.html",
        "handover_impact",
        Section::Handover,
    ),
    (
        "handover/exports",
        "handover_exports.html",
        "handover_exports",
        Section::Exports,
    ),
];

fn fixed(
    route: &str,
    key: &'static str,
    template: &'static str,
    section: Option<Section>,
    nav: NavGroup,
    job: Job,
) -> PageSpec {
    PageSpec {
        route: route.into(),
        title: Title::Key(key),
        template,
        section,
        nav,
        job,
    }
}

/// Every page of the selection a reader who sees `sees` gets, in navigation order.
pub fn pages(room: &Room, selection: Selection, sees: &Sees) -> Vec<PageSpec> {
    let mut pages = vec![fixed(
        "index",
        "home",
        "home.html",
        None,
        NavGroup::Main,
        Job::Home,
    )];
    if selection == Selection::All {
        pages.extend([
            fixed(
                "dataroom-index",
                "room_index",
                "room_index.html",
                None,
                NavGroup::Main,
                Job::RoomIndex,
            ),
            fixed(
                "clients",
                "clients",
                "clients.html",
                Some(Section::Clients),
                NavGroup::Main,
                Job::Clients,
            ),
            fixed(
                "contracts",
                "contracts",
                "contracts.html",
                Some(Section::Contracts),
                NavGroup::Main,
                Job::Contracts,
            ),
            fixed(
                "payments",
                "payments",
                "payments.html",
                Some(Section::Payments),
                NavGroup::Main,
                Job::Payments,
            ),
            fixed(
                "services",
                "services",
                "services.html",
                Some(Section::Services),
                NavGroup::Main,
                Job::Services,
            ),
        ]);
        pages.extend(
            HANDOVER
                .iter()
                .map(|&(route, template, key, section)| PageSpec {
                    route: route.into(),
                    title: Title::Key(key),
                    template,
                    section: Some(section),
                    nav: NavGroup::Handover,
                    job: Job::Handover(route),
                }),
        );
        pages.extend(room.clients.iter().enumerate().map(|(i, c)| PageSpec {
            route: format!("clients/{}", c.id),
            title: Title::Text(format!("{} {}", c.id, c.name)),
            template: "client.html",
            section: Some(Section::Clients),
            nav: NavGroup::None,
            job: Job::Client(i),
        }));
    }
    pages.push(fixed(
        "training",
        "training",
        "training.html",
        Some(Section::Training),
        NavGroup::None,
        Job::TrainingIndex,
    ));
    pages.extend(
        room.documents
            .iter()
            .enumerate()
            .filter(|(_, d)| selection == Selection::All || d.kind == DocKind::Training)
            .map(|(i, d)| PageSpec {
                route: d.route(),
                title: Title::Text(d.title.clone()),
                template: if d.kind == DocKind::Training {
                    "lesson.html"
                } else {
                    "document.html"
                },
                section: Some(Section::of_doc(d.kind)),
                nav: NavGroup::Docs(d.kind),
                job: Job::Doc(i),
            }),
    );
    pages.retain(|p| p.section.is_none_or(|s| sees.contains(s)));
    pages
}

/// How many of each kind of record the room holds, counted once for the home
/// page, the handover checklist and the confirmation.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    pub clients: usize,
    pub individuals: usize,
    pub companies: usize,
    pub services: usize,
    pub contracts: usize,
    pub payments: usize,
    pub policies: usize,
    pub checklists: usize,
    pub training: usize,
    pub documents: usize,
    pub attachments: usize,
}

impl Counts {
    pub fn of(room: &Room) -> Counts {
        let individuals = room
            .clients
            .iter()
            .filter(|c| c.kind == crate::room::ClientKind::Individual)
            .count();
        let sum = |f: fn(&crate::room::Client) -> usize| room.clients.iter().map(f).sum();
        Counts {
            clients: room.clients.len(),
            individuals,
            companies: room.clients.len() - individuals,
            services: sum(|c| c.services.len()),
            contracts: sum(|c| c.contracts.len()),
            payments: sum(|c| c.payments.len()),
            policies: room.documents_of(DocKind::Policy).count(),
            checklists: room.documents_of(DocKind::Checklist).count(),
            training: room.documents_of(DocKind::Training).count(),
            documents: room.documents.len(),
            attachments: room.attachments.len(),
        }
    }
}

/// One audience as the handover confirmation lists it: its name and the
/// sections it sees (never its password).
#[derive(Clone, Debug)]
pub struct AudienceSummary {
    pub name: String,
    pub sees: Sees,
}

//! The Connect listing parser: whatever a worker (or something posing as one) answers to
//! `GET /connectors?expand=status&expand=info`, parsing and turning each entry into what the
//! planner and the status read never panics, and a status built from it stays bounded.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use sluice::connect_rest::ExpandedConnector;
use sluice::connector::ObservedConnector;

fuzz_target!(|body: &[u8]| {
    let Ok(listing) = serde_json::from_slice::<BTreeMap<String, ExpandedConnector>>(body) else {
        return;
    };
    for entry in listing.values() {
        if let Some(observed) = ObservedConnector::from_expanded(entry) {
            // Every task the worker listed is kept, in order of id.
            assert!(observed.tasks.windows(2).all(|w| w[0].id <= w[1].id));
            let _ = observed.running_tasks();
        }
    }
});

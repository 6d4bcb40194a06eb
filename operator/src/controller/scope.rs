//! The namespaces Sluice watches: all of them, one, or a list. All and one are a single
//! watch; a list is one watch per namespace (the operator then has rights in those namespaces
//! only, no cluster-wide list), merged into one event stream that a single cache can follow.
//!
//! The merge is the one subtle part: a cache replaces its whole content at each `InitDone`,
//! so each namespace's relists must not reach it as such, or one namespace's relist would
//! empty the others. [`Merge`] turns the first listing of every namespace into one `Init` …
//! `InitDone`, and later relists into changes: `Apply` for what is listed, `Delete` for what
//! the relist no longer has.

use std::collections::BTreeMap;

use futures::{StreamExt, stream};
use kube::runtime::watcher::{self, Event};
use kube::{Api, Resource, ResourceExt};

/// A namespaced kind Sluice watches.
pub trait Watched:
    Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType: Default>
    + Clone
    + serde::de::DeserializeOwned
    + std::fmt::Debug
    + Send
    + 'static
{
}

impl<K> Watched for K where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType: Default>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + 'static
{
}

/// The events of `K` in every watched namespace, as one watch would give them.
pub fn watch<K: Watched>(
    client: kube::Client,
    namespaces: &[String],
    config: watcher::Config,
) -> stream::BoxStream<'static, Result<Event<K>, watcher::Error>> {
    match namespaces {
        [] => watcher::watcher(Api::<K>::all(client), config).boxed(),
        [one] => watcher::watcher(Api::<K>::namespaced(client, one), config).boxed(),
        many => {
            let each = many.iter().map(|ns| {
                let ns = ns.clone();
                watcher::watcher(Api::<K>::namespaced(client.clone(), &ns), config.clone())
                    .map(move |event| (ns.clone(), event))
                    .boxed()
            });
            let mut merge = Merge::new(many);
            let start = stream::iter([Ok(Event::Init)]);
            let rest = stream::select_all(each).flat_map(move |(ns, event)| {
                let out: Vec<_> = match event {
                    Ok(event) => merge.on(&ns, event).into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(e)],
                };
                stream::iter(out)
            });
            start.chain(rest).boxed()
        }
    }
}

/// What each namespace's watch has shown, and whether all have listed once.
pub struct Merge<K> {
    namespaces: BTreeMap<String, Namespace<K>>,
    listed: bool,
}

struct Namespace<K> {
    /// The objects as last seen, by name.
    current: BTreeMap<String, K>,
    /// A relist in progress: what it has listed so far.
    relist: Option<BTreeMap<String, K>>,
    listed_once: bool,
}

impl<K: Resource + Clone> Merge<K> {
    pub fn new(namespaces: &[String]) -> Self {
        let empty = || Namespace { current: BTreeMap::new(), relist: None, listed_once: false };
        Self {
            namespaces: namespaces.iter().map(|n| (n.clone(), empty())).collect(),
            listed: false,
        }
    }

    /// The merged events for `event` of `namespace`'s watch (the merged stream's own `Init`
    /// comes first, from [`watch`]).
    pub fn on(&mut self, namespace: &str, event: Event<K>) -> Vec<Event<K>> {
        let listed = self.listed;
        let Some(ns) = self.namespaces.get_mut(namespace) else { return Vec::new() };
        let mut out = Vec::new();
        match event {
            Event::Init => ns.relist = Some(BTreeMap::new()),
            Event::InitApply(object) => {
                ns.relist.get_or_insert_default().insert(object.name_any(), object.clone());
                if listed {
                    out.push(Event::Apply(object));
                }
            }
            Event::InitDone => {
                let relisted = ns.relist.take().unwrap_or_default();
                let gone = std::mem::replace(&mut ns.current, relisted);
                ns.listed_once = true;
                if listed {
                    out.extend(
                        gone.into_iter()
                            .filter(|(name, _)| !ns.current.contains_key(name))
                            .map(|(_, object)| Event::Delete(object)),
                    );
                }
            }
            Event::Apply(object) => {
                ns.current.insert(object.name_any(), object.clone());
                if listed {
                    out.push(Event::Apply(object));
                }
            }
            Event::Delete(object) => {
                ns.current.remove(&object.name_any());
                if listed {
                    out.push(Event::Delete(object));
                }
            }
        }
        if !listed && self.namespaces.values().all(|n| n.listed_once) {
            // The first complete picture: every namespace's objects, then one InitDone.
            self.listed = true;
            out.extend(
                self.namespaces
                    .values()
                    .flat_map(|n| n.current.values().cloned())
                    .map(Event::InitApply),
            );
            out.push(Event::InitDone);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;

    fn cm(ns: &str, name: &str, v: &str) -> ConfigMap {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": ns, "resourceVersion": v}
        }))
        .unwrap()
    }

    /// An event as `kind ns/name@version`, to compare in tables.
    fn show(e: &Event<ConfigMap>) -> String {
        let (kind, o) = match e {
            Event::Init => return "Init".into(),
            Event::InitDone => return "InitDone".into(),
            Event::InitApply(o) => ("InitApply", o),
            Event::Apply(o) => ("Apply", o),
            Event::Delete(o) => ("Delete", o),
        };
        let ns = o.namespace().unwrap_or_default();
        format!("{kind} {ns}/{}@{}", o.name_any(), o.resource_version().unwrap_or_default())
    }

    #[test]
    fn namespaces_list_as_one_and_a_later_relist_becomes_changes() {
        let mut m = Merge::new(&["a".to_owned(), "b".to_owned()]);
        let steps: Vec<(&str, Event<ConfigMap>, Vec<&str>)> = vec![
            ("a", Event::Init, vec![]),
            ("a", Event::InitApply(cm("a", "x", "1")), vec![]),
            ("a", Event::InitDone, vec![]),
            // Changes before every namespace listed wait for the first complete picture.
            ("a", Event::Apply(cm("a", "y", "2")), vec![]),
            ("b", Event::Init, vec![]),
            ("b", Event::InitApply(cm("b", "z", "3")), vec![]),
            (
                "b",
                Event::InitDone,
                vec!["InitApply a/x@1", "InitApply a/y@2", "InitApply b/z@3", "InitDone"],
            ),
            ("a", Event::Apply(cm("a", "x", "4")), vec!["Apply a/x@4"]),
            ("b", Event::Delete(cm("b", "z", "3")), vec!["Delete b/z@3"]),
            // a relists (its watch expired): what it lists is applied, what it lost deleted,
            // and b's objects are untouched.
            ("a", Event::Init, vec![]),
            ("a", Event::InitApply(cm("a", "x", "5")), vec!["Apply a/x@5"]),
            ("a", Event::InitDone, vec!["Delete a/y@2"]),
            // A namespace that is not watched says nothing.
            ("c", Event::Apply(cm("c", "w", "6")), vec![]),
        ];
        for (i, (ns, event, want)) in steps.into_iter().enumerate() {
            let got: Vec<String> = m.on(ns, event).iter().map(show).collect();
            assert_eq!(got, want, "step {i}");
        }
    }

    #[test]
    fn a_namespace_that_relists_before_the_first_picture_leaves_nothing_stale() {
        let mut m = Merge::new(&["a".to_owned(), "b".to_owned()]);
        m.on("a", Event::Init);
        m.on("a", Event::InitApply(cm("a", "old", "1")));
        m.on("a", Event::InitDone);
        m.on("a", Event::Init);
        m.on("a", Event::InitApply(cm("a", "new", "2")));
        m.on("a", Event::InitDone);
        m.on("b", Event::Init);
        let got: Vec<String> = m.on("b", Event::InitDone).iter().map(show).collect();
        assert_eq!(got, ["InitApply a/new@2", "InitDone"]);
    }
}

//! The connector a `Connector` resource asks for, parsed from its spec.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::crd::{Connector, ConnectorTargetState};

/// The connector as it should exist on the Connect cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredConnector {
    /// The connector's name on Connect.
    pub name: String,
    /// The full config to store, including `name`, `connector.class` and `tasks.max`, exactly
    /// as the worker echoes it back, so that a stored config compares equal.
    pub config: BTreeMap<String, String>,
    pub state: ConnectorTargetState,
}

/// A spec that admission let through but that Sluice cannot act on.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum SpecError {
    #[error("spec.name is empty: remove it to use metadata.name, or set a connector name")]
    EmptyName,
    #[error(
        "spec.configs.{key} is {value:?} but spec.{field} sets it: remove it from spec.configs"
    )]
    ConflictingConfig { key: &'static str, field: &'static str, value: String },
}

impl DesiredConnector {
    pub fn from_resource(connector: &Connector) -> Result<Self, SpecError> {
        let spec = &connector.spec;
        let name = match &spec.name {
            Some(n) if n.trim().is_empty() => return Err(SpecError::EmptyName),
            Some(n) => n.clone(),
            None => connector.metadata.name.clone().unwrap_or_default(),
        };
        if name.is_empty() {
            return Err(SpecError::EmptyName);
        }
        let mut config = spec.configs.clone();
        for (key, field, value) in [
            ("connector.class", "class", spec.class.clone()),
            ("tasks.max", "taskMax", spec.task_max.to_string()),
            ("name", "name", name.clone()),
        ] {
            // Older CRD versions let these through; CEL rejects the first two now.
            if let Some(existing) = config.insert(key.to_owned(), value.clone())
                && existing != value
            {
                return Err(SpecError::ConflictingConfig { key, field, value: existing });
            }
        }
        Ok(Self { name, config, state: spec.state.unwrap_or_default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::ConnectorSpec;

    fn connector(name: Option<&str>, configs: &[(&str, &str)]) -> Connector {
        let spec: ConnectorSpec = serde_json::from_value(serde_json::json!({
            "name": name,
            "class": "org.example.Source",
            "taskMax": 2,
            "configs": configs.iter().cloned().collect::<BTreeMap<_, _>>(),
            "connectRest": {"endpoint": "http://connect:8083"},
        }))
        .unwrap();
        Connector::new("from-metadata", spec)
    }

    #[test]
    fn class_task_max_and_name_become_config_keys() {
        let d = DesiredConnector::from_resource(&connector(None, &[("topic", "t")])).unwrap();
        assert_eq!(d.name, "from-metadata");
        assert_eq!(d.config["connector.class"], "org.example.Source");
        assert_eq!(d.config["tasks.max"], "2");
        assert_eq!(d.config["name"], "from-metadata");
        assert_eq!(d.config["topic"], "t");
        assert_eq!(d.state, ConnectorTargetState::Running);
    }

    #[test]
    fn spec_name_overrides_metadata_name() {
        let d = DesiredConnector::from_resource(&connector(Some("on-connect"), &[])).unwrap();
        assert_eq!(d.name, "on-connect");
        assert_eq!(d.config["name"], "on-connect");
    }

    #[test]
    fn a_config_key_that_contradicts_the_spec_names_the_field() {
        let err =
            DesiredConnector::from_resource(&connector(None, &[("tasks.max", "9")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "spec.configs.tasks.max is \"9\" but spec.taskMax sets it: remove it from spec.configs"
        );
    }

    #[test]
    fn a_blank_name_is_refused() {
        let err = DesiredConnector::from_resource(&connector(Some(" "), &[])).unwrap_err();
        assert_eq!(err, SpecError::EmptyName);
    }
}

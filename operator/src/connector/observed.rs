//! The connector as the Connect cluster reports it, parsed from the REST shapes.

use std::collections::BTreeMap;

use crate::connect_wire::ExpandedConnector;

/// A connector's or task's runtime state as Connect reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorRunState {
    Unassigned,
    Running,
    Paused,
    Stopped,
    Failed,
    Restarting,
    /// A state this version of Sluice does not know; treated as "not settled".
    Unknown,
}

impl ConnectorRunState {
    pub const ALL: [Self; 7] = [
        Self::Unassigned,
        Self::Running,
        Self::Paused,
        Self::Stopped,
        Self::Failed,
        Self::Restarting,
        Self::Unknown,
    ];

    /// Connect's name of the state; `UNKNOWN` for any state Sluice does not know.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unassigned => "UNASSIGNED",
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Stopped => "STOPPED",
            Self::Failed => "FAILED",
            Self::Restarting => "RESTARTING",
            Self::Unknown => "UNKNOWN",
        }
    }

    pub fn parse(s: &str) -> Self {
        Self::ALL.into_iter().find(|state| state.name() == s).unwrap_or(Self::Unknown)
    }
}

/// One task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedTask {
    pub id: i32,
    pub state: ConnectorRunState,
    pub raw_state: String,
    pub worker_id: Option<String>,
    pub trace: Option<String>,
}

/// A connector that exists on the Connect cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedConnector {
    pub config: BTreeMap<String, String>,
    /// `None` while the worker has stored the config but not yet reported a status.
    pub state: Option<ConnectorRunState>,
    pub raw_state: Option<String>,
    pub worker_id: Option<String>,
    pub trace: Option<String>,
    pub tasks: Vec<ObservedTask>,
}

impl ObservedConnector {
    /// `None` when the expanded entry has no `info`: the connector is being created or deleted.
    pub fn from_expanded(entry: &ExpandedConnector) -> Option<Self> {
        let info = entry.info.as_ref()?;
        let status = entry.status.as_ref();
        let mut tasks: Vec<ObservedTask> = status
            .map(|s| {
                s.tasks
                    .iter()
                    .map(|t| ObservedTask {
                        id: t.id,
                        state: ConnectorRunState::parse(&t.state),
                        raw_state: t.state.clone(),
                        worker_id: t.worker_id.clone(),
                        trace: t.trace.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        tasks.sort_by_key(|t| t.id);
        Some(Self {
            config: info.config.clone(),
            state: status.map(|s| ConnectorRunState::parse(&s.connector.state)),
            raw_state: status.map(|s| s.connector.state.clone()),
            worker_id: status.and_then(|s| s.connector.worker_id.clone()),
            trace: status.and_then(|s| s.connector.trace.clone()),
            tasks,
        })
    }

    /// The same connector with its traces passed through `redactor`: a stack trace quotes
    /// whatever the failing code printed, config values included, and traces reach the
    /// status, Events and restart policies.
    pub fn redacted(mut self, redactor: &crate::redact::Redactor) -> Self {
        let mask = |t: &mut Option<String>| *t = t.as_deref().map(|t| redactor.redact(t));
        mask(&mut self.trace);
        self.tasks.iter_mut().for_each(|task| mask(&mut task.trace));
        self
    }

    pub fn running_tasks(&self) -> usize {
        self.tasks.iter().filter(|t| t.state == ConnectorRunState::Running).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;

    #[test]
    fn traces_are_masked_before_anything_reads_them() {
        let config = BTreeMap::from([("connection.password".to_owned(), "pg-hunter2".to_owned())]);
        let trace = "org.postgresql.util.PSQLException: auth failed for password pg-hunter2";
        let task = |id| ObservedTask {
            id,
            state: ConnectorRunState::Failed,
            raw_state: "FAILED".into(),
            worker_id: None,
            trace: Some(trace.into()),
        };
        let observed = ObservedConnector {
            config: config.clone(),
            state: Some(ConnectorRunState::Failed),
            raw_state: Some("FAILED".into()),
            worker_id: None,
            trace: Some(trace.into()),
            tasks: vec![task(0), task(1)],
        }
        .redacted(&Redactor::new(&config, []));
        let traces: Vec<&str> = std::iter::once(&observed.trace)
            .chain(observed.tasks.iter().map(|t| &t.trace))
            .filter_map(|t| t.as_deref())
            .collect();
        assert_eq!(traces.len(), 3);
        for t in traces {
            assert!(!t.contains("pg-hunter2") && t.contains("PSQLException"), "{t}");
        }
    }
}

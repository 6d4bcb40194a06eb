//! One-off actions requested by annotation. Each acts once; Sluice then removes it.

use std::collections::BTreeMap;

pub const RESTART_CONNECTOR: &str = "sluice.dev/restart-connector";
pub const RESTART_TASK: &str = "sluice.dev/restart-task";
pub const PAUSE_CONNECTOR: &str = "sluice.dev/pause-connector";
pub const RESUME_CONNECTOR: &str = "sluice.dev/resume-connector";
/// Not one-off: lets Sluice take over a connector that already exists on Connect.
pub const ADOPT: &str = "sluice.dev/adopt";

/// A request read from an annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    RestartConnector,
    RestartTask(i32),
    Pause,
    Resume,
}

/// One annotation to act on and remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOff {
    pub annotation: &'static str,
    /// The request, or why the value is not understood.
    pub request: Result<Request, String>,
}

/// The one-off annotations present, in a fixed order. An annotation set to `"false"` or
/// `""` is removed without acting.
pub fn one_offs(annotations: &BTreeMap<String, String>) -> Vec<OneOff> {
    let mut out = Vec::new();
    for key in [RESTART_CONNECTOR, RESTART_TASK, PAUSE_CONNECTOR, RESUME_CONNECTOR] {
        let Some(value) = annotations.get(key) else { continue };
        let value = value.trim();
        let request = match key {
            RESTART_TASK => value
                .parse::<i32>()
                .ok()
                .filter(|id| *id >= 0)
                .map(Request::RestartTask)
                .ok_or_else(|| {
                    format!(
                        "{key}: {value:?} is not a task id: set it to a task number such as \"0\""
                    )
                }),
            _ => match value {
                "true" => Ok(match key {
                    RESTART_CONNECTOR => Request::RestartConnector,
                    PAUSE_CONNECTOR => Request::Pause,
                    _ => Request::Resume,
                }),
                _ => Err(format!("{key}: {value:?} is not understood: set it to \"true\"")),
            },
        };
        out.push(OneOff { annotation: key, request });
    }
    out
}

pub fn adopt(annotations: &BTreeMap<String, String>) -> bool {
    annotations.get(ADOPT).is_some_and(|v| v.trim() == "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn each_annotation_becomes_its_request() {
        let got = one_offs(&of(&[
            (RESUME_CONNECTOR, "true"),
            (RESTART_TASK, "2"),
            (RESTART_CONNECTOR, "true"),
            (PAUSE_CONNECTOR, "true"),
            ("other", "x"),
        ]));
        let requests: Vec<_> = got.into_iter().map(|o| o.request.unwrap()).collect();
        assert_eq!(
            requests,
            vec![
                Request::RestartConnector,
                Request::RestartTask(2),
                Request::Pause,
                Request::Resume
            ]
        );
    }

    #[test]
    fn bad_values_say_what_to_write() {
        let got = one_offs(&of(&[(RESTART_TASK, "first"), (PAUSE_CONNECTOR, "yes")]));
        assert_eq!(
            got[0].request,
            Err("sluice.dev/restart-task: \"first\" is not a task id: set it to a task number such as \"0\"".into())
        );
        assert_eq!(
            got[1].request,
            Err("sluice.dev/pause-connector: \"yes\" is not understood: set it to \"true\"".into())
        );
        assert!(one_offs(&of(&[(RESTART_TASK, "-1")]))[0].request.is_err());
    }

    #[test]
    fn adopt_needs_true() {
        assert!(adopt(&of(&[(ADOPT, "true")])));
        assert!(!adopt(&of(&[(ADOPT, "yes")])));
        assert!(!adopt(&of(&[])));
    }
}

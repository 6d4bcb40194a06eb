//! `metric.reporters` on Kafka 4 workers. Kafka 4.0 removed `auto.include.jmx.reporter`
//! (KIP-830): the JMX reporter runs only when `metric.reporters` names it, and its default
//! does. A worker config that sets the list for another reporter would leave the JVM with no
//! Kafka MBeans, so nothing a JMX exporter or `kubectl exec ... jcmd` could read. Kafka 3.x
//! adds the JMX reporter by itself, and naming it there is harmless, so unknown versions get
//! the same treatment.

use super::worker_version::KafkaVersion;

/// Kafka's JMX reporter class.
pub const JMX_REPORTER: &str = "org.apache.kafka.common.metrics.JmxReporter";

/// The keys whose list must keep the JMX reporter: the worker's own, and its clients'.
const KEYS: [&str; 4] = [
    "metric.reporters",
    "producer.metric.reporters",
    "consumer.metric.reporters",
    "admin.metric.reporters",
];

/// Lines to append to worker properties ending in `lines` (later lines win in a properties
/// file), so that each reporter list they set names the JMX reporter, with a warning for
/// each. Nothing on Kafka 3.x, which adds the reporter itself.
pub fn keep_jmx(lines: &[String], version: Option<KafkaVersion>) -> (Vec<String>, Vec<String>) {
    if version.is_some_and(|v| v.major < 4) {
        return (Vec::new(), Vec::new());
    }
    let mut added = Vec::new();
    let mut warnings = Vec::new();
    for key in KEYS {
        // The last line that sets the key is the one the worker reads.
        let value = lines.iter().rev().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_owned())
        });
        let Some(value) = value else { continue };
        let reporters: Vec<&str> =
            value.split(',').map(str::trim).filter(|r| !r.is_empty()).collect();
        if reporters.contains(&JMX_REPORTER) {
            continue;
        }
        // No empty items: Kafka 4.2 refuses a list with a trailing comma (KIP-1161).
        let kept: Vec<&str> = reporters.into_iter().chain([JMX_REPORTER]).collect();
        let line = format!("{key}={}", kept.join(","));
        warnings.push(format!(
            "spec.configOverrides.server sets {key} without {JMX_REPORTER}, which Kafka 4 workers then no longer run (no Kafka metrics over JMX): rendered {line}"
        ));
        added.push(line);
    }
    (added, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: Option<KafkaVersion> = Some(KafkaVersion { major: 4, minor: 0 });
    const V3: Option<KafkaVersion> = Some(KafkaVersion { major: 3, minor: 9 });

    fn lines(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_reporter_list_keeps_the_jmx_reporter_on_kafka_4() {
        let server = lines(&[
            "metric.reporters=com.example.Old",
            "metric.reporters=com.example.Prom,",
            "producer.metric.reporters=",
            &format!("consumer.metric.reporters=com.example.A,{JMX_REPORTER}"),
        ]);
        let (added, warnings) = keep_jmx(&server, V4);
        assert_eq!(
            added,
            [
                format!("metric.reporters=com.example.Prom,{JMX_REPORTER}"),
                format!("producer.metric.reporters={JMX_REPORTER}"),
            ]
        );
        assert_eq!(warnings.len(), 2);
        assert!(warnings[0].starts_with("spec.configOverrides.server sets metric.reporters"));
        // Unknown versions too; 3.x adds it by itself.
        assert_eq!(keep_jmx(&server, None).0, added);
        assert_eq!(keep_jmx(&server, V3), (vec![], vec![]));
        assert_eq!(keep_jmx(&lines(&["a=b"]), V4), (vec![], vec![]));
    }
}

//! The workers' logging configuration, by the Kafka version they run.
//!
//! Kafka 3.x workers log through log4j 1 (reload4j) and read `-Dlog4j.configuration`.
//! Kafka 4.x workers log through Log4j2 (KIP-653) and read `-Dlog4j2.configurationFile`;
//! handed a log4j 1 file they honour it only through a bridge, and only when its path is the
//! last word of `KAFKA_LOG4J_OPTS`, otherwise Log4j2 falls back to ERROR on the console and
//! the worker's logs all but vanish. So each worker gets the file its Kafka reads:
//! - 3.x: `log4j.properties` from `configOverrides.log4j`, as before (none when empty);
//!   `configOverrides.log4j2` is refused, naming the field.
//! - 4.x: always `log4j2.properties`, with `monitorInterval` so that Log4j2 re-reads it and
//!   a level change needs no roll; `configOverrides.log4j`'s simple logger lines are
//!   translated (with a warning per line), anything else in it is refused naming the line.
//! - unknown (the image tag does not say): both files, always, and both JVM options. Log4j 1 ignores
//!   `log4j2.configurationFile` and Log4j2 ignores `log4j.configuration` unless the log4j 1
//!   path comes last, so each Kafka reads its own.

use super::worker_version::KafkaVersion;
use crate::crd::ConfigOverrides;

/// How often (seconds) Log4j2 checks its file for changes: the kubelet updates a mounted
/// ConfigMap within about a minute, so a level change takes effect within two.
pub const MONITOR_INTERVAL_SECONDS: u32 = 30;
/// The log4j 1 file's name in the worker ConfigMap.
pub const LOG4J_FILE: &str = "log4j.properties";
/// The Log4j2 file's name in the worker ConfigMap.
pub const LOG4J2_FILE: &str = "log4j2.properties";

/// The logging files a worker gets and how its JVM finds them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Logging {
    /// A log4j 1 properties file, when the worker may read one.
    pub log4j: Option<String>,
    /// A Log4j2 properties file, when the worker may read one.
    pub log4j2: Option<String>,
    /// One warning per `configOverrides.log4j` line translated to Log4j2.
    pub warnings: Vec<String>,
}

impl Logging {
    /// `KAFKA_LOG4J_OPTS` for files mounted in `dir`; `None` leaves the image's default.
    /// The Log4j2 option comes last: Kafka 4's `kafka-run-class.sh` turns on log4j 1
    /// compatibility only when a log4j 1 path ends the variable.
    pub fn jvm_options(&self, dir: &str) -> Option<String> {
        let mut options = Vec::new();
        if self.log4j.is_some() {
            options.push(format!("-Dlog4j.configuration=file:{dir}/{LOG4J_FILE}"));
        }
        if self.log4j2.is_some() {
            options.push(format!("-Dlog4j2.configurationFile={dir}/{LOG4J2_FILE}"));
        }
        (!options.is_empty()).then(|| options.join(" "))
    }

    /// Whether a change of these files must roll the workers: Log4j2 re-reads its own
    /// file, log4j 1 as Kafka starts it does not.
    pub fn reloads(&self) -> bool {
        self.log4j.is_none()
    }
}

/// The logging `overrides` call for on a worker of `version` (`None`: unknown), or why
/// they cannot be used, naming the field and line.
pub fn render(
    overrides: Option<&ConfigOverrides>,
    version: Option<KafkaVersion>,
) -> Result<Logging, Vec<String>> {
    let empty = ConfigOverrides::default();
    let overrides = overrides.unwrap_or(&empty);
    let four = version.map(|v| v.major >= 4);
    let mut errors = Vec::new();
    if four == Some(false) && !overrides.log4j2.is_empty() {
        let version = version.map(|v| v.to_string()).unwrap_or_default();
        errors.push(format!(
            "spec.configOverrides.log4j2: the workers run Kafka {version}, which reads log4j 1 files only: put the lines in configOverrides.log4j, or run a Kafka 4 image"
        ));
    }
    // An unknown version gets the log4j 1 file even without lines: setting
    // KAFKA_LOG4J_OPTS replaces the image's default file, which a 3.x worker then misses.
    let log4j = match four {
        Some(true) => None,
        Some(false) => (!overrides.log4j.is_empty()).then(|| log4j_file(&overrides.log4j)),
        None => Some(log4j_file(&overrides.log4j)),
    };
    let (log4j2, warnings) = match four {
        Some(false) => (None, Vec::new()),
        Some(true) => {
            let (translated, warnings) = translate(&overrides.log4j, &mut errors);
            (Some(log4j2_file(&translated, &overrides.log4j2)), warnings)
        }
        // On an unknown version the log4j lines serve the log4j 1 file as they are, which a
        // Kafka 3 worker reads; what does not translate is only left out of the Log4j2 file
        // (a Kafka 4 worker's), and the translation is not news.
        None => {
            let mut untranslated = Vec::new();
            let (translated, _) = translate(&overrides.log4j, &mut untranslated);
            let left_out = untranslated
                .into_iter()
                .map(|why| format!("{why}; the image's tag does not tell its Kafka version, so the line stays in the log4j 1 file and is left out of the Log4j2 one"))
                .collect();
            (Some(log4j2_file(&translated, &overrides.log4j2)), left_out)
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Logging { log4j, log4j2, warnings })
}

/// Logging to stdout (where the kubelet collects it), then the user's lines.
fn log4j_file(lines: &[String]) -> String {
    let base = [
        "log4j.rootLogger=INFO, stdout",
        "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
        "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
        "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
    ];
    let all: Vec<&str> = base.into_iter().chain(lines.iter().map(String::as_str)).collect();
    all.join("\n") + "\n"
}

/// Log4j2's properties format: the same console output as the log4j 1 file, the translated
/// lines, then the user's Log4j2 lines, which win where they set the same key (a
/// properties file keeps the last).
fn log4j2_file(translated: &[String], lines: &[String]) -> String {
    let base = [
        "status=warn".to_owned(),
        "name=sluice-connect".to_owned(),
        format!("monitorInterval={MONITOR_INTERVAL_SECONDS}"),
        "appender.stdout.type=Console".to_owned(),
        "appender.stdout.name=STDOUT".to_owned(),
        "appender.stdout.layout.type=PatternLayout".to_owned(),
        "appender.stdout.layout.pattern=[%d] %p %m (%c)%n".to_owned(),
        "rootLogger.level=INFO".to_owned(),
        "rootLogger.appenderRef.stdout.ref=STDOUT".to_owned(),
    ];
    let all: Vec<&str> = base.iter().chain(translated).chain(lines).map(String::as_str).collect();
    all.join("\n") + "\n"
}

/// The levels both log4j 1 and Log4j2 know.
const LEVELS: [&str; 8] = ["ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"];

/// `configOverrides.log4j`'s lines as Log4j2 properties: `log4j.rootLogger=LEVEL[, ...]`
/// and `log4j.logger.NAME=LEVEL[, ...]` (the appender names are dropped: Log4j2 logs to
/// the console appender above), with a warning naming each. Blank lines and comments are
/// skipped; any other line (appenders, layouts, additivity) has no safe translation and is
/// refused, naming it.
fn translate(lines: &[String], errors: &mut Vec<String>) -> (Vec<String>, Vec<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
            continue;
        }
        let refuse = |why: &str| {
            format!(
                "spec.configOverrides.log4j[{i}] {trimmed:?} {why}: Kafka 4 workers read Log4j2, and only log4j.rootLogger and log4j.logger.NAME lines with a level translate; write it in configOverrides.log4j2"
            )
        };
        let Some((key, value)) = trimmed.split_once(['=', ':']) else {
            errors.push(refuse("is no key=value line"));
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let logger = match key {
            "log4j.rootLogger" => None,
            _ => match key.strip_prefix("log4j.logger.").filter(|n| !n.is_empty()) {
                Some(name) => Some(name),
                None => {
                    errors.push(refuse("has no Log4j2 translation"));
                    continue;
                }
            },
        };
        let level = value.split(',').next().unwrap_or_default().trim().to_ascii_uppercase();
        if !LEVELS.contains(&level.as_str()) {
            errors.push(refuse("sets no level log4j knows"));
            continue;
        }
        let lines = match logger {
            None => vec![format!("rootLogger.level={level}")],
            // Log4j2 keys a logger by an id of its own; the index keeps them apart.
            Some(name) => vec![
                format!("logger.sluice{i}.name={name}"),
                format!("logger.sluice{i}.level={level}"),
            ],
        };
        warnings.push(format!(
            "spec.configOverrides.log4j[{i}] {trimmed:?} is log4j 1 syntax, which Kafka 4 workers do not read: translated to Log4j2 as {:?}; write it in configOverrides.log4j2 to silence this",
            lines.join(" ")
        ));
        out.extend(lines);
    }
    (out, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overrides(log4j: &[&str], log4j2: &[&str]) -> ConfigOverrides {
        ConfigOverrides {
            log4j: log4j.iter().map(|s| (*s).to_owned()).collect(),
            log4j2: log4j2.iter().map(|s| (*s).to_owned()).collect(),
            ..ConfigOverrides::default()
        }
    }

    const V3: Option<KafkaVersion> = Some(KafkaVersion { major: 3, minor: 9 });
    const V4: Option<KafkaVersion> = Some(KafkaVersion { major: 4, minor: 4 });

    #[test]
    fn kafka_3_workers_get_log4j_only_when_lines_are_set() {
        assert_eq!(render(None, V3).unwrap(), Logging::default());
        let o = overrides(&["log4j.logger.org.apache.kafka.connect=DEBUG"], &[]);
        let logging = render(Some(&o), V3).unwrap();
        let file = logging.log4j.as_deref().unwrap();
        assert!(file.ends_with("log4j.logger.org.apache.kafka.connect=DEBUG\n"), "{file}");
        assert_eq!(logging.log4j2, None);
        assert!(!logging.reloads());
        assert_eq!(
            logging.jvm_options("/c").as_deref(),
            Some("-Dlog4j.configuration=file:/c/log4j.properties")
        );
    }

    #[test]
    fn log4j2_lines_on_a_kafka_3_worker_are_refused_naming_the_field() {
        let o = overrides(&[], &["logger.x.name=x"]);
        let errors = render(Some(&o), V3).unwrap_err();
        assert!(errors[0].starts_with("spec.configOverrides.log4j2: the workers run Kafka 3.9"));
    }

    #[test]
    fn kafka_4_workers_always_get_a_reloading_log4j2_file() {
        let logging = render(None, V4).unwrap();
        let file = logging.log4j2.as_deref().unwrap();
        assert!(file.contains("monitorInterval=30\n"), "{file}");
        assert!(file.contains("rootLogger.level=INFO\n"), "{file}");
        assert_eq!(logging.log4j, None);
        assert!(logging.reloads());
        assert_eq!(
            logging.jvm_options("/c").as_deref(),
            Some("-Dlog4j2.configurationFile=/c/log4j2.properties")
        );
    }

    #[test]
    fn log4j_logger_lines_are_translated_for_kafka_4_with_a_warning_each() {
        let o = overrides(
            &[
                "# a comment",
                "log4j.rootLogger=WARN, stdout",
                "log4j.logger.org.apache.kafka.connect.runtime = debug",
            ],
            &["logger.mine.name=org.reflections", "logger.mine.level=ERROR"],
        );
        let logging = render(Some(&o), V4).unwrap();
        let file = logging.log4j2.unwrap();
        let tail: Vec<&str> = file.lines().rev().take(5).collect();
        assert_eq!(
            tail,
            [
                "logger.mine.level=ERROR",
                "logger.mine.name=org.reflections",
                "logger.sluice2.level=DEBUG",
                "logger.sluice2.name=org.apache.kafka.connect.runtime",
                "rootLogger.level=WARN",
            ]
        );
        assert_eq!(logging.warnings.len(), 2, "{:?}", logging.warnings);
        assert!(logging.warnings[0].starts_with(
            "spec.configOverrides.log4j[1] \"log4j.rootLogger=WARN, stdout\" is log4j 1 syntax"
        ));
        assert!(logging.warnings[1].contains("logger.sluice2.level=DEBUG"));
    }

    #[test]
    fn a_log4j_line_without_translation_is_refused_naming_it() {
        let o = overrides(
            &[
                "log4j.appender.file=org.apache.log4j.FileAppender",
                "log4j.logger.x=LOUD",
                "log4j.logger.y=INFO",
            ],
            &[],
        );
        let errors = render(Some(&o), V4).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("spec.configOverrides.log4j[0] \"log4j.appender.file"));
        assert!(errors[0].contains("has no Log4j2 translation"));
        assert!(errors[1].starts_with("spec.configOverrides.log4j[1] \"log4j.logger.x=LOUD\""));
    }

    #[test]
    fn an_unknown_version_keeps_a_line_without_translation_in_the_log4j_file_with_a_warning() {
        let o = overrides(&["log4j.appender.file=org.apache.log4j.FileAppender"], &[]);
        let logging = render(Some(&o), None).unwrap();
        assert!(logging.log4j.unwrap().contains("log4j.appender.file="));
        assert!(!logging.log4j2.unwrap().contains("appender.file"));
        assert_eq!(logging.warnings.len(), 1);
        assert!(
            logging.warnings[0].contains("left out of the Log4j2 one"),
            "{:?}",
            logging.warnings
        );
    }

    #[test]
    fn an_unknown_version_gets_both_files_and_both_options_log4j2_last() {
        let o = overrides(&["log4j.logger.x=DEBUG"], &[]);
        let logging = render(Some(&o), None).unwrap();
        assert!(logging.log4j.unwrap().ends_with("log4j.logger.x=DEBUG\n"));
        assert!(logging.log4j2.as_deref().unwrap().contains("logger.sluice0.level=DEBUG\n"));
        assert!(logging.warnings.is_empty());
        let both =
            Logging { log4j: Some(String::new()), log4j2: Some(String::new()), warnings: vec![] };
        assert_eq!(
            both.jvm_options("/c").as_deref(),
            Some(
                "-Dlog4j.configuration=file:/c/log4j.properties -Dlog4j2.configurationFile=/c/log4j2.properties"
            )
        );
        assert!(!both.reloads());
    }
}

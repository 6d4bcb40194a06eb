//! Whether a Secret may be used on a user's behalf. Sluice reads Secrets with its own rights,
//! which are wider than those of whoever writes a Connector or a Policy: without a rule here,
//! someone who may write Connectors but not read Secrets could have Sluice send a Secret's
//! value to an endpoint of their choosing (a confused deputy). So the Secret must say what
//! may use it, in an annotation only someone who may write the Secret can set, and a
//! service account token is never used at all.

use std::collections::BTreeMap;

/// The annotation that names the uses a Secret consents to, comma-separated:
/// `connectRest` (credentials for a Connect REST API), `kafka` (a Connect's credentials and
/// TLS material for its Kafka cluster) and `policy/<name>` (the Policy of that name in the
/// Secret's namespace, through its `secrets` grant).
pub const USABLE_BY: &str = "sluice.dev/usable-by";

/// The type of the Secrets Kubernetes fills with a service account's token.
pub const SERVICE_ACCOUNT_TOKEN: &str = "kubernetes.io/service-account-token";

/// What a Secret is to be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use<'a> {
    /// Credentials or TLS material for a Connect REST API (`connectRest`).
    ConnectRest,
    /// Credentials or TLS material a Connect's workers use for Kafka (`kafka`).
    Kafka,
    /// A Policy's `secrets` grant, by the Policy's name.
    Policy(&'a str),
}

impl Use<'_> {
    /// The entry of [`USABLE_BY`] that allows this use.
    pub fn entry(&self) -> String {
        match self {
            Use::ConnectRest => "connectRest".to_owned(),
            Use::Kafka => "kafka".to_owned(),
            Use::Policy(name) => format!("policy/{name}"),
        }
    }
}

/// Ok when the Secret `name`, of type `type_` with `annotations`, may be used for `use_`;
/// otherwise the refusal, naming the Secret and the fix.
pub fn check(
    name: &str,
    type_: Option<&str>,
    annotations: Option<&BTreeMap<String, String>>,
    use_: Use<'_>,
) -> Result<(), String> {
    if type_ == Some(SERVICE_ACCOUNT_TOKEN) {
        return Err(format!(
            "Secret {name} is a service account token ({SERVICE_ACCOUNT_TOKEN}), which Sluice never uses on anyone's behalf: put the credentials in a Secret of their own"
        ));
    }
    let entry = use_.entry();
    let listed = annotations.and_then(|a| a.get(USABLE_BY));
    if listed.is_some_and(|l| l.split(',').any(|e| e.trim() == entry)) {
        return Ok(());
    }
    let mut entries: Vec<&str> = listed
        .into_iter()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    entries.push(&entry);
    let value = entries.join(",");
    Err(format!(
        "Secret {name} does not allow use by {entry}: whoever owns it can allow it with kubectl annotate secret {name} --overwrite {USABLE_BY}={value}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotated(value: &str) -> BTreeMap<String, String> {
        BTreeMap::from([(USABLE_BY.to_owned(), value.to_owned())])
    }

    #[test]
    fn a_secret_is_used_only_for_what_it_names() {
        let both = annotated("connectRest, policy/secrets");
        assert_eq!(check("db", None, Some(&both), Use::ConnectRest), Ok(()));
        assert_eq!(check("db", Some("Opaque"), Some(&both), Use::Policy("secrets")), Ok(()));

        let e = check("db", None, Some(&both), Use::Policy("other")).unwrap_err();
        assert_eq!(
            e,
            "Secret db does not allow use by policy/other: whoever owns it can allow it with kubectl annotate secret db --overwrite sluice.dev/usable-by=connectRest,policy/secrets,policy/other"
        );
        let e = check("db", None, None, Use::ConnectRest).unwrap_err();
        assert!(e.ends_with("sluice.dev/usable-by=connectRest"), "{e}");
        // A prefix or a look-alike is not the entry.
        let near = annotated("policy/secrets-2,connectRestX");
        assert!(check("db", None, Some(&near), Use::Policy("secrets")).is_err());
        assert!(check("db", None, Some(&near), Use::ConnectRest).is_err());
    }

    #[test]
    fn a_service_account_token_is_never_used_even_when_annotated() {
        let e = check(
            "sa-token",
            Some(SERVICE_ACCOUNT_TOKEN),
            Some(&annotated("connectRest")),
            Use::ConnectRest,
        )
        .unwrap_err();
        assert!(e.contains("service account token") && e.contains("sa-token"), "{e}");
    }
}

//! How a Connector reaches its Connect cluster: the endpoint, and the credentials and TLS
//! settings read from Secrets, turned into a REST client.

use std::{
    collections::BTreeMap,
    hash::{Hash, Hasher},
    sync::Mutex,
    time::Duration,
};

use k8s_openapi::api::core::v1::Secret;
use kube::{Api, ResourceExt};
use thiserror::Error;

use crate::connect::{readable, render, rest_security};
use crate::connect_endpoint;
use crate::connect_rest::{Auth, ConnectClient};
use crate::crd::{Connect, ConnectRestAccess, Connector, RestAuthenticationType};

/// The Connect cluster of one Connector.
pub struct Target {
    /// Identifies the cluster and the credentials used for it, for the observation cache.
    pub key: String,
    pub client: ConnectClient,
    /// How status names the cluster: `namespace/name` or the endpoint.
    pub label: String,
    /// Values read from Secrets, to be masked wherever they could show.
    pub secret_values: Vec<String>,
    /// Whether the cluster's owner lets Connectors adopt connectors Sluice did not create,
    /// or how the owner would allow it.
    pub adoption: Result<(), String>,
    /// The paths each limited config provider of a Sluice-managed cluster's workers may
    /// read; empty for an external cluster, whose worker config Sluice does not know.
    pub readable: Vec<(String, Vec<String>)>,
}

#[derive(Error, Debug)]
pub enum AccessError {
    /// A user-fixable problem: the message names the field or Secret and the fix.
    #[error("{0}")]
    Spec(String),
    /// Not reachable yet, through no fault of the spec: the Connect's REST credentials are
    /// not issued yet.
    #[error("{0}")]
    Pending(String),
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
}

/// Clients by endpoint and credentials: building a TLS client costs more than a reconcile.
/// Bounded: a client of rotated credentials or a retired endpoint is evicted once enough
/// newer ones are used, so rotations cannot grow the pool.
pub struct ClientPool {
    clients: Mutex<lru::LruCache<u64, reqwest::Client>>,
}

/// Clients kept: one per endpoint and credentials in use, with room to spare.
const POOLED_CLIENTS: std::num::NonZeroUsize = std::num::NonZeroUsize::new(256).expect("not zero");

impl Default for ClientPool {
    fn default() -> Self {
        Self { clients: Mutex::new(lru::LruCache::new(POOLED_CLIENTS)) }
    }
}

/// What the operator allows for Connectors that name an endpoint (`spec.connectRest`)
/// rather than a Sluice-managed Connect, whose owner cannot say.
#[derive(Clone, Debug, Default)]
pub struct ExternalRules {
    /// `--allow-external-adoption`.
    pub allow_adoption: bool,
    /// `--allowed-connect-endpoint`: the only external endpoints Connectors may name (and
    /// so the only servers Sluice sends `connectRest` credentials to); empty allows any.
    pub endpoints: Vec<String>,
}

pub async fn resolve(
    connector: &Connector,
    client: &kube::Client,
    pool: &ClientPool,
    url_template: &str,
    external: &ExternalRules,
) -> Result<Target, AccessError> {
    let namespace = connector.namespace().unwrap_or_default();
    let spec = &connector.spec;
    if let Some(rest) = &spec.connect_rest
        && crate::text::has_credentials(&rest.endpoint)
    {
        // The endpoint names the cluster in the status and logs; it must not hold a secret.
        return Err(AccessError::Spec(
            "spec.connectRest.endpoint carries credentials (user:password@): remove them and put them in a Secret named by spec.connectRest.authentication.basic.secretRef".into(),
        ));
    }
    if let Some(rest) = &spec.connect_rest
        && !external.endpoints.is_empty()
        && !crate::origin::allowed(&rest.endpoint, &external.endpoints)
    {
        return Err(AccessError::Spec(format!(
            "spec.connectRest.endpoint {} is not among the external Connect endpoints this operator may reach: its administrators can add it with --allowed-connect-endpoint, or use a Sluice-managed Connect (spec.connectClusterRef)",
            crate::text::redacted_url(&rest.endpoint)
        )));
    }
    match (&spec.connect_rest, &spec.connect_cluster_ref) {
        (Some(rest), _) => {
            let secrets: Api<Secret> = Api::namespaced(client.clone(), &namespace);
            let credentials = Credentials::read(&rest.access, &secrets).await?;
            let mut target =
                target(rest.endpoint.clone(), rest.endpoint.clone(), credentials, pool)?;
            target.adoption = if external.allow_adoption {
                Ok(())
            } else {
                Err("the operator allows adopting connectors on external clusters only when started with --allow-external-adoption".to_owned())
            };
            Ok(target)
        }
        (None, Some(cluster)) => {
            let cluster_ns = cluster.namespace.clone().unwrap_or_else(|| namespace.clone());
            let connects: Api<Connect> = Api::namespaced(client.clone(), &cluster_ns);
            let connect = connects.get_opt(&cluster.name).await?;
            let connect = consented(connect, &cluster_ns, &cluster.name, &namespace)
                .map_err(AccessError::Spec)?;
            let access = connect.spec.connector_access.clone().unwrap_or_default();
            let properties = render::worker_properties(&connect, &cluster.name, &cluster_ns);
            let mut target = for_connect(&connect, client, pool, url_template).await?;
            target.adoption = if access.allow_adoption {
                Ok(())
            } else {
                Err(format!(
                    "the owner of Connect {cluster_ns}/{} can allow it with spec.connectorAccess.allowAdoption: true",
                    cluster.name
                ))
            };
            target.readable = readable::allowed_paths(&properties);
            Ok(target)
        }
        (None, None) => Err(AccessError::Spec(
            "set spec.connectClusterRef (a Sluice-managed Connect) or spec.connectRest.endpoint"
                .into(),
        )),
    }
}

/// `connect`, the Connect `{cluster_ns}/{name}` as read, if a Connector in `namespace` may
/// use it: always in its own namespace, in another only when the Connect lists `namespace`
/// in `spec.connectorAccess.namespaces`. A Connect in another namespace that is missing and
/// one that does not consent get the same answer, so a Connector cannot probe what another
/// team runs.
fn consented(
    connect: Option<Connect>,
    cluster_ns: &str,
    name: &str,
    namespace: &str,
) -> Result<Connect, String> {
    if cluster_ns == namespace {
        return connect.ok_or_else(|| {
            format!(
                "spec.connectClusterRef names Connect {cluster_ns}/{name} which does not exist: create it or fix the name"
            )
        });
    }
    connect
        .filter(|c| {
            c.spec.connector_access.as_ref().is_some_and(|a| a.namespaces.iter().any(|n| n == namespace))
        })
        .ok_or_else(|| {
            format!(
                "spec.connectClusterRef names Connect {cluster_ns}/{name}, which does not exist or does not let Connectors of namespace {namespace} use it: its owner can add {namespace} to that Connect's spec.connectorAccess.namespaces, or use a Connect in {namespace}"
            )
        })
}

/// The REST client of a Sluice-managed Connect: the operator's credentials and the CAs of
/// the workers' listener, from the Secret the Connect controller issued for that Connect.
pub async fn for_connect(
    connect: &Connect,
    client: &kube::Client,
    pool: &ClientPool,
    url_template: &str,
) -> Result<Target, AccessError> {
    let namespace = connect.namespace().unwrap_or_default();
    let name = connect.name_any();
    let endpoint = connect_endpoint::url(url_template, &name, &namespace);
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &namespace);
    let issued = rest_security::secret_name(&name);
    let pending = || {
        AccessError::Pending(format!(
            "the REST credentials of Connect {namespace}/{name} are not issued yet: the operator writes them to Secret {issued} when it reconciles the Connect"
        ))
    };
    // Only a Secret this Connect owns: one made under that name by someone else could hold
    // a CA of theirs.
    let secret = secrets.get_opt(&issued).await?.ok_or_else(pending)?;
    let uid = connect.uid();
    if !secret.owner_references().iter().any(|o| Some(&o.uid) == uid.as_ref()) {
        // Not pending: the Connect controller never writes over it, so waiting would hold a
        // Connector's finalizer for good.
        return Err(AccessError::Spec(format!(
            "Secret {issued} in {namespace} is not Connect {name}'s, so Sluice has no credentials for that cluster: its owner can remove or rename that Secret"
        )));
    }
    let data = crate::connect::kafka_client::secret_data_of(&secret);
    let password = data.get(rest_security::PASSWORD_KEY).ok_or_else(pending)?;
    let ca_pem = data.get(rest_security::CACERTS).cloned().ok_or_else(pending)?;
    let credentials = Credentials {
        auth: Some(Auth::Basic {
            username: rest_security::USERNAME.into(),
            password: text(password),
        }),
        ca_pem: Some(ca_pem),
        identity_pem: None,
    };
    target(endpoint, format!("{namespace}/{name}"), credentials, pool)
}

fn target(
    endpoint: String,
    label: String,
    credentials: Credentials,
    pool: &ClientPool,
) -> Result<Target, AccessError> {
    let http = pool.client(&endpoint, &credentials)?;
    let rest = ConnectClient::new(http, &endpoint)
        .map_err(|e| {
            AccessError::Spec(format!("spec.connectRest.endpoint {endpoint:?} is not a URL: {e}"))
        })?
        .with_auth(credentials.auth.clone());
    Ok(Target {
        key: format!("{endpoint}#{:x}", credentials.fingerprint(&endpoint)),
        client: rest,
        label,
        secret_values: credentials.secret_values(),
        adoption: Err("only Connectors adopt connectors".to_owned()),
        readable: Vec::new(),
    })
}

/// Everything read from Secrets for one endpoint.
#[derive(Default, Hash)]
struct Credentials {
    auth: Option<Auth>,
    ca_pem: Option<Vec<u8>>,
    identity_pem: Option<Vec<u8>>,
}

impl Hash for Auth {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Auth::Basic { username, password } => (0u8, username, password).hash(state),
            Auth::Bearer(token) => (1u8, token).hash(state),
        }
    }
}

impl Credentials {
    async fn read(access: &ConnectRestAccess, secrets: &Api<Secret>) -> Result<Self, AccessError> {
        let mut out = Credentials::default();
        if let Some(auth) = &access.authentication {
            out.auth = match auth.kind {
                RestAuthenticationType::Basic => {
                    let name =
                        auth.basic.as_ref().map(|b| b.secret_ref.as_str()).ok_or_else(|| {
                            AccessError::Spec(
                                "authentication.type basic needs authentication.basic.secretRef"
                                    .into(),
                            )
                        })?;
                    let data = secret_data(secrets, name, "authentication.basic.secretRef").await?;
                    Some(basic_auth(&data, name)?)
                }
                RestAuthenticationType::Bearer => {
                    let name =
                        auth.bearer.as_ref().map(|b| b.secret_ref.as_str()).ok_or_else(|| {
                            AccessError::Spec(
                                "authentication.type bearer needs authentication.bearer.secretRef"
                                    .into(),
                            )
                        })?;
                    let data =
                        secret_data(secrets, name, "authentication.bearer.secretRef").await?;
                    Some(bearer_token(&data, name)?)
                }
                // The client certificate comes from tls.secretRef.
                RestAuthenticationType::Mtls => None,
            };
        }
        let mtls =
            access.authentication.as_ref().is_some_and(|a| a.kind == RestAuthenticationType::Mtls);
        match &access.tls {
            Some(tls) => {
                let data = secret_data(secrets, &tls.secret_ref, "tls.secretRef").await?;
                out.ca_pem = first_key(&data, &["cacerts.pem", "ca.crt"]).cloned();
                let cert = first_key(&data, &["fullchain.pem", "tls.crt"]);
                let key = first_key(&data, &["privkey.pem", "tls.key"]);
                if let (Some(cert), Some(key)) = (cert, key) {
                    out.identity_pem = Some([cert.as_slice(), b"\n", key.as_slice()].concat());
                } else if mtls {
                    return Err(AccessError::Spec(format!(
                        "authentication.type mtls needs a client certificate: Secret {} (tls.secretRef) has no fullchain.pem and privkey.pem (or tls.crt and tls.key)",
                        tls.secret_ref
                    )));
                }
            }
            None if mtls => {
                return Err(AccessError::Spec(
                    "authentication.type mtls needs tls.secretRef naming a Secret with fullchain.pem and privkey.pem".into(),
                ));
            }
            None => {}
        }
        Ok(out)
    }

    fn fingerprint(&self, endpoint: &str) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        endpoint.hash(&mut h);
        self.hash(&mut h);
        h.finish()
    }

    fn secret_values(&self) -> Vec<String> {
        match &self.auth {
            Some(Auth::Basic { password, .. }) => vec![password.clone()],
            Some(Auth::Bearer(token)) => vec![token.clone()],
            None => vec![],
        }
    }
}

impl ClientPool {
    fn client(
        &self,
        endpoint: &str,
        credentials: &Credentials,
    ) -> Result<reqwest::Client, AccessError> {
        let key = credentials.fingerprint(endpoint);
        if let Some(c) = self.clients.lock().expect("client pool lock").get(&key) {
            return Ok(c.clone());
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(user_agent());
        if let Some(ca) = &credentials.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(ca).map_err(|e| {
                AccessError::Spec(format!(
                    "tls.secretRef: cacerts.pem is not a PEM certificate bundle: {e}"
                ))
            })?;
            builder = builder.tls_certs_only(certs);
        }
        if let Some(identity) = &credentials.identity_pem {
            let identity = reqwest::Identity::from_pem(identity).map_err(|e| {
                AccessError::Spec(format!("tls.secretRef: fullchain.pem and privkey.pem are not a PEM certificate and key: {e}"))
            })?;
            builder = builder.identity(identity);
        }
        let client = builder
            .build()
            .map_err(|e| AccessError::Spec(format!("cannot build a client for {endpoint}: {e}")))?;
        self.clients.lock().expect("client pool lock").put(key, client.clone());
        Ok(client)
    }
}

/// `sluice/<version> (<pod>)`: names this operator instance in Connect's request log.
fn user_agent() -> String {
    match std::env::var("POD_NAME") {
        Ok(pod) => format!("sluice/{} ({pod})", env!("CARGO_PKG_VERSION")),
        Err(_) => format!("sluice/{}", env!("CARGO_PKG_VERSION")),
    }
}

async fn secret_data(
    secrets: &Api<Secret>,
    name: &str,
    field: &str,
) -> Result<BTreeMap<String, Vec<u8>>, AccessError> {
    let secret = secrets.get_opt(name).await?.ok_or_else(|| {
        AccessError::Spec(format!(
            "{field}: Secret {name} does not exist in the Connector's namespace: create it"
        ))
    })?;
    crate::secret_use::check(
        name,
        secret.type_.as_deref(),
        secret.metadata.annotations.as_ref(),
        crate::secret_use::Use::ConnectRest,
    )
    .map_err(|why| AccessError::Spec(format!("{field}: {why}")))?;
    Ok(crate::connect::kafka_client::secret_data_of(&secret))
}

fn first_key<'a>(data: &'a BTreeMap<String, Vec<u8>>, keys: &[&str]) -> Option<&'a Vec<u8>> {
    keys.iter().find_map(|k| data.get(*k))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_owned()
}

/// `username`/`password` keys, or Confluent for Kubernetes' `basic.txt` with
/// `username=...` and `password=...` lines.
fn basic_auth(data: &BTreeMap<String, Vec<u8>>, name: &str) -> Result<Auth, AccessError> {
    if let (Some(u), Some(p)) = (data.get("username"), data.get("password")) {
        return Ok(Auth::Basic { username: text(u), password: text(p) });
    }
    if let Some(file) = data.get("basic.txt") {
        let file = String::from_utf8_lossy(file);
        let field = |key: &str| {
            file.lines().find_map(|l| {
                l.trim()
                    .strip_prefix(key)
                    .and_then(|r| r.strip_prefix('='))
                    .map(|v| v.trim().to_owned())
            })
        };
        if let (Some(username), Some(password)) = (field("username"), field("password")) {
            return Ok(Auth::Basic { username, password });
        }
    }
    Err(AccessError::Spec(format!(
        "authentication.basic.secretRef: Secret {name} needs keys username and password, or basic.txt with username=... and password=... lines"
    )))
}

fn bearer_token(data: &BTreeMap<String, Vec<u8>>, name: &str) -> Result<Auth, AccessError> {
    first_key(data, &["token", "bearer.txt"]).map(|t| Auth::Bearer(text(t))).ok_or_else(|| {
        AccessError::Spec(format!(
            "authentication.bearer.secretRef: Secret {name} needs a key token (or bearer.txt)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect()
    }

    #[test]
    fn basic_auth_reads_plain_keys_and_cfk_basic_txt() {
        let plain = basic_auth(&data(&[("username", "u\n"), ("password", "p")]), "s").unwrap();
        assert_eq!(plain, Auth::Basic { username: "u".into(), password: "p".into() });
        let cfk =
            basic_auth(&data(&[("basic.txt", "username=alice\npassword=s3cret\n")]), "s").unwrap();
        assert_eq!(cfk, Auth::Basic { username: "alice".into(), password: "s3cret".into() });
    }

    #[test]
    fn a_secret_without_credentials_names_the_keys_it_needs() {
        let err = basic_auth(&data(&[("user", "u")]), "connect-creds").unwrap_err().to_string();
        assert!(err.contains("Secret connect-creds needs keys username and password"), "{err}");
        let err = bearer_token(&data(&[]), "tok").unwrap_err().to_string();
        assert!(err.contains("Secret tok needs a key token"), "{err}");
    }

    #[test]
    fn debug_output_never_shows_credentials() {
        let auth = Auth::Basic { username: "alice".into(), password: "s3cret-pw".into() };
        assert!(!format!("{auth:?}").contains("s3cret-pw"));
        assert!(!format!("{:?}", Auth::Bearer("tok-123456".into())).contains("tok-123456"));
    }

    fn connect(namespaces: &[&str]) -> Connect {
        let spec = serde_json::json!({
            "replicas": 1,
            "dependencies": {"kafka": {"bootstrapEndpoint": "k:9092"}},
            "connectorAccess": {"namespaces": namespaces},
        });
        Connect::new("demo", serde_json::from_value(spec).unwrap())
    }

    #[test]
    fn a_connect_in_another_namespace_is_used_only_with_its_consent() {
        // (case, the Connect read, its namespace, the Connector's namespace, allowed)
        let table = [
            ("own namespace", Some(connect(&[])), "a", "a", true),
            ("listed", Some(connect(&["b"])), "a", "b", true),
            ("not listed", Some(connect(&["c"])), "a", "b", false),
            ("no consent at all", Some(connect(&[])), "a", "b", false),
            ("missing elsewhere", None, "a", "b", false),
            ("missing at home", None, "a", "a", false),
        ];
        for (case, read, cluster_ns, ns, allowed) in table {
            let got = consented(read, cluster_ns, "demo", ns);
            assert_eq!(got.is_ok(), allowed, "{case}: {got:?}");
        }
        let refused = consented(Some(connect(&[])), "a", "demo", "b").unwrap_err();
        let missing = consented(None, "a", "demo", "b").unwrap_err();
        assert_eq!(refused, missing, "a probe cannot tell a refusal from a missing Connect");
        assert!(refused.contains("add b to that Connect's spec.connectorAccess.namespaces"));
    }
}

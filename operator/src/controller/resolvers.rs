//! The imperative half of plugin resolution: each plugin reference becomes an archive URL
//! and the sha512 the installer pins, through the Confluent Hub API, a Maven repository, or
//! a plugin-resolver policy.
//!
//! The Hub publishes sha1, and some Maven artifacts only sha1 too: then the operator
//! downloads the archive once, checks the sha1 while computing the sha512, and remembers
//! the result (in memory and, through the status, across restarts), so every worker installs
//! exactly the bytes that were checked.

use std::{num::NonZeroUsize, sync::Arc, sync::Mutex, time::Duration};

use lru::LruCache;

use sha1::Sha1;
use sha2::{Digest, Sha512};

use super::{Context, host_services::ClusterServices};
use crate::connect::resolve::{self, Failure, Reference, Source};
use crate::crd::{ConfluentHubPlugin, Connect, CustomPlugin, ResolvedPlugin};
use crate::plugin_list::PluginArchive;
use crate::policy::{self, HostServices, World};
use crate::redact::Redactor;
use crate::text::redacted_url as redacted;

/// The longest time one Hub or repository request may take; a digest download gets longer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const DIGEST_TIMEOUT: Duration = Duration::from_secs(600);
/// The largest archive the operator hashes (the installer has its own `storageLimit`).
const MAX_DIGEST_BYTES: u64 = 4 << 30;

pub struct Resolvers {
    http: reqwest::Client,
    /// sha512 by archive URL and the checksum it was checked against.
    digests: Mutex<LruCache<String, String>>,
    /// Resolutions of references that cannot change (a Hub plugin's fixed version, a Maven
    /// release), so a resync does not ask the Hub or the repository again.
    settled: Mutex<LruCache<String, (String, String)>>,
}

/// Entries each cache keeps: far more than the plugins of every Connect of a large cluster,
/// so only references no Connect names any more are evicted (and resolved again if named
/// again), while a stream of ever new URLs cannot grow the operator's memory.
const CACHED_RESOLUTIONS: NonZeroUsize = NonZeroUsize::new(4096).expect("not zero");

impl Default for Resolvers {
    fn default() -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("sluice/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with static settings builds");
        Self {
            http,
            digests: Mutex::new(LruCache::new(CACHED_RESOLUTIONS)),
            settled: Mutex::new(LruCache::new(CACHED_RESOLUTIONS)),
        }
    }
}

impl Resolvers {
    /// Every plugin of `connect`, resolved, or every plugin that could not be, with why.
    pub async fn resolve(
        &self,
        ctx: &Context,
        connect: &Connect,
        namespace: &str,
    ) -> Result<Vec<PluginArchive>, Vec<Failure>> {
        let references = resolve::references(connect)?;
        let known = connect.status.as_ref().map(|s| s.plugins.as_slice()).unwrap_or_default();
        let results = futures::future::join_all(references.iter().map(|r| async move {
            // A hub manifest or a resolver Policy may answer with a URL that carries
            // credentials; it would land in the plugin-list ConfigMap.
            let result = self.one(ctx, r, namespace, known).await.and_then(|a| {
                if crate::text::has_credentials(&a.archive_url) {
                    Err(r.fail(resolve::credentials_refused("the resolved archive URL")))
                } else {
                    Ok(a)
                }
            });
            crate::metrics::resolution(r.kind(), result.is_ok());
            result
        }))
        .await;
        let (ok, failed): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
        if failed.is_empty() {
            Ok(ok.into_iter().map(|r| r.expect("partitioned")).collect())
        } else {
            Err(failed.into_iter().map(|r| r.expect_err("partitioned")).collect())
        }
    }

    async fn one(
        &self,
        ctx: &Context,
        reference: &Reference<'_>,
        namespace: &str,
        known: &[ResolvedPlugin],
    ) -> Result<PluginArchive, Failure> {
        let settings = &ctx.settings.connect;
        let archive = |version: Option<String>, url: String, sha512: String| PluginArchive {
            name: reference.name().to_owned(),
            version,
            source: reference.kind().to_owned(),
            archive_url: url,
            sha512,
            headers: Default::default(),
        };
        match reference.source {
            Source::Url(p) => {
                let sha512 = resolve::sha512(&p.checksum).ok_or_else(|| {
                    reference.fail("checksum must be the archive's sha512 as 128 hex digits")
                })?;
                Ok(archive(None, p.archive_path.clone(), sha512))
            }
            Source::Hub(p) => {
                let base = &settings.hub_url;
                // `latest` moves; a fixed version (with or without a pinned checksum) does not.
                let key = (p.version != "latest").then(|| {
                    format!("hub {base} {}/{} {} {:?}", p.owner, p.name, p.version, p.checksum)
                });
                if let Some(hit) = key.as_ref().and_then(|k| self.settled(k)) {
                    return Ok(archive(Some(p.version.clone()), hit.0, hit.1));
                }
                let (version, url, sha512) =
                    self.hub(base, p, known).await.map_err(|e| reference.fail(scrub(&e, base)))?;
                if let Some(k) = key {
                    self.settle(k, &url, &sha512);
                }
                Ok(archive(Some(version), url, sha512))
            }
            Source::Maven(p) => {
                let repository = p.repository.as_deref().unwrap_or(&settings.maven_repository);
                let url = resolve::maven_artifact_url(repository, p);
                // A release never changes in a Maven repository; a snapshot does.
                let key = (!p.version.ends_with("-SNAPSHOT")).then(|| format!("maven {url}"));
                if let Some(hit) = key.as_ref().and_then(|k| self.settled(k)) {
                    return Ok(archive(Some(p.version.clone()), hit.0, hit.1));
                }
                // A private repository's URL may carry credentials; messages show it without.
                let sha512 = self
                    .maven(&url, known)
                    .await
                    .map_err(|e| reference.fail(scrub(&e, repository)))?;
                if let Some(k) = key {
                    self.settle(k, &url, &sha512);
                }
                Ok(archive(Some(p.version.clone()), url, sha512))
            }
            Source::Custom(p) => custom(ctx, p, namespace)
                .await
                .map_err(|e| reference.fail(e))
                .map(|a| PluginArchive { source: reference.kind().to_owned(), ..a }),
        }
    }

    fn settled(&self, key: &str) -> Option<(String, String)> {
        self.settled.lock().expect("resolution cache").get(key).cloned()
    }

    fn settle(&self, key: String, url: &str, sha512: &str) {
        self.settled
            .lock()
            .expect("resolution cache")
            .put(key, (url.to_owned(), sha512.to_owned()));
    }

    async fn hub(
        &self,
        base: &str,
        p: &ConfluentHubPlugin,
        known: &[ResolvedPlugin],
    ) -> Result<(String, String, String), String> {
        let manifest_url = resolve::hub_manifest_url(base, &p.owner, &p.name, &p.version)?;
        let (status, body) = self.get_small(&manifest_url).await?;
        match status {
            200 => {}
            404 => {
                return Err(format!(
                    "Confluent Hub has no plugin {}/{} version {} ({manifest_url} answered 404): check owner, name and version on the hub",
                    p.owner, p.name, p.version
                ));
            }
            other => return Err(format!("{manifest_url} answered HTTP {other}; will retry")),
        }
        let manifest = resolve::parse_hub_manifest(&body)?;
        let url = manifest.archive.url;
        let sha512 = match p.checksum.as_deref().and_then(resolve::sha512) {
            // A pinned checksum is checked by the installer; no need to download here.
            Some(pinned) => pinned,
            None => {
                let sha1 = manifest
                    .archive
                    .sha1
                    .as_deref()
                    .and_then(|s| resolve::checksum_file_digest(s, 40));
                self.digest(&url, sha1.as_deref(), known).await?
            }
        };
        Ok((manifest.version, url, sha512))
    }

    async fn maven(&self, url: &str, known: &[ResolvedPlugin]) -> Result<String, String> {
        let checksum_url = format!("{url}.sha512");
        match self.get_small(&checksum_url).await? {
            (200, body) => resolve::checksum_file_digest(&String::from_utf8_lossy(&body), 128)
                .ok_or_else(|| format!("{checksum_url} does not hold a sha512")),
            (404, _) => {
                // Many artifacts carry only sha1: check it while computing the sha512.
                let sha1_url = format!("{url}.sha1");
                match self.get_small(&sha1_url).await? {
                    (200, body) => {
                        let sha1 =
                            resolve::checksum_file_digest(&String::from_utf8_lossy(&body), 40)
                                .ok_or_else(|| format!("{sha1_url} does not hold a sha1"))?;
                        self.digest(url, Some(&sha1), known).await
                    }
                    (404, _) => Err(format!(
                        "the repository has no {url} (neither {checksum_url} nor {sha1_url} exists): check groupId, artifactId, version, extension and repository"
                    )),
                    (other, _) => Err(format!("{sha1_url} answered HTTP {other}; will retry")),
                }
            }
            (other, _) => Err(format!("{checksum_url} answered HTTP {other}; will retry")),
        }
    }

    /// A small document: a manifest or checksum file.
    async fn get_small(&self, url: &str) -> Result<(u16, Vec<u8>), String> {
        let response = self
            .http
            .get(url)
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("{url}: {}; will retry", e.without_url()))?;
        let status = response.status().as_u16();
        let body = crate::bounded::body(response, 1 << 20).await.map_err(|e| match e {
            crate::bounded::ReadError::TooLarge { .. } => {
                format!("{url} answered with more than 1 MiB; a manifest is not that big")
            }
            crate::bounded::ReadError::Io(e) => format!("{url}: {e}; will retry"),
        })?;
        Ok((status, body))
    }

    /// The sha512 of the archive at `url`, checked against `sha1` when given: from memory,
    /// from the status of an earlier resolution of the same URL, or by downloading it.
    async fn digest(
        &self,
        url: &str,
        sha1: Option<&str>,
        known: &[ResolvedPlugin],
    ) -> Result<String, String> {
        let key = format!("{url}#{}", sha1.unwrap_or_default());
        if let Some(hit) = self.digests.lock().expect("digest cache").get(&key) {
            return Ok(hit.clone());
        }
        // A wrong sha512 in a tampered status can only make the installer refuse the
        // archive, never install other bytes: the URL must match as well.
        if let Some(earlier) =
            known.iter().find(|k| k.archive_url == url).and_then(|k| k.sha512.clone())
        {
            self.digests.lock().expect("digest cache").put(key, earlier.clone());
            return Ok(earlier);
        }
        let mut response =
            self.http.get(url).timeout(DIGEST_TIMEOUT).send().await.map_err(|e| {
                format!("downloading {url} to compute its sha512: {}; will retry", e.without_url())
            })?;
        if !response.status().is_success() {
            return Err(format!(
                "downloading {url} to compute its sha512: HTTP {}",
                response.status().as_u16()
            ));
        }
        let (mut sha512, mut sha1_hasher, mut size) = (Sha512::new(), Sha1::new(), 0u64);
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("downloading {url}: {}; will retry", e.without_url()))?
        {
            size += chunk.len() as u64;
            if size > MAX_DIGEST_BYTES {
                return Err(format!("{url} is larger than {MAX_DIGEST_BYTES} bytes"));
            }
            sha512.update(&chunk);
            sha1_hasher.update(&chunk);
        }
        if let Some(expected) = sha1 {
            let actual = format!("{:x}", sha1_hasher.finalize());
            if actual != expected {
                return Err(format!(
                    "{url} has sha1 {actual} but its publisher says {expected}: the download is corrupt or was tampered with; will retry"
                ));
            }
        }
        let digest = format!("{:x}", sha512.finalize());
        self.digests.lock().expect("digest cache").put(key, digest.clone());
        Ok(digest)
    }
}

/// `text` with `base` (and every URL under it) shown without credentials.
fn scrub(text: &str, base: &str) -> String {
    let shown = redacted(base);
    text.replace(base.trim_end_matches('/'), shown.trim_end_matches('/'))
}

/// A `custom` plugin, resolved by its plugin-resolver policy.
async fn custom(ctx: &Context, p: &CustomPlugin, namespace: &str) -> Result<PluginArchive, String> {
    let policy_name = &p.policy_ref.name;
    let registered = ctx.policies.get(namespace, policy_name).ok_or_else(|| {
        format!(
            "policyRef: Policy {policy_name} does not exist in {namespace} or is not loaded yet"
        )
    })?;
    let module = match &registered.module {
        Ok(m) if m.signature.world == World::PluginResolver => m.clone(),
        Ok(m) => {
            return Err(format!(
                "policyRef: Policy {policy_name} is a {} policy, not a plugin-resolver",
                m.signature.world
            ));
        }
        Err(e) => return Err(format!("policyRef: Policy {policy_name} cannot load: {e}")),
    };
    let input = policy::PluginReference {
        name: p.name.clone(),
        plugin_settings: p.settings.clone().into_iter().collect(),
        settings: registered.settings.clone(),
        extensions: Vec::new(),
    };
    let services = Arc::new(ClusterServices::new(ctx, policy_name));
    let grants = registered.grants.clone();
    let call_services = services.clone() as Arc<dyn HostServices>;
    let called = module.clone();
    let outcome = ctx
        .policies
        .engine
        .queued(&module, move |engine| engine.resolve(&called, &input, &grants, call_services))
        .await
        .map_err(|e| e.to_string());
    let redactor = Redactor::new(&Default::default(), services.secret_values());
    let (archive, _) =
        outcome.map_err(|e| redactor.redact(&format!("Policy {policy_name}: {e}")))?;
    if !archive.headers.is_empty() {
        // Headers would have to reach the init container; the plugin list is a ConfigMap,
        // and credentials do not belong in one.
        return Err(format!(
            "Policy {policy_name} asks for download headers, which Sluice does not pass to the installer yet: serve the archive without credentials"
        ));
    }
    Ok(PluginArchive {
        name: p.name.clone(),
        version: archive.version,
        source: "custom".into(),
        archive_url: archive.url,
        sha512: archive.sha512,
        headers: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_show_a_repository_without_its_credentials() {
        let base = "https://user:s3cret@repo.example/maven2/";
        let text = "the repository has no https://user:s3cret@repo.example/maven2/org/x/1/x-1.jar";
        assert_eq!(
            super::scrub(text, base),
            "the repository has no https://repo.example/maven2/org/x/1/x-1.jar"
        );
    }
}

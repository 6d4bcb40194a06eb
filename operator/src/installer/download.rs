//! Downloading an archive to a file while hashing it, with a timeout per attempt and retries
//! for what may pass (connection errors, 5xx, a body cut short). A 4xx and a checksum
//! mismatch are final: asking again would get the same bytes.

use std::{path::Path, time::Duration};

use sha2::{Digest, Sha512};
use tokio::io::AsyncWriteExt;

use super::budget::Budget;
use crate::plugin_list::PluginArchive;
use crate::text::redacted_url as redacted;

/// Why a download failed, in words that name the fix where there is one.
#[derive(Debug)]
enum Attempt {
    Retry(String),
    Final(String),
}

/// Downloads `plugin`'s archive to `to` and checks its sha512. The archive lies on the
/// plugin volume while it is unpacked, so its bytes are taken from `budget` as they arrive;
/// returns how many, for the caller to give back once the archive is deleted.
pub async fn download(
    client: &reqwest::Client,
    plugin: &PluginArchive,
    to: &Path,
    timeout: Duration,
    retries: u32,
    budget: &Budget,
) -> Result<u64, String> {
    let url = redacted(&plugin.archive_url);
    let mut last = String::new();
    for attempt in 0..=retries {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(250 << attempt.min(6))).await;
            tracing::info!(plugin = %plugin.name, attempt, "retrying the download: {last}");
        }
        let mut taken = 0;
        let outcome =
            tokio::time::timeout(timeout, fetch(client, plugin, to, budget, &mut taken)).await;
        if !matches!(&outcome, Ok(Ok(sha512)) if *sha512 == plugin.sha512) {
            // The next attempt truncates the file, and a failure deletes it.
            budget.give_back(taken);
        }
        match outcome {
            Err(_) => last = format!("downloading {url} timed out after {timeout:?}"),
            Ok(Ok(sha512)) if sha512 == plugin.sha512 => return Ok(taken),
            Ok(Ok(sha512)) => {
                return Err(format!(
                    "sha512 mismatch for {url}: expected {}…, got {}… (check the plugin's checksum)",
                    &plugin.sha512[..16],
                    &sha512[..16]
                ));
            }
            Ok(Err(Attempt::Final(e))) => return Err(e),
            Ok(Err(Attempt::Retry(e))) => last = e,
        }
    }
    Err(format!("{last} (after {} attempts)", retries + 1))
}

async fn fetch(
    client: &reqwest::Client,
    plugin: &PluginArchive,
    to: &Path,
    budget: &Budget,
    taken: &mut u64,
) -> Result<String, Attempt> {
    let url = redacted(&plugin.archive_url);
    let mut request = client.get(&plugin.archive_url);
    for (k, v) in &plugin.headers {
        request = request.header(k, v);
    }
    let mut response = request
        .send()
        .await
        .map_err(|e| Attempt::Retry(format!("fetching {url}: {}", e.without_url())))?;
    let status = response.status();
    if status.is_server_error() {
        return Err(Attempt::Retry(format!("HTTP {} from {url}", status.as_u16())));
    }
    if !status.is_success() {
        return Err(Attempt::Final(format!("HTTP {} from {url}", status.as_u16())));
    }
    let expected = response.content_length();
    if let (Some(expected), Some(left)) = (expected, budget.left())
        && expected > left
    {
        return Err(Attempt::Final(format!(
            "{url} is {expected} bytes, more than the {left} left: {}",
            Budget::exceeded(budget.limit().unwrap_or_default())
        )));
    }
    let mut file = tokio::fs::File::create(to)
        .await
        .map_err(|e| Attempt::Final(format!("{}: {e}", to.display())))?;
    let mut hasher = Sha512::new();
    let mut received = 0u64;
    loop {
        let chunk = response.chunk().await.map_err(|e| {
            Attempt::Retry(format!(
                "the download of {url} broke off after {received} bytes: {}",
                e.without_url()
            ))
        })?;
        let Some(chunk) = chunk else { break };
        // Counted before it is written, whatever Content-Length said (or did not say).
        // (A refused take keeps its bytes until given back, so they count as taken.)
        *taken += chunk.len() as u64;
        budget.take(chunk.len() as u64).map_err(|limit| Attempt::Final(Budget::exceeded(limit)))?;
        hasher.update(&chunk);
        received += chunk.len() as u64;
        file.write_all(&chunk)
            .await
            .map_err(|e| Attempt::Final(format!("{}: {e}", to.display())))?;
    }
    file.flush().await.map_err(|e| Attempt::Final(e.to_string()))?;
    if let Some(expected) = expected
        && received != expected
    {
        return Err(Attempt::Retry(format!(
            "the download of {url} was truncated: {received} of {expected} bytes"
        )));
    }
    Ok(format!("{:x}", hasher.finalize()))
}

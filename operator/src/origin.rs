//! Allow-lists of origins: the `allowedHosts` of a Policy's `http` capability and the
//! operator's list of external Connect endpoints. An entry names an origin in any usual
//! spelling; a URL is allowed when one of the spellings of its origin is listed.

/// The ways an allow-list entry may name the origin of an http(s) URL: `scheme://host`,
/// `scheme://host:port`, `host`, `host:port` (the port spelled out or the scheme's default).
/// Anything but http(s) has none, so it is never allowed.
pub fn origins(url: &str) -> Vec<String> {
    let Ok(parsed) = url::Url::parse(url) else { return Vec::new() };
    let (scheme, Some(host)) = (parsed.scheme(), parsed.host_str()) else { return Vec::new() };
    if !matches!(scheme, "http" | "https") {
        return Vec::new();
    }
    let port = parsed.port_or_known_default().unwrap_or_default();
    let mut names = vec![format!("{scheme}://{host}:{port}"), format!("{host}:{port}")];
    if parsed.port().is_none() {
        names.extend([format!("{scheme}://{host}"), host.to_owned()]);
    }
    names
}

/// Whether `url`'s origin is in `allowed` (entries compared without a trailing `/`).
pub fn allowed<'a>(url: &str, allowed: impl IntoIterator<Item = &'a String>) -> bool {
    let origins = origins(url);
    allowed.into_iter().any(|entry| origins.iter().any(|o| o == entry.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_entries_match_the_origin_in_any_usual_spelling() {
        let o = origins("https://repo1.maven.org/maven2/x.zip");
        for entry in ["https://repo1.maven.org", "https://repo1.maven.org:443", "repo1.maven.org"] {
            assert!(o.contains(&entry.to_owned()), "{entry} in {o:?}");
        }
        assert!(!o.contains(&"http://repo1.maven.org".to_owned()), "the scheme counts");
        let o = origins("http://127.0.0.1:8080/");
        assert!(o.contains(&"http://127.0.0.1:8080".to_owned()));
        assert!(
            !o.contains(&"127.0.0.1".to_owned()),
            "an explicit port must be allowed explicitly"
        );
        assert!(origins("file:///etc/passwd").is_empty());
        assert!(origins("not a url").is_empty());
    }

    #[test]
    fn a_url_is_allowed_by_an_entry_for_its_origin_only() {
        let list = vec!["https://connect.kafka.svc:8083/".to_owned(), "other.example".to_owned()];
        assert!(allowed("https://connect.kafka.svc:8083", &list));
        assert!(allowed("https://other.example/connectors", &list));
        assert!(!allowed("http://connect.kafka.svc:8083", &list));
        assert!(!allowed("https://connect.kafka.svc.evil.example:8083", &list));
        assert!(!allowed("https://other.example:8443", &list));
    }
}

//! Text shown to users (a status field, an Event note, a log line): cut to a size it can
//! hold, URLs without the credentials they may carry.

/// `s` cut to at most `max_bytes` (on a character boundary) followed by `marker`, or `s`
/// itself when it fits.
pub fn truncate(s: &str, max_bytes: usize, marker: &str) -> String {
    if s.len() <= max_bytes {
        return s.to_owned();
    }
    let mut end = max_bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{marker}", &s[..end])
}

/// The URL without user information or query, which may carry credentials.
pub fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.to_string()
        }
        Err(_) => "<invalid URL>".into(),
    }
}

/// Whether `url` carries user information (`scheme://user:password@host`). Sluice refuses
/// such URLs where it would have to copy them into a ConfigMap, a status or a log: a
/// credential belongs in a Secret.
pub fn has_credentials(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| !u.username().is_empty() || u.password().is_some())
}

#[cfg(test)]
mod tests {
    use super::{redacted_url, truncate};

    #[test]
    fn urls_lose_credentials_before_they_are_shown() {
        assert_eq!(redacted_url("https://u:p@h/x.zip?token=t"), "https://h/x.zip");
    }

    #[test]
    fn cuts_on_a_character_boundary() {
        assert_eq!(truncate("short", 10, "…"), "short");
        assert_eq!(truncate("abcdef", 3, "…"), "abc…");
        // 'é' is two bytes; cutting at 2 would split it.
        assert_eq!(truncate("aéb", 2, "…"), "a…");
    }
}

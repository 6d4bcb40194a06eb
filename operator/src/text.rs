//! Cutting text to a size a status field, an Event note or a log line can hold.

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

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn cuts_on_a_character_boundary() {
        assert_eq!(truncate("short", 10, "…"), "short");
        assert_eq!(truncate("abcdef", 3, "…"), "abc…");
        // 'é' is two bytes; cutting at 2 would split it.
        assert_eq!(truncate("aéb", 2, "…"), "a…");
    }
}

//! How a message shows a value someone else wrote (a job file, a receipt, a flag).
//!
//! A value may be megabytes long or hold control characters; echoed whole, it would bury the
//! message or forge lines of bolinho's own output. Every message in `spec` that shows a value
//! goes through `quote` (or `quote_in`, for the one message whose marks are double quotes), and
//! every field path that holds a key goes through `key`: at most `SHOWN_CHARS` characters, then
//! `...` and the value's length, with control characters escaped as Rust writes them (`\n`,
//! `\u{1b}`).

/// The most characters of a value a message shows.
pub const SHOWN_CHARS: usize = 60;

/// `value` in backticks, bounded: `` `/inputs` ``, or `` `aaaa...` (1048576 bytes) ``.
pub fn quote(value: &str) -> String {
    quote_in('`', value)
}

/// `value` between `mark`s, bounded as `quote` bounds it.
pub(crate) fn quote_in(mark: char, value: &str) -> String {
    let (shown, cut) = bounded(value);
    if cut {
        format!("{mark}{shown}...{mark} ({} bytes)", value.len())
    } else {
        format!("{mark}{shown}{mark}")
    }
}

/// A key as a field path shows it (`Env.<key>`): bounded, without marks.
pub(crate) fn key(value: &str) -> String {
    let (shown, cut) = bounded(value);
    if cut {
        format!("{shown}... ({} bytes)", value.len())
    } else {
        shown
    }
}

/// The first `SHOWN_CHARS` characters, escaped, and whether anything was left out.
fn bounded(value: &str) -> (String, bool) {
    let mut shown = String::new();
    let mut chars = value.chars();
    for c in chars.by_ref().take(SHOWN_CHARS) {
        if c.is_control() {
            shown.extend(c.escape_debug());
        } else {
            shown.push(c);
        }
    }
    (shown, chars.next().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_shown_whole() {
        assert_eq!(quote("/inputs"), "`/inputs`");
        assert_eq!(quote(""), "``");
        assert_eq!(quote_in('"', "docker"), "\"docker\"");
        assert_eq!(key("HOME"), "HOME");
        let exactly = "x".repeat(SHOWN_CHARS);
        assert_eq!(quote(&exactly), format!("`{exactly}`"));
    }

    #[test]
    fn long_values_show_a_prefix_and_their_length() {
        let long = "a".repeat(5_000_000);
        let prefix = "a".repeat(SHOWN_CHARS);
        assert_eq!(quote(&long), format!("`{prefix}...` (5000000 bytes)"));
        assert_eq!(key(&long), format!("{prefix}... (5000000 bytes)"));
        // Characters, not bytes: a multi-byte character is never cut in half.
        let accents = "é".repeat(100);
        assert_eq!(
            quote(&accents),
            format!("`{}...` (200 bytes)", "é".repeat(SHOWN_CHARS))
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            quote("a\nbolinho: error: forged\0\u{1b}[31m"),
            "`a\\nbolinho: error: forged\\0\\u{1b}[31m`"
        );
        assert_eq!(key("A\tB"), "A\\tB");
    }
}

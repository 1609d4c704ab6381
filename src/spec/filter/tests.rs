//! Table tests of `Filter`: what Go's `regexp.MatchString` matches, and what is refused.

use super::*;

fn matches(pattern: &str, text: &str) -> bool {
    Filter::new(pattern)
        .unwrap_or_else(|e| panic!("{pattern}: {e}"))
        .is_match(text)
}

/// Each row: pattern, text, whether Go's `regexp.MatchString` matches.
#[test]
fn matches_as_go_regexp_does() {
    let rows: &[(&str, &str, bool)] = &[
        ("", "", true),
        ("", "anything", true),
        ("csv", "data/a.csv", true),
        ("csv", "data/a.txt", false),
        (r"\.csv$", "a.csv", true),
        (r"\.csv$", "a.csv.bak", false),
        (r"\.csv$", "a.csv\n", false),
        ("^2024/", "2024/x", true),
        ("^2024/", "old/2024/x", false),
        ("a.c", "abc", true),
        ("a.c", "a\nc", false),
        ("(?s)a.c", "a\nc", true),
        ("^a*$", "", true),
        ("^a*$", "aaa", true),
        ("^a*$", "aab", false),
        ("^a+$", "", false),
        ("^ab?c$", "ac", true),
        ("^ab?c$", "abbc", false),
        ("^(ab)+$", "ababab", true),
        ("^(ab)+$", "ababa", false),
        ("^(?:jpg|png|gif)$", "png", true),
        ("^(?:jpg|png|gif)$", "pngx", false),
        ("jpg|png", "x.png", true),
        ("^a|b$", "xb", true),
        ("^(a|)$", "", true),
        ("[0-9]{4}-[0-9]{2}", "log-2024-05.txt", true),
        ("^[0-9]{4}$", "123", false),
        ("^[0-9]{2,3}$", "1234", false),
        ("^[0-9]{2,3}$", "123", true),
        ("^a{2,}$", "a", false),
        ("^a{2,}$", "aaaa", true),
        ("^a{0}$", "", true),
        ("a{", "a{", true),
        ("a{x}", "a{x}", true),
        ("a{1,x}", "a{1,x}", true),
        ("[abc]", "xbx", true),
        ("^[^abc]+$", "xyz", true),
        ("^[^abc]+$", "xaz", false),
        ("^[^a]$", "\n", true),
        ("^[]a]+$", "]a]", true),
        ("^[a-]+$", "a-", true),
        ("^[-a]+$", "-a", true),
        (r"^[\d.]+$", "1.5", true),
        (r"^[\D]+$", "1", false),
        (r"^[\w-]+\.txt$", "my-file_1.txt", true),
        (r"^\d+$", "123", true),
        (r"^\d+$", "١٢", false),
        (r"^\D+$", "abc", true),
        (r"^\w+$", "a_1", true),
        (r"^\W$", "-", true),
        (r"^\s$", " ", true),
        (r"^\S+$", "a b", false),
        (r"\*", "a*b", true),
        (r"^\\$", "\\", true),
        (r"\Aa", "ab", true),
        (r"b\z", "ab", true),
        (r"b\z", "ab\n", false),
        ("(?i)readme", "README.md", true),
        ("(?i:r)eadme", "ReADME", false),
        ("(?i:r)eadme", "Readme", true),
        ("a(?i)b|c", "aB", true),
        ("a(?i)b|c", "C", true),
        ("(?i)[a-c]", "B", true),
        ("(?i)é", "É", true),
        ("(?i)(?-i)a", "A", false),
        ("(?m)^b$", "a\nb\nc", true),
        ("^b$", "a\nb\nc", false),
        ("(?P<year>[0-9]+)/", "2024/x", true),
        ("(?<year>[0-9]+)/", "2024/x", true),
        ("^a*?b+?c??$", "aabbc", true),
        ("^(a*)*$", "aaaa", true),
        ("^(a*)*b$", &"a".repeat(200), false),
        ("^(a|aa)+$", &"a".repeat(300), true),
        ("日本", "データ/日本語.txt", true),
        ("^.{3}$", "日本語", true),
        ("x*", "", true),
    ];
    for (pattern, text, want) in rows {
        assert_eq!(matches(pattern, text), *want, "{pattern:?} on {text:?}");
    }
}

#[test]
fn invalid_and_unsupported_patterns_are_errors() {
    let rows: &[(&str, &str)] = &[
        ("(a", "missing `)` for the group at offset 0"),
        ("a)", "unexpected `)`"),
        ("[a", "missing `]` for the class at offset 0"),
        ("[]", "missing `]` for the class at offset 0"),
        (
            "*a",
            "missing argument to repetition operator `*` at offset 0",
        ),
        (
            "a|+",
            "missing argument to repetition operator `+` at offset 2",
        ),
        ("{2}", "missing argument to repetition operator at offset 0"),
        ("a**", "invalid nested repetition operator at offset 2"),
        ("a+{2}", "invalid nested repetition operator at offset 2"),
        ("[z-a]", "invalid class range `z-a` at offset 3"),
        ("[a-\\d]", "invalid class range at offset 3"),
        ("a{1001}", "repetition count over 1000 at offset 1"),
        ("a{3,2}", "invalid repetition range at offset 1"),
        ("a\\", "trailing backslash at end of Filter"),
        (
            r"\bword",
            "unsupported escape `\\b` at offset 0 (bolinho's Filter supports \\d \\w \\s, \
             their negations, \\n \\t \\r \\f \\v, \\A \\z and escaped punctuation)",
        ),
        (
            "[[:alpha:]]",
            "POSIX classes such as [[:alpha:]] are not supported (offset 1); write the \
             ranges, e.g. [a-zA-Z]",
        ),
        ("(?x)a", "invalid or unsupported group syntax at offset 0"),
        ("(?P<>a)", "invalid named group at offset 0"),
        (
            "(a{1000}){1000}",
            "the Filter is too large once its repetitions are expanded (over 10000 steps)",
        ),
    ];
    for (pattern, want) in rows {
        assert_eq!(
            Filter::new(pattern).unwrap_err().to_string(),
            *want,
            "{pattern:?}"
        );
    }
    let deep = format!("{}a{}", "(".repeat(300), ")".repeat(300));
    assert_eq!(
        Filter::new(&deep).unwrap_err().to_string(),
        "groups nest deeper than 200"
    );
}

#[test]
fn class_negation_covers_everything_else() {
    let digits = Class::normalise(vec![('0', '9')]);
    let not = digits.negate();
    assert!(!not.contains('5'));
    assert!(not.contains('a') && not.contains('\0') && not.contains(char::MAX));
    assert_eq!(not.negate(), digits);
}

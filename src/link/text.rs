//! WebAssembly text: a module written as text (`.wat`) is compiled to binary before anything
//! reads it, so that the start-section rewrite, validation and the portability walk see only
//! binary. Compiling text is the `wat` feature, on by default; the static release binaries leave
//! it out, for half a megabyte of size (docs/RATIONALE.md, "Binary size"), and then say so of
//! any text module they are given. This module neither validates nor runs anything.

use std::borrow::Cow;

/// `bytes` as a binary module. Anything that does not start as text does is returned as it
/// is, for the validator to say what is wrong with it ("magic header not detected" for a file
/// that is no module at all); text is compiled, and text that does not compile is refused
/// with the place and cause.
pub(crate) fn to_binary(bytes: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    if is_text(bytes) {
        compile(bytes)
    } else {
        Ok(Cow::Borrowed(bytes))
    }
}

#[cfg(feature = "wat")]
fn compile(text: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    wat::parse_bytes(text).map_err(|e| format!("invalid WebAssembly text: {e}"))
}

#[cfg(not(feature = "wat"))]
fn compile(_text: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    Err(
        "it is WebAssembly text (.wat), and this bolinho was built without the `wat` feature: \
         compile it to a binary module first (`wasm-tools parse app.wat -o app.wasm`), or use \
         a bolinho built with the feature"
            .to_string(),
    )
}

/// Whether `bytes` start as WebAssembly text does: `(` after white space and line comments
/// (a block comment starts with `(;`, so it counts too).
fn is_text(bytes: &[u8]) -> bool {
    let mut rest = bytes.trim_ascii_start();
    while let Some(comment) = rest.strip_prefix(b";;") {
        let end = comment
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(comment.len());
        rest = comment[end..].trim_ascii_start();
    }
    rest.first() == Some(&b'(')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_known_by_its_first_parenthesis() {
        assert!(is_text(b"(module)"));
        assert!(is_text(b"\n  ;; a comment\n;;another\n\t(module)"));
        assert!(is_text(b"(; block ;) (module)"));
        assert!(!is_text(b"\0asm\x01\0\0\0"));
        assert!(!is_text(b";; only a comment"));
        assert!(!is_text(b"module"));
        assert!(!is_text(b""));
    }

    #[test]
    fn binary_and_garbage_pass_through_unchanged() {
        let binary = b"\0asm\x01\0\0\0";
        assert!(matches!(to_binary(binary), Ok(Cow::Borrowed(b)) if b == binary));
        let garbage = b"\x89PNG\r\n";
        assert!(matches!(to_binary(garbage), Ok(Cow::Borrowed(b)) if b == garbage));
    }

    #[cfg(feature = "wat")]
    #[test]
    fn text_is_compiled_and_bad_text_named_where() {
        assert_eq!(&*to_binary(b"(module)").unwrap(), b"\0asm\x01\0\0\0");
        let e = to_binary(b"(module\n  (func (i32.bogus)))").unwrap_err();
        assert!(e.starts_with("invalid WebAssembly text: "), "{e}");
        assert!(e.contains(":2:"), "the line is named: {e}");
    }

    #[cfg(not(feature = "wat"))]
    #[test]
    fn text_is_refused_with_the_way_out() {
        let e = to_binary(b"(module)").unwrap_err();
        assert!(e.contains("built without the `wat` feature"), "{e}");
        assert!(e.contains("wasm-tools parse"), "{e}");
    }
}

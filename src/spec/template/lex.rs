//! The template's text split into items: literal text, actions (as tokens) and comments, with
//! the trim markers `{{- ` and ` -}}` already applied to the neighbouring text.
//!
//! Follows Go's `text/template/parse/lex.go`: delimiters `{{` `}}`, a trim marker is a `-`
//! beside the delimiter with an ASCII space (space, tab, CR, LF) on its other side, newlines
//! may appear inside actions (Go 1.16), a comment `/* */` must touch its delimiters. Every
//! token keeps its byte offset in the file, so that errors name a line and a column. Knows no
//! meaning of the tokens: that is `parse`'s.

use super::Failure;

/// One token inside an action.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// `.name`: one field of a chain.
    Field(String),
    /// `.` alone.
    Dot,
    /// `$name`, or `$` alone (the name is then empty).
    Var(String),
    /// A function name or a keyword (`if`, `range`, `true`, `nil`, ...).
    Ident(String),
    /// A quoted or raw string, unquoted.
    Str(String),
    /// A number as written (parsed by `parse`, which knows the rules).
    Number(String),
    /// A character constant, e.g. `'a'`, as its code point.
    Char(char),
    LParen,
    RParen,
    Pipe,
    /// `:=`
    Declare,
    /// `=`
    Assign,
    Comma,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    /// Byte offset in the file.
    pub pos: usize,
    /// Whether spaces separate it from the token before (`$x.a` is one operand, `$x .a` two).
    pub spaced: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Item {
    /// The file's bytes `start..end`, printed as they are.
    Text { start: usize, end: usize },
    /// An action: `pos` is the offset of its first token (or of `{{` when it has none).
    Action { pos: usize, tokens: Vec<Token> },
}

/// Go's `isSpace`: what a trim marker trims and what separates tokens.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Splits `src` into items. Comments produce none.
pub(super) fn lex(src: &str) -> Result<Vec<Item>, Failure> {
    let bytes = src.as_bytes();
    let mut items = Vec::new();
    let mut at = 0;
    // Where the next text starts, after a ` -}}` trimmed the spaces that follow it.
    let mut trim_next = false;
    loop {
        let open = src[at..].find("{{").map(|i| at + i);
        let mut end = open.unwrap_or(src.len());
        let trim_left = open.is_some_and(|o| {
            bytes.get(o + 2) == Some(&b'-') && bytes.get(o + 3).is_some_and(|&b| is_space(b))
        });
        if trim_next {
            while at < end && is_space(bytes[at]) {
                at += 1;
            }
        }
        if trim_left {
            while end > at && is_space(bytes[end - 1]) {
                end -= 1;
            }
        }
        if at < end {
            items.push(Item::Text { start: at, end });
        }
        let Some(open) = open else {
            return Ok(items);
        };
        let mut i = open + 2 + if trim_left { 2 } else { 0 };
        if src[i..].starts_with("/*") {
            let close = src[i + 2..]
                .find("*/")
                .ok_or_else(|| Failure::at(open, "unclosed comment"))?;
            i += 2 + close + 2;
            let (after, trim) = right_delim(bytes, i)
                .ok_or_else(|| Failure::at(open, "comment ends before closing delimiter"))?;
            at = after;
            trim_next = trim;
            continue;
        }
        let (tokens, after, trim) = action(src, open, i)?;
        let pos = tokens.first().map_or(open, |t| t.pos);
        items.push(Item::Action { pos, tokens });
        at = after;
        trim_next = trim;
    }
}

/// At `i`, `}}` or ` -}}`: the offset after it, and whether it trims.
fn right_delim(bytes: &[u8], i: usize) -> Option<(usize, bool)> {
    if bytes[i..].starts_with(b"}}") {
        return Some((i + 2, false));
    }
    if bytes.get(i).is_some_and(|&b| is_space(b)) && bytes[i + 1..].starts_with(b"-}}") {
        return Some((i + 4, true));
    }
    None
}

/// The tokens of the action whose `{{` is at `open` and whose inside starts at `i`.
fn action(src: &str, open: usize, mut i: usize) -> Result<(Vec<Token>, usize, bool), Failure> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let mut spaced = true;
    loop {
        if let Some((after, trim)) = right_delim(bytes, i) {
            if depth > 0 {
                return Err(Failure::at(open, "unclosed left paren"));
            }
            return Ok((tokens, after, trim));
        }
        let Some(&b) = bytes.get(i) else {
            return Err(Failure::at(open, "unclosed action"));
        };
        if is_space(b) {
            i += 1;
            spaced = true;
            continue;
        }
        let start = i;
        let tok = match b {
            b'|' => one(&mut i, Tok::Pipe),
            b',' => one(&mut i, Tok::Comma),
            b'=' => one(&mut i, Tok::Assign),
            b':' if bytes.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Declare
            }
            b':' => return Err(Failure::at(i, "expected :=")),
            b'(' => {
                depth += 1;
                one(&mut i, Tok::LParen)
            }
            b')' => {
                if depth == 0 {
                    return Err(Failure::at(i, "unexpected right paren"));
                }
                depth -= 1;
                one(&mut i, Tok::RParen)
            }
            b'"' => Tok::Str(quoted(src, &mut i)?),
            b'`' => {
                let close = src[i + 1..]
                    .find('`')
                    .ok_or_else(|| Failure::at(i, "unterminated raw quoted string"))?;
                let text = src[i + 1..i + 1 + close].to_string();
                i += close + 2;
                Tok::Str(text)
            }
            b'\'' => Tok::Char(char_constant(src, &mut i)?),
            b'$' => {
                i += 1;
                Tok::Var(word(src, &mut i).to_string())
            }
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                Tok::Number(number(src, &mut i))
            }
            b'.' => {
                i += 1;
                let name = word(src, &mut i);
                if name.is_empty() {
                    Tok::Dot
                } else {
                    Tok::Field(name.to_string())
                }
            }
            b'+' | b'-' | b'0'..=b'9' => Tok::Number(number(src, &mut i)),
            _ if is_word(src[i..].chars().next().unwrap_or(' ')) => {
                Tok::Ident(word(src, &mut i).to_string())
            }
            _ => {
                let c = src[i..].chars().next().unwrap_or('?');
                return Err(Failure::at(
                    i,
                    format!("unrecognized character in action: {c:?}"),
                ));
            }
        };
        // Go's `atTerminator`: a word ends at a space, a delimiter or punctuation.
        let ends_word = matches!(
            tok,
            Tok::Field(_) | Tok::Var(_) | Tok::Ident(_) | Tok::Number(_)
        );
        if ends_word {
            let next = bytes.get(i).copied().unwrap_or(b' ');
            let ok = is_space(next) || b".,|:()=".contains(&next) || bytes[i..].starts_with(b"}}");
            if !ok {
                let c = src[i..].chars().next().unwrap_or('?');
                return Err(Failure::at(i, format!("bad character {c:?}")));
            }
        }
        tokens.push(Token {
            tok,
            pos: start,
            spaced,
        });
        spaced = false;
    }
}

fn one(i: &mut usize, tok: Tok) -> Tok {
    *i += 1;
    tok
}

fn is_word(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Letters, digits and `_` from `i`.
fn word<'s>(src: &'s str, i: &mut usize) -> &'s str {
    let start = *i;
    let len = src[start..]
        .find(|c: char| !is_word(c))
        .unwrap_or(src.len() - start);
    *i += len;
    &src[start..*i]
}

/// A number's text: a sign, then digits, letters (prefixes, exponents, hex digits), `_`,
/// `.` and an exponent's sign. Whether it is a number is for `parse` to say.
fn number(src: &str, i: &mut usize) -> String {
    let bytes = src.as_bytes();
    let start = *i;
    if matches!(bytes[*i], b'+' | b'-') {
        *i += 1;
    }
    while let Some(&b) = bytes.get(*i) {
        let exponent_sign = matches!(b, b'+' | b'-')
            && matches!(bytes[*i - 1], b'e' | b'E' | b'p' | b'P')
            && !src[start..*i].starts_with("0x");
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
            *i += 1;
        } else {
            break;
        }
    }
    src[start..*i].to_string()
}

/// A double-quoted string from `i` (at its `"`), with Go's escapes.
fn quoted(src: &str, i: &mut usize) -> Result<String, Failure> {
    let start = *i;
    let mut out = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            '"' => {
                *i = start + 1 + k + 1;
                return Ok(out);
            }
            '\n' => break,
            '\\' => {
                let at = start + 1 + k;
                out.push(escape(&mut chars, '"', at)?);
            }
            c => out.push(c),
        }
    }
    Err(Failure::at(start, "unterminated quoted string"))
}

/// A character constant from `i` (at its `'`).
fn char_constant(src: &str, i: &mut usize) -> Result<char, Failure> {
    let start = *i;
    let mut chars = src[start + 1..].char_indices();
    let c = match chars.next() {
        Some((k, '\\')) => escape(&mut chars, '\'', start + 1 + k)?,
        Some((_, c)) if c != '\'' && c != '\n' => c,
        _ => return Err(Failure::at(start, "malformed character constant")),
    };
    match chars.next() {
        Some((k, '\'')) => {
            *i = start + 1 + k + 1;
            Ok(c)
        }
        _ => Err(Failure::at(start, "unterminated character constant")),
    }
}

/// One escape after its `\` (Go's `strconv.UnquoteChar`); `quote` is the one quote it may escape.
fn escape(chars: &mut std::str::CharIndices, quote: char, at: usize) -> Result<char, Failure> {
    let bad = || Failure::at(at, "invalid syntax in quoted string");
    let (_, c) = chars.next().ok_or_else(bad)?;
    let hex = |chars: &mut std::str::CharIndices, n: usize| -> Result<char, Failure> {
        let digits: String = chars.take(n).map(|(_, c)| c).collect();
        if digits.len() != n {
            return Err(bad());
        }
        let code = u32::from_str_radix(&digits, 16).map_err(|_| bad())?;
        char::from_u32(code).ok_or_else(bad)
    };
    let ascii = |c: char| {
        if c.is_ascii() {
            Ok(c)
        } else {
            Err(Failure::at(at, "a byte escape past \\x7f is not supported"))
        }
    };
    Ok(match c {
        'a' => '\x07',
        'b' => '\x08',
        'f' => '\x0c',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\x0b',
        '\\' => '\\',
        c if c == quote => c,
        // Go's `\xFF` and `\377` are bytes; a byte past ASCII cannot be one character of
        // text, so it is refused rather than read as U+00FF.
        'x' => ascii(hex(chars, 2)?)?,
        'u' => hex(chars, 4)?,
        'U' => hex(chars, 8)?,
        '0'..='7' => {
            let rest: String = chars.take(2).map(|(_, c)| c).collect();
            let code = u32::from_str_radix(&format!("{c}{rest}"), 8).map_err(|_| bad())?;
            if rest.len() != 2 {
                return Err(bad());
            }
            ascii(char::from_u32(code).ok_or_else(bad)?)?
        }
        _ => return Err(bad()),
    })
}

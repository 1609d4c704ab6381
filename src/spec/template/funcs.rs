//! The builtins, over evaluated arguments: `not eq ne lt le gt ge len index slice print
//! println printf html js urlquery`. (`and` and `or` stop at the first deciding argument, so
//! `exec` evaluates them itself; `call` is refused by `parse`.)
//!
//! Each follows Go's `text/template/funcs.go`, its errors worded as Go words them: "error
//! calling eq: incompatible types for comparison", "wrong number of args for len: want 1 got
//! 2". `index` of a missing map key gives the empty string, not an error, even with
//! `missingkey=error` (Go returns the map's zero value): this is what makes
//! `{{or (index . "dir") "/app"}}` a default.

use std::cmp::Ordering;

use super::printf::printf;
use super::value::{Value, sprint, sprintln};

/// Calls builtin `name` with `args`; the error is the whole message.
pub(super) fn call<'d>(name: &str, args: Vec<Value<'d>>) -> Result<Value<'d>, String> {
    let want = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "wrong number of args for {name}: want {n} got {}",
                args.len()
            ))
        }
    };
    let at_least = |n: usize| {
        if args.len() >= n {
            Ok(())
        } else {
            Err(format!(
                "wrong number of args for {name}: want at least {n} got {}",
                args.len()
            ))
        }
    };
    let calling = |e: String| format!("error calling {name}: {e}");
    match name {
        "not" => {
            want(1)?;
            Ok(Value::Bool(!args[0].truth()))
        }
        "eq" => {
            at_least(1)?;
            eq(&args[0], &args[1..]).map(Value::Bool).map_err(calling)
        }
        "ne" | "lt" | "le" | "gt" | "ge" => {
            want(2)?;
            let (a, b) = (&args[0], &args[1]);
            let verdict = match name {
                "ne" => eq(a, &args[1..]).map(|e| !e),
                "lt" => less(a, b).map(|o| o == Ordering::Less),
                "le" => less(a, b).map(|o| o != Ordering::Greater),
                "gt" => less(a, b).map(|o| o == Ordering::Greater),
                _ => less(a, b).map(|o| o != Ordering::Less),
            };
            verdict.map(Value::Bool).map_err(calling)
        }
        "len" => {
            want(1)?;
            let n = match &args[0] {
                Value::Str(s) => s.len(),
                Value::Map(m) => m.len(),
                other => return Err(calling(format!("len of type {}", other.type_name()))),
            };
            Ok(Value::Int(n as i64))
        }
        "index" => {
            at_least(1)?;
            index(&args[0], &args[1..]).map_err(calling)
        }
        "slice" => {
            at_least(1)?;
            slice(&args[0], &args[1..]).map_err(calling)
        }
        "print" => Ok(Value::Str(sprint(&args))),
        "println" => Ok(Value::Str(sprintln(&args))),
        "printf" => {
            at_least(1)?;
            let Value::Str(format) = &args[0] else {
                return Err(format!(
                    "wrong type for value; expected string; got {}",
                    args[0].type_name()
                ));
            };
            printf(format, &args[1..]).map(Value::Str)
        }
        "html" => Ok(Value::Str(html(&text_of(&args)))),
        "js" => Ok(Value::Str(js(&text_of(&args)))),
        "urlquery" => Ok(Value::Str(urlquery(&text_of(&args)))),
        _ => unreachable!("parse admits only the builtins, and exec calls `and`/`or` itself"),
    }
}

/// Go's `evalArgs`: one string argument as it is, anything else as `fmt.Sprint` prints it.
fn text_of(args: &[Value]) -> String {
    match args {
        [Value::Str(s)] => s.clone(),
        _ => sprint(args),
    }
}

/// Go's `eq`: true if `a` equals any of `others`. Values of different kinds are an error,
/// unless one is nil (then simply unequal).
fn eq(a: &Value, others: &[Value]) -> Result<bool, String> {
    if others.is_empty() {
        return Err("missing argument for comparison".into());
    }
    for b in others {
        let equal = match (a, b) {
            (Value::Nil, Value::Nil) => true,
            (Value::Nil, _) | (_, Value::Nil) => false,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Float(x), Value::Float(y)) => x == y,
            (Value::Str(x), Value::Str(y)) => x == y,
            (Value::Map(_), Value::Map(_)) => {
                return Err("non-comparable type map[string]string".into());
            }
            _ => return Err("incompatible types for comparison".into()),
        };
        if equal {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Go's `lessThan`, as an ordering: numbers and strings of the same kind only.
fn less(a: &Value, b: &Value) -> Result<Ordering, String> {
    let basic = |v: &Value| matches!(v, Value::Int(_) | Value::Float(_) | Value::Str(_));
    if !basic(a) || !basic(b) {
        return Err("invalid type for comparison".into());
    }
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
        (Value::Str(x), Value::Str(y)) => Ok(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => Ok(x.partial_cmp(y).unwrap_or(Ordering::Equal)),
        _ => Err("incompatible types for comparison".into()),
    }
}

fn index<'d>(item: &Value<'d>, indices: &[Value]) -> Result<Value<'d>, String> {
    let mut item = item.clone();
    for i in indices {
        item = match (&item, i) {
            (Value::Map(m), Value::Str(key)) => Value::Str(m.get(key).cloned().unwrap_or_default()),
            (Value::Map(_), other) => {
                return Err(format!(
                    "value has type {}; should be string",
                    other.type_name()
                ));
            }
            (Value::Str(s), i) => Value::Int(i64::from(s.as_bytes()[position(i, s.len())?])),
            (Value::Nil, _) => return Err("index of untyped nil".into()),
            (other, _) => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

/// An index into `len` elements: an integer below `len`.
fn position(i: &Value, len: usize) -> Result<usize, String> {
    match i {
        Value::Int(n) => usize::try_from(*n)
            .ok()
            .filter(|n| *n < len)
            .ok_or_else(|| format!("index out of range: {n}")),
        other => Err(format!(
            "cannot index slice/array with type {}",
            other.type_name()
        )),
    }
}

/// `slice "abc" 1 2`: strings only (the data holds no lists), by bytes as in Go.
fn slice<'d>(item: &Value<'d>, bounds: &[Value]) -> Result<Value<'d>, String> {
    let Value::Str(s) = item else {
        return Err(format!("can't slice item of type {}", item.type_name()));
    };
    if bounds.len() > 2 {
        return Err("cannot 3-index slice a string".into());
    }
    let mut at = [0, s.len()];
    for (k, b) in bounds.iter().enumerate() {
        at[k] = position(b, s.len() + 1)?;
    }
    if at[0] > at[1] {
        return Err(format!("invalid slice index: {} > {}", at[0], at[1]));
    }
    let piece = s
        .get(at[0]..at[1])
        .ok_or("slice splits a UTF-8 character")?;
    Ok(Value::Str(piece.to_string()))
}

/// Go's `HTMLEscapeString`.
fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `JSEscapeString`: quotes and backslash escaped, `<>&=` and control characters as
/// `\uXXXX` (upper-case hex); other characters Go deems unprintable likewise.
fn js(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' | '>' | '&' | '=' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if (c as u32) < 0x20 || !printable(c) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `unicode.IsPrint`, near enough: no control characters, and no space but U+0020.
pub(super) fn printable(c: char) -> bool {
    !c.is_control() && (c == ' ' || !c.is_whitespace())
}

/// Go's `url.QueryEscape`: unreserved bytes kept, space as `+`, the rest `%XX`.
fn urlquery(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::printf::quote;
    use super::*;

    #[test]
    fn escapers_match_go() {
        assert_eq!(
            html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            js("a'b\"c\\<>&=\n"),
            "a\\'b\\\"c\\\\\\u003C\\u003E\\u0026\\u003D\\u000A"
        );
        assert_eq!(urlquery("a b&c=d/é~"), "a+b%26c%3Dd%2F%C3%A9~");
        assert_eq!(quote("a\"b\n\x01é"), "\"a\\\"b\\n\\x01é\"");
    }
}

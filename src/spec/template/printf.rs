//! `printf`: Go's `fmt.Sprintf` for the verbs job files use.
//!
//! Supported: `%v %s %d %q %x %X %t %f %c %%`, the flags `-` (left-justify), `0` (zero-pad
//! numbers), `+` (sign), a width and a precision (`%5s`, `%-8v`, `%05d`, `%.2f`, `%.3s`).
//! Go's own marks for misuse are kept: `%!d(string=abc)` for a verb of the wrong type,
//! `%!d(MISSING)` for a missing argument, `%!(EXTRA string=x)` for arguments left over. A verb
//! or a form Go has and bolinho has not (`%e %g %o %b %U %T %p`, `*` widths, `#`, `%x` of a
//! float, argument indexes) is an error naming it, never printed differently from Go.

use super::funcs::printable;
use super::value::{Value, go_float};

/// One `%...` directive.
#[derive(Default)]
struct Spec {
    minus: bool,
    zero: bool,
    plus: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

pub(super) fn printf(format: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut used = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '0' => spec.zero = true,
                '+' => spec.plus = true,
                '#' | ' ' | '*' | '[' => {
                    return Err(format!(
                        "printf: the {f:?} of a verb is not supported by bolinho"
                    ));
                }
                _ => break,
            }
            chars.next();
        }
        let Ok(width) = digits(&mut chars) else {
            out.push_str("%!(NOVERB)");
            break;
        };
        spec.width = width;
        if chars.peek() == Some(&'.') {
            chars.next();
            let Ok(precision) = digits(&mut chars) else {
                out.push_str("%!(NOVERB)");
                break;
            };
            spec.precision = Some(precision.unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !"vsdqxXtfc".contains(verb) {
            return Err(format!(
                "printf: the verb %{verb} is not supported by bolinho"
            ));
        }
        let Some(arg) = args.get(used) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        used += 1;
        let text = match one(verb, &spec, arg)? {
            Some(text) => text,
            None => {
                out.push_str(&format!("%!{verb}({})", typed(arg)));
                continue;
            }
        };
        out.push_str(&pad(
            &text,
            &spec,
            verb != 's' && verb != 'q' && verb != 'v',
        ));
    }
    if used < args.len() {
        let extra: Vec<String> = args[used..].iter().map(typed).collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    Ok(out)
}

/// A width or precision, if one is written. Past a million, Go's `parsenum` gives up and
/// takes the rest of the format with it (it prints `%!(NOVERB)`): `Err`, with the rest read.
fn digits(chars: &mut std::iter::Peekable<std::str::Chars>) -> Result<Option<usize>, ()> {
    const TOO_LARGE: usize = 1_000_000;
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        if n.is_some_and(|n| n > TOO_LARGE) {
            chars.for_each(drop);
            return Err(());
        }
        n = Some(n.unwrap_or(0) * 10 + d as usize);
        chars.next();
    }
    Ok(n)
}

/// `arg` under `verb`, unpadded; `None` when Go would print `%!verb(type=value)`.
fn one(verb: char, spec: &Spec, arg: &Value) -> Result<Option<String>, String> {
    let signed = |n: String, negative: bool| {
        if spec.plus && !negative {
            format!("+{n}")
        } else {
            n
        }
    };
    Ok(match (verb, arg) {
        ('v', Value::Int(n)) | ('d', Value::Int(n)) => Some(signed(n.to_string(), *n < 0)),
        ('v', Value::Float(f)) => Some(signed(go_float(*f), *f < 0.0)),
        ('v', v) => Some(v.sprint()),
        ('s', Value::Str(s)) => Some(match spec.precision {
            Some(p) => s.chars().take(p).collect(),
            None => s.clone(),
        }),
        ('s', Value::Map(_)) => Some(arg.sprint()),
        ('q', Value::Str(s)) => Some(quote(s)),
        ('q', Value::Int(n)) => Some(match u32::try_from(*n).ok().and_then(char::from_u32) {
            Some(c) => format!("'{}'", &quote(&c.to_string()).trim_matches('"')),
            None => "'\u{FFFD}'".into(),
        }),
        ('x' | 'X', Value::Str(s)) => Some(s.bytes().map(|b| format!("{b:02x}")).collect()),
        ('x' | 'X', Value::Int(n)) => Some(if *n < 0 {
            format!("-{:x}", n.unsigned_abs())
        } else {
            format!("{n:x}")
        }),
        ('x' | 'X', Value::Float(_)) => {
            return Err("printf: %x of a float64 is not supported by bolinho".into());
        }
        ('t', Value::Bool(b)) => Some(b.to_string()),
        ('f', Value::Float(f)) => Some(signed(
            format!("{f:.*}", spec.precision.unwrap_or(6)),
            *f < 0.0,
        )),
        ('c', Value::Int(n)) => Some(
            u32::try_from(*n)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{FFFD}')
                .to_string(),
        ),
        _ => None,
    }
    .map(|s| if verb == 'X' { s.to_uppercase() } else { s }))
}

/// Pads to the width: spaces, on the right with `-`, zeros after the sign for numbers with `0`.
fn pad(text: &str, spec: &Spec, numeric: bool) -> String {
    let len = text.chars().count();
    let Some(width) = spec.width.filter(|w| *w > len) else {
        return text.to_string();
    };
    let fill = width - len;
    if spec.minus {
        format!("{text}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        let (sign, digits) = match text.strip_prefix(['-', '+']) {
            Some(rest) => (&text[..1], rest),
            None => ("", text),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}

/// How Go names a misused argument: `string=abc`, `int=5`, `<nil>`.
fn typed(v: &Value) -> String {
    match v {
        Value::Nil => "<nil>".into(),
        v => format!("{}={}", v.type_name(), v.sprint()),
    }
}

/// Go's `strconv.Quote`.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(format: &str, args: &[Value]) -> String {
        printf(format, args).unwrap()
    }

    #[test]
    fn verbs_widths_and_misuse_print_as_go() {
        let s = |t: &str| Value::Str(t.into());
        // A width past a million is Go's `%!(NOVERB)`, never an allocation that size (fuzzing).
        assert_eq!(
            p("<%22222222222x> rest", &[s("a")]),
            "<%!(NOVERB)%!(EXTRA string=a)"
        );
        assert_eq!(p("<%.99999999s>", &[]), "<%!(NOVERB)");
        assert_eq!(p("%3.1000000s|", &[s("ab")]), " ab|");
        assert_eq!(
            p("%s-%d-%v", &[s("a"), Value::Int(3), Value::Bool(true)]),
            "a-3-true"
        );
        assert_eq!(
            p("[%5s][%-5s][%.2s]", &[s("ab"), s("ab"), s("abc")]),
            "[   ab][ab   ][ab]"
        );
        assert_eq!(
            p(
                "%05d|%+d|%x|%X",
                &[Value::Int(-42), Value::Int(7), Value::Int(255), s("hi")]
            ),
            "-0042|+7|ff|6869"
        );
        assert_eq!(p("%q %q", &[s("a\"b"), Value::Int(97)]), "\"a\\\"b\" 'a'");
        assert_eq!(
            p("%.2f %v %%", &[Value::Float(1.125), Value::Float(1e6)]),
            "1.12 1e+06 %"
        );
        assert_eq!(p("%d %s", &[s("x")]), "%!d(string=x) %!s(MISSING)");
        assert_eq!(
            p("%s", &[s("a"), Value::Int(1), Value::Nil]),
            "a%!(EXTRA int=1, <nil>)"
        );
        assert_eq!(
            printf("%e", &[Value::Float(1.0)]).unwrap_err(),
            "printf: the verb %e is not supported by bolinho"
        );
        assert_eq!(
            p(
                "%c%c|%t %t",
                &[Value::Int(104), Value::Int(105), Value::Bool(true), s("x")]
            ),
            "hi|true %!t(string=x)"
        );
        for (format, flag) in [("%#x", "'#'"), ("% d", "' '"), ("%*d", "'*'")] {
            assert_eq!(
                printf(format, &[Value::Int(1)]).unwrap_err(),
                format!("printf: the {flag} of a verb is not supported by bolinho")
            );
        }
    }
}

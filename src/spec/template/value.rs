//! The values a template computes with, and how Go prints and judges them.
//!
//! The data is Bacalhau's: a map of strings (`map[string]string`), so a value is one of few
//! kinds: that map, a string, the numbers and booleans of literals and builtins, or nil.
//! Truth is Go's (`false`, `0`, nil, the empty string and the empty map are false) and
//! printing is `fmt`'s `%v`. Owns no evaluation: that is `exec`'s.

use super::Vars;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value<'d> {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Map(&'d Vars),
}

impl Value<'_> {
    /// Go's `isTrue`.
    pub fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(n) => *n != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Map(m) => !m.is_empty(),
        }
    }

    /// The Go type name, for messages (`can't evaluate field x in type string`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::Map(_) => "map[string]string",
        }
    }

    /// `fmt.Sprint` of one value (`%v`): nil is `<nil>`, a map `map[k:v k2:v2]` sorted by key.
    pub fn sprint(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(n) => n.to_string(),
            Value::Float(f) => go_float(*f),
            Value::Str(s) => s.clone(),
            Value::Map(m) => {
                let pairs: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("map[{}]", pairs.join(" "))
            }
        }
    }
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): the shortest digits that
/// read back the same, in exponent form when the exponent is below -4 or at least 6
/// (`strconv/ftoa.go`: "if precision was the shortest possible, use precision 6"), so
/// `1e6` prints `1e+06` and `100000.0` prints `100000`.
pub(super) fn go_float(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` gives the same shortest digits: `1.5e-7`, `1e6`.
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').expect("`{:e}` has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is a number");
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    format!("{f}")
}

/// Go's `fmt.Sprint`: spaces between operands when neither side is a string.
pub(super) fn sprint(values: &[Value]) -> String {
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        let string = |v: &Value| matches!(v, Value::Str(_));
        if i > 0 && !string(v) && !string(&values[i - 1]) {
            out.push(' ');
        }
        out.push_str(&v.sprint());
    }
    out
}

/// Go's `fmt.Sprintln`: spaces between all operands, and a newline.
pub(super) fn sprintln(values: &[Value]) -> String {
    let parts: Vec<String> = values.iter().map(Value::sprint).collect();
    parts.join(" ") + "\n"
}

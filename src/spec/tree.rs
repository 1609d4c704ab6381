//! The document tree: YAML or JSON parsed into one generic shape that keeps line numbers.
//!
//! This module owns syntax only: it turns text into `Node`s and reports syntax errors with the
//! line they are on. It knows nothing of jobs; `reader` and the modules above it give the tree
//! meaning. Lines are 1-based and known for YAML only: serde_json does not expose positions for
//! values, only for its own syntax errors.

use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{DuplicateKeyPolicy, MessageFormatter, NonFiniteFloatPolicy, Spanned};

/// A value of the document and the line it is on (`None` for JSON).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub line: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// The number as written in YAML (`0123`, `1.10` stay so); as serde_json prints it for JSON.
    Number(String),
    String(String),
    Seq(Vec<Node>),
    /// Entries in document order; duplicates are kept for the reader to report.
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// Scalar keys are turned into text (`5: x` has the key `5`).
    pub key: String,
    /// The key's own line, where "unknown key" and "duplicate key" point.
    pub line: Option<u32>,
    pub value: Node,
}

/// A document that is not valid YAML or JSON.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub line: Option<u32>,
    pub message: String,
}

/// Parses a job document: JSON when its first non-blank character is `{`, else YAML.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        parse_json(text)
    } else {
        parse_yaml(text)
    }
}

/// The deepest YAML nesting accepted (maps and lists).
const MAX_DEPTH: usize = 32;

fn parse_yaml(text: &str) -> Result<Node, SyntaxError> {
    let options = serde_saphyr::options! {
        // Each level costs tens of kilobytes of stack in a debug build (serde-saphyr's
        // deserializer plus `Spanned`), so the default of 64 could overflow a 2 MiB thread.
        // A job nests about ten levels deep; 32 leaves room and keeps parsing within 2 MiB.
        budget: serde_saphyr::budget! { max_depth: MAX_DEPTH },
        // YAML 1.2 booleans only: `yes`, `no`, `on` and `off` stay strings, as in Go's yaml.v3.
        strict_booleans: true,
        // Passed through so that duplicates are reported like JSON's, with both spellings.
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        non_finite_float_policy: NonFiniteFloatPolicy::AsString,
        with_snippet: false,
    };
    let raw: YamlNode = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let line = e.location().and_then(|l| line_number(l.line()));
        let message = match innermost(&e) {
            serde_saphyr::Error::MultipleDocuments { .. } => {
                "a job file holds one YAML document, this one has several".to_string()
            }
            serde_saphyr::Error::Budget {
                breach: BudgetBreach::Depth { .. },
                ..
            } => {
                format!("nested more than {MAX_DEPTH} levels deep")
            }
            inner => serde_saphyr::DefaultMessageFormatter
                .format_message(inner)
                .into_owned(),
        };
        SyntaxError {
            line,
            message: format!("invalid yaml: {message}"),
        }
    })?;
    convert(raw, Some(text))
}

fn parse_json(text: &str) -> Result<Node, SyntaxError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let raw = JsonNode::deserialize(&mut de).and_then(|node| de.end().map(|()| node));
    let raw = raw.map_err(|e| {
        // serde_json appends " at line L column C"; the line goes in its own field.
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full);
        let message = match e.column() {
            0 => format!("invalid json: {message}"),
            column => format!("invalid json: {message} (column {column})"),
        };
        SyntaxError {
            line: line_number(e.line() as u64),
            message,
        }
    })?;
    convert(raw, None)
}

/// The error itself, out of the wrappers that only add locations.
fn innermost(mut e: &serde_saphyr::Error) -> &serde_saphyr::Error {
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = e
    {
        e = error;
    }
    e
}

fn line_number(line: u64) -> Option<u32> {
    u32::try_from(line).ok().filter(|&line| line > 0)
}

/// A node as serde hands it over, before keys become text and numbers get their source text.
enum Shape<C> {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Seq(Vec<C>),
    Map(Vec<(C, C)>),
}

/// What `convert` needs from a raw node: its shape, line, and the byte span of its source text.
trait RawNode: Sized {
    fn into_parts(self) -> (Shape<Self>, Option<u32>, Option<(usize, usize)>);
}

/// A JSON node. serde_json has no spans, so lines stay unknown.
struct JsonNode(Shape<JsonNode>);

impl<'de> Deserialize<'de> for JsonNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor(PhantomData)).map(JsonNode)
    }
}

impl RawNode for JsonNode {
    fn into_parts(self) -> (Shape<Self>, Option<u32>, Option<(usize, usize)>) {
        (self.0, None, None)
    }
}

/// A YAML node with its location. `Spanned` works inside our own visitor because serde-saphyr
/// recognises it by a marker name at any depth, not only in derived structs.
struct YamlNode {
    shape: Shape<YamlNode>,
    line: Option<u32>,
    span: Option<(usize, usize)>,
}

struct YamlShape(Shape<YamlNode>);

impl<'de> Deserialize<'de> for YamlShape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor(PhantomData)).map(YamlShape)
    }
}

impl<'de> Deserialize<'de> for YamlNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<YamlShape>::deserialize(d)?;
        // `referenced` is where the value is used (an alias's own line); `defined` is where its
        // text is (the anchored scalar), which is what a number's source text is cut from.
        let span = spanned.defined.span();
        let span = span.byte_offset().zip(span.byte_len());
        let span = span
            .and_then(|(at, len)| Some((usize::try_from(at).ok()?, usize::try_from(len).ok()?)));
        Ok(YamlNode {
            shape: spanned.value.0,
            line: line_number(spanned.referenced.line()),
            span,
        })
    }
}

impl RawNode for YamlNode {
    fn into_parts(self) -> (Shape<Self>, Option<u32>, Option<(usize, usize)>) {
        (self.shape, self.line, self.span)
    }
}

struct ShapeVisitor<C>(PhantomData<C>);

impl<'de, C: Deserialize<'de>> Visitor<'de> for ShapeVisitor<C> {
    type Value = Shape<C>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML or JSON value")
    }
    fn visit_unit<E>(self) -> Result<Shape<C>, E> {
        Ok(Shape::Null)
    }
    fn visit_none<E>(self) -> Result<Shape<C>, E> {
        Ok(Shape::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Shape<C>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Shape<C>, E> {
        Ok(Shape::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Shape<C>, E> {
        Ok(Shape::Number(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Shape<C>, E> {
        Ok(Shape::Number(v.to_string()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Shape<C>, E> {
        Ok(Shape::Number(v.to_string()))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Shape<C>, E> {
        Ok(Shape::Number(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Shape<C>, E> {
        Ok(Shape::Number(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Shape<C>, E> {
        Ok(Shape::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Shape<C>, E> {
        Ok(Shape::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape<C>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Shape::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape<C>, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Shape::Map(entries))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Shape<C>, E> {
        Err(E::custom("binary values are not supported"))
    }
}

/// Builds the public tree. Recursion depth is bounded by the parsers' limits (`MAX_DEPTH` for
/// YAML, serde_json's 128 for JSON), so a hostile document cannot overflow the stack here.
fn convert<R: RawNode>(raw: R, source: Option<&str>) -> Result<Node, SyntaxError> {
    let (shape, line, span) = raw.into_parts();
    let value = match shape {
        Shape::Null => Value::Null,
        Shape::Bool(b) => Value::Bool(b),
        Shape::Number(printed) => Value::Number(number_text(printed, source, span)),
        Shape::String(s) => Value::String(s),
        Shape::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|item| convert(item, source))
                .collect::<Result<_, _>>()?,
        ),
        Shape::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (key, value) in entries {
                let key = convert(key, source)?;
                let text = match key.value {
                    Value::Null => "null".to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(s) | Value::String(s) => s,
                    Value::Seq(_) | Value::Map(_) => {
                        let message = "invalid yaml: a key must be a string, not a list or a map";
                        return Err(SyntaxError {
                            line: key.line,
                            message: message.into(),
                        });
                    }
                };
                out.push(Entry {
                    key: text,
                    line: key.line,
                    value: convert(value, source)?,
                });
            }
            Value::Map(out)
        }
    };
    Ok(Node { value, line })
}

/// A YAML number's text as written, so that `VERSION: 1.10` and `ZIP: 01234` keep their digits
/// when read as strings; falls back to serde's rendering when the span is not a plain token.
fn number_text(printed: String, source: Option<&str>, span: Option<(usize, usize)>) -> String {
    let written = source
        .zip(span)
        .and_then(|(text, (at, len))| text.get(at..at.checked_add(len)?));
    match written {
        Some(w)
            if !w.is_empty()
                && !w.contains(|c: char| c.is_whitespace() || "#!&*,:[]{}".contains(c)) =>
        {
            w.to_string()
        }
        _ => printed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(node: &Node) -> &[Entry] {
        match &node.value {
            Value::Map(entries) => entries,
            other => panic!("expected a map, found {other:?}"),
        }
    }

    fn get<'a>(node: &'a Node, key: &str) -> &'a Node {
        &map(node).iter().find(|e| e.key == key).unwrap().value
    }

    #[test]
    fn yaml_lines_survive_nesting() {
        let text = "# a comment\nName: hello\nTasks:\n  - Name: main\n    Engine:\n      Type: wasm\n      Params:\n        Parameters: [\"a\", \"b\"]\n";
        let root = parse(text).unwrap();
        let task = match &get(&root, "Tasks").value {
            Value::Seq(items) => &items[0],
            other => panic!("{other:?}"),
        };
        assert_eq!(get(&root, "Name").line, Some(2));
        assert_eq!(task.line, Some(4));
        let engine = get(task, "Engine");
        assert_eq!(map(engine)[0].line, Some(6), "a key keeps its own line");
        let params = get(get(engine, "Params"), "Parameters");
        assert_eq!(params.line, Some(8));
        assert_eq!(
            params.value,
            Value::Seq(vec![
                Node {
                    value: Value::String("a".into()),
                    line: Some(8)
                },
                Node {
                    value: Value::String("b".into()),
                    line: Some(8)
                },
            ])
        );
    }

    #[test]
    fn yaml_scalars_keep_their_text() {
        let root = parse("a: 0123\nb: 1.10\nc: yes\nd: true\ne: ~\nf: 99999999999999999999999\ng: .inf\n5: x\nh: &n 0x1F\ni: *n\n").unwrap();
        let value = |k: &str| get(&root, k).value.clone();
        assert_eq!(value("a"), Value::Number("0123".into()));
        assert_eq!(value("b"), Value::Number("1.10".into()));
        assert_eq!(
            value("c"),
            Value::String("yes".into()),
            "YAML 1.1 booleans stay strings"
        );
        assert_eq!(value("d"), Value::Bool(true));
        assert_eq!(value("e"), Value::Null);
        assert_eq!(value("f"), Value::Number("99999999999999999999999".into()));
        assert_eq!(value("g"), Value::String(".inf".into()));
        assert_eq!(value("5"), Value::String("x".into()));
        assert_eq!(value("i"), Value::Number("0x1F".into()));
        assert_eq!(
            get(&root, "i").line,
            Some(10),
            "an alias is on the line that uses it"
        );
    }

    #[test]
    fn duplicate_keys_are_kept_for_the_reader() {
        let root = parse("a: 1\na: 2\n").unwrap();
        assert_eq!(map(&root).len(), 2);
        let root = parse("{\"a\": 1, \"a\": 2}").unwrap();
        assert_eq!(map(&root).len(), 2);
    }

    #[test]
    fn json_is_detected_by_its_first_character() {
        let root = parse("\n  {\"Name\": \"x\", \"Count\": 1.5, \"Tasks\": [true, null]}").unwrap();
        assert_eq!(
            get(&root, "Name"),
            &Node {
                value: Value::String("x".into()),
                line: None
            }
        );
        assert_eq!(get(&root, "Count").value, Value::Number("1.5".into()));
        // A flow sequence is YAML, as is a document that starts with a comment.
        assert_eq!(
            parse("[1]").unwrap().value,
            Value::Seq(vec![Node {
                value: Value::Number("1".into()),
                line: Some(1)
            }])
        );
        assert_eq!(get(&parse("# c\n{\"a\": 1}").unwrap(), "a").line, Some(2));
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let err = |text: &str| parse(text).unwrap_err();
        assert_eq!(
            err("a: 1\nb: [1\n"),
            SyntaxError {
                line: Some(2),
                message: "invalid yaml: unclosed bracket '['".into()
            }
        );
        assert_eq!(
            err("a: 1\n---\nb: 2\n"),
            SyntaxError {
                line: Some(3),
                message: "invalid yaml: a job file holds one YAML document, this one has several"
                    .into()
            }
        );
        assert_eq!(
            err("{\n  \"a\": 1,\n}"),
            SyntaxError {
                line: Some(3),
                message: "invalid json: trailing comma (column 1)".into()
            }
        );
        assert_eq!(
            err("{\"a\": 1} x"),
            SyntaxError {
                line: Some(1),
                message: "invalid json: trailing characters (column 10)".into()
            }
        );
        assert_eq!(err("? [a]\n: 1\n").line, Some(1));
    }

    #[test]
    fn empty_documents_are_null() {
        assert_eq!(parse("").unwrap().value, Value::Null);
        assert_eq!(parse("# only a comment\n").unwrap().value, Value::Null);
    }

    #[test]
    fn hostile_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(parse(&deep).is_err());
        let deep_json = format!("{{\"a\": {}", "[".repeat(100_000));
        assert!(parse(&deep_json).is_err());
        let block: String = (0..200)
            .map(|depth| format!("{}k:\n", " ".repeat(depth)))
            .collect();
        assert_eq!(
            parse(&block).unwrap_err(),
            SyntaxError {
                line: Some(33),
                message: "invalid yaml: nested more than 32 levels deep".into()
            }
        );
        let alias = format!("a: &x {}{}\nb: [[*x]]\n", "[".repeat(31), "]".repeat(31));
        assert_eq!(
            parse(&alias).unwrap_err().message,
            "invalid yaml: nested more than 32 levels deep"
        );
        assert!(parse("a: &a [*a]").is_err());
    }
}

//! The document tree: YAML or JSON parsed into one generic shape that keeps line numbers.
//!
//! This module owns syntax only: it turns text into `Node`s and reports syntax errors with the
//! line they are on. It knows nothing of jobs; `reader` and the modules above it give the tree
//! meaning. Lines are 1-based and known for YAML only: serde_json does not expose positions for
//! values, only for its own syntax errors.
//! Each document is held to `bounds` as it is read: its size before parsing, its values and
//! depth by the visitor below.

use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, MessageFormatter, NonFiniteFloatPolicy, Spanned};

use super::bounds::{
    self, MAX_DOCUMENT_BYTES, count_value, enter, leave, several_documents, too_large, yaml_budget,
    yaml_limit,
};

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

/// A document that is not valid YAML or JSON, or is larger than bolinho reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub line: Option<u32>,
    pub message: String,
}

/// Parses a job document: JSON when its first non-blank character is `{`, else YAML.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(SyntaxError {
            line: None,
            message: too_large(text.len()),
        });
    }
    bounds::start();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        parse_json(text)
    } else {
        parse_yaml(text)
    }
}

fn parse_yaml(text: &str) -> Result<Node, SyntaxError> {
    let budget = yaml_budget();
    let options = serde_saphyr::options! {
        budget: Some(budget.clone()),
        // YAML 1.2 booleans only: `yes`, `no`, `on` and `off` stay strings, as in Go's yaml.v3.
        strict_booleans: true,
        // Passed through so that duplicates are reported like JSON's, with both spellings.
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        non_finite_float_policy: NonFiniteFloatPolicy::AsString,
        with_snippet: false,
    };
    let raw: YamlNode = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let line = e.location().and_then(|l| line_number(l.line()));
        if let Some((line_matters, message)) = bounds::own_breach() {
            return SyntaxError {
                line: line.filter(|_| line_matters),
                message,
            };
        }
        let inner = innermost(&e);
        if let Some((line_matters, message)) = yaml_limit(inner, &budget, text.len()) {
            return SyntaxError {
                line: line.filter(|_| line_matters),
                message,
            };
        }
        let message = match inner {
            serde_saphyr::Error::MultipleDocuments { .. } => several_documents(),
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
        let line = line_number(e.line() as u64);
        if let Some((line_matters, message)) = bounds::own_breach() {
            return SyntaxError {
                line: line.filter(|_| line_matters),
                message,
            };
        }
        // serde_json appends " at line L column C"; the line goes in its own field.
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full);
        let message = match e.column() {
            0 => format!("invalid json: {message}"),
            column => format!("invalid json: {message} (column {column})"),
        };
        SyntaxError { line, message }
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
        count_value()?;
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
        count_value()?;
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
        enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        leave();
        Ok(Shape::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape<C>, A::Error> {
        enter()?;
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        leave();
        Ok(Shape::Map(entries))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Shape<C>, E> {
        Err(E::custom("binary values are not supported"))
    }
}

/// Builds the public tree. Recursion depth is bounded by `MAX_DEPTH`, counted while parsing,
/// so a hostile document cannot overflow the stack here.
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
    use super::super::bounds::MAX_VALUES;
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
        let deep_message =
            "the document nests lists and maps more than 32 levels deep, the most bolinho reads";
        let deep = "[".repeat(100_000);
        assert_eq!(
            parse(&deep).unwrap_err(),
            SyntaxError {
                line: Some(1),
                message: deep_message.into()
            }
        );
        let flow =
            |levels: usize| format!("a: {}{}\n", "[".repeat(levels - 1), "]".repeat(levels - 1));
        assert!(parse(&flow(32)).is_ok());
        assert_eq!(parse(&flow(33)).unwrap_err().message, deep_message);
        let block: String = (0..200)
            .map(|depth| format!("{}k:\n", " ".repeat(depth)))
            .collect();
        assert_eq!(
            parse(&block).unwrap_err(),
            SyntaxError {
                line: Some(33),
                message: deep_message.into()
            }
        );
        let alias = format!("a: &x {}{}\nb: [[*x]]\n", "[".repeat(31), "]".repeat(31));
        assert_eq!(parse(&alias).unwrap_err().message, deep_message);
        assert!(parse("a: &a [*a]").is_err());
    }

    #[test]
    fn json_is_nested_at_most_as_deep_as_yaml() {
        let deep_message =
            "the document nests lists and maps more than 32 levels deep, the most bolinho reads";
        // serde_json alone would go to 128 levels; 32 is bolinho's bound for both formats.
        let nested = |levels: usize| {
            format!(
                "{{\"a\": {}{}}}",
                "[".repeat(levels - 1),
                "]".repeat(levels - 1)
            )
        };
        assert!(parse(&nested(32)).is_ok());
        assert_eq!(
            parse(&nested(33)).unwrap_err(),
            SyntaxError {
                line: Some(1),
                message: deep_message.into()
            }
        );
        let deep_json = format!("{{\"a\": {}", "[".repeat(100_000));
        assert_eq!(parse(&deep_json).unwrap_err().message, deep_message);
    }

    /// A flow list of `n` values in a one-key map: `n + 3` values with the map, key and list.
    fn values(n: usize, json: bool) -> String {
        let items = vec!["1"; n].join(",");
        if json {
            format!("{{\"a\": [{items}]}}")
        } else {
            format!("a: [{items}]\n")
        }
    }

    #[test]
    fn documents_hold_at_most_max_values() {
        let message = "the document holds more than 250000 values, the most bolinho reads";
        for json in [false, true] {
            assert!(parse(&values(MAX_VALUES - 3, json)).is_ok(), "json: {json}");
            assert_eq!(
                parse(&values(MAX_VALUES - 2, json)).unwrap_err(),
                SyntaxError {
                    line: None,
                    message: message.into()
                },
                "json: {json}"
            );
        }
    }

    #[test]
    fn yaml_aliases_count_as_often_as_they_are_used() {
        // 30 anchored lists of 1000 values, each used 10 times: 30,000 values as written,
        // 330,000 as read. serde-saphyr's own budget counts only the first.
        let mut text = String::new();
        for i in 0..30 {
            text.push_str(&format!("a{i}: &x{i} [{}]\n", vec!["1"; 1000].join(",")));
        }
        for i in 0..30 {
            text.push_str(&format!(
                "b{i}: [{}]\n",
                vec![format!("*x{i}"); 10].join(",")
            ));
        }
        assert_eq!(
            parse(&text).unwrap_err(),
            SyntaxError {
                line: None,
                message: "the document holds more than 250000 values, the most bolinho reads"
                    .into()
            }
        );
    }

    #[test]
    fn documents_are_at_most_16_mib() {
        let at_most = format!("a: \"{}\"\n", "x".repeat(MAX_DOCUMENT_BYTES - 6));
        assert_eq!(at_most.len(), MAX_DOCUMENT_BYTES);
        assert!(parse(&at_most).is_ok());
        for text in [
            format!("{at_most} "),
            format!("{{\"a\": \"{}\"}}", "x".repeat(MAX_DOCUMENT_BYTES)),
        ] {
            assert_eq!(
                parse(&text).unwrap_err(),
                SyntaxError {
                    line: None,
                    message: format!(
                        "the document is {} bytes, more than 16777216 (16 MiB), the most bolinho reads",
                        text.len()
                    )
                }
            );
        }
    }

    #[test]
    fn yaml_only_bounds_say_which_they_are() {
        let many_aliases: String = (0..5_001)
            .map(|i| format!("a{i}: &x{i} 1\n"))
            .chain((0..50_001).map(|i| format!("b{i}: *x{}\n", i % 5_001)))
            .collect();
        assert_eq!(
            parse(&many_aliases).unwrap_err(),
            SyntaxError {
                line: None,
                message:
                    "the document uses more than 50000 aliases (`*name`), the most bolinho reads"
                        .into()
            }
        );
        let bomb = format!("a: &x 1\nb: [{}]\n", vec!["*x"; 101].join(","));
        assert_eq!(
            parse(&bomb).unwrap_err().message,
            "the document uses its anchors more than 10 times each (101 aliases, 1 anchor), the most bolinho reads"
        );
    }
}

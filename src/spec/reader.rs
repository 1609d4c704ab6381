//! Typed access to the document tree, naming each value by its field path.
//!
//! A `MapReader` reads one map the way Go's encoding/json reads a struct: keys match
//! case-insensitively. Unlike Go it remembers which keys were read, so that `finish` can report
//! every other key: a warning (Bacalhau ignores unknown nested keys silently, but a typo must
//! not be) or, in strict mode, an error. This module knows no job keys; the callers do.
//!
//! Everything here is linear in the size of the document: keys are found through a hash map
//! of their lower-cased spelling, never by scanning the map, so a hostile document of a
//! hundred thousand keys costs no more than its size.

use std::collections::HashMap;
use std::collections::hash_map::Entry as Slot;
use std::path::Path;

use super::SpecError;
use super::quote::{self, quote};
use super::tree::{Entry, Node, Value};

/// The most warnings kept; the rest are counted in one last line, so a hostile document of
/// unknown keys cannot flood stderr.
pub(crate) const MAX_WARNINGS: usize = 20;

/// Where errors and warnings go, and what they are reported against.
pub(crate) struct Ctx<'a> {
    file: &'a Path,
    /// The file's line of each line of a rendered template (index 0 is line 1); empty when
    /// the document is the file's own text.
    lines: &'a [u32],
    strict: bool,
    warnings: Vec<String>,
    /// Warnings past `MAX_WARNINGS`, counted, not kept.
    hidden: usize,
}

impl<'a> Ctx<'a> {
    pub fn new(file: &'a Path, strict: bool, lines: &'a [u32]) -> Self {
        Ctx {
            file,
            lines,
            strict,
            warnings: Vec::new(),
            hidden: 0,
        }
    }

    pub fn file(&self) -> &Path {
        self.file
    }

    /// The directory relative local paths resolve against.
    pub fn base_dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new(""))
    }

    pub fn error(&self, line: Option<u32>, field: &str, message: impl Into<String>) -> SpecError {
        // A line of the rendered document is named by the file's line it came from.
        let line = line.map(|l| {
            let index = l as usize - 1;
            self.lines.get(index).copied().unwrap_or(l)
        });
        SpecError {
            file: self.file.to_path_buf(),
            line,
            column: None,
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub fn warn(&mut self, line: Option<u32>, field: &str, message: impl Into<String>) {
        if self.warnings.len() == MAX_WARNINGS {
            self.hidden += 1;
            return;
        }
        let warning = self.error(line, field, message).to_string();
        self.warnings.push(warning);
    }

    /// A key we do not know: a warning, or an error in strict mode.
    pub fn unknown_key(&mut self, line: Option<u32>, field: &str) -> Result<(), SpecError> {
        if self.strict {
            return Err(self.error(line, field, "unknown key"));
        }
        self.warn(line, field, "unknown key (ignored)");
        Ok(())
    }

    /// The warnings, and a last line counting those past `MAX_WARNINGS`.
    pub fn into_warnings(self) -> Vec<String> {
        let mut warnings = self.warnings;
        if self.hidden > 0 {
            let s = if self.hidden == 1 { "" } else { "s" };
            warnings.push(format!(
                "{}: {} more warning{s} not shown",
                self.file.display(),
                self.hidden
            ));
        }
        warnings
    }
}

/// `Tasks[0]` + `Engine` -> `Tasks[0].Engine`; the root's path is empty. A key written by the
/// user is shown bounded (`quote::key`).
pub(crate) fn join(parent: &str, key: &str) -> String {
    let key = quote::key(key);
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// Whether `text` is a field path as `Field` makes them from our own keys (`Tasks[0].Engine`):
/// names, `.` and indexes, none of the user's text.
pub(crate) fn is_field_path(text: &str) -> bool {
    /// Far longer than any path of our own keys (`Tasks[0].Engine.Params.ImportModules[9]`).
    const MAX: usize = 200;
    !text.is_empty()
        && text.len() <= MAX
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._[]".contains(&b))
}

/// How a value is named in "expected X, found Y".
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Seq(_) => "a list",
        Value::Map(_) => "a map",
    }
}

/// One value and its field path. `line` is the key's line when there is a key (a block value
/// starts on the next line, but the user looks for the key), else the value's own.
#[derive(Debug, Clone)]
pub(crate) struct Field<'n> {
    pub node: &'n Node,
    pub path: String,
    pub line: Option<u32>,
}

impl<'n> Field<'n> {
    pub fn root(node: &'n Node) -> Self {
        Field {
            node,
            path: String::new(),
            line: node.line,
        }
    }

    pub fn error(&self, ctx: &Ctx, message: impl Into<String>) -> SpecError {
        ctx.error(self.line, &self.path, message)
    }

    pub fn expected(&self, ctx: &Ctx, what: &str) -> SpecError {
        self.error(
            ctx,
            format!("expected {what}, found {}", kind(&self.node.value)),
        )
    }

    pub fn string(&self, ctx: &Ctx) -> Result<String, SpecError> {
        match &self.node.value {
            Value::String(s) => Ok(s.clone()),
            _ => Err(self.expected(ctx, "a string")),
        }
    }

    /// A string, or a scalar taken as its text: for environment values and Parameters, where
    /// people write `COUNT: 5` and mean "5". Null is the empty string, as in Go.
    pub fn text(&self, ctx: &Ctx) -> Result<String, SpecError> {
        match &self.node.value {
            Value::Null => Ok(String::new()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Number(s) | Value::String(s) => Ok(s.clone()),
            Value::Seq(_) | Value::Map(_) => Err(self.expected(ctx, "a string")),
        }
    }

    pub fn bool(&self, ctx: &Ctx) -> Result<bool, SpecError> {
        match &self.node.value {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.expected(ctx, "true or false")),
        }
    }

    pub fn u64(&self, ctx: &Ctx) -> Result<u64, SpecError> {
        match &self.node.value {
            Value::Number(s) => s.parse().map_err(|_| {
                let found = quote(s);
                self.error(
                    ctx,
                    format!("expected a non-negative integer, found {found}"),
                )
            }),
            _ => Err(self.expected(ctx, "a non-negative integer")),
        }
    }

    pub fn i64(&self, ctx: &Ctx) -> Result<i64, SpecError> {
        match &self.node.value {
            Value::Number(s) => s
                .parse()
                .map_err(|_| self.error(ctx, format!("expected an integer, found {}", quote(s)))),
            _ => Err(self.expected(ctx, "an integer")),
        }
    }

    /// The items of a list, named `path[i]`.
    pub fn list(&self, ctx: &Ctx) -> Result<Vec<Field<'n>>, SpecError> {
        match &self.node.value {
            Value::Seq(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, node)| Field {
                    node,
                    path: format!("{}[{i}]", self.path),
                    line: node.line,
                })
                .collect()),
            _ => Err(self.expected(ctx, "a list")),
        }
    }

    pub fn map(&self, ctx: &Ctx) -> Result<MapReader<'n>, SpecError> {
        MapReader::new(self, ctx)
    }

    /// A map whose keys are data (environment names, labels): case-sensitive, in document
    /// order, exact duplicates rejected. Values are named `path.KEY`.
    pub fn entries(&self, ctx: &Ctx) -> Result<Vec<(String, Field<'n>)>, SpecError> {
        let Value::Map(entries) = &self.node.value else {
            return Err(self.expected(ctx, "a map"));
        };
        let mut out: Vec<(String, Field<'n>)> = Vec::with_capacity(entries.len());
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
        for entry in entries {
            let path = join(&self.path, &entry.key);
            if let Some(&first) = seen.get(entry.key.as_str()) {
                let first = &entries[first];
                return Err(ctx.error(
                    entry.line,
                    &path,
                    duplicate_message(&first.key, first.line),
                ));
            }
            seen.insert(&entry.key, out.len());
            out.push((
                entry.key.clone(),
                Field {
                    node: &entry.value,
                    path,
                    line: entry.line.or(entry.value.line),
                },
            ));
        }
        Ok(out)
    }
}

fn duplicate_message(first_key: &str, first_line: Option<u32>) -> String {
    let first_key = quote(first_key);
    match first_line {
        Some(line) => format!("duplicate key: {first_key} is already set on line {line}"),
        None => format!("duplicate key: {first_key} is already set"),
    }
}

/// Reads the keys of one map, like Go reads a struct, and reports the keys nobody read.
pub(crate) struct MapReader<'n> {
    path: String,
    line: Option<u32>,
    entries: &'n [Entry],
    /// Each key, lower-cased, and its entry.
    index: HashMap<String, usize>,
    used: Vec<bool>,
}

impl<'n> MapReader<'n> {
    fn new(field: &Field<'n>, ctx: &Ctx) -> Result<Self, SpecError> {
        let Value::Map(entries) = &field.node.value else {
            return Err(field.expected(ctx, "a map"));
        };
        let mut index = HashMap::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            match index.entry(entry.key.to_ascii_lowercase()) {
                Slot::Vacant(slot) => {
                    slot.insert(i);
                }
                // Go would let the last of `Name` and `name` win without a word; we refuse both.
                Slot::Occupied(first) => {
                    let first = &entries[*first.get()];
                    let path = join(&field.path, &entry.key);
                    return Err(ctx.error(
                        entry.line,
                        &path,
                        duplicate_message(&first.key, first.line),
                    ));
                }
            }
        }
        Ok(MapReader {
            path: field.path.clone(),
            line: field.line,
            entries,
            index,
            used: vec![false; entries.len()],
        })
    }

    pub fn line(&self) -> Option<u32> {
        self.line
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.index.get(&key.to_ascii_lowercase()).copied()
    }

    /// The value of `key` (matched case-insensitively), named by our spelling of the key.
    /// A null value counts as absent, as in Go, where null leaves a field at its zero value.
    pub fn get(&mut self, key: &str) -> Option<Field<'n>> {
        let i = self.position(key)?;
        self.used[i] = true;
        let entry = &self.entries[i];
        if entry.value.value == Value::Null {
            return None;
        }
        Some(Field {
            node: &entry.value,
            path: join(&self.path, key),
            line: entry.line.or(entry.value.line),
        })
    }

    /// A missing or null key is an error on the key's line if it is there, else the map's.
    pub fn require(&mut self, key: &str, ctx: &Ctx) -> Result<Field<'n>, SpecError> {
        if let Some(field) = self.get(key) {
            return Ok(field);
        }
        let line = self
            .position(key)
            .and_then(|i| self.entries[i].line)
            .or(self.line);
        Err(ctx.error(line, &join(&self.path, key), "required"))
    }

    /// Keys that are allowed but carry nothing we read (a null `Engine` beside a flat engine).
    pub fn accept(&mut self, keys: &[&str]) {
        for key in keys {
            if let Some(i) = self.position(key) {
                self.used[i] = true;
            }
        }
    }

    /// Reports every key that was neither read nor accepted.
    pub fn finish(self, ctx: &mut Ctx) -> Result<(), SpecError> {
        for (entry, used) in self.entries.iter().zip(self.used) {
            if !used {
                ctx.unknown_key(
                    entry.line.or(entry.value.line),
                    &join(&self.path, &entry.key),
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::parse;
    use super::*;

    fn with_root<T>(
        text: &str,
        strict: bool,
        f: impl FnOnce(&Field, &mut Ctx) -> T,
    ) -> (T, Vec<String>) {
        let node = parse(text).unwrap();
        let mut ctx = Ctx::new(Path::new("job.yaml"), strict, &[]);
        let out = f(&Field::root(&node), &mut ctx);
        (out, ctx.into_warnings())
    }

    #[test]
    fn keys_match_case_insensitively_and_keep_our_spelling() {
        let ((), warnings) =
            with_root("engine:\n  TYPE: wasm\n  Extra: 1\n", false, |root, ctx| {
                let mut m = root.map(ctx).unwrap();
                let engine = m.require("Engine", ctx).unwrap();
                let mut e = engine.map(ctx).unwrap();
                let ty = e.require("Type", ctx).unwrap();
                assert_eq!((ty.path.as_str(), ty.line), ("Engine.Type", Some(2)));
                assert_eq!(ty.string(ctx).unwrap(), "wasm");
                e.finish(ctx).unwrap();
                m.finish(ctx).unwrap();
            });
        assert_eq!(
            warnings,
            ["job.yaml:3: Engine.Extra: unknown key (ignored)"]
        );
    }

    #[test]
    fn unknown_keys_are_errors_in_strict_mode() {
        let (result, warnings) = with_root("a: 1\nb: 2\n", true, |root, ctx| {
            let mut m = root.map(ctx).unwrap();
            m.get("A");
            m.finish(ctx)
        });
        assert_eq!(
            result.unwrap_err().to_string(),
            "job.yaml:2: b: unknown key"
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn wrong_types_say_what_was_found() {
        let text = "s: [1]\nn: -1\nf: 1.5\nb: \"true\"\nm: x\nl: {a: 1}\nt: 5\n";
        let (errors, _) = with_root(text, false, |root, ctx| {
            let mut m = root.map(ctx).unwrap();
            let mut get = |k: &str| m.get(k).unwrap();
            [
                get("s").string(ctx).unwrap_err(),
                get("n").u64(ctx).unwrap_err(),
                get("f").i64(ctx).unwrap_err(),
                get("b").bool(ctx).unwrap_err(),
                get("m").map(ctx).err().unwrap(),
                get("l").list(ctx).err().unwrap(),
                get("t").string(ctx).unwrap_err(),
            ]
            .map(|e| e.to_string())
        });
        assert_eq!(
            errors,
            [
                "job.yaml:1: s: expected a string, found a list",
                "job.yaml:2: n: expected a non-negative integer, found `-1`",
                "job.yaml:3: f: expected an integer, found `1.5`",
                "job.yaml:4: b: expected true or false, found a string",
                "job.yaml:5: m: expected a map, found a string",
                "job.yaml:6: l: expected a list, found a map",
                "job.yaml:7: t: expected a string, found a number",
            ]
        );
    }

    #[test]
    fn scalars_are_text_where_allowed() {
        let (texts, _) = with_root("a: 5\nb: true\nc:\nd: 01.50\n", false, |root, ctx| {
            let Value::Map(entries) = &root.node.value else {
                unreachable!()
            };
            entries
                .iter()
                .map(|e| {
                    Field {
                        node: &e.value,
                        path: e.key.clone(),
                        line: e.line,
                    }
                    .text(ctx)
                    .unwrap()
                })
                .collect::<Vec<_>>()
        });
        assert_eq!(texts, ["5", "true", "", "01.50"]);
    }

    #[test]
    fn duplicates_are_reported_with_both_spellings() {
        let (err, _) = with_root("Name: a\nname: b\n", false, |root, ctx| {
            root.map(ctx).err().unwrap()
        });
        assert_eq!(
            err.to_string(),
            "job.yaml:2: name: duplicate key: `Name` is already set on line 1"
        );
        let (err, _) = with_root("A: 1\nA: 2\n", false, |root, ctx| {
            root.entries(ctx).unwrap_err()
        });
        assert_eq!(
            err.to_string(),
            "job.yaml:2: A: duplicate key: `A` is already set on line 1"
        );
        let (ok, _) = with_root("A: 1\na: 2\n", false, |root, ctx| {
            root.entries(ctx).map(|e| e.len())
        });
        assert_eq!(ok.unwrap(), 2, "data keys are case-sensitive");
    }

    #[test]
    fn null_is_absent_and_required_points_at_the_key_or_the_parent() {
        let (errs, _) = with_root("Engine:\n  Type:\n  Params: {}\n", false, |root, ctx| {
            let engine = root.map(ctx).unwrap().require("Engine", ctx).unwrap();
            let mut m = engine.map(ctx).unwrap();
            [
                m.require("Type", ctx).unwrap_err(),
                m.require("Name", ctx).unwrap_err(),
            ]
            .map(|e| e.to_string())
        });
        assert_eq!(
            errs,
            [
                "job.yaml:2: Engine.Type: required",
                "job.yaml:1: Engine.Name: required"
            ]
        );
    }
}

//! Runs a parsed template over the data, writing the rendered text.
//!
//! Follows Go's `text/template/exec.go` with `missingkey=error`: a field of the data that is not
//! a key is an error naming the key; `if` and `with` judge Go's truth; `range` walks a map in
//! key order (or an integer, Go 1.22) and runs `else` when there is nothing to walk; a pipeline
//! passes each command's value as the last argument of the next; `and` and `or` stop at the
//! first argument that decides. Also keeps, for `Rendered`, which keys were read (so that a
//! receipt records those and not the whole environment `-E` matched) and where each rendered
//! line came from in the file (so that later errors name the user's lines). Bounds the output
//! and the iterations, as the document itself is bounded.

use std::collections::BTreeSet;

use super::funcs;
use super::parse::{Arg, Cmd, Kind, Node, Pipe, Term};
use super::value::Value;
use super::{Failure, Vars};
use crate::spec::bounds::MAX_DOCUMENT_BYTES;

/// The most `range` iterations one rendering runs: far past any job file, short of a hang.
const MAX_ITERATIONS: usize = 1_000_000;

/// How a list of nodes ended.
enum Flow {
    Normal,
    Break,
    Continue,
}

pub(super) struct Exec<'d, 's> {
    src: &'s str,
    data: &'d Vars,
    /// Variables in scope, innermost last; `$` is the data.
    vars: Vec<(String, Value<'d>)>,
    pub out: String,
    /// The file's line of each rendered line (index 0 is line 1).
    pub lines: Vec<u32>,
    /// Offsets of the file's newlines, to turn an offset into a line.
    newlines: Vec<usize>,
    /// The data's keys the template read; `all` when it used the whole map (printed or ranged it).
    pub used: BTreeSet<&'d str>,
    pub all: bool,
    iterations: usize,
}

impl<'d, 's> Exec<'d, 's> {
    pub fn new(src: &'s str, data: &'d Vars) -> Self {
        Exec {
            src,
            data,
            vars: vec![("$".into(), Value::Map(data))],
            out: String::with_capacity(src.len()),
            lines: vec![1],
            newlines: src.match_indices('\n').map(|(i, _)| i).collect(),
            used: BTreeSet::new(),
            all: false,
            iterations: 0,
        }
    }

    pub fn run(&mut self, nodes: &[Node]) -> Result<(), Failure> {
        self.walk(&Value::Map(self.data), nodes).map(|_| ())
    }

    /// The 1-based line of a file offset.
    fn line_of(&self, pos: usize) -> u32 {
        (self.newlines.partition_point(|&n| n < pos) + 1) as u32
    }

    /// Writes `text`, produced at file offset `pos` (`None` for the file's own text, whose
    /// newlines are their own lines).
    fn emit(&mut self, text: &str, from: usize, own: bool) -> Result<(), Failure> {
        if self.out.len() + text.len() > MAX_DOCUMENT_BYTES {
            return Err(Failure::at(
                from,
                format!(
                    "the rendered job would exceed {MAX_DOCUMENT_BYTES} bytes (16 MiB), the most bolinho reads"
                ),
            ));
        }
        for (i, _) in text.match_indices('\n') {
            let line = if own {
                self.line_of(from + i) + 1
            } else {
                self.line_of(from)
            };
            self.lines.push(line);
        }
        self.out.push_str(text);
        Ok(())
    }

    fn walk(&mut self, dot: &Value<'d>, nodes: &[Node]) -> Result<Flow, Failure> {
        for node in nodes {
            match node {
                Node::Text { start, end } => {
                    let src = self.src;
                    self.emit(&src[*start..*end], *start, true)?;
                }
                Node::Action(pipe) => {
                    let value = self.pipeline(dot, pipe)?;
                    if pipe.decl.is_empty() {
                        let text = match &value {
                            Value::Nil => "<no value>".to_string(),
                            Value::Map(_) => {
                                self.all = true;
                                value.sprint()
                            }
                            v => v.sprint(),
                        };
                        self.emit(&text, pipe.pos, false)?;
                    }
                }
                Node::Control {
                    kind,
                    pipe,
                    body,
                    otherwise,
                } => {
                    let mark = self.vars.len();
                    let flow = if *kind == Kind::Range {
                        self.range(dot, pipe, body, otherwise)?
                    } else {
                        let value = self.pipeline(dot, pipe)?;
                        match (value.truth(), kind) {
                            (true, Kind::With) => self.walk(&value, body)?,
                            (true, _) => self.walk(dot, body)?,
                            (false, _) => self.walk(dot, otherwise)?,
                        }
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn range(
        &mut self,
        dot: &Value<'d>,
        pipe: &Pipe,
        body: &[Node],
        otherwise: &[Node],
    ) -> Result<Flow, Failure> {
        let value = self.commands(dot, pipe)?;
        let elements: Vec<(Value<'d>, Value<'d>)> = match &value {
            Value::Map(m) => {
                self.all = true;
                m.iter()
                    .map(|(k, v)| (Value::Str(k.clone()), Value::Str(v.clone())))
                    .collect()
            }
            Value::Int(n) if pipe.decl.len() > 1 => {
                return Err(Failure::at(
                    pipe.pos,
                    format!("can't use {n} to iterate over more than one variable"),
                ));
            }
            // Only as many as the iterations left allow, and one more to fail on: a count
            // of billions must not be made before the bound is looked at (fuzzing).
            Value::Int(n) => {
                let room = MAX_ITERATIONS.saturating_sub(self.iterations) + 1;
                let n = (*n).min(i64::try_from(room).unwrap_or(i64::MAX));
                (0..n).map(|i| (Value::Int(i), Value::Int(i))).collect()
            }
            Value::Nil => Vec::new(),
            other => {
                return Err(Failure::at(
                    pipe.pos,
                    format!("range can't iterate over {}", other.sprint()),
                ));
            }
        };
        if elements.is_empty() {
            return self.walk(dot, otherwise);
        }
        for (key, element) in elements {
            self.iterations += 1;
            if self.iterations > MAX_ITERATIONS {
                return Err(Failure::at(
                    pipe.pos,
                    format!("more than {MAX_ITERATIONS} range iterations"),
                ));
            }
            let mark = self.vars.len();
            // One variable is the element; two are the key and the element.
            let values = match pipe.decl.len() {
                1 => vec![element.clone()],
                _ => vec![key, element.clone()],
            };
            for (name, value) in pipe.decl.iter().zip(values) {
                self.declare(name, value, pipe.assign);
            }
            let flow = self.walk(&element, body)?;
            self.vars.truncate(mark);
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        Ok(Flow::Normal)
    }

    fn declare(&mut self, name: &str, value: Value<'d>, assign: bool) {
        if assign {
            // `parse` checked that it is declared.
            if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                slot.1 = value;
            }
        } else {
            self.vars.push((name.to_string(), value));
        }
    }

    /// A pipeline's value, declaring or assigning its variables.
    fn pipeline(&mut self, dot: &Value<'d>, pipe: &Pipe) -> Result<Value<'d>, Failure> {
        let value = self.commands(dot, pipe)?;
        for name in &pipe.decl {
            self.declare(name, value.clone(), pipe.assign);
        }
        Ok(value)
    }

    /// A pipeline's value: each command's value is the last argument of the next.
    fn commands(&mut self, dot: &Value<'d>, pipe: &Pipe) -> Result<Value<'d>, Failure> {
        let mut last = None;
        for cmd in &pipe.cmds {
            last = Some(self.command(dot, cmd, last)?);
        }
        Ok(last.expect("parse gives every pipeline a command"))
    }

    fn command(
        &mut self,
        dot: &Value<'d>,
        cmd: &Cmd,
        piped: Option<Value<'d>>,
    ) -> Result<Value<'d>, Failure> {
        let first = &cmd.args[0];
        if let Term::Func(name) = first.term {
            return self.call(dot, name, first.pos, &cmd.args[1..], piped);
        }
        if cmd.args.len() > 1 || piped.is_some() {
            let message = match first.fields.last() {
                Some(field) => format!("{field} is not a method but has arguments"),
                None => format!("can't give argument to non-function {}", self.text(first)),
            };
            return Err(Failure::at(first.pos, message));
        }
        self.arg(dot, first)
    }

    /// The source text of an operand, for messages.
    fn text(&self, arg: &Arg) -> String {
        let rest = &self.src[arg.pos..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '}' || c == ')' || c == '|')
            .unwrap_or(rest.len());
        rest[..end].to_string()
    }

    fn call(
        &mut self,
        dot: &Value<'d>,
        name: &str,
        pos: usize,
        args: &[Arg],
        piped: Option<Value<'d>>,
    ) -> Result<Value<'d>, Failure> {
        if name == "and" || name == "or" {
            let count = args.len() + usize::from(piped.is_some());
            if count == 0 {
                return Err(Failure::at(
                    pos,
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let mut last = Value::Nil;
            for arg in args {
                last = self.arg(dot, arg)?;
                if last.truth() == (name == "or") {
                    return Ok(last);
                }
            }
            return Ok(piped.unwrap_or(last));
        }
        let mut values = Vec::with_capacity(args.len() + 1);
        for arg in args {
            values.push(self.arg(dot, arg)?);
        }
        values.extend(piped);
        match (name, values.as_slice()) {
            ("index", [Value::Map(m), Value::Str(key), ..]) => {
                if let Some((k, _)) = m.get_key_value(key) {
                    self.used.insert(k);
                }
            }
            _ if values.iter().any(|v| matches!(v, Value::Map(_))) => self.all = true,
            _ => {}
        }
        funcs::call(name, values).map_err(|m| Failure::at(pos, m))
    }

    fn arg(&mut self, dot: &Value<'d>, arg: &Arg) -> Result<Value<'d>, Failure> {
        let mut value = match &arg.term {
            Term::Dot => dot.clone(),
            Term::Var(name) => self
                .vars
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .expect("parse checked that every variable is declared"),
            Term::Func(name) => self.call(dot, name, arg.pos, &[], None)?,
            Term::Str(s) => Value::Str(s.clone()),
            Term::Int(n) => Value::Int(*n),
            Term::Float(f) => Value::Float(*f),
            Term::Bool(b) => Value::Bool(*b),
            Term::Nil => Value::Nil,
            Term::Pipe(pipe) => self.commands(dot, pipe)?,
        };
        for field in &arg.fields {
            value = self.field(value, field, arg.pos)?;
        }
        Ok(value)
    }

    fn field(&mut self, receiver: Value<'d>, name: &str, pos: usize) -> Result<Value<'d>, Failure> {
        match receiver {
            Value::Map(m) => match m.get_key_value(name) {
                Some((k, v)) => {
                    self.used.insert(k);
                    Ok(Value::Str(v.clone()))
                }
                None => Err(Failure::at(
                    pos,
                    format!("map has no entry for key {name:?}"),
                )),
            },
            Value::Nil => Err(Failure::at(
                pos,
                format!("nil data; no entry for key {name:?}"),
            )),
            other => Err(Failure::at(
                pos,
                format!("can't evaluate field {name} in type {}", other.type_name()),
            )),
        }
    }
}

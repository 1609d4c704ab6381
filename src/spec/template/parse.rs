//! Items into a tree: text, actions, `if`/`with`/`range` with their `else` branches, pipelines
//! of commands, operands with their field chains.
//!
//! Follows Go's `text/template/parse/parse.go`, including what it checks before anything runs:
//! a function must be a known builtin, a variable must be declared in scope (to the `{{end}}`
//! of the control structure that declares it, else to the end of the file), `break` and
//! `continue` only inside `range`. What bolinho does not support (`define`, `template`,
//! `block`, the builtins `call` and `slice`, complex numbers) is refused here by name, so that
//! nothing is ever half-understood at run time. Evaluates nothing: that is `exec`'s.

use super::Failure;
use super::lex::{Item, Tok, Token};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    /// The file's bytes `start..end`.
    Text {
        start: usize,
        end: usize,
    },
    /// A pipeline whose value is printed, unless it declares or assigns a variable.
    Action(Pipe),
    Control {
        kind: Kind,
        pipe: Pipe,
        body: Vec<Node>,
        /// The `{{else}}` branch; an `{{else if}}` is an `if` alone in it, as in Go.
        otherwise: Vec<Node>,
    },
    Break,
    Continue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    If,
    With,
    Range,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::If => "if",
            Kind::With => "with",
            Kind::Range => "range",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pipe {
    pub pos: usize,
    /// Variables it declares (`$x :=`) or assigns (`$x =`), with their `$`.
    pub decl: Vec<String>,
    pub assign: bool,
    pub cmds: Vec<Cmd>,
}

/// One stage of a pipeline: a function and its arguments, or one operand.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Cmd {
    pub pos: usize,
    pub args: Vec<Arg>,
}

/// An operand and the fields read from it (`.a.b`, `$x.a`, `(...).a`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Arg {
    pub pos: usize,
    pub term: Term,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Term {
    Dot,
    /// With its `$`; `$` alone is the data.
    Var(String),
    Func(&'static str),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    Pipe(Box<Pipe>),
}

/// The builtins bolinho implements (`funcs`), and the Go builtins it refuses.
pub(super) const BUILTINS: [&str; 18] = [
    "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "index", "print", "printf",
    "println", "html", "js", "urlquery", "slice",
];
const REFUSED_FUNCS: [&str; 1] = ["call"];
const REFUSED_ACTIONS: [&str; 3] = ["define", "template", "block"];

/// What ended a list of nodes.
enum Stop {
    Eof,
    End(usize),
    /// `{{else ...}}`: its position and the tokens after `else`.
    Else(usize, Vec<Token>),
}

pub(super) fn parse(items: Vec<Item>) -> Result<Vec<Node>, Failure> {
    let mut parser = Parser {
        items: items.into_iter(),
        vars: vec!["$".to_string()],
        ranges: 0,
    };
    match parser.list()? {
        (nodes, Stop::Eof) => Ok(nodes),
        (_, Stop::End(pos)) => Err(Failure::at(pos, "unexpected {{end}}")),
        (_, Stop::Else(pos, _)) => Err(Failure::at(pos, "unexpected {{else}}")),
    }
}

struct Parser {
    items: std::vec::IntoIter<Item>,
    /// The variables in scope, innermost last.
    vars: Vec<String>,
    /// How many `range`s enclose the current node.
    ranges: usize,
}

impl Parser {
    fn list(&mut self) -> Result<(Vec<Node>, Stop), Failure> {
        let mut nodes = Vec::new();
        while let Some(item) = self.items.next() {
            let (pos, tokens) = match item {
                Item::Text { start, end } => {
                    nodes.push(Node::Text { start, end });
                    continue;
                }
                Item::Action { pos, tokens } => (pos, tokens),
            };
            let keyword = match tokens.first() {
                Some(Token {
                    tok: Tok::Ident(word),
                    ..
                }) => word.as_str(),
                _ => "",
            };
            // `end`, `break` and `continue` take nothing.
            let alone = || match tokens.get(1) {
                Some(extra) => Err(Failure::at(
                    extra.pos,
                    format!("unexpected {} in {{{{{keyword}}}}}", describe(&extra.tok)),
                )),
                None => Ok(()),
            };
            match keyword {
                "if" | "with" | "range" => {
                    let kind = match keyword {
                        "if" => Kind::If,
                        "with" => Kind::With,
                        _ => Kind::Range,
                    };
                    nodes.push(self.control(kind, pos, &tokens[1..])?);
                }
                "end" => {
                    alone()?;
                    return Ok((nodes, Stop::End(pos)));
                }
                "else" => return Ok((nodes, Stop::Else(pos, tokens[1..].to_vec()))),
                "break" | "continue" => {
                    if self.ranges == 0 {
                        return Err(Failure::at(
                            pos,
                            format!("{{{{{keyword}}}}} outside {{{{range}}}}"),
                        ));
                    }
                    alone()?;
                    nodes.push(if keyword == "break" {
                        Node::Break
                    } else {
                        Node::Continue
                    });
                }
                _ if REFUSED_ACTIONS.contains(&keyword) => {
                    return Err(Failure::at(
                        pos,
                        format!(
                            "{{{{{keyword}}}}} is not supported by bolinho (README \"Templates\")"
                        ),
                    ));
                }
                _ => nodes.push(Node::Action(self.pipeline(pos, &tokens, "command")?)),
            }
        }
        Ok((nodes, Stop::Eof))
    }

    fn control(&mut self, kind: Kind, pos: usize, tokens: &[Token]) -> Result<Node, Failure> {
        let mark = self.vars.len();
        let pipe = self.pipeline(pos, tokens, kind.name())?;
        if kind == Kind::Range {
            self.ranges += 1;
        }
        let (body, stop) = self.list()?;
        if kind == Kind::Range {
            self.ranges -= 1;
        }
        let otherwise = match stop {
            Stop::End(_) => Vec::new(),
            Stop::Else(_, rest) if rest.is_empty() => match self.list()? {
                (nodes, Stop::End(_)) => nodes,
                (_, Stop::Else(pos, _)) => {
                    return Err(Failure::at(pos, "expected {{end}}; found {{else}}"));
                }
                (_, Stop::Eof) => return Err(unclosed(kind, pos)),
            },
            Stop::Else(else_pos, rest) => {
                let chained = matches!(&rest[0].tok,
                    Tok::Ident(word) if word == kind.name() && kind != Kind::Range);
                if !chained {
                    return Err(Failure::at(
                        rest[0].pos,
                        format!("unexpected {} in {{{{else}}}}", describe(&rest[0].tok)),
                    ));
                }
                // `{{else if x}}...{{end}}` is `{{else}}{{if x}}...{{end}}{{end}}` with one `end`.
                vec![self.control(kind, else_pos, &rest[1..])?]
            }
            Stop::Eof => return Err(unclosed(kind, pos)),
        };
        self.vars.truncate(mark);
        Ok(Node::Control {
            kind,
            pipe,
            body,
            otherwise,
        })
    }

    /// A pipeline: an optional declaration, then commands separated by `|`.
    fn pipeline(&mut self, pos: usize, tokens: &[Token], context: &str) -> Result<Pipe, Failure> {
        let (decl, assign, rest) = declaration(tokens, context == "range")?;
        if assign {
            for name in &decl {
                self.var(name, pos)?;
            }
        }
        // Split at each `|` outside parentheses.
        let mut parts = Vec::new();
        let (mut start, mut depth) = (0, 0usize);
        for (i, token) in rest.iter().enumerate() {
            match token.tok {
                Tok::LParen => depth += 1,
                Tok::RParen => depth -= 1,
                Tok::Pipe if depth == 0 => {
                    parts.push(start..i);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(start..rest.len());
        let mut cmds = Vec::new();
        for (stage, part) in parts.into_iter().enumerate() {
            if part.is_empty() {
                let at = rest.get(part.end).map_or(pos, |t| t.pos);
                return Err(Failure::at(at, format!("missing value for {context}")));
            }
            cmds.push(self.command(&rest[part], stage)?);
        }
        if !assign {
            self.vars.extend(decl.iter().cloned());
        }
        Ok(Pipe {
            pos: rest.first().map_or(pos, |t| t.pos),
            decl,
            assign,
            cmds,
        })
    }

    fn command(&mut self, tokens: &[Token], stage: usize) -> Result<Cmd, Failure> {
        let mut args = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            args.push(self.operand(tokens, &mut i)?);
        }
        let first = &args[0];
        if args.len() == 1 && first.term == Term::Nil {
            return Err(Failure::at(first.pos, "nil is not a command"));
        }
        let literal = matches!(
            first.term,
            Term::Str(_) | Term::Int(_) | Term::Float(_) | Term::Bool(_) | Term::Nil
        ) || (first.term == Term::Dot && first.fields.is_empty());
        if stage > 0 && literal {
            return Err(Failure::at(
                first.pos,
                format!("non executable command in pipeline stage {}", stage + 1),
            ));
        }
        Ok(Cmd {
            pos: first.pos,
            args,
        })
    }

    fn operand(&mut self, tokens: &[Token], i: &mut usize) -> Result<Arg, Failure> {
        let token = &tokens[*i];
        let pos = token.pos;
        *i += 1;
        let mut fields = Vec::new();
        let term = match &token.tok {
            Tok::Dot => Term::Dot,
            Tok::Field(name) => {
                fields.push(name.clone());
                Term::Dot
            }
            Tok::Var(name) => {
                let name = format!("${name}");
                self.var(&name, pos)?;
                Term::Var(name)
            }
            Tok::Ident(word) => match word.as_str() {
                "true" => Term::Bool(true),
                "false" => Term::Bool(false),
                "nil" => Term::Nil,
                w => {
                    if let Some(f) = BUILTINS.iter().find(|f| **f == w) {
                        Term::Func(f)
                    } else if REFUSED_FUNCS.contains(&w) {
                        return Err(Failure::at(
                            pos,
                            format!(
                                "function {w:?} is not supported by bolinho (README \"Templates\")"
                            ),
                        ));
                    } else {
                        return Err(Failure::at(pos, format!("function {w:?} not defined")));
                    }
                }
            },
            Tok::Str(s) => Term::Str(s.clone()),
            Tok::Char(c) => Term::Int(i64::from(u32::from(*c))),
            Tok::Number(text) => number(text).map_err(|m| Failure::at(pos, m))?,
            Tok::LParen => {
                let start = *i;
                let mut depth = 1;
                while depth > 0 {
                    match tokens[*i].tok {
                        Tok::LParen => depth += 1,
                        Tok::RParen => depth -= 1,
                        _ => {}
                    }
                    *i += 1;
                }
                let inner = &tokens[start..*i - 1];
                let pipe = self.pipeline(pos, inner, "parenthesized pipeline")?;
                if !pipe.decl.is_empty() {
                    return Err(Failure::at(
                        pos,
                        "a parenthesized pipeline cannot declare a variable",
                    ));
                }
                Term::Pipe(Box::new(pipe))
            }
            other => {
                return Err(Failure::at(
                    pos,
                    format!("unexpected {} in operand", describe(other)),
                ));
            }
        };
        while let Some(Token {
            tok: Tok::Field(name),
            spaced: false,
            pos: field_pos,
        }) = tokens.get(*i)
        {
            if !matches!(term, Term::Dot | Term::Var(_) | Term::Pipe(_)) {
                return Err(Failure::at(*field_pos, "unexpected . after term"));
            }
            fields.push(name.clone());
            *i += 1;
        }
        Ok(Arg { pos, term, fields })
    }

    fn var(&self, name: &str, pos: usize) -> Result<(), Failure> {
        if self.vars.iter().any(|v| v == name) {
            Ok(())
        } else {
            Err(Failure::at(pos, format!("undefined variable {name:?}")))
        }
    }
}

/// `$x :=`, `$x =`, or in a `range`, `$i, $e :=`: the names, whether it assigns, the rest.
fn declaration(tokens: &[Token], range: bool) -> Result<(Vec<String>, bool, &[Token]), Failure> {
    let var = |i: usize| match tokens.get(i).map(|t| &t.tok) {
        Some(Tok::Var(name)) => Some(format!("${name}")),
        _ => None,
    };
    let op = |i: usize| match tokens.get(i).map(|t| &t.tok) {
        Some(Tok::Declare) => Some(false),
        Some(Tok::Assign) => Some(true),
        _ => None,
    };
    if let (Some(name), Some(assign)) = (var(0), op(1)) {
        return Ok((vec![name], assign, &tokens[2..]));
    }
    if let (Some(a), Some(Tok::Comma), Some(b)) = (var(0), tokens.get(1).map(|t| &t.tok), var(2)) {
        if !range {
            return Err(Failure::at(tokens[1].pos, "too many declarations"));
        }
        if let Some(assign) = op(3) {
            return Ok((vec![a, b], assign, &tokens[4..]));
        }
    }
    if let Some(t) = tokens
        .iter()
        .find(|t| matches!(t.tok, Tok::Comma | Tok::Declare | Tok::Assign))
    {
        return Err(Failure::at(
            t.pos,
            format!("unexpected {} in command", describe(&t.tok)),
        ));
    }
    Ok((Vec::new(), false, tokens))
}

/// A number literal as Go's parser reads it: an integer unless it has a fraction or an
/// exponent (`1.0` and `1e3` are floats), with `0x`, `0o`, `0b`, a leading `0` and `_`.
fn number(text: &str) -> Result<Term, String> {
    if text.ends_with('i') {
        return Err(format!("complex numbers are not supported: {text}"));
    }
    let clean = text.replace('_', "");
    let (sign, digits) = match clean.strip_prefix('-') {
        Some(rest) => (-1i128, rest),
        None => (1, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let lower = digits.to_ascii_lowercase();
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
        .iter()
        .find_map(|(p, r)| lower.strip_prefix(p).map(|rest| (rest, *r)));
    let int = match radix {
        Some((rest, r)) => u64::from_str_radix(rest, r).ok(),
        None if lower.len() > 1
            && lower.starts_with('0')
            && lower.bytes().all(|b| b.is_ascii_digit()) =>
        {
            u64::from_str_radix(&lower[1..], 8).ok()
        }
        None => lower.parse::<u64>().ok(),
    };
    if let Some(n) = int {
        return i64::try_from(sign * i128::from(n))
            .map(Term::Int)
            .map_err(|_| format!("number out of range: {text}"));
    }
    if radix.is_none()
        && !lower.contains("inf")
        && !lower.contains("nan")
        && let Ok(f) = clean.parse::<f64>()
        && f.is_finite()
    {
        return Ok(Term::Float(f));
    }
    Err(format!("bad number syntax: {text:?}"))
}

/// A token as Go names it in "unexpected X".
fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Field(name) => format!("<.{name}>"),
        Tok::Dot => "<.>".into(),
        Tok::Var(name) => format!("<${name}>"),
        Tok::Ident(word) => format!("<{word}>"),
        Tok::Str(s) => format!("{s:?}"),
        Tok::Number(n) => n.clone(),
        Tok::Char(c) => format!("{c:?}"),
        Tok::LParen => "\"(\"".into(),
        Tok::RParen => "\")\"".into(),
        Tok::Pipe => "\"|\"".into(),
        Tok::Declare => "\":=\"".into(),
        Tok::Assign => "\"=\"".into(),
        Tok::Comma => "\",\"".into(),
    }
}

fn unclosed(kind: Kind, pos: usize) -> Failure {
    Failure::at(
        pos,
        format!(
            "unexpected EOF: no {{{{end}}}} for this {{{{{}}}}}",
            kind.name()
        ),
    )
}

//! Go's text/template over a whole job file, as `bacalhau job run` applies it before parsing
//! (`pkg/lib/template/parser.go`): the data is a map of strings, a missing key is an error
//! (`missingkey=error`), and the text is rendered before any YAML or JSON is read.
//!
//! A hand-written subset of Go's language (docs/RATIONALE.md): `lex` splits the text, `parse`
//! builds the tree and refuses what bolinho does not implement, `exec` renders it with the
//! builtins of `funcs` and `printf`, over the values of `value`. Owns the template language
//! only: it knows nothing of jobs, YAML or the host; the variables come in as data (`vars`
//! reads the `-V` flag's grammar and picks `-E`'s host variables from a list it is given,
//! with `spec::filter`'s regular expressions).
//! Text without `{{` is returned as it is, without a copy.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

mod exec;
mod funcs;
mod lex;
mod parse;
mod printf;
mod value;
pub mod vars;

/// The template's data: Bacalhau's `map[string]string`.
pub type Vars = BTreeMap<String, String>;

/// A rendered job file.
#[derive(Debug)]
pub struct Rendered<'a> {
    pub text: Cow<'a, str>,
    /// The file's line of each rendered line (index 0 is line 1); empty when the text is the
    /// file's own.
    pub lines: Vec<u32>,
    /// The variables the template read, with their values: what a receipt records.
    pub used: Vars,
}

/// A template that cannot be rendered: where in the file, and why (in Go's words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: template: {}",
            self.line, self.column, self.message
        )
    }
}

/// An error at a byte offset of the file, before it is turned into a line and a column.
#[derive(Debug)]
struct Failure {
    pos: usize,
    message: String,
}

impl Failure {
    fn at(pos: usize, message: impl Into<String>) -> Failure {
        Failure {
            pos,
            message: message.into(),
        }
    }

    fn locate(self, src: &str) -> TemplateError {
        let before = &src[..self.pos.min(src.len())];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        TemplateError {
            line: before.matches('\n').count() as u32 + 1,
            column: before[line_start..].chars().count() as u32 + 1,
            message: self.message,
        }
    }
}

/// Renders `src` with `data`. Text without `{{` is returned borrowed, untouched.
pub fn render<'a>(src: &'a str, data: &Vars) -> Result<Rendered<'a>, TemplateError> {
    if !src.contains("{{") {
        return Ok(Rendered {
            text: Cow::Borrowed(src),
            lines: Vec::new(),
            used: Vars::new(),
        });
    }
    let nodes = lex::lex(src)
        .and_then(parse::parse)
        .map_err(|f| f.locate(src))?;
    let mut exec = exec::Exec::new(src, data);
    exec.run(&nodes).map_err(|f| f.locate(src))?;
    let used = if exec.all {
        data.clone()
    } else {
        exec.used
            .iter()
            .map(|k| (k.to_string(), data[*k].clone()))
            .collect()
    };
    Ok(Rendered {
        text: Cow::Owned(exec.out),
        lines: exec.lines,
        used,
    })
}

#[cfg(test)]
mod tests;

//! Job documents: parse YAML or JSON in any of Bacalhau's shapes and validate them into a `Plan`.
//!
//! Two stages, as in ripgrep's argument handling: `tree` turns text into a generic tree with line
//! numbers, then `job`, `task`, `engine`, `source` (with `s3`) and `env` read that tree
//! through `reader` (which tracks field paths and unknown keys) and build the `Plan`. Every
//! value a job writes is checked here, by the one rule for it (a domain, a `Filter`, an S3
//! endpoint, a CID, ...), so that `validate` refuses exactly what a run would, naming the line
//! and the field; values with a structure of their own reach the plan parsed (`Domain`,
//! `Filter`, `Checksum`, `Cid`, `InlineUrl`). Nothing here touches the filesystem or the
//! network: whether a local path exists, what the host's environment holds, is for the run to
//! say.
//! The rules are those of `shared/spec/bacalhau-compat.md`; where we differ from Bacalhau on purpose,
//! the code says why.

use std::fmt;
use std::path::{Path, PathBuf};

mod bounds;
mod check;
mod checksum;
pub(crate) mod cid;
pub(crate) mod data_url;
mod domains;
mod engine;
mod env;
mod export;
mod filter;
pub mod flags;
mod job;
pub mod limits;
mod meta;
pub mod partition;
mod pflag;
pub mod plan;
mod portable;
mod quote;
mod reader;
pub(crate) mod s3;
mod source;
mod task;
pub(crate) mod template;
mod tree;
mod wasm_run;

pub use check::check_plan;
pub use checksum::Checksum;
pub use cid::Cid;
pub use data_url::InlineUrl;
pub use domains::Policy;
pub use export::{ModuleFile, bacalhau_job};
pub use filter::Filter;
pub use job::STDIN;
pub use meta::{format_epoch, parse_epoch, parse_seed};
pub use quote::quote;
pub use wasm_run::{LocalPath, WasmRun, WasmRunFlags, entry_is_bacalhau_style};

pub use plan::{EnvValue, Limits, ModuleLocation, Network, Origin, Plan, Publisher, Source};
// The rest of the plan's parts, and the bounds, for the tests of spec and of results.
#[cfg(any(test, fuzzing))]
pub use bounds::MAX_DOCUMENT_BYTES;
#[cfg(test)]
pub use {
    bounds::MAX_VALUES,
    domains::Domain,
    plan::{CreateAs, EnvVar, ImportModule, Input, Output, S3Source},
    task::RESERVED_RESULT_NAMES,
};

#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Unknown keys are errors instead of warnings.
    pub strict: bool,
    /// Render the document as a Go template with these variables first, as `bacalhau job run`
    /// does; `None` (`--no-template`, and a receipt's plan) reads it as it is.
    pub template: Option<template::Vars>,
    /// Also list what Bacalhau would do differently (`Parsed::portability`).
    pub portable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub plan: Plan,
    /// One line each, in the form `<file>:<line>: <field>: <message>`; past 20, one last line
    /// (`<file>: N more warnings not shown`) counts the rest.
    pub warnings: Vec<String>,
    /// With `ParseOptions::portable`, what Bacalhau would do differently with this job file
    /// (`portable`), one line each in the form of the warnings; what it would link otherwise
    /// needs the modules (`link::portable`).
    pub portability: Vec<String>,
    /// The template variables the document read, with their values.
    pub template_vars: template::Vars,
}

/// A job document that cannot be run, and where the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The job file as given (the display name; it is never opened here).
    pub file: PathBuf,
    /// 1-based; unknown for JSON documents (serde_json gives no value positions).
    pub line: Option<u32>,
    /// 1-based, in characters; known for template errors only.
    pub column: Option<u32>,
    /// The field path, e.g. `Tasks[0].Engine.Params.EntryModule`; empty when the problem is
    /// the document as a whole.
    pub field: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SpecError {}

/// Parses and validates a job document, rendering it first as a template when `options`
/// say so. `job_file` names it in messages and is the base of relative local paths; it is not
/// read. Lines in messages are the file's own, also where the template moved them.
pub fn parse_job(text: &str, job_file: &Path, options: &ParseOptions) -> Result<Parsed, SpecError> {
    let rendered = match &options.template {
        Some(vars) => template::render(text, vars).map_err(|e| SpecError {
            file: job_file.to_path_buf(),
            line: Some(e.line),
            column: Some(e.column),
            field: String::new(),
            message: format!("template: {}", e.message),
        })?,
        None => template::Rendered {
            text: text.into(),
            lines: Vec::new(),
            used: template::Vars::new(),
        },
    };
    let text = &*rendered.text;
    let mut ctx = reader::Ctx::new(job_file, options.strict, &rendered.lines);
    let root = tree::parse(text).map_err(|e| ctx.error(e.line, "", e.message))?;
    let plan = job::plan(&root, &mut ctx)?;
    let portability = match options.portable {
        true => portable::notes(&root)
            .into_iter()
            .map(|(line, field, note)| ctx.error(line, &field, note).to_string())
            .collect(),
        false => Vec::new(),
    };
    Ok(Parsed {
        plan,
        warnings: ctx.into_warnings(),
        portability,
        template_vars: rendered.used,
    })
}

#[cfg(test)]
mod tests;

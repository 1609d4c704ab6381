//! `Filter`: the regular expression an S3 prefix's keys must match. Compiled with the job
//! (`spec::s3`), so a pattern bolinho cannot read is an error naming its line; the plan holds
//! the compiled filter, which `fetch::s3` runs on each listed key.
//!
//! Bacalhau compiles `Filter` with Go's `regexp` (RE2 syntax) and keeps a key when
//! `MatchString` finds a match anywhere in it (unanchored), after removing the source's `Key`
//! prefix. This is the part of that syntax filters use, with Go's meaning, matched by a Pike VM
//! (a Thompson NFA run breadth-first), so a match costs at most pattern size x key length, as
//! in RE2: no pattern can make it backtrack for ever.
//!
//! Supported: literals; `.` (not `\n` unless `(?s)`); classes `[abc]`, `[^a-z]`, with `\d \w \s`
//! and their negations inside; `\d \D \w \W \s \S` (ASCII, as in RE2); escaped punctuation
//! (`\.`, `\*`, ...); `\n \t \r \f \v`; `^` and `$` (start and end of the key; of a line with
//! `(?m)`), `\A`, `\z`; groups `(...)`, `(?:...)`, `(?P<name>...)`, `(?<name>...)`;
//! alternation `|`; repetition `* + ? {n} {n,} {n,m}` (lazy forms too: the same keys match);
//! flags `(?imsU)`, `(?i:...)`, `(?-i)`. A `{` that starts no repetition is a literal, as in Go.
//! Not supported, each an error naming it: `\b`, `\B`, `\p{..}`, `\x..`, octal and other
//! escapes, POSIX classes `[[:alpha:]]`. A pattern that Go rejects is rejected too (an
//! unclosed group, nothing to repeat, a reversed range, counts over 1000).

mod parse;

use std::fmt;

use serde::{Deserialize, Serialize};

/// Go's limit on `{n,m}` counts.
const MAX_REPEAT: u32 = 1000;
/// The largest compiled program, in instructions.
const MAX_PROGRAM: usize = 10_000;
/// The deepest nesting of groups.
const MAX_DEPTH: usize = 200;

/// A compiled filter, and the pattern it was compiled from (what a plan records).
#[derive(Debug, Clone)]
pub struct Filter {
    pattern: String,
    prog: Vec<Inst>,
}

/// Two filters are the same when their patterns are.
impl PartialEq for Filter {
    fn eq(&self, other: &Filter) -> bool {
        self.pattern == other.pattern
    }
}

impl Eq for Filter {}

impl Serialize for Filter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.pattern)
    }
}

/// Compiled as a job's is: a receipt's plan cannot carry a filter a job could not.
impl<'de> Deserialize<'de> for Filter {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pattern = String::deserialize(deserializer)?;
        Filter::new(&pattern).map_err(|e| serde::de::Error::custom(invalid(&pattern, &e)))
    }
}

/// The message for a pattern `Filter::new` refuses.
pub(crate) fn invalid(pattern: &str, error: &FilterError) -> String {
    format!(
        "invalid regular expression {}: {error}",
        super::quote::quote(pattern)
    )
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Empty,
    Char {
        c: char,
        fold: bool,
    },
    Class {
        class: Class,
        fold: bool,
    },
    /// Any character; `\n` only when `nl`.
    Any {
        nl: bool,
    },
    Assert(Assert),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Assert {
    TextStart,
    TextEnd,
    LineStart,
    LineEnd,
}

/// A set of characters: sorted, inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Class(Vec<(char, char)>);

#[derive(Debug, Clone)]
enum Inst {
    Char(char, bool),
    Class(Class, bool),
    Any(bool),
    Assert(Assert),
    Split(usize, usize),
    Jmp(usize),
    Match,
}

/// Flags in force while parsing (`(?imsU)`).
#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_nl: bool,
}

/// An invalid or unsupported pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Filter {
    pub fn new(pattern: &str) -> Result<Filter, FilterError> {
        let node = parse::parse(pattern)?;
        let mut prog = Vec::new();
        compile(&node, &mut prog)?;
        prog.push(Inst::Match);
        Ok(Filter {
            pattern: pattern.to_string(),
            prog,
        })
    }

    /// The pattern, as written.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern matches anywhere in `text` (Go's `MatchString`).
    pub fn is_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let mut seen = vec![0usize; self.prog.len()];
        let mut current = Vec::new();
        let mut next = Vec::new();
        for pos in 0..=chars.len() {
            // Unanchored: a new thread starts at every position.
            if self.add(&mut current, 0, pos, &chars, &mut seen, pos + 1) {
                return true;
            }
            let Some(&c) = chars.get(pos) else { break };
            for &pc in &current {
                let consumes = match &self.prog[pc] {
                    Inst::Char(want, fold) => *want == c || (*fold && folds_to(c, *want)),
                    Inst::Class(class, fold) => {
                        class.contains(c) || (*fold && other_cases(c).any(|o| class.contains(o)))
                    }
                    Inst::Any(nl) => *nl || c != '\n',
                    _ => false,
                };
                if consumes && self.add(&mut next, pc + 1, pos + 1, &chars, &mut seen, pos + 2) {
                    return true;
                }
            }
            std::mem::swap(&mut current, &mut next);
            next.clear();
        }
        false
    }

    /// Adds `pc` and everything reachable from it without consuming a character to `list`
    /// (once per `generation`); true if that reaches `Match`.
    fn add(
        &self,
        list: &mut Vec<usize>,
        pc: usize,
        pos: usize,
        chars: &[char],
        seen: &mut [usize],
        generation: usize,
    ) -> bool {
        let mut stack = vec![pc];
        while let Some(pc) = stack.pop() {
            if seen[pc] == generation {
                continue;
            }
            seen[pc] = generation;
            match &self.prog[pc] {
                Inst::Match => return true,
                Inst::Jmp(to) => stack.push(*to),
                Inst::Split(a, b) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Inst::Assert(kind) => {
                    let before = pos.checked_sub(1).map(|i| chars[i]);
                    let after = chars.get(pos).copied();
                    let holds = match kind {
                        Assert::TextStart => pos == 0,
                        Assert::TextEnd => after.is_none(),
                        Assert::LineStart => before.is_none_or(|c| c == '\n'),
                        Assert::LineEnd => after.is_none_or(|c| c == '\n'),
                    };
                    if holds {
                        stack.push(pc + 1);
                    }
                }
                Inst::Char(..) | Inst::Class(..) | Inst::Any(_) => list.push(pc),
            }
        }
        false
    }
}

/// The single-character lower and upper case of `c`, where they differ from it.
fn other_cases(c: char) -> impl Iterator<Item = char> {
    fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
        let first = it.next()?;
        it.next().is_none().then_some(first)
    }
    let lower = single(c.to_lowercase());
    let upper = single(c.to_uppercase());
    [lower, upper]
        .into_iter()
        .flatten()
        .filter(move |&o| o != c)
}

fn folds_to(c: char, want: char) -> bool {
    other_cases(c).any(|o| o == want)
}

impl Class {
    fn contains(&self, c: char) -> bool {
        self.0.iter().any(|&(lo, hi)| lo <= c && c <= hi)
    }

    /// Sorted and merged.
    fn normalise(mut ranges: Vec<(char, char)>) -> Class {
        ranges.sort();
        let mut out: Vec<(char, char)> = Vec::new();
        for (lo, hi) in ranges {
            match out.last_mut() {
                Some(last) if (lo as u32) <= (last.1 as u32).saturating_add(1) => {
                    last.1 = last.1.max(hi);
                }
                _ => out.push((lo, hi)),
            }
        }
        Class(out)
    }

    fn negate(&self) -> Class {
        let mut out = Vec::new();
        let mut next = 0u32;
        for &(lo, hi) in &self.0 {
            if (lo as u32) > next {
                push_range(&mut out, next, lo as u32 - 1);
            }
            next = hi as u32 + 1;
        }
        push_range(&mut out, next, char::MAX as u32);
        Class(out)
    }
}

/// Pushes `lo..=hi` as chars, skipping the surrogate gap.
fn push_range(out: &mut Vec<(char, char)>, lo: u32, hi: u32) {
    for (a, b) in [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)] {
        if let (true, Some(a), Some(b)) = (a <= b, char::from_u32(a), char::from_u32(b)) {
            out.push((a, b));
        }
    }
}

fn compile(node: &Node, prog: &mut Vec<Inst>) -> Result<(), FilterError> {
    if prog.len() > MAX_PROGRAM {
        return Err(FilterError(format!(
            "the Filter is too large once its repetitions are expanded (over {MAX_PROGRAM} steps)"
        )));
    }
    match node {
        Node::Empty => {}
        Node::Char { c, fold } => prog.push(Inst::Char(*c, *fold)),
        Node::Class { class, fold } => prog.push(Inst::Class(class.clone(), *fold)),
        Node::Any { nl } => prog.push(Inst::Any(*nl)),
        Node::Assert(kind) => prog.push(Inst::Assert(*kind)),
        Node::Concat(items) => {
            for item in items {
                compile(item, prog)?;
            }
        }
        Node::Alt(branches) => {
            // split L1, next; L1: a; jmp end; next: split L2, ...; last: z; end:
            let mut jumps = Vec::new();
            for (i, branch) in branches.iter().enumerate() {
                if i + 1 < branches.len() {
                    let split = prog.len();
                    prog.push(Inst::Split(split + 1, 0));
                    compile(branch, prog)?;
                    jumps.push(prog.len());
                    prog.push(Inst::Jmp(0));
                    let next = prog.len();
                    prog[split] = Inst::Split(split + 1, next);
                } else {
                    compile(branch, prog)?;
                }
            }
            let end = prog.len();
            for j in jumps {
                prog[j] = Inst::Jmp(end);
            }
        }
        Node::Repeat { node, min, max } => {
            for _ in 0..*min {
                compile(node, prog)?;
            }
            match max {
                None => {
                    // L: split body, end; body; jmp L; end:
                    let split = prog.len();
                    prog.push(Inst::Split(split + 1, 0));
                    compile(node, prog)?;
                    prog.push(Inst::Jmp(split));
                    let end = prog.len();
                    prog[split] = Inst::Split(split + 1, end);
                }
                Some(max) => {
                    // (x(x(x)?)?)? for the optional copies.
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(prog.len());
                        prog.push(Inst::Split(prog.len() + 1, 0));
                        compile(node, prog)?;
                    }
                    let end = prog.len();
                    for s in splits {
                        prog[s] = Inst::Split(s + 1, end);
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

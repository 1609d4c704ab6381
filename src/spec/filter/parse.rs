//! The parser of `Filter` patterns: RE2's syntax, as far as `filter.rs` says, into a `Node`
//! tree. Errors name the offset (in characters) where the pattern goes wrong.

use super::{Assert, Class, FilterError, Flags, MAX_DEPTH, MAX_REPEAT, Node};

/// Parses a whole pattern.
pub(super) fn parse(pattern: &str) -> Result<Node, FilterError> {
    let mut parser = Parser {
        chars: pattern.chars().collect(),
        pos: 0,
        flags: Flags::default(),
        depth: 0,
    };
    let node = parser.alternation()?;
    if parser.pos < parser.chars.len() {
        return Err(FilterError("unexpected `)`".into()));
    }
    Ok(node)
}

/// `\d`, `\w`, `\s` (ASCII, as in RE2) and their negations.
fn perl_class(letter: char) -> Option<Class> {
    let ranges = match letter.to_ascii_lowercase() {
        'd' => vec![('0', '9')],
        'w' => vec![('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')],
        's' => vec![('\t', '\n'), ('\x0C', '\r'), (' ', ' ')],
        _ => return None,
    };
    let class = Class::normalise(ranges);
    Some(if letter.is_ascii_uppercase() {
        class.negate()
    } else {
        class
    })
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    flags: Flags,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.pos += 1;
        }
        found
    }

    fn alternation(&mut self) -> Result<Node, FilterError> {
        let mut branches = vec![self.concatenation()?];
        while self.eat('|') {
            branches.push(self.concatenation()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().expect("one branch")
        } else {
            Node::Alt(branches)
        })
    }

    fn concatenation(&mut self) -> Result<Node, FilterError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = match self.atom()? {
                Some(atom) => atom,
                None => continue, // a flag group: changes flags, matches nothing
            };
            items.push(self.repetitions(atom)?);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().expect("one item"),
            _ => Node::Concat(items),
        })
    }

    /// Applies the quantifiers after an atom; a second quantifier is an error, as in Go.
    fn repetitions(&mut self, atom: Node) -> Result<Node, FilterError> {
        let Some((min, max)) = self.quantifier()? else {
            return Ok(atom);
        };
        self.eat('?'); // lazy: the same keys match
        if self.quantifier_ahead() {
            return Err(FilterError(format!(
                "invalid nested repetition operator at offset {}",
                self.pos
            )));
        }
        Ok(Node::Repeat {
            node: Box::new(atom),
            min,
            max,
        })
    }

    fn quantifier_ahead(&mut self) -> bool {
        let save = self.pos;
        let ahead = matches!(self.quantifier(), Ok(Some(_)));
        self.pos = save;
        ahead
    }

    /// `*`, `+`, `?` or a valid `{n}`, `{n,}`, `{n,m}`; a `{` that starts none is left alone.
    fn quantifier(&mut self) -> Result<Option<(u32, Option<u32>)>, FilterError> {
        let q = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => {
                let start = self.pos;
                let Some((min, max, end)) = self.counted(start + 1) else {
                    return Ok(None);
                };
                if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT) {
                    return Err(FilterError(format!(
                        "repetition count over {MAX_REPEAT} at offset {start}"
                    )));
                }
                if max.is_some_and(|m| m < min) {
                    return Err(FilterError(format!(
                        "invalid repetition range at offset {start}"
                    )));
                }
                self.pos = end;
                return Ok(Some((min, max)));
            }
            _ => return Ok(None),
        };
        self.pos += 1;
        Ok(Some(q))
    }

    /// Reads `n}`, `n,}` or `n,m}` from `at`; the counts and the position after `}`.
    fn counted(&self, at: usize) -> Option<(u32, Option<u32>, usize)> {
        let number = |mut i: usize| -> Option<(u32, usize)> {
            let start = i;
            while self.chars.get(i).is_some_and(char::is_ascii_digit) {
                i += 1;
            }
            let text: String = self.chars[start..i].iter().collect();
            // Saturate: anything this large is over MAX_REPEAT anyway.
            (i > start).then(|| (text.parse().unwrap_or(u32::MAX), i))
        };
        let (min, mut i) = number(at)?;
        let max = if self.chars.get(i) == Some(&',') {
            i += 1;
            match number(i) {
                Some((max, after)) => {
                    i = after;
                    Some(max)
                }
                None => None,
            }
        } else {
            Some(min)
        };
        (self.chars.get(i) == Some(&'}')).then_some((min, max, i + 1))
    }

    /// One atom; `None` for a flag group such as `(?i)`.
    fn atom(&mut self) -> Result<Option<Node>, FilterError> {
        let at = self.pos;
        let c = self.peek().expect("atom called at a character");
        self.pos += 1;
        let flags = self.flags;
        let node = match c {
            '(' => return self.group(at),
            '[' => Node::Class {
                class: self.class(at)?,
                fold: flags.fold,
            },
            '.' => Node::Any { nl: flags.dot_nl },
            '^' if flags.multi_line => Node::Assert(Assert::LineStart),
            '^' => Node::Assert(Assert::TextStart),
            '$' if flags.multi_line => Node::Assert(Assert::LineEnd),
            '$' => Node::Assert(Assert::TextEnd),
            '\\' => self.escape(at)?,
            '*' | '+' | '?' => {
                return Err(FilterError(format!(
                    "missing argument to repetition operator `{c}` at offset {at}"
                )));
            }
            '{' if self.counted(self.pos).is_some() => {
                return Err(FilterError(format!(
                    "missing argument to repetition operator at offset {at}"
                )));
            }
            c => Node::Char {
                c,
                fold: flags.fold,
            },
        };
        Ok(Some(node))
    }

    fn escape(&mut self, at: usize) -> Result<Node, FilterError> {
        let fold = self.flags.fold;
        let Some(e) = self.peek() else {
            return Err(FilterError("trailing backslash at end of Filter".into()));
        };
        self.pos += 1;
        if let Some(class) = perl_class(e) {
            return Ok(Node::Class { class, fold: false });
        }
        Ok(match e {
            'A' => Node::Assert(Assert::TextStart),
            'z' => Node::Assert(Assert::TextEnd),
            _ => Node::Char {
                c: self.escaped_char(e, at)?,
                fold,
            },
        })
    }

    /// The character an escape stands for: punctuation, or `\n \t \r \f \v`.
    fn escaped_char(&self, e: char, at: usize) -> Result<char, FilterError> {
        match e {
            'n' => Ok('\n'),
            't' => Ok('\t'),
            'r' => Ok('\r'),
            'f' => Ok('\x0C'),
            'v' => Ok('\x0B'),
            e if e.is_ascii_punctuation() => Ok(e),
            e => Err(FilterError(format!(
                "unsupported escape `\\{e}` at offset {at} (bolinho's Filter supports \\d \\w \\s, \
                 their negations, \\n \\t \\r \\f \\v, \\A \\z and escaped punctuation)"
            ))),
        }
    }

    fn group(&mut self, at: usize) -> Result<Option<Node>, FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError(format!("groups nest deeper than {MAX_DEPTH}")));
        }
        let saved = self.flags;
        if self.eat('?') {
            if self.eat('P') || self.peek() == Some('<') {
                // A named group: the name is skipped, the group is an ordinary one.
                if !self.eat('<') {
                    return Err(FilterError(format!("invalid named group at offset {at}")));
                }
                let end = self.chars[self.pos..].iter().position(|&c| c == '>');
                let Some(end) = end.filter(|&n| n > 0) else {
                    return Err(FilterError(format!("invalid named group at offset {at}")));
                };
                self.pos += end + 1;
            } else {
                // Flags: `(?flags)` changes them for the rest of the enclosing group,
                // `(?flags:re)` only inside.
                let mut on = true;
                loop {
                    match self.peek() {
                        Some('i') => self.flags.fold = on,
                        Some('m') => self.flags.multi_line = on,
                        Some('s') => self.flags.dot_nl = on,
                        Some('U') => {} // ungreedy: the same keys match
                        Some('-') if on => on = false,
                        Some(')') => {
                            self.pos += 1;
                            self.depth -= 1;
                            return Ok(None);
                        }
                        Some(':') => {
                            self.pos += 1;
                            break;
                        }
                        _ => {
                            return Err(FilterError(format!(
                                "invalid or unsupported group syntax at offset {at}"
                            )));
                        }
                    }
                    self.pos += 1;
                }
            }
        }
        let inner = self.alternation()?;
        if !self.eat(')') {
            return Err(FilterError(format!(
                "missing `)` for the group at offset {at}"
            )));
        }
        self.flags = saved;
        self.depth -= 1;
        Ok(Some(inner))
    }

    /// A bracketed class, after its `[`.
    fn class(&mut self, at: usize) -> Result<Class, FilterError> {
        let negated = self.eat('^');
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(FilterError(format!(
                    "missing `]` for the class at offset {at}"
                )));
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            if c == '[' && self.chars.get(self.pos + 1) == Some(&':') {
                return Err(FilterError(format!(
                    "POSIX classes such as [[:alpha:]] are not supported (offset {}); write the \
                     ranges, e.g. [a-zA-Z]",
                    self.pos
                )));
            }
            let lo = match self.class_char()? {
                ClassItem::Set(class) => {
                    ranges.extend(class.0);
                    continue;
                }
                ClassItem::Char(lo) => lo,
            };
            let is_range =
                self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&n| n != ']');
            if !is_range {
                ranges.push((lo, lo));
                continue;
            }
            self.pos += 1;
            let start = self.pos;
            let hi = match self.class_char()? {
                ClassItem::Char(hi) => hi,
                ClassItem::Set(_) => {
                    return Err(FilterError(format!(
                        "invalid class range at offset {start}"
                    )));
                }
            };
            if hi < lo {
                return Err(FilterError(format!(
                    "invalid class range `{lo}-{hi}` at offset {start}"
                )));
            }
            ranges.push((lo, hi));
        }
        let class = Class::normalise(ranges);
        Ok(if negated { class.negate() } else { class })
    }

    fn class_char(&mut self) -> Result<ClassItem, FilterError> {
        let at = self.pos;
        let c = self.peek().expect("class_char called at a character");
        self.pos += 1;
        if c != '\\' {
            return Ok(ClassItem::Char(c));
        }
        let Some(e) = self.peek() else {
            return Err(FilterError("trailing backslash at end of Filter".into()));
        };
        self.pos += 1;
        match perl_class(e) {
            Some(class) => Ok(ClassItem::Set(class)),
            None => Ok(ClassItem::Char(self.escaped_char(e, at)?)),
        }
    }
}

enum ClassItem {
    Char(char),
    Set(Class),
}

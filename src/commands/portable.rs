//! What the commands print about portability (README "Running jobs"): `validate --portable`
//! lists what Bacalhau would do otherwise with a job file and its modules; `run` says in one
//! line how many such things there are, and how to list them.
//!
//! The notes come from `spec` (the document) and `job::portability` (the links, from local and
//! inline modules); `run` counts exactly what `validate --portable` lists, so the number it
//! gives is the number of lines the user will see.

use std::path::Path;

use crate::cli::{RunArgs, STDIN_ARG};
use crate::job;
use crate::spec::{Parsed, Plan};

/// `validate --portable`: each note, then what could not be checked.
pub(super) fn validate(file: &Path, parsed: &Parsed) -> u8 {
    let modules = job::portability(&parsed.plan);
    for note in &parsed.portability {
        outln!("{note}");
    }
    for note in &modules.notes {
        outln!("{}: {note}", file.display());
    }
    if parsed.portability.is_empty() && modules.notes.is_empty() {
        if modules.unchecked.is_empty() {
            outln!("nothing in the job file or its modules runs otherwise on Bacalhau");
        } else {
            outln!("nothing in the job file or the modules read runs otherwise on Bacalhau");
        }
    }
    for line in &modules.unchecked {
        outln!("{}: {line}", file.display());
    }
    0
}

/// `run`'s one line, on stderr before the job runs, when `validate --portable` would list
/// anything: the `notes` of the document and those of the modules. A module that cannot be
/// read is left to the run to report.
pub(super) fn note(args: &RunArgs, plan: &Plan, notes: usize) {
    let count = notes + job::portability(plan).notes.len();
    if count == 0 {
        return;
    }
    let ways = if count == 1 { "way" } else { "ways" };
    let lists = match validate_command(args) {
        Some(command) => format!("`{command}` lists them"),
        None => "`bolinho validate --portable` lists them".to_string(),
    };
    eprintln!(
        "bolinho: note: Bacalhau would run this job differently in {count} {ways}; {lists} \
         (--quiet-portability hides this note)"
    );
}

/// The `validate --portable` command line for the job `run` was given, with its template
/// flags, quoted for a POSIX shell; `None` if a word holds a control character.
fn validate_command(args: &RunArgs) -> Option<String> {
    let file = if args.file == Path::new(STDIN_ARG) {
        "-".to_string()
    } else {
        args.file.to_str()?.to_string()
    };
    let mut words = vec![
        "bolinho".to_string(),
        "validate".into(),
        "--portable".into(),
    ];
    words.push(shell_word(&file)?);
    for var in &args.template_vars {
        words.extend(["-V".to_string(), shell_word(var)?]);
    }
    if let Some(envs) = &args.template_envs {
        words.extend(["-E".to_string(), shell_word(envs)?]);
    }
    if args.no_template {
        words.push("--no-template".into());
    }
    Some(words.join(" "))
}

/// `word` as a POSIX shell reads it back: as it is when it holds only characters no shell
/// treats specially, else in single quotes. `None` for a control character, which a terminal
/// line must not carry.
fn shell_word(word: &str) -> Option<String> {
    if word.chars().any(char::is_control) {
        return None;
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return Some(word.to_string());
    }
    Some(format!("'{}'", word.replace('\'', r"'\''")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("job.yaml").unwrap(), "job.yaml");
        assert_eq!(shell_word("dir=/a,b").unwrap(), "dir=/a,b");
        assert_eq!(shell_word("my job.yaml").unwrap(), "'my job.yaml'");
        assert_eq!(shell_word("^MYJOB_").unwrap(), "'^MYJOB_'");
        assert_eq!(shell_word("it's").unwrap(), r"'it'\''s'");
        assert_eq!(shell_word("").unwrap(), "''");
        assert_eq!(shell_word("a\nb"), None);
    }
}

//! The one table of bolinho's exit codes.
//!
//! A guest's own exit code passes through unchanged (`proc_exit(n)` exits with `n`, a normal return
//! of the entrypoint with 0). bolinho's own failures use codes a shell user can tell apart from the
//! usual small guest codes; the README shows this same table, and a test keeps the two in step.

use crate::engine::Outcome;
use crate::signal::Signal;

/// Why bolinho itself failed, as opposed to the guest choosing an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The command line was wrong: an unknown flag, a missing argument, a malformed `--dir`.
    Usage,
    /// This host could not give the run what it needs: a scratch directory, a host variable,
    /// the guest's filesystem, the guest's thread. Not the job's fault.
    Host,
    /// The job file could not be read, parsed or validated.
    InvalidJob,
    /// An input or module could not be fetched.
    Fetch,
    /// A module failed to load or link, or the entrypoint is missing or of the wrong type.
    Link,
    /// The results directory could not be created or written.
    Results,
    /// The results were written locally but the job's publisher could not publish them.
    Publish,
    /// The guest trapped (`unreachable`, out-of-bounds access, stack overflow, ...).
    Trap,
    /// The guest ran past its timeout and was stopped (124, as GNU `timeout`).
    Timeout,
    /// `bolinho verify` found a difference from the receipt, or cannot verify it.
    Verify,
    /// `bolinho bundle` could not pack a run.
    Bundle,
    /// Ctrl-C (SIGINT) stopped the guest (130, 128 + 2, as a shell reports it).
    Interrupted,
    /// SIGTERM stopped the guest (143, 128 + 15).
    Terminated,
}

/// Every failure with its code and the sentence the README prints beside it.
pub const TABLE: &[(Failure, u8, &str)] = &[
    (
        Failure::Usage,
        2,
        "the command line is wrong (unknown flag, missing argument)",
    ),
    (
        Failure::Bundle,
        118,
        "`bundle` could not pack the run: a file it needs is missing or not as the receipt \
         records, or the bundle could not be written",
    ),
    (
        Failure::Host,
        119,
        "this host could not set up the run (a scratch directory, a host variable, the guest's \
         files or thread)",
    ),
    (
        Failure::Verify,
        120,
        "`verify` found a difference from the receipt, or the receipt or bundle cannot be \
         verified",
    ),
    (
        Failure::InvalidJob,
        121,
        "the job file could not be read, parsed or validated",
    ),
    (
        Failure::Fetch,
        122,
        "an input or module could not be fetched",
    ),
    (
        Failure::Link,
        123,
        "a module failed to load or link, or the entrypoint is missing or not `() -> ()`",
    ),
    (
        Failure::Timeout,
        124,
        "the guest ran past its timeout; its output so far is kept",
    ),
    (
        Failure::Results,
        125,
        "the results directory could not be created or written",
    ),
    (
        Failure::Publish,
        126,
        "the results were written locally but could not be published",
    ),
    (
        Failure::Interrupted,
        130,
        "Ctrl-C (SIGINT) stopped the run; what the guest wrote so far is kept",
    ),
    (
        Failure::Trap,
        134,
        "the guest trapped; its output so far is kept",
    ),
    (
        Failure::Terminated,
        143,
        "SIGTERM stopped the run; what the guest wrote so far is kept",
    ),
];

impl Failure {
    /// The process exit code for this failure.
    pub fn code(self) -> u8 {
        TABLE
            .iter()
            .find(|(failure, _, _)| *failure == self)
            .map(|(_, code, _)| *code)
            .expect("every Failure has a row in TABLE")
    }
}

impl Signal {
    /// The failure a run stopped by this signal ends with.
    pub fn failure(self) -> Failure {
        match self {
            Signal::Interrupt => Failure::Interrupted,
            Signal::Terminate => Failure::Terminated,
        }
    }
}

/// The process exit code for how a guest ended.
pub fn outcome_code(outcome: &Outcome) -> u8 {
    match outcome {
        Outcome::Exited(status) => guest_code(*status),
        Outcome::Trapped(_) => Failure::Trap.code(),
        Outcome::TimedOut(_) => Failure::Timeout.code(),
        Outcome::Stopped(signal) => signal.failure().code(),
    }
}

/// The process exit code for a guest's exit status: the low 8 bits, as a POSIX shell sees it.
/// The results directory's `exitCode` file keeps the full value.
pub fn guest_code(status: i32) -> u8 {
    (status & 0xff) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_every_failure_has_one() {
        let all = [
            Failure::Usage,
            Failure::Host,
            Failure::InvalidJob,
            Failure::Fetch,
            Failure::Link,
            Failure::Results,
            Failure::Publish,
            Failure::Trap,
            Failure::Timeout,
            Failure::Verify,
            Failure::Bundle,
            Failure::Interrupted,
            Failure::Terminated,
        ];
        assert_eq!(all.len(), TABLE.len());
        let mut codes: Vec<u8> = all.iter().map(|f| f.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), TABLE.len());
    }

    #[test]
    fn guest_codes_pass_through_modulo_256() {
        assert_eq!(guest_code(0), 0);
        assert_eq!(guest_code(7), 7);
        assert_eq!(guest_code(255), 255);
        assert_eq!(guest_code(256), 0);
        assert_eq!(guest_code(-1), 255);
    }

    /// The README's exit-code table must say exactly what this table says.
    #[test]
    fn readme_lists_every_row() {
        let readme = include_str!("../README.md");
        for (_, code, meaning) in TABLE {
            let row = format!("| {code} | {meaning} |");
            assert!(readme.contains(&row), "README.md lacks the row `{row}`");
        }
    }
}

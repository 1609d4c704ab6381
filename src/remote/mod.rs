//! How bolinho talks to servers: the one HTTP agent configuration (`agent`) and the S3 client
//! (`s3`), shared by the stages that need them: `fetch` downloads with them, `publish` uploads
//! results, `net` serves the guest's `wasi:http/requests`.
//!
//! Owns: connections, timeouts, the end of a wait to connect or for an answer at Ctrl-C or
//! SIGTERM (`stopping`), request signing and the reading of servers' answers into errors a
//! user can act on. Must not know about plans, jobs, caches or results: callers say
//! what to ask for and decide what an answer means.

pub mod agent;
pub mod s3;
mod stopping;

use std::io;

/// An I/O error as a lower-case message without the `(os error N)` suffix.
pub fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => return "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => return "permission denied".to_string(),
        io::ErrorKind::AlreadyExists => return "file exists".to_string(),
        io::ErrorKind::NotADirectory => return "not a directory".to_string(),
        _ => {}
    }
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or_default();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "unknown i/o error".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_messages_are_lower_case_without_os_error() {
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(io_message(&e), "no such file or directory");
        let e = io::Error::other("Something Broke");
        assert_eq!(io_message(&e), "something Broke");
    }
}

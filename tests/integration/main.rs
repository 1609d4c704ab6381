//! Integration tests of the `bolinho` binary: one test binary, small helpers in `support`.

mod cli;
mod differential;
mod examples;
mod inspect;
mod interrupt;
mod jobs;
mod linking;
mod modules;
mod mounts;
mod results;
mod support;

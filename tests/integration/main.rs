//! Integration tests of the `bolinho` binary: one test binary, small helpers in `support`.

mod cli;
mod determinism;
mod differential;
mod dry_run;
mod examples;
mod hostile;
mod http;
mod http_server;
mod inspect;
mod interrupt;
mod jobs;
mod limits;
mod linking;
mod modules;
mod mounts;
mod network;
mod portable;
mod probe;
mod refusals;
mod results;
mod s3;
mod start;
mod support;
mod templates;
mod timeout;
mod verify;

//! The S3 client: settings from the job and the host's AWS configuration (`config`), signed
//! requests (`client`, rusty-s3 to sign, ureq to send) and the XML of S3's answers (`xml`).

mod client;
mod config;
pub mod xml;

pub use client::{Client, Condition, Got, Listed};
pub use config::Settings;

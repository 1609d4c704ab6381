//! Job documents: parse YAML or JSON in any of Bacalhau's shapes and validate them into a `Plan`.

pub mod plan;

pub use plan::{CreateAs, EnvValue, EnvVar, Input, Origin, Output, Plan, Source};

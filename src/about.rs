//! What this binary is: its version, the commit and rustc it was built from, its target and
//! the optional features built in (build.rs records the first three). `--version --verbose`
//! prints it and every receipt records it, so that a result can be traced to the build that
//! produced it. Must not read anything at run time: two runs of one binary say the same.

use serde::Serialize;

/// The identity of this build, as receipts record it (`build`).
#[derive(Debug, Serialize)]
pub struct Build {
    commit: &'static str,
    target: &'static str,
    rustc: &'static str,
    features: &'static [&'static str],
}

/// This binary's build.
pub const BUILD: Build = Build {
    commit: env!("BOLINHO_COMMIT"),
    target: env!("BOLINHO_TARGET"),
    rustc: env!("BOLINHO_RUSTC"),
    features: FEATURES,
};

/// The optional features built in (Cargo.toml, `[features]`).
const FEATURES: &[&str] = &[
    #[cfg(feature = "wat")]
    "wat",
];

/// `bolinho --version --verbose`: the version line, then one line for each part of the build.
pub fn verbose(version: &str) -> String {
    let features = match BUILD.features {
        [] => "none".to_string(),
        names => names.join(", "),
    };
    format!(
        "{version}\ncommit: {}\ntarget: {}\nrustc: {}\nfeatures: {features}\n",
        BUILD.commit, BUILD.target, BUILD.rustc
    )
}

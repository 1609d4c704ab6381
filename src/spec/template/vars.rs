//! The template's data from the command line, as `bacalhau job run` builds it
//! (`cmd/cli/job/run.go`, `pkg/lib/template/parser.go`).
//!
//! `-V/--template-vars` is a pflag `StringToString`: repeatable, and one value may hold
//! several `KEY=VALUE` pairs separated by commas, but only when it holds more than one `=`
//! (then it is read as one CSV record, so `"k=a,b",x=y` quotes a comma); with exactly one `=`
//! the whole value is one pair, commas included. A later pair wins over an earlier one.
//! `-E/--template-envs REGEX` adds the host variables whose names the regular expression
//! matches anywhere (Go's `MatchString`; `*` alone means all), below the `-V` pairs, which
//! win. Reading the host's environment is the caller's: this module is given it.

use super::Vars;
use crate::spec::pflag::string_to_string;

/// Adds the pairs of one `-V` value to `vars`.
pub fn add_flag(vars: &mut Vars, value: &str) -> Result<(), String> {
    let pairs = string_to_string(value)
        .unwrap_or_else(|| Err(format!("{value} must be formatted as key=value")))?;
    vars.extend(pairs);
    Ok(())
}

/// The data of a run: the host variables `-E` matches (from `env`), then the `-V` pairs over them.
pub fn collect(
    flags: &[String],
    pattern: Option<&str>,
    env: impl Iterator<Item = (String, String)>,
) -> Result<Vars, String> {
    let mut vars = Vars::new();
    if let Some(pattern) = pattern.filter(|p| !p.is_empty()) {
        // Bacalhau's own exception: `*` is not a regular expression, and means all.
        let pattern = if pattern == "*" { ".*" } else { pattern };
        let regex = crate::spec::Filter::new(pattern)
            .map_err(|e| format!("--template-envs {pattern}: {e}"))?;
        vars.extend(env.filter(|(name, _)| regex.is_match(name)));
    }
    for flag in flags {
        add_flag(&mut vars, flag).map_err(|e| format!("--template-vars {flag}: {e}"))?;
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(flags: &[&str]) -> Result<Vec<(String, String)>, String> {
        let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        collect(&flags, None, std::iter::empty()).map(|v| v.into_iter().collect())
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn template_vars_follow_pflag_string_to_string() {
        assert_eq!(
            vars(&["a=1", "b=2"]).unwrap(),
            pairs(&[("a", "1"), ("b", "2")])
        );
        // One `=`: the whole value, commas and all.
        assert_eq!(vars(&["dir=/a,/b"]).unwrap(), pairs(&[("dir", "/a,/b")]));
        assert_eq!(vars(&["a=1,b"]).unwrap(), pairs(&[("a", "1,b")]));
        assert_eq!(vars(&["\"a=x\""]).unwrap(), pairs(&[("a", "x")]));
        // More than one: a CSV record.
        assert_eq!(
            vars(&["a=1,b=x=y"]).unwrap(),
            pairs(&[("a", "1"), ("b", "x=y")])
        );
        assert_eq!(
            vars(&["\"a=1,2\",b=3"]).unwrap(),
            pairs(&[("a", "1,2"), ("b", "3")])
        );
        // A later pair wins.
        assert_eq!(vars(&["a=1", "a=2"]).unwrap(), pairs(&[("a", "2")]));
        assert_eq!(
            vars(&["a"]).unwrap_err(),
            "--template-vars a: a must be formatted as key=value"
        );
        assert_eq!(
            vars(&["a=1,b,c=2"]).unwrap_err(),
            "--template-vars a=1,b,c=2: b must be formatted as key=value"
        );
        assert_eq!(
            vars(&["a=1,b=x\"y=z"]).unwrap_err(),
            "--template-vars a=1,b=x\"y=z: bare \" in non-quoted-field"
        );
    }

    #[test]
    fn template_envs_match_names_anywhere_and_yield_to_vars() {
        let env = || {
            [("APP_A", "1"), ("MY_APP", "2"), ("OTHER", "3")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
        };
        let got = |pattern: &str, flags: &[&str]| {
            let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
            collect(&flags, Some(pattern), env()).map(|v| v.into_iter().collect::<Vec<_>>())
        };
        assert_eq!(
            got("APP", &[]).unwrap(),
            pairs(&[("APP_A", "1"), ("MY_APP", "2")])
        );
        assert_eq!(
            got("^APP_", &["APP_A=mine"]).unwrap(),
            pairs(&[("APP_A", "mine")])
        );
        assert_eq!(got("*", &[]).unwrap().len(), 3);
        assert!(
            got("(", &[])
                .unwrap_err()
                .starts_with("--template-envs (: ")
        );
    }
}

//! Where S3 requests go and who signs them: the endpoint, the region and the credentials, for
//! S3 sources and the S3 publisher alike.
//!
//! - Endpoint: the job's `Endpoint`, else `$AWS_ENDPOINT_URL_S3`, else `$AWS_ENDPOINT_URL`
//!   (custom endpoints: S3-compatible servers, addressed path-style; each read by the rule
//!   `spec::s3::endpoint`, which already accepted the job's), else AWS,
//!   `https://s3.<region>.amazonaws.com`, addressed virtual-host style (path style for bucket
//!   names that cannot be a host name label, such as names with dots).
//! - Region: the job's `Region`, else `$AWS_REGION`, else `$AWS_DEFAULT_REGION`, else
//!   `us-east-1`.
//! - Credentials: `$AWS_ACCESS_KEY_ID` and `$AWS_SECRET_ACCESS_KEY` (with `$AWS_SESSION_TOKEN`),
//!   else the profile `$AWS_PROFILE` (default `default`) of the shared credentials file
//!   (`$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`), else none: requests go
//!   unsigned, which public buckets accept. Nothing is ever asked of a network service (no
//!   instance metadata, no SSO, no `credential_process`): the credentials are what the user's
//!   environment and files say, and nothing else.
//!
//! The environment is read through a function, so every rule is tested without touching the
//! process's own environment. Empty or blank variables count as unset, as in the AWS SDKs.

use std::fmt;
use std::path::{Path, PathBuf};

use rusty_s3::{Bucket, Credentials, UrlStyle};

use crate::spec::s3::endpoint as endpoint_rule;

/// The region when nothing names one (the AWS SDKs' global default).
pub const DEFAULT_REGION: &str = "us-east-1";

/// Resolved S3 settings for one source or publisher.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The endpoint URL without a trailing `/`, e.g. `http://127.0.0.1:9000`.
    pub endpoint: String,
    /// Whether the endpoint was given (job, environment) rather than AWS's: path-style.
    pub custom_endpoint: bool,
    pub region: String,
    pub credentials: Option<Credentials>,
    /// Where the credentials came from, for error messages.
    pub origin: CredentialsFrom,
}

/// Where credentials came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsFrom {
    Environment,
    Profile { name: String, file: PathBuf },
    Anonymous,
}

impl fmt::Display for CredentialsFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsFrom::Environment => f.write_str("credentials from AWS_ACCESS_KEY_ID"),
            CredentialsFrom::Profile { name, file } => {
                write!(f, "credentials of profile `{name}` in {}", file.display())
            }
            CredentialsFrom::Anonymous => f.write_str(
                "no credentials found (AWS_ACCESS_KEY_ID, AWS_PROFILE, ~/.aws/credentials), \
                 so the request was unsigned",
            ),
        }
    }
}

impl Settings {
    /// Resolves the settings for a job's `Endpoint` and `Region`, reading variables with `env`.
    pub fn resolve(
        endpoint: Option<&str>,
        region: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, String> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let region = region
            .map(str::to_string)
            .or_else(|| var("AWS_REGION"))
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| DEFAULT_REGION.to_string());
        let (endpoint, custom_endpoint) = match endpoint
            .map(|e| (e.to_string(), "Endpoint"))
            .or_else(|| var("AWS_ENDPOINT_URL_S3").map(|e| (e, "AWS_ENDPOINT_URL_S3")))
            .or_else(|| var("AWS_ENDPOINT_URL").map(|e| (e, "AWS_ENDPOINT_URL")))
        {
            Some((url, origin)) => (
                endpoint_rule(&url).map_err(|e| format!("{origin} {e}"))?,
                true,
            ),
            None => (format!("https://s3.{region}.amazonaws.com"), false),
        };
        let (credentials, origin) = credentials(&var)?;
        Ok(Settings {
            endpoint,
            custom_endpoint,
            region,
            credentials,
            origin,
        })
    }

    /// The settings from the process's environment.
    pub fn from_env(endpoint: Option<&str>, region: Option<&str>) -> Result<Settings, String> {
        Settings::resolve(endpoint, region, &|name| std::env::var(name).ok())
    }

    /// The bucket `name` at this endpoint, addressed as described above.
    pub fn bucket(&self, name: &str) -> Result<Bucket, String> {
        let make = |style| {
            Bucket::new(
                parse_url(&self.endpoint)?,
                style,
                name.to_string(),
                self.region.clone(),
            )
            .map_err(|e| {
                format!(
                    "invalid endpoint {} for bucket `{name}`: {e}",
                    self.endpoint
                )
            })
        };
        if self.custom_endpoint || name.contains('.') {
            return make(UrlStyle::Path);
        }
        make(UrlStyle::VirtualHost).or_else(|_| make(UrlStyle::Path))
    }

    /// The endpoint without its scheme (`127.0.0.1:9000`, `s3.us-east-1.amazonaws.com`): how the
    /// cache keys of this server's objects begin.
    pub fn endpoint_id(&self) -> &str {
        self.endpoint
            .split_once("://")
            .map_or(self.endpoint.as_str(), |(_, rest)| rest)
    }
}

/// `str::parse` into whatever URL type rusty-s3 takes, with a readable error.
fn parse_url<T: std::str::FromStr>(text: &str) -> Result<T, String>
where
    T::Err: fmt::Display,
{
    text.parse()
        .map_err(|e| format!("invalid endpoint URL `{text}`: {e}"))
}

/// The environment's keys, else the shared credentials file's profile, else none.
fn credentials(
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<(Option<Credentials>, CredentialsFrom), String> {
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(key), Some(secret)) => {
            let token = var("AWS_SESSION_TOKEN");
            let credentials = match token {
                Some(token) => Credentials::new_with_token(key, secret, token),
                None => Credentials::new(key, secret),
            };
            return Ok((Some(credentials), CredentialsFrom::Environment));
        }
        (Some(_), None) => {
            return Err("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".to_string());
        }
        (None, Some(_)) => {
            return Err("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not".to_string());
        }
        (None, None) => {}
    }
    let named = var("AWS_PROFILE");
    let profile = named.clone().unwrap_or_else(|| "default".to_string());
    let file = match var("AWS_SHARED_CREDENTIALS_FILE") {
        Some(file) => PathBuf::from(file),
        None => match var("HOME") {
            Some(home) => Path::new(&home).join(".aws").join("credentials"),
            None if named.is_some() => {
                return Err(format!(
                    "AWS_PROFILE is `{profile}`, but there is no HOME to find ~/.aws/credentials in"
                ));
            }
            None => return Ok((None, CredentialsFrom::Anonymous)),
        },
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && named.is_none() => {
            return Ok((None, CredentialsFrom::Anonymous));
        }
        Err(e) => {
            return Err(format!(
                "failed to read the AWS credentials file {} (for profile `{profile}`): {}",
                file.display(),
                crate::remote::io_message(&e)
            ));
        }
    };
    match profile_keys(&text, &profile) {
        None if named.is_some() => Err(format!(
            "AWS_PROFILE is `{profile}`, but {} has no [{profile}] section",
            file.display()
        )),
        None => Ok((None, CredentialsFrom::Anonymous)),
        Some(keys) => {
            let get = |name: &str| {
                keys.iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .filter(|v| !v.is_empty())
            };
            let (Some(key), Some(secret)) =
                (get("aws_access_key_id"), get("aws_secret_access_key"))
            else {
                return Err(format!(
                    "profile `{profile}` in {} needs both aws_access_key_id and aws_secret_access_key",
                    file.display()
                ));
            };
            let credentials = match get("aws_session_token") {
                Some(token) => Credentials::new_with_token(key, secret, token),
                None => Credentials::new(key, secret),
            };
            Ok((
                Some(credentials),
                CredentialsFrom::Profile {
                    name: profile,
                    file,
                },
            ))
        }
    }
}

/// The `key = value` pairs of section `[profile]` in an INI-style credentials file (keys
/// lower-cased; `#` and `;` start comment lines); `None` if there is no such section. A
/// section named twice has its pairs merged, as the AWS CLI does.
fn profile_keys(text: &str, profile: &str) -> Option<Vec<(String, String)>> {
    let mut found = false;
    let mut inside = false;
    let mut keys = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let section = section.trim();
            // `[profile x]` is the config file's spelling; some people use it here too.
            let name = section.strip_prefix("profile ").map_or(section, str::trim);
            inside = name == profile;
            found |= inside;
            continue;
        }
        if inside && let Some((key, value)) = line.split_once('=') {
            keys.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    found.then_some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private::TempDir;

    /// Writes `bytes` to `rel` below `dir`, making its parents.
    fn write(dir: &TempDir, rel: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn resolve(
        endpoint: Option<&str>,
        region: Option<&str>,
        vars: &[(&str, &str)],
    ) -> Result<Settings, String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve(endpoint, region, &move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn region_comes_from_the_job_then_the_environment_then_the_default() {
        let r = |region, vars| resolve(None, region, vars).unwrap().region;
        assert_eq!(r(None, &[]), "us-east-1");
        assert_eq!(r(None, &[("AWS_DEFAULT_REGION", "eu-west-1")]), "eu-west-1");
        let both = [("AWS_REGION", "ap-south-1"), ("AWS_DEFAULT_REGION", "x")];
        assert_eq!(r(None, &both), "ap-south-1");
        assert_eq!(r(Some("sa-east-1"), &both), "sa-east-1");
        assert_eq!(
            r(None, &[("AWS_REGION", " ")]),
            "us-east-1",
            "blank is unset"
        );
    }

    #[test]
    fn endpoint_comes_from_the_job_then_the_environment_then_aws() {
        let s = resolve(None, Some("eu-west-1"), &[]).unwrap();
        assert_eq!(
            (s.endpoint.as_str(), s.custom_endpoint),
            ("https://s3.eu-west-1.amazonaws.com", false)
        );
        assert_eq!(s.endpoint_id(), "s3.eu-west-1.amazonaws.com");
        let env = [
            ("AWS_ENDPOINT_URL", "http://generic:1"),
            ("AWS_ENDPOINT_URL_S3", "http://s3-only:2/"),
        ];
        assert_eq!(
            resolve(None, None, &env).unwrap().endpoint,
            "http://s3-only:2"
        );
        assert_eq!(
            resolve(None, None, &env[..1]).unwrap().endpoint,
            "http://generic:1"
        );
        let s = resolve(Some("HTTP://job:3/base/"), None, &env).unwrap();
        assert_eq!(
            (s.endpoint.as_str(), s.custom_endpoint),
            ("HTTP://job:3/base", true)
        );
        assert_eq!(s.endpoint_id(), "job:3/base");
    }

    #[test]
    fn an_endpoint_must_be_an_http_url() {
        for bad in ["localhost:9000", "ftp://x", "http://", "http:///x"] {
            assert_eq!(
                resolve(Some(bad), None, &[]).unwrap_err(),
                format!(
                    "Endpoint `{bad}` must be an http:// or https:// URL, e.g. http://127.0.0.1:9000"
                )
            );
        }
        let err = resolve(None, None, &[("AWS_ENDPOINT_URL", "nope")]).unwrap_err();
        assert!(err.starts_with("AWS_ENDPOINT_URL `nope` must be"), "{err}");
    }

    #[test]
    fn buckets_are_path_style_on_custom_endpoints_and_virtual_hosts_on_aws() {
        let custom = resolve(Some("http://127.0.0.1:9000"), None, &[]).unwrap();
        assert_eq!(
            custom.bucket("data").unwrap().object_url("a/b c").as_str(),
            "http://127.0.0.1:9000/data/a/b%20c"
        );
        let aws = resolve(None, None, &[]).unwrap();
        assert_eq!(
            aws.bucket("data").unwrap().object_url("k").as_str(),
            "https://data.s3.us-east-1.amazonaws.com/k"
        );
        // A dotted name cannot match AWS's TLS certificate as a host label.
        assert_eq!(
            aws.bucket("my.data").unwrap().object_url("k").as_str(),
            "https://s3.us-east-1.amazonaws.com/my.data/k"
        );
        assert_eq!(
            aws.bucket("Under_Score").unwrap().object_url("k").as_str(),
            "https://s3.us-east-1.amazonaws.com/Under_Score/k"
        );
    }

    #[test]
    fn environment_credentials_come_first() {
        let s = resolve(
            None,
            None,
            &[
                ("AWS_ACCESS_KEY_ID", "AK"),
                ("AWS_SECRET_ACCESS_KEY", "SK"),
                ("AWS_SESSION_TOKEN", "TOK"),
                ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
                ("AWS_PROFILE", "other"),
            ],
        )
        .unwrap();
        let c = s.credentials.unwrap();
        assert_eq!((c.key(), c.secret(), c.token()), ("AK", "SK", Some("TOK")));
        assert_eq!(s.origin, CredentialsFrom::Environment);
        assert_eq!(
            resolve(None, None, &[("AWS_ACCESS_KEY_ID", "AK")]).unwrap_err(),
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
        );
    }

    const FILE: &str = "# comment\n[default]\naws_access_key_id = DK\naws_secret_access_key=DS\n\n\
        [work]\n; another comment\nAWS_ACCESS_KEY_ID = WK \naws_secret_access_key = WS\n\
        aws_session_token = WT\n[profile broken]\naws_access_key_id = BK\n";

    #[test]
    fn the_shared_credentials_file_gives_the_profile() {
        let tmp = TempDir::new("bolinho-test-").unwrap();
        let file = write(&tmp, "credentials", FILE.as_bytes());
        let path = file.display().to_string();
        let with = |profile: Option<&str>| {
            let mut vars = vec![("AWS_SHARED_CREDENTIALS_FILE", path.as_str())];
            vars.extend(profile.map(|p| ("AWS_PROFILE", p)));
            resolve(None, None, &vars)
        };
        let s = with(None).unwrap();
        let c = s.credentials.unwrap();
        assert_eq!((c.key(), c.secret(), c.token()), ("DK", "DS", None));
        assert_eq!(
            s.origin,
            CredentialsFrom::Profile {
                name: "default".into(),
                file: file.clone()
            }
        );
        let c = with(Some("work")).unwrap().credentials.unwrap();
        assert_eq!((c.key(), c.secret(), c.token()), ("WK", "WS", Some("WT")));
        assert_eq!(
            with(Some("missing")).unwrap_err(),
            format!("AWS_PROFILE is `missing`, but {path} has no [missing] section")
        );
        assert_eq!(
            with(Some("broken")).unwrap_err(),
            format!(
                "profile `broken` in {path} needs both aws_access_key_id and aws_secret_access_key"
            )
        );
    }

    #[test]
    fn without_credentials_requests_are_anonymous() {
        let tmp = TempDir::new("bolinho-test-").unwrap();
        let home = tmp.path().display().to_string();
        let s = resolve(None, None, &[("HOME", home.as_str())]).unwrap();
        assert!(s.credentials.is_none());
        assert_eq!(s.origin, CredentialsFrom::Anonymous);
        let s = resolve(None, None, &[]).unwrap();
        assert_eq!(s.origin, CredentialsFrom::Anonymous);
        // ~/.aws/credentials is read when there is one.
        write(&tmp, ".aws/credentials", FILE.as_bytes());
        let s = resolve(None, None, &[("HOME", home.as_str())]).unwrap();
        assert_eq!(s.credentials.unwrap().key(), "DK");
        // A file without [default] is no error unless a profile was named.
        write(&tmp, ".aws/credentials", b"[work]\naws_access_key_id=a\n");
        let s = resolve(None, None, &[("HOME", home.as_str())]).unwrap();
        assert_eq!(s.origin, CredentialsFrom::Anonymous);
        let err = resolve(
            None,
            None,
            &[
                ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/creds"),
                ("AWS_PROFILE", "p"),
            ],
        )
        .unwrap_err();
        assert_eq!(
            err,
            "failed to read the AWS credentials file /nonexistent/creds (for profile `p`): \
             no such file or directory"
        );
    }
}

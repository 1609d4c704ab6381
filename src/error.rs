//! The error a command ends with, and the exit code each kind maps to.

use std::fmt;

use crate::exit::Failure;
use crate::fetch::FetchError;
use crate::link::LinkError;
use crate::publish::PublishError;
use crate::results::ResultsError;
use crate::signal::Signal;
use crate::spec::SpecError;

#[derive(Debug)]
pub enum Error {
    /// A flag or argument the command cannot use.
    Usage(String),
    /// The file named on the command line could not be read.
    Read {
        path: String,
        cause: std::io::Error,
    },
    /// The job file is not a valid job.
    Spec(SpecError),
    /// The job asks for something the command line did not allow (`env:NAME` without
    /// `--allow-env NAME`).
    NotAllowed(String),
    /// This host could not give the run what it needs; `action` is what failed ("create a
    /// scratch directory in /tmp").
    Host {
        action: String,
        cause: String,
    },
    Fetch(FetchError),
    Link(LinkError),
    Results(ResultsError),
    /// The results were written locally but could not be published.
    Publish(PublishError),
    /// The engine refused to instantiate or call the linked modules (not the guest's doing).
    Instantiate(wasmi::Error),
    /// `verify` found a changed module or input, or was given a receipt or a bundle it cannot
    /// verify.
    Verify(String),
    /// `bundle` could not find what a bundle of the run needs, or write it.
    Bundle(String),
    /// Ctrl-C or SIGTERM stopped bolinho while it finished the results of a guest that had
    /// run; the message says where they are.
    Stopped {
        signal: Signal,
        message: String,
    },
}

impl Error {
    /// A failure of this host to give the run what it needs.
    pub fn host(action: impl Into<String>, cause: impl fmt::Display) -> Error {
        Error::Host {
            action: action.into(),
            cause: cause.to_string(),
        }
    }

    pub fn failure(&self) -> Failure {
        match self {
            Error::Usage(_) => Failure::Usage,
            Error::Read { .. } | Error::Spec(_) | Error::NotAllowed(_) => Failure::InvalidJob,
            Error::Host { .. } => Failure::Host,
            Error::Fetch(_) => Failure::Fetch,
            Error::Link(_) | Error::Instantiate(_) => Failure::Link,
            Error::Results(_) => Failure::Results,
            Error::Publish(_) => Failure::Publish,
            Error::Verify(_) => Failure::Verify,
            Error::Bundle(_) => Failure::Bundle,
            Error::Stopped { signal, .. } => signal.failure(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message)
            | Error::NotAllowed(message)
            | Error::Verify(message)
            | Error::Bundle(message)
            | Error::Stopped { message, .. } => f.write_str(message),
            Error::Read { path, cause } => write!(f, "failed to read {path}: {cause}"),
            Error::Host { action, cause } => write!(f, "failed to {action}: {cause}"),
            Error::Spec(e) => write!(f, "invalid job: {e}"),
            Error::Fetch(e) => e.fmt(f),
            Error::Link(e) => e.fmt(f),
            Error::Results(e) => e.fmt(f),
            Error::Publish(e) => e.fmt(f),
            Error::Instantiate(e) => write!(f, "failed to instantiate the module: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<SpecError> for Error {
    fn from(e: SpecError) -> Self {
        Error::Spec(e)
    }
}
impl From<FetchError> for Error {
    fn from(e: FetchError) -> Self {
        Error::Fetch(e)
    }
}
impl From<LinkError> for Error {
    fn from(e: LinkError) -> Self {
        Error::Link(e)
    }
}
impl From<PublishError> for Error {
    fn from(e: PublishError) -> Self {
        Error::Publish(e)
    }
}
impl From<ResultsError> for Error {
    fn from(e: ResultsError) -> Self {
        Error::Results(e)
    }
}

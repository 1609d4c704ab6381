//! The preview1 `errno` enum and the one mapping from host I/O errors to it.
//!
//! Owns: the exact preview1 numbers (the order of `$errno` in `typenames.witx`, checked by a
//! test against the vendored copy) and `From<std::io::Error>`. Nothing else in the crate may
//! turn an `io::Error` into a number: every host failure funnels through [`Errno::from`], so
//! a surprising errno has exactly one place to be fixed.

use std::fmt;
use std::io;

/// A WASI preview1 error number (`$errno`, a `u16` in the ABI, returned as `i32`).
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Errno {
    Success = 0,
    TooBig = 1,
    Acces = 2,
    Addrinuse = 3,
    Addrnotavail = 4,
    Afnosupport = 5,
    Again = 6,
    Already = 7,
    Badf = 8,
    Badmsg = 9,
    Busy = 10,
    Canceled = 11,
    Child = 12,
    Connaborted = 13,
    Connrefused = 14,
    Connreset = 15,
    Deadlk = 16,
    Destaddrreq = 17,
    Dom = 18,
    Dquot = 19,
    Exist = 20,
    Fault = 21,
    Fbig = 22,
    Hostunreach = 23,
    Idrm = 24,
    Ilseq = 25,
    Inprogress = 26,
    Intr = 27,
    Inval = 28,
    Io = 29,
    Isconn = 30,
    Isdir = 31,
    Loop = 32,
    Mfile = 33,
    Mlink = 34,
    Msgsize = 35,
    Multihop = 36,
    Nametoolong = 37,
    Netdown = 38,
    Netreset = 39,
    Netunreach = 40,
    Nfile = 41,
    Nobufs = 42,
    Nodev = 43,
    Noent = 44,
    Noexec = 45,
    Nolck = 46,
    Nolink = 47,
    Nomem = 48,
    Nomsg = 49,
    Noprotoopt = 50,
    Nospc = 51,
    Nosys = 52,
    Notconn = 53,
    Notdir = 54,
    Notempty = 55,
    Notrecoverable = 56,
    Notsock = 57,
    Notsup = 58,
    Notty = 59,
    Nxio = 60,
    Overflow = 61,
    Ownerdead = 62,
    Perm = 63,
    Pipe = 64,
    Proto = 65,
    Protonosupport = 66,
    Prototype = 67,
    Range = 68,
    Rofs = 69,
    Spipe = 70,
    Srch = 71,
    Stale = 72,
    Timedout = 73,
    Txtbsy = 74,
    Xdev = 75,
    Notcapable = 76,
}

/// Every errno in number order; `ALL[n] as u16 == n`.
pub(crate) const ALL: [Errno; 77] = {
    use Errno::*;
    [
        Success,
        TooBig,
        Acces,
        Addrinuse,
        Addrnotavail,
        Afnosupport,
        Again,
        Already,
        Badf,
        Badmsg,
        Busy,
        Canceled,
        Child,
        Connaborted,
        Connrefused,
        Connreset,
        Deadlk,
        Destaddrreq,
        Dom,
        Dquot,
        Exist,
        Fault,
        Fbig,
        Hostunreach,
        Idrm,
        Ilseq,
        Inprogress,
        Intr,
        Inval,
        Io,
        Isconn,
        Isdir,
        Loop,
        Mfile,
        Mlink,
        Msgsize,
        Multihop,
        Nametoolong,
        Netdown,
        Netreset,
        Netunreach,
        Nfile,
        Nobufs,
        Nodev,
        Noent,
        Noexec,
        Nolck,
        Nolink,
        Nomem,
        Nomsg,
        Noprotoopt,
        Nospc,
        Nosys,
        Notconn,
        Notdir,
        Notempty,
        Notrecoverable,
        Notsock,
        Notsup,
        Notty,
        Nxio,
        Overflow,
        Ownerdead,
        Perm,
        Pipe,
        Proto,
        Protonosupport,
        Prototype,
        Range,
        Rofs,
        Spipe,
        Srch,
        Stale,
        Timedout,
        Txtbsy,
        Xdev,
        Notcapable,
    ]
};

impl Errno {
    /// The preview1 number, as returned to the guest.
    pub fn raw(self) -> u16 {
        self as u16
    }

    /// The errno with this preview1 number, if any.
    pub fn from_raw(n: u16) -> Option<Errno> {
        ALL.get(usize::from(n)).copied()
    }

    /// The witx name (`noent`, `2big`, `notcapable`), used in messages and tests.
    pub fn name(self) -> &'static str {
        NAMES[self as usize]
    }
}

const NAMES: [&str; 77] = [
    "success",
    "2big",
    "acces",
    "addrinuse",
    "addrnotavail",
    "afnosupport",
    "again",
    "already",
    "badf",
    "badmsg",
    "busy",
    "canceled",
    "child",
    "connaborted",
    "connrefused",
    "connreset",
    "deadlk",
    "destaddrreq",
    "dom",
    "dquot",
    "exist",
    "fault",
    "fbig",
    "hostunreach",
    "idrm",
    "ilseq",
    "inprogress",
    "intr",
    "inval",
    "io",
    "isconn",
    "isdir",
    "loop",
    "mfile",
    "mlink",
    "msgsize",
    "multihop",
    "nametoolong",
    "netdown",
    "netreset",
    "netunreach",
    "nfile",
    "nobufs",
    "nodev",
    "noent",
    "noexec",
    "nolck",
    "nolink",
    "nomem",
    "nomsg",
    "noprotoopt",
    "nospc",
    "nosys",
    "notconn",
    "notdir",
    "notempty",
    "notrecoverable",
    "notsock",
    "notsup",
    "notty",
    "nxio",
    "overflow",
    "ownerdead",
    "perm",
    "pipe",
    "proto",
    "protonosupport",
    "prototype",
    "range",
    "rofs",
    "spipe",
    "srch",
    "stale",
    "timedout",
    "txtbsy",
    "xdev",
    "notcapable",
];

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasi errno {} ({})", self.raw(), self.name())
    }
}

impl std::error::Error for Errno {}

impl From<io::Error> for Errno {
    /// OS error -> `io::ErrorKind` -> preview1 number. The kind is portable; the raw OS
    /// number is only consulted for the few conditions std has no stable kind for.
    fn from(err: io::Error) -> Errno {
        use io::ErrorKind as K;
        match err.kind() {
            K::NotFound => Errno::Noent,
            K::PermissionDenied => Errno::Acces,
            K::AlreadyExists => Errno::Exist,
            K::InvalidInput => Errno::Inval,
            K::InvalidData => Errno::Ilseq,
            K::NotADirectory => Errno::Notdir,
            K::IsADirectory => Errno::Isdir,
            K::DirectoryNotEmpty => Errno::Notempty,
            K::ReadOnlyFilesystem => Errno::Rofs,
            K::StorageFull => Errno::Nospc,
            K::QuotaExceeded => Errno::Dquot,
            K::FileTooLarge => Errno::Fbig,
            K::InvalidFilename => Errno::Nametoolong,
            K::NotSeekable => Errno::Spipe,
            K::ResourceBusy => Errno::Busy,
            K::ExecutableFileBusy => Errno::Txtbsy,
            K::CrossesDevices => Errno::Xdev,
            K::TooManyLinks => Errno::Mlink,
            K::Deadlock => Errno::Deadlk,
            K::StaleNetworkFileHandle => Errno::Stale,
            K::ArgumentListTooLong => Errno::TooBig,
            K::BrokenPipe => Errno::Pipe,
            K::WouldBlock => Errno::Again,
            K::Interrupted => Errno::Intr,
            K::TimedOut => Errno::Timedout,
            K::Unsupported => Errno::Notsup,
            K::OutOfMemory => Errno::Nomem,
            K::UnexpectedEof | K::WriteZero => Errno::Io,
            K::ConnectionRefused => Errno::Connrefused,
            K::ConnectionReset => Errno::Connreset,
            K::ConnectionAborted => Errno::Connaborted,
            K::NotConnected => Errno::Notconn,
            K::AddrInUse => Errno::Addrinuse,
            K::AddrNotAvailable => Errno::Addrnotavail,
            K::HostUnreachable => Errno::Hostunreach,
            K::NetworkUnreachable => Errno::Netunreach,
            K::NetworkDown => Errno::Netdown,
            _ => raw_os_errno(&err).unwrap_or(Errno::Io),
        }
    }
}

/// The conditions std reports only as `Other`/`Uncategorized` (ELOOP is unstable as
/// `FilesystemLoop`). Linux numbering; other hosts fall back to `EIO`.
fn raw_os_errno(err: &io::Error) -> Option<Errno> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    match err.raw_os_error()? {
        40 => Some(Errno::Loop),
        36 => Some(Errno::Nametoolong),
        1 => Some(Errno::Perm),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_witx_enum_order() {
        let witx = include_str!("../witx/typenames.witx");
        let start = witx.find("(typename $errno").expect("errno typename");
        let body = &witx[start..];
        let body = &body[..body.find("\n)").expect("end of errno")];
        let names: Vec<&str> = body
            .lines()
            .map(str::trim)
            .filter_map(|l| l.strip_prefix('$'))
            .collect();
        assert_eq!(names.len(), ALL.len());
        for (n, (name, errno)) in names.iter().zip(ALL).enumerate() {
            assert_eq!(errno.raw() as usize, n, "{errno:?}");
            assert_eq!(errno.name(), *name, "errno {n}");
            assert_eq!(Errno::from_raw(n as u16), Some(errno));
        }
        assert_eq!(Errno::from_raw(77), None);
    }

    #[test]
    fn io_errors_map_to_preview1_numbers() {
        let cases = [
            (io::ErrorKind::NotFound, Errno::Noent),
            (io::ErrorKind::AlreadyExists, Errno::Exist),
            (io::ErrorKind::NotADirectory, Errno::Notdir),
            (io::ErrorKind::IsADirectory, Errno::Isdir),
            (io::ErrorKind::DirectoryNotEmpty, Errno::Notempty),
            (io::ErrorKind::ReadOnlyFilesystem, Errno::Rofs),
            (io::ErrorKind::Other, Errno::Io),
        ];
        for (kind, want) in cases {
            assert_eq!(Errno::from(io::Error::from(kind)), want, "{kind:?}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn eloop_maps_from_the_raw_os_error() {
        assert_eq!(Errno::from(io::Error::from_raw_os_error(40)), Errno::Loop);
    }

    #[test]
    fn display_names_number_and_witx_name() {
        assert_eq!(Errno::Notcapable.to_string(), "wasi errno 76 (notcapable)");
    }
}

//! The preview1 `errno` enum and the one mapping from host I/O errors to it.
//!
//! Owns: the exact preview1 numbers (the order of `$errno` in `typenames.witx`, checked by a
//! test against the vendored copy), `From<rustix::io::Errno>` (the host's number, name for
//! name) and `From<std::io::Error>`. Nothing else in the crate may turn a host error into a
//! number: every host failure funnels through [`Errno::from`], so a surprising errno has
//! exactly one place to be fixed.

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
    /// As [`From<&io::Error>`].
    fn from(err: io::Error) -> Errno {
        Errno::from(&err)
    }
}

impl From<&io::Error> for Errno {
    /// An OS error goes through the exact table of [`From<rustix::io::Errno>`]; an error
    /// made by Rust code (no OS number) is mapped by its portable `io::ErrorKind`.
    fn from(err: &io::Error) -> Errno {
        // An errno carried as the error itself: what a replayed stdin read failed with
        // (`tape::replay`), already in the guest's terms.
        if let Some(errno) = err.get_ref().and_then(|e| e.downcast_ref::<Errno>()) {
            return *errno;
        }
        if let Some(raw) = err.raw_os_error() {
            return Errno::from(rustix::io::Errno::from_raw_os_error(raw));
        }
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
            _ => Errno::Io,
        }
    }
}

impl From<rustix::io::Errno> for Errno {
    /// Host errno -> preview1 errno, number for number (the names are the same; the host's
    /// numbers differ between Linux and macOS, rustix's constants do not). `EOPNOTSUPP`
    /// and `EWOULDBLOCK` share a number with `ENOTSUP` and `EAGAIN` on Linux.
    fn from(e: rustix::io::Errno) -> Errno {
        use rustix::io::Errno as H;
        const TABLE: &[(H, Errno)] = &[
            (H::TOOBIG, Errno::TooBig),
            (H::ACCESS, Errno::Acces),
            (H::ADDRINUSE, Errno::Addrinuse),
            (H::ADDRNOTAVAIL, Errno::Addrnotavail),
            (H::AFNOSUPPORT, Errno::Afnosupport),
            (H::AGAIN, Errno::Again),
            (H::ALREADY, Errno::Already),
            (H::BADF, Errno::Badf),
            (H::BADMSG, Errno::Badmsg),
            (H::BUSY, Errno::Busy),
            (H::CANCELED, Errno::Canceled),
            (H::CHILD, Errno::Child),
            (H::CONNABORTED, Errno::Connaborted),
            (H::CONNREFUSED, Errno::Connrefused),
            (H::CONNRESET, Errno::Connreset),
            (H::DEADLK, Errno::Deadlk),
            (H::DESTADDRREQ, Errno::Destaddrreq),
            (H::DOM, Errno::Dom),
            (H::DQUOT, Errno::Dquot),
            (H::EXIST, Errno::Exist),
            (H::FAULT, Errno::Fault),
            (H::FBIG, Errno::Fbig),
            (H::HOSTUNREACH, Errno::Hostunreach),
            (H::IDRM, Errno::Idrm),
            (H::ILSEQ, Errno::Ilseq),
            (H::INPROGRESS, Errno::Inprogress),
            (H::INTR, Errno::Intr),
            (H::INVAL, Errno::Inval),
            (H::IO, Errno::Io),
            (H::ISCONN, Errno::Isconn),
            (H::ISDIR, Errno::Isdir),
            (H::LOOP, Errno::Loop),
            (H::MFILE, Errno::Mfile),
            (H::MLINK, Errno::Mlink),
            (H::MSGSIZE, Errno::Msgsize),
            (H::MULTIHOP, Errno::Multihop),
            (H::NAMETOOLONG, Errno::Nametoolong),
            (H::NETDOWN, Errno::Netdown),
            (H::NETRESET, Errno::Netreset),
            (H::NETUNREACH, Errno::Netunreach),
            (H::NFILE, Errno::Nfile),
            (H::NOBUFS, Errno::Nobufs),
            (H::NODEV, Errno::Nodev),
            (H::NOENT, Errno::Noent),
            (H::NOEXEC, Errno::Noexec),
            (H::NOLCK, Errno::Nolck),
            (H::NOLINK, Errno::Nolink),
            (H::NOMEM, Errno::Nomem),
            (H::NOMSG, Errno::Nomsg),
            (H::NOPROTOOPT, Errno::Noprotoopt),
            (H::NOSPC, Errno::Nospc),
            (H::NOSYS, Errno::Nosys),
            (H::NOTCONN, Errno::Notconn),
            (H::NOTDIR, Errno::Notdir),
            (H::NOTEMPTY, Errno::Notempty),
            (H::NOTRECOVERABLE, Errno::Notrecoverable),
            (H::NOTSOCK, Errno::Notsock),
            (H::NOTSUP, Errno::Notsup),
            (H::OPNOTSUPP, Errno::Notsup),
            (H::NOTTY, Errno::Notty),
            (H::NXIO, Errno::Nxio),
            (H::OVERFLOW, Errno::Overflow),
            (H::OWNERDEAD, Errno::Ownerdead),
            (H::PERM, Errno::Perm),
            (H::PIPE, Errno::Pipe),
            (H::PROTO, Errno::Proto),
            (H::PROTONOSUPPORT, Errno::Protonosupport),
            (H::PROTOTYPE, Errno::Prototype),
            (H::RANGE, Errno::Range),
            (H::ROFS, Errno::Rofs),
            (H::SPIPE, Errno::Spipe),
            (H::SRCH, Errno::Srch),
            (H::STALE, Errno::Stale),
            (H::TIMEDOUT, Errno::Timedout),
            (H::TXTBSY, Errno::Txtbsy),
            (H::XDEV, Errno::Xdev),
        ];
        TABLE
            .iter()
            .find(|(h, _)| *h == e)
            .map_or(Errno::Io, |(_, ours)| *ours)
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

    #[test]
    fn an_errno_carried_in_an_io_error_comes_back_unchanged() {
        for errno in [Errno::Intr, Errno::Again, Errno::Notcapable] {
            assert_eq!(Errno::from(io::Error::other(errno)), errno);
        }
    }

    #[test]
    fn host_errnos_map_by_name() {
        use rustix::io::Errno as H;
        for (host, want) in [
            (H::LOOP, Errno::Loop),
            (H::PERM, Errno::Perm),
            (H::ACCESS, Errno::Acces),
            (H::XDEV, Errno::Xdev),
            (H::NOTEMPTY, Errno::Notempty),
            (H::NAMETOOLONG, Errno::Nametoolong),
            (H::OPNOTSUPP, Errno::Notsup),
        ] {
            assert_eq!(Errno::from(host), want, "{host:?}");
            let io = io::Error::from_raw_os_error(host.raw_os_error());
            assert_eq!(Errno::from(io), want, "io::Error of {host:?}");
        }
    }

    #[test]
    fn display_names_number_and_witx_name() {
        assert_eq!(Errno::Notcapable.to_string(), "wasi errno 76 (notcapable)");
    }
}

//! The WASI context of one guest instance, and the builder that validates its inputs.
//!
//! Owns: argv, environment, stdio, the mount list, clock and random source, which file
//! metadata the guest sees (the host's or virtual), and the fd layout (0 stdin, 1 stdout,
//! 2 stderr, 3 the single preopen "/" as Bacalhau gives guests).
//! Must not know about jobs, YAML or wasmi: the root crate fills the builder, `linker.rs`
//! hands the context to host functions.

use crate::clock::{Clock, HostClock};
use crate::errno::Errno;
use crate::fdtable::{Entry, FdTable, Object, OpenDir};
use crate::fs::meta::{Change, Meta};
use crate::fs::mounts::{Mount, Mounts, parse_guest_path};
use crate::fs::resolve::resolve;
use crate::fs::{Access, Node, OpenOptions, ops};
use crate::interrupt::Interrupt;
use crate::random::{OsRandom, RandomSource};
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// Why a [`WasiCtxBuilder`] could not build a context.
#[derive(Debug)]
pub enum BuildError {
    /// A mount's guest path is not absolute, or contains `.`, `..` or NUL.
    InvalidGuestPath {
        /// The guest path as given.
        guest: String,
        /// The host path it was to mount.
        host: PathBuf,
    },
    /// Two mounts name the same guest path.
    DuplicateGuestPath {
        /// The guest path as given the second time.
        guest: String,
        /// The host path of the second mount.
        host: PathBuf,
    },
    /// A mount's host path cannot be found.
    MissingHostPath {
        /// The guest path.
        guest: String,
        /// The host path that is missing.
        host: PathBuf,
        /// The host's error.
        cause: io::Error,
    },
    /// An argument contains NUL, which cannot cross the preview1 ABI.
    InvalidArg(String),
    /// An environment variable has an empty name, `=` in its name, or NUL.
    InvalidEnv(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidGuestPath { guest, host } => write!(
                f,
                "failed to mount {} at {guest:?}: the guest path must be absolute, without `.`, `..` or NUL",
                host.display()
            ),
            BuildError::DuplicateGuestPath { guest, host } => write!(
                f,
                "failed to mount {} at {guest:?}: another mount already uses that guest path",
                host.display()
            ),
            BuildError::MissingHostPath { guest, host, cause } => write!(
                f,
                "failed to mount {} at {guest:?}: {cause}",
                host.display()
            ),
            BuildError::InvalidArg(a) => {
                write!(f, "failed to pass argument {a:?}: it contains NUL")
            }
            BuildError::InvalidEnv(e) => write!(
                f,
                "failed to pass environment variable {e:?}: the name must be non-empty without `=`, and neither part may contain NUL"
            ),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::MissingHostPath { cause, .. } => Some(cause),
            _ => None,
        }
    }
}

/// Builds a [`WasiCtx`]. Methods take and return the builder by value.
#[must_use]
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Box<dyn Read + Send>,
    stdout: Box<dyn Write + Send>,
    stderr: Box<dyn Write + Send>,
    mounts: Vec<(String, PathBuf, Access)>,
    preopen_root: bool,
    clock: Box<dyn Clock + Send>,
    random: Box<dyn RandomSource + Send>,
    virtual_metadata: bool,
    interrupt: Arc<Interrupt>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder::new()
    }
}

impl WasiCtxBuilder {
    /// No arguments or environment, empty stdin, discarded output, no mounts, the host
    /// clock, OS randomness and the host's file metadata.
    pub fn new() -> Self {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdin: Box::new(io::empty()),
            stdout: Box::new(io::sink()),
            stderr: Box::new(io::sink()),
            mounts: Vec::new(),
            preopen_root: false,
            clock: Box::new(HostClock::new()),
            random: Box::new(OsRandom::new()),
            virtual_metadata: false,
            interrupt: Arc::new(Interrupt::new()),
        }
    }

    /// Appends an argument (`argv[0]` first).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends an environment variable; order is kept.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// The guest's stdin (fd 0).
    pub fn stdin(mut self, r: Box<dyn Read + Send>) -> Self {
        self.stdin = r;
        self
    }

    /// The guest's stdout (fd 1).
    pub fn stdout(mut self, w: Box<dyn Write + Send>) -> Self {
        self.stdout = w;
        self
    }

    /// The guest's stderr (fd 2).
    pub fn stderr(mut self, w: Box<dyn Write + Send>) -> Self {
        self.stderr = w;
        self
    }

    /// Mounts a host file or directory at the absolute `guest_path`. Mounts may nest.
    pub fn mount(
        mut self,
        guest_path: &str,
        host_path: impl Into<PathBuf>,
        access: Access,
    ) -> Self {
        self.mounts
            .push((guest_path.to_string(), host_path.into(), access));
        self
    }

    /// Preopens "/" as fd 3 even with no mounts (with any mount it always is).
    pub fn preopen_root(mut self, yes: bool) -> Self {
        self.preopen_root = yes;
        self
    }

    /// The clock the guest reads.
    pub fn clock(mut self, clock: Box<dyn Clock + Send>) -> Self {
        self.clock = clock;
        self
    }

    /// The random source the guest reads.
    pub fn random(mut self, random: Box<dyn RandomSource + Send>) -> Self {
        self.random = random;
        self
    }

    /// Which file metadata the guest sees through `fd_filestat_get`, `path_filestat_get` and
    /// `fd_readdir`: the host's (`false`, the default), or with `true` virtual metadata that
    /// depends only on the guest's own actions and the files' contents: inode numbers in the
    /// order the guest meets files, one device, times from the clock (what exists before the
    /// run dates from its epoch), fixed sizes and link counts for directories. See
    /// docs/RATIONALE.md, "Why virtual file metadata?".
    pub fn virtual_metadata(mut self, yes: bool) -> Self {
        self.virtual_metadata = yes;
        self
    }

    /// The handle through which a runner stops the guest from outside (see [`Interrupt`]);
    /// every host call checks it on entry and on return.
    pub fn interrupt(mut self, interrupt: Arc<Interrupt>) -> Self {
        self.interrupt = interrupt;
        self
    }

    /// Validates everything and lays out the fd table.
    pub fn build(self) -> Result<WasiCtx, BuildError> {
        if let Some(a) = self.args.iter().find(|a| a.contains('\0')) {
            return Err(BuildError::InvalidArg(a.clone()));
        }
        for (k, v) in &self.env {
            if k.is_empty() || k.contains(['=', '\0']) || v.contains('\0') {
                return Err(BuildError::InvalidEnv(format!("{k}={v}")));
            }
        }
        let mut mounts: Vec<Mount> = Vec::new();
        for (guest, host, access) in self.mounts {
            let Some(components) = parse_guest_path(&guest) else {
                return Err(BuildError::InvalidGuestPath { guest, host });
            };
            if mounts.iter().any(|m| m.guest == components) {
                return Err(BuildError::DuplicateGuestPath { guest, host });
            }
            // The host path is looked up here, once; from now on the mount is an open fd.
            match Mount::open(components, &host, access) {
                Ok(m) => mounts.push(m),
                Err(cause) => return Err(BuildError::MissingHostPath { guest, host, cause }),
            }
        }
        let mounts = Mounts::new(mounts);

        let mut fds = FdTable::new();
        // Infallible: an empty table has room for four entries.
        let stdio = [
            Object::Reader(self.stdin),
            Object::Writer(self.stdout),
            Object::Writer(self.stderr),
        ];
        for object in stdio {
            fds.insert(Entry::new(object)).expect("room for stdio");
        }
        if self.preopen_root || !mounts.is_empty() {
            let root = OpenDir {
                guest: Vec::new(),
                loc: mounts.root(),
                preopen: Some("/".to_string()),
                listing: None,
            };
            fds.insert(Entry::new(Object::Dir(root)))
                .expect("room for the preopen");
        }
        let meta = if self.virtual_metadata {
            // Read without advancing the clock: the guest's first reading stays the epoch. A
            // clock that cannot tell dates what exists before the run at 0 (1970).
            Meta::virtual_from(self.clock.epoch().unwrap_or(0))
        } else {
            Meta::Host
        };
        Ok(WasiCtx {
            args: self.args,
            env: self.env,
            fds,
            mounts,
            meta,
            clock: self.clock,
            random: self.random,
            interrupt: self.interrupt,
        })
    }
}

/// The state every preview1 host function works on.
pub struct WasiCtx {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) fds: FdTable,
    pub(crate) mounts: Mounts,
    pub(crate) meta: Meta,
    pub(crate) clock: Box<dyn Clock + Send>,
    pub(crate) random: Box<dyn RandomSource + Send>,
    pub(crate) interrupt: Arc<Interrupt>,
}

impl WasiCtx {
    /// Flushes every output stream still open (stdout and stderr unless the guest closed
    /// them, in which case they were flushed then).
    pub fn flush(&mut self) -> io::Result<()> {
        for entry in self.fds.entries_mut() {
            if let Object::Writer(w) = &mut entry.object {
                w.flush()?;
            }
        }
        Ok(())
    }

    /// Records a change the guest made to the host in the metadata it sees (`fs::meta`).
    pub(crate) fn record(&mut self, change: Change) {
        self.meta.record(change, &*self.clock);
    }

    /// Reads a file by absolute guest path, through the same sandboxed resolution the
    /// guest's `path_open` uses (symlinks followed, never out of the namespace), refusing one
    /// of more than `limit` bytes with `Fbig`.
    pub fn read_file(&self, guest_path: &str, limit: u64) -> Result<Vec<u8>, Errno> {
        let rel = guest_path.strip_prefix('/').ok_or(Errno::Inval)?;
        let rel = rel.trim_start_matches('/');
        if rel.is_empty() {
            return Err(Errno::Isdir);
        }
        let r = resolve(&self.mounts, &[], &self.mounts.root(), rel, true)?;
        match (&r.node, r.at()) {
            (Node::File, Some((dir, name))) => {
                // Non-blocking, so that a FIFO does not hold the run before its guest starts;
                // only a regular file is read.
                let read = OpenOptions {
                    read: true,
                    nonblock: true,
                    ..OpenOptions::default()
                };
                let mut data = Vec::new();
                let file = File::from(ops(r.access).open(dir, name, &read)?);
                if !file.metadata()?.is_file() {
                    return Err(Errno::Inval);
                }
                file.take(limit.saturating_add(1)).read_to_end(&mut data)?;
                if data.len() as u64 > limit {
                    return Err(Errno::Fbig);
                }
                Ok(data)
            }
            (Node::Missing, _) => Err(Errno::Noent),
            (Node::Dir, _) => Err(Errno::Isdir),
            _ => Err(Errno::Inval),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    #[test]
    fn build_rejects_bad_mounts_naming_both_paths() {
        let tmp = TempDir::new();
        let err = WasiCtxBuilder::new()
            .mount("inputs", tmp.path(), Access::ReadOnly)
            .build();
        let err = err.err().unwrap();
        assert!(matches!(err, BuildError::InvalidGuestPath { .. }));
        assert!(err.to_string().contains("\"inputs\""));
        assert!(err.to_string().contains(&tmp.path().display().to_string()));

        let err = WasiCtxBuilder::new()
            .mount("/a", tmp.path(), Access::ReadOnly)
            .mount("/a/", tmp.path(), Access::ReadWrite)
            .build()
            .err()
            .unwrap();
        assert!(
            matches!(err, BuildError::DuplicateGuestPath { .. }),
            "{err}"
        );

        let missing = tmp.path().join("nope");
        let err = WasiCtxBuilder::new()
            .mount("/data", &missing, Access::ReadOnly)
            .build()
            .err()
            .unwrap();
        let msg = err.to_string();
        assert!(matches!(err, BuildError::MissingHostPath { .. }));
        assert!(
            msg.starts_with("failed to mount ") && msg.contains("\"/data\""),
            "{msg}"
        );
        assert!(msg.contains(&missing.display().to_string()), "{msg}");

        assert!(matches!(
            WasiCtxBuilder::new()
                .mount("/a/../b", tmp.path(), Access::ReadOnly)
                .build(),
            Err(BuildError::InvalidGuestPath { .. })
        ));
    }

    #[test]
    fn build_rejects_unrepresentable_args_and_env() {
        let b = WasiCtxBuilder::new().arg("a\0b").build();
        assert!(matches!(b, Err(BuildError::InvalidArg(_))));
        for (k, v) in [("", "v"), ("A=B", "v"), ("A", "\0")] {
            let b = WasiCtxBuilder::new().env(k, v).build();
            assert!(matches!(b, Err(BuildError::InvalidEnv(_))), "{k:?}");
        }
    }

    #[test]
    fn fd_layout_is_stdio_then_the_root_preopen() {
        let mut none = WasiCtxBuilder::new().build().unwrap();
        assert!(none.fds.get(2).is_ok());
        assert_eq!(none.fds.get(3).err(), Some(Errno::Badf));
        let mut forced = WasiCtxBuilder::new().preopen_root(true).build().unwrap();
        assert_eq!(forced.fds.dir(3).unwrap().preopen.as_deref(), Some("/"));
        let tmp = TempDir::new();
        let mut mounted = WasiCtxBuilder::new()
            .mount("/inputs", tmp.path(), Access::ReadOnly)
            .build()
            .unwrap();
        assert_eq!(mounted.fds.dir(3).unwrap().guest, Vec::<String>::new());
        assert_eq!(mounted.fds.get(4).err(), Some(Errno::Badf));
    }

    #[test]
    fn read_file_uses_the_sandboxed_namespace() {
        let root = TempDir::new();
        let lib = TempDir::new();
        root.file("main.wasm", b"root");
        lib.file("lib.wasm", b"lib");
        let ctx = WasiCtxBuilder::new()
            .mount("/", root.path(), Access::ReadWrite)
            .mount(
                "/modules/lib.wasm",
                lib.path().join("lib.wasm"),
                Access::ReadOnly,
            )
            .build()
            .unwrap();
        assert_eq!(ctx.read_file("/main.wasm", 1 << 20), Ok(b"root".to_vec()));
        assert_eq!(
            ctx.read_file("//modules/lib.wasm", 1 << 20),
            Ok(b"lib".to_vec())
        );
        assert_eq!(
            ctx.read_file("/modules/../main.wasm", 1 << 20),
            Ok(b"root".to_vec())
        );
        assert_eq!(
            ctx.read_file("/../etc/passwd", 1 << 20),
            Err(Errno::Notcapable)
        );
        assert_eq!(ctx.read_file("/missing", 1 << 20), Err(Errno::Noent));
        assert_eq!(ctx.read_file("/modules", 1 << 20), Err(Errno::Isdir));
        // At most `limit` bytes: one more is refused, not read.
        assert_eq!(ctx.read_file("/main.wasm", 4), Ok(b"root".to_vec()));
        assert_eq!(ctx.read_file("/main.wasm", 3), Err(Errno::Fbig));
        assert_eq!(ctx.read_file("/", 1 << 20), Err(Errno::Isdir));
        assert_eq!(ctx.read_file("main.wasm", 1 << 20), Err(Errno::Inval));
        #[cfg(unix)]
        {
            root.symlink("/etc/passwd", "evil");
            assert_eq!(ctx.read_file("/evil", 1 << 20), Err(Errno::Notcapable));
            // A FIFO nobody writes to is refused at once, not waited on.
            use rustix::fs::{CWD, FileType, Mode, mknodat};
            let fifo = root.path().join("fifo");
            mknodat(CWD, &fifo, FileType::Fifo, Mode::from(0o600), 0).unwrap();
            assert_eq!(ctx.read_file("/fifo", 1 << 20), Err(Errno::Inval));
        }
    }

    #[test]
    fn flush_flushes_open_outputs() {
        use std::sync::atomic::{AtomicU32, Ordering};
        struct Flushes(Arc<AtomicU32>);
        impl Write for Flushes {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                self.0.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
        }
        let n = Arc::new(AtomicU32::new(0));
        let mut ctx = WasiCtxBuilder::new()
            .stdout(Box::new(Flushes(n.clone())))
            .stderr(Box::new(Flushes(n.clone())))
            .build()
            .unwrap();
        ctx.flush().unwrap();
        assert_eq!(n.load(Ordering::Relaxed), 2);
    }
}

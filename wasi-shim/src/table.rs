//! The one table of every `wasi_snapshot_preview1` function, in spec (witx) order.
//!
//! Owns: each function's name, its core-wasm signature (after the preview1 ABI lowering:
//! pointers, sizes, fds and flags are `i32`; 64-bit types are `i64`; a string or array is
//! two `i32`s; each result but the errno becomes an out-pointer `i32`), and which `funcs/`
//! function implements it. Each function is stated once, in [`for_each_function`]; from
//! that list this file derives [`FUNCTIONS`] (for the embedder's import checks) and
//! `linker.rs` derives the registration, so a signature and its call cannot disagree. A
//! test checks the list against the vendored witx. Must not hold behaviour (the functions
//! live in `funcs/`) or touch wasmi's `Linker` (that is `linker.rs`).

use wasmi::{FuncType, ValType};

/// The import module name of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// One preview1 function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuncSpec {
    /// The import name.
    pub name: &'static str,
    /// Core-wasm parameter types.
    pub params: &'static [ValType],
    /// Core-wasm result types (`[i32]`, the errno, for all but `proc_exit`).
    pub results: &'static [ValType],
}

impl FuncSpec {
    /// The function's wasmi type.
    pub fn func_type(&self) -> FuncType {
        FuncType::new(self.params.iter().copied(), self.results.iter().copied())
    }

    /// The spec of the preview1 function `name`, if there is one (for import checks).
    pub fn find(name: &str) -> Option<&'static FuncSpec> {
        FUNCTIONS.iter().find(|s| s.name == name)
    }
}

/// Hands every preview1 function, in witx order, to the macro `$then`, one entry each:
///
/// `area::name(param: Type, ...) => Kind;`
///
/// `funcs::area::name` implements the import `name`; the parameters are its wasm
/// parameters, in order, each a Rust type that stands for one core-wasm type (`u32` for
/// `i32`, `u64` or `i64` for `i64`: [`WasmParam`]). `Kind` says what else the function
/// takes and what it returns, which `linker.rs` adapts:
/// - `Mem`: `(ctx, memory, params) -> Result<(), Errno>`, on the calling instance's memory;
/// - `Ctx`: `(ctx, params) -> Result<(), Errno>`, which spares the memory lookup;
/// - `Args`: `(params) -> Result<(), Errno>`;
/// - `Exit`: `(params) -> ProcExit`, no wasm result: the guest unwinds.
///
/// Every kind but `Exit` returns the errno as one `i32`.
macro_rules! for_each_function {
    ($then:ident) => {
        $then! {
            args::args_get(argv: u32, argv_buf: u32) => Mem;
            args::args_sizes_get(argc_ptr: u32, argv_buf_size_ptr: u32) => Mem;
            environ::environ_get(environ: u32, environ_buf: u32) => Mem;
            environ::environ_sizes_get(count_ptr: u32, buf_size_ptr: u32) => Mem;
            clock::clock_res_get(id: u32, res_ptr: u32) => Mem;
            clock::clock_time_get(id: u32, precision: u64, time_ptr: u32) => Mem;
            fd::fd_advise(fd: u32, offset: u64, len: u64, advice: u32) => Ctx;
            fd::fd_allocate(fd: u32, offset: u64, len: u64) => Ctx;
            fd::fd_close(fd: u32) => Ctx;
            fd::fd_datasync(fd: u32) => Ctx;
            fd::fd_fdstat_get(fd: u32, stat_ptr: u32) => Mem;
            fd::fd_fdstat_set_flags(fd: u32, flags: u32) => Ctx;
            fd::fd_fdstat_set_rights(fd: u32, base: u64, inheriting: u64) => Ctx;
            fd::fd_filestat_get(fd: u32, stat_ptr: u32) => Mem;
            fd::fd_filestat_set_size(fd: u32, size: u64) => Ctx;
            fd::fd_filestat_set_times(fd: u32, atim: u64, mtim: u64, fst_flags: u32) => Ctx;
            fd::fd_pread(fd: u32, iovs: u32, iovs_len: u32, offset: u64, nread_ptr: u32) => Mem;
            fd_dir::fd_prestat_get(fd: u32, prestat_ptr: u32) => Mem;
            fd_dir::fd_prestat_dir_name(fd: u32, path: u32, path_len: u32) => Mem;
            fd::fd_pwrite(
                fd: u32, iovs: u32, iovs_len: u32, offset: u64, nwritten_ptr: u32
            ) => Mem;
            fd::fd_read(fd: u32, iovs: u32, iovs_len: u32, nread_ptr: u32) => Mem;
            fd_dir::fd_readdir(
                fd: u32, buf: u32, buf_len: u32, cookie: u64, bufused_ptr: u32
            ) => Mem;
            fd::fd_renumber(fd: u32, to: u32) => Ctx;
            fd::fd_seek(fd: u32, offset: i64, whence: u32, newoffset_ptr: u32) => Mem;
            fd::fd_sync(fd: u32) => Ctx;
            fd::fd_tell(fd: u32, offset_ptr: u32) => Mem;
            fd::fd_write(fd: u32, iovs: u32, iovs_len: u32, nwritten_ptr: u32) => Mem;
            path::path_create_directory(fd: u32, path: u32, path_len: u32) => Mem;
            path::path_filestat_get(
                fd: u32, flags: u32, path: u32, path_len: u32, stat_ptr: u32
            ) => Mem;
            path::path_filestat_set_times(
                fd: u32, flags: u32, path: u32, path_len: u32, atim: u64, mtim: u64, fst_flags: u32
            ) => Mem;
            path::path_link(
                old_fd: u32, old_flags: u32, old_path: u32, old_path_len: u32,
                new_fd: u32, new_path: u32, new_path_len: u32
            ) => Mem;
            path::path_open(
                fd: u32, dirflags: u32, path: u32, path_len: u32, oflags: u32,
                rights_base: u64, rights_inheriting: u64, fdflags: u32, fd_ptr: u32
            ) => Mem;
            path::path_readlink(
                fd: u32, path: u32, path_len: u32, buf: u32, buf_len: u32, bufused_ptr: u32
            ) => Mem;
            path::path_remove_directory(fd: u32, path: u32, path_len: u32) => Mem;
            path::path_rename(
                fd: u32, old_path: u32, old_path_len: u32,
                new_fd: u32, new_path: u32, new_path_len: u32
            ) => Mem;
            path::path_symlink(
                old_path: u32, old_path_len: u32, fd: u32, new_path: u32, new_path_len: u32
            ) => Mem;
            path::path_unlink_file(fd: u32, path: u32, path_len: u32) => Mem;
            poll::poll_oneoff(
                in_ptr: u32, out_ptr: u32, nsubscriptions: u32, nevents_ptr: u32
            ) => Mem;
            proc::proc_exit(rval: u32) => Exit;
            proc::proc_raise(sig: u32) => Args;
            sched::sched_yield() => Args;
            random::random_get(buf: u32, buf_len: u32) => Mem;
            sock::sock_accept(fd: u32, flags: u32, fd_ptr: u32) => Ctx;
            sock::sock_recv(
                fd: u32, ri_data: u32, ri_data_len: u32, ri_flags: u32,
                size_ptr: u32, roflags_ptr: u32
            ) => Ctx;
            sock::sock_send(
                fd: u32, si_data: u32, si_data_len: u32, si_flags: u32, size_ptr: u32
            ) => Ctx;
            sock::sock_shutdown(fd: u32, how: u32) => Ctx;
        }
    };
}
pub(crate) use for_each_function;

/// A parameter type of [`for_each_function`] and the core-wasm type it stands for: the
/// same mapping as wasmi's `func_wrap`, so the registered function has the table's type
/// (a linker test checks).
trait WasmParam {
    const TYPE: ValType;
}

impl WasmParam for u32 {
    const TYPE: ValType = ValType::I32;
}

impl WasmParam for u64 {
    const TYPE: ValType = ValType::I64;
}

impl WasmParam for i64 {
    const TYPE: ValType = ValType::I64;
}

/// The wasm results of a [`for_each_function`] kind.
macro_rules! results {
    (Exit) => {
        &[]
    };
    ($kind:ident) => {
        &[ValType::I32]
    };
}

/// Builds [`FUNCTIONS`] from the list.
macro_rules! specs {
    ($($area:ident::$name:ident($($p:ident: $t:ty),*) => $kind:ident;)*) => {
        /// All 46 preview1 functions, in the order of `wasi_snapshot_preview1.witx`.
        pub static FUNCTIONS: [FuncSpec; 46] = [$(FuncSpec {
            name: stringify!($name),
            params: &[$(<$t as WasmParam>::TYPE),*],
            results: results!($kind),
        }),*];
    };
}

for_each_function!(specs);

#[cfg(test)]
mod tests {
    use super::*;

    const I: ValType = ValType::I32;
    const L: ValType = ValType::I64;

    const WITX: &str = include_str!("../witx/wasi_snapshot_preview1.witx");
    const TYPES: &str = include_str!("../witx/typenames.witx");

    /// Whether witx type `$name` lowers to `i64`.
    fn is_64bit(name: &str) -> bool {
        let key = format!("(typename ${name}");
        let at = TYPES
            .find(&format!("{key} "))
            .or_else(|| TYPES.find(&format!("{key}\n")));
        let def =
            TYPES[at.unwrap_or_else(|| panic!("no typename {name}")) + key.len()..].trim_start();
        def.starts_with("u64")
            || def.starts_with("s64")
            || def.starts_with("(flags (@witx repr u64)")
    }

    /// Lowers one witx parameter type to core-wasm types.
    fn lower(ty: &str) -> Vec<ValType> {
        if ty == "string" || ty == "$iovec_array" || ty == "$ciovec_array" {
            vec![I, I]
        } else if ty.starts_with("(@witx pointer") || ty.starts_with("(@witx const_pointer") {
            vec![I]
        } else if let Some(name) = ty.strip_prefix('$') {
            vec![if is_64bit(name) { L } else { I }]
        } else {
            panic!("unexpected witx type {ty}")
        }
    }

    /// (name, params, results) of every function in the witx, in order.
    fn witx_functions() -> Vec<(String, Vec<ValType>, Vec<ValType>)> {
        let mut out: Vec<(String, Vec<ValType>, Vec<ValType>)> = Vec::new();
        for line in WITX.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("(@interface func (export \"") {
                out.push((rest.trim_end_matches("\")").to_string(), vec![], vec![]));
            } else if let Some(rest) = line.strip_prefix("(param $") {
                let ty = rest.split_once(' ').unwrap().1;
                let ty = &ty[..ty.len() - 1];
                let params = lower(ty);
                out.last_mut().unwrap().1.extend(params);
            } else if let Some(rest) = line.strip_prefix("(result $error (expected ") {
                let last = out.last_mut().unwrap();
                last.2 = vec![I];
                // Each value the call returns besides the errno is written through an
                // out-pointer appended to the parameters.
                let ok = rest.strip_suffix("(error $errno)))").unwrap().trim();
                let outs = if ok.is_empty() {
                    0
                } else if let Some(t) = ok.strip_prefix("(tuple ") {
                    t.split_whitespace().count()
                } else {
                    1
                };
                last.1.extend(std::iter::repeat_n(I, outs));
            }
        }
        out
    }

    #[test]
    fn table_matches_the_witx_exactly() {
        let witx = witx_functions();
        assert_eq!(witx.len(), 46);
        let ours: Vec<_> = FUNCTIONS
            .iter()
            .map(|s| (s.name.to_string(), s.params.to_vec(), s.results.to_vec()))
            .collect();
        for (w, o) in witx.iter().zip(&ours) {
            assert_eq!(o, w, "signature of {}", w.0);
        }
        assert_eq!(ours, witx);
    }

    #[test]
    fn func_type_matches_the_table() {
        let path_open = FuncSpec::find("path_open").unwrap().func_type();
        assert_eq!(path_open.params(), &[I, I, I, I, I, L, L, I, I]);
        assert_eq!(path_open.results(), &[I]);
        assert!(
            FuncSpec::find("proc_exit")
                .unwrap()
                .func_type()
                .results()
                .is_empty()
        );
        assert!(FuncSpec::find("nope").is_none());
    }

    /// The unit tests of `funcs/` (test files whole, other files after `#[cfg(test)]`) and of
    /// the linker, as text.
    fn test_sources() -> Vec<&'static str> {
        let after_cfg_test =
            |src: &'static str| src.split_once("#[cfg(test)]").map_or("", |(_, t)| t);
        let mut sources: Vec<&str> = [
            include_str!("funcs/args.rs"),
            include_str!("funcs/clock.rs"),
            include_str!("funcs/environ.rs"),
            include_str!("funcs/fd_dir.rs"),
            include_str!("funcs/poll.rs"),
            include_str!("funcs/proc.rs"),
            include_str!("funcs/random.rs"),
            include_str!("funcs/sched.rs"),
            include_str!("funcs/sock.rs"),
        ]
        .into_iter()
        .map(after_cfg_test)
        .collect();
        sources.extend([
            include_str!("funcs/fd_tests.rs"),
            include_str!("funcs/path_tests.rs"),
            include_str!("funcs/path_entry_tests.rs"),
            include_str!("funcs/poll_tests.rs"),
            include_str!("linker_tests.rs"),
        ]);
        sources
    }

    /// Whether `src` holds `name` as a whole identifier (a call, or a function passed to a
    /// test helper) or as a quoted import name (a call through the engine).
    fn mentions(src: &str, name: &str) -> bool {
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        src.contains(&format!("\"{name}\""))
            || src.match_indices(name).any(|(at, _)| {
                let before = src[..at].chars().next_back().is_none_or(|c| !ident(c));
                let after = src[at + name.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !ident(c));
                before && after
            })
    }

    /// Fails when no test names a function, so a new or renamed function cannot go untested.
    #[test]
    fn every_function_has_tests() {
        let sources = test_sources();
        let untested: Vec<&str> = FUNCTIONS
            .iter()
            .map(|f| f.name)
            .filter(|name| !sources.iter().any(|src| mentions(src, name)))
            .collect();
        assert!(untested.is_empty(), "functions without tests: {untested:?}");
    }
}

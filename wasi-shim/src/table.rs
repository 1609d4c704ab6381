//! The one table of every `wasi_snapshot_preview1` function, in spec (witx) order.
//!
//! Owns: each function's name, its core-wasm signature (after the preview1 ABI lowering:
//! pointers, sizes, fds and flags are `i32`; 64-bit types are `i64`; a string or array is
//! two `i32`s; each result but the errno becomes an out-pointer `i32`). Registration (`linker.rs`), the embedder's import checks and the docs
//! derive from this table; a test checks it against the vendored witx. Must not hold
//! behaviour: the functions themselves live in `funcs/`.

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

const I: ValType = ValType::I32;
const L: ValType = ValType::I64;
const ERRNO: &[ValType] = &[I];

const fn f(name: &'static str, params: &'static [ValType]) -> FuncSpec {
    FuncSpec {
        name,
        params,
        results: ERRNO,
    }
}

/// All 46 preview1 functions, in the order of `wasi_snapshot_preview1.witx`.
pub static FUNCTIONS: [FuncSpec; 46] = [
    f("args_get", &[I, I]),
    f("args_sizes_get", &[I, I]),
    f("environ_get", &[I, I]),
    f("environ_sizes_get", &[I, I]),
    f("clock_res_get", &[I, I]),
    f("clock_time_get", &[I, L, I]),
    f("fd_advise", &[I, L, L, I]),
    f("fd_allocate", &[I, L, L]),
    f("fd_close", &[I]),
    f("fd_datasync", &[I]),
    f("fd_fdstat_get", &[I, I]),
    f("fd_fdstat_set_flags", &[I, I]),
    f("fd_fdstat_set_rights", &[I, L, L]),
    f("fd_filestat_get", &[I, I]),
    f("fd_filestat_set_size", &[I, L]),
    f("fd_filestat_set_times", &[I, L, L, I]),
    f("fd_pread", &[I, I, I, L, I]),
    f("fd_prestat_get", &[I, I]),
    f("fd_prestat_dir_name", &[I, I, I]),
    f("fd_pwrite", &[I, I, I, L, I]),
    f("fd_read", &[I, I, I, I]),
    f("fd_readdir", &[I, I, I, L, I]),
    f("fd_renumber", &[I, I]),
    f("fd_seek", &[I, L, I, I]),
    f("fd_sync", &[I]),
    f("fd_tell", &[I, I]),
    f("fd_write", &[I, I, I, I]),
    f("path_create_directory", &[I, I, I]),
    f("path_filestat_get", &[I, I, I, I, I]),
    f("path_filestat_set_times", &[I, I, I, I, L, L, I]),
    f("path_link", &[I, I, I, I, I, I, I]),
    f("path_open", &[I, I, I, I, I, L, L, I, I]),
    f("path_readlink", &[I, I, I, I, I, I]),
    f("path_remove_directory", &[I, I, I]),
    f("path_rename", &[I, I, I, I, I, I]),
    f("path_symlink", &[I, I, I, I, I]),
    f("path_unlink_file", &[I, I, I]),
    f("poll_oneoff", &[I, I, I, I]),
    FuncSpec {
        name: "proc_exit",
        params: &[I],
        results: &[],
    },
    f("proc_raise", &[I]),
    f("sched_yield", &[]),
    f("random_get", &[I, I]),
    f("sock_accept", &[I, I, I]),
    f("sock_recv", &[I, I, I, I, I, I]),
    f("sock_send", &[I, I, I, I, I]),
    f("sock_shutdown", &[I, I]),
];

#[cfg(test)]
mod tests {
    use super::*;

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

//! Registration of every preview1 function into a `wasmi::Linker`: the only file that
//! touches wasmi's `Linker` or `Caller`.
//!
//! Owns: adapting the plain host functions of `funcs/` to the engine: find the calling
//! instance's `memory` export and the `WasiCtx` in the store data, call, turn
//! `Result<(), Errno>` into the `i32` errno, `proc_exit` into `wasmi::Error::i32_exit`, and a
//! stop the runner requested (`Interrupt`) into the host error [`Interrupted`].
//! Must not contain WASI semantics: argument meaning lives in `funcs/`, signatures in
//! `table.rs`.
//!
//! Registration is derived from [`FUNCTIONS`]: each entry is defined with a typed
//! `func_wrap` closure chosen by the entry's own parameter types, so a function cannot be
//! missing or registered with another signature than the table's. Typed closures matter
//! for speed: `func_new`'s dynamic `&[Val]` form clones a boxed argument buffer on every
//! call. The body is looked up by name ([`handler`]); a table entry without one fails
//! registration, and a test registers them all.
//!
//! The memory a call works on is the *calling* instance's `memory` export, looked up on
//! every call. wasmi 2's `Caller` offers no cheaper path: it exposes neither the calling
//! instance nor an id for it, so a cached `Memory` could not be told apart from another
//! instance's in the same store (an import module with its own memory calling WASI, say).
//! The lookup is one search of a small ordered map, under 1 ns of a ~30 ns `fd_write`
//! (`bench/hostcalls`); functions that do not touch memory skip it. A module without a `memory` export still links and runs; every call that
//! touches memory then answers `EFAULT` (an empty memory), and calls that do not
//! (`fd_close`, `proc_exit`, `sched_yield`) work.

use crate::WasiCtx;
use crate::errno::Errno;
use crate::funcs;
use crate::interrupt::Interrupted;
use crate::memory::GuestMemory;
use crate::table::{FUNCTIONS, FuncSpec, MODULE};
use wasmi::{Caller, Extern, Linker, ValType};

/// The wasm arguments of one call, each widened to `u64` in the table's order.
struct Args<'a>(&'a [u64]);

impl Args<'_> {
    /// Parameter `i`, an `i32`, as the unsigned value preview1 means.
    fn u32(&self, i: usize) -> u32 {
        // The typed closure passed this parameter as a `u32`; nothing is lost.
        self.0[i] as u32
    }

    /// Parameter `i`, an `i64`, as unsigned.
    fn u64(&self, i: usize) -> u64 {
        self.0[i]
    }
}

/// What a table entry does when called.
#[derive(Clone, Copy)]
enum Handler {
    /// Works on guest memory (and the context).
    Mem(fn(&mut WasiCtx, &mut GuestMemory<'_>, &Args<'_>) -> Result<(), Errno>),
    /// Works on the context only: no memory lookup.
    Ctx(fn(&mut WasiCtx, &Args<'_>) -> Result<(), Errno>),
    /// `proc_exit`: unwinds the guest with its status.
    Exit,
}

/// The host function behind a table entry; `None` only for a name the table lacks.
fn handler(name: &str) -> Option<Handler> {
    use Handler::{Ctx, Mem};
    use funcs::*;
    let h = match name {
        "args_get" => Mem(|c, m, a| args::args_get(c, m, a.u32(0), a.u32(1))),
        "args_sizes_get" => Mem(|c, m, a| args::args_sizes_get(c, m, a.u32(0), a.u32(1))),
        "environ_get" => Mem(|c, m, a| environ::environ_get(c, m, a.u32(0), a.u32(1))),
        "environ_sizes_get" => Mem(|c, m, a| environ::environ_sizes_get(c, m, a.u32(0), a.u32(1))),
        "clock_res_get" => Mem(|c, m, a| clock::clock_res_get(c, m, a.u32(0), a.u32(1))),
        "clock_time_get" => {
            Mem(|c, m, a| clock::clock_time_get(c, m, a.u32(0), a.u64(1), a.u32(2)))
        }
        "fd_advise" => Ctx(|c, a| fd::fd_advise(c, a.u32(0), a.u64(1), a.u64(2), a.u32(3))),
        "fd_allocate" => Ctx(|c, a| fd::fd_allocate(c, a.u32(0), a.u64(1), a.u64(2))),
        "fd_close" => Ctx(|c, a| fd::fd_close(c, a.u32(0))),
        "fd_datasync" => Ctx(|c, a| fd::fd_datasync(c, a.u32(0))),
        "fd_fdstat_get" => Mem(|c, m, a| fd::fd_fdstat_get(c, m, a.u32(0), a.u32(1))),
        "fd_fdstat_set_flags" => Ctx(|c, a| fd::fd_fdstat_set_flags(c, a.u32(0), a.u32(1))),
        "fd_fdstat_set_rights" => {
            Ctx(|c, a| fd::fd_fdstat_set_rights(c, a.u32(0), a.u64(1), a.u64(2)))
        }
        "fd_filestat_get" => Mem(|c, m, a| fd::fd_filestat_get(c, m, a.u32(0), a.u32(1))),
        "fd_filestat_set_size" => Ctx(|c, a| fd::fd_filestat_set_size(c, a.u32(0), a.u64(1))),
        "fd_filestat_set_times" => {
            Ctx(|c, a| fd::fd_filestat_set_times(c, a.u32(0), a.u64(1), a.u64(2), a.u32(3)))
        }
        "fd_pread" => Mem(|c, m, a| {
            let (fd, iovs, len, offset, out) = (a.u32(0), a.u32(1), a.u32(2), a.u64(3), a.u32(4));
            fd::fd_pread(c, m, fd, iovs, len, offset, out)
        }),
        "fd_prestat_get" => Mem(|c, m, a| fd_dir::fd_prestat_get(c, m, a.u32(0), a.u32(1))),
        "fd_prestat_dir_name" => {
            Mem(|c, m, a| fd_dir::fd_prestat_dir_name(c, m, a.u32(0), a.u32(1), a.u32(2)))
        }
        "fd_pwrite" => Mem(|c, m, a| {
            let (fd, iovs, len, offset, out) = (a.u32(0), a.u32(1), a.u32(2), a.u64(3), a.u32(4));
            fd::fd_pwrite(c, m, fd, iovs, len, offset, out)
        }),
        "fd_read" => Mem(|c, m, a| fd::fd_read(c, m, a.u32(0), a.u32(1), a.u32(2), a.u32(3))),
        "fd_readdir" => Mem(|c, m, a| {
            let (fd, buf, len, cookie, out) = (a.u32(0), a.u32(1), a.u32(2), a.u64(3), a.u32(4));
            fd_dir::fd_readdir(c, m, fd, buf, len, cookie, out)
        }),
        "fd_renumber" => Ctx(|c, a| fd::fd_renumber(c, a.u32(0), a.u32(1))),
        "fd_seek" => {
            Mem(|c, m, a| fd::fd_seek(c, m, a.u32(0), a.u64(1) as i64, a.u32(2), a.u32(3)))
        }
        "fd_sync" => Ctx(|c, a| fd::fd_sync(c, a.u32(0))),
        "fd_tell" => Mem(|c, m, a| fd::fd_tell(c, m, a.u32(0), a.u32(1))),
        "fd_write" => Mem(|c, m, a| fd::fd_write(c, m, a.u32(0), a.u32(1), a.u32(2), a.u32(3))),
        "path_create_directory" => {
            Mem(|c, m, a| path::path_create_directory(c, m, a.u32(0), a.u32(1), a.u32(2)))
        }
        "path_filestat_get" => Mem(|c, m, a| {
            let (fd, flags, p, len, out) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3), a.u32(4));
            path::path_filestat_get(c, m, fd, flags, p, len, out)
        }),
        "path_filestat_set_times" => Mem(|c, m, a| {
            let (fd, flags, p, len) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3));
            let (atim, mtim, fst_flags) = (a.u64(4), a.u64(5), a.u32(6));
            path::path_filestat_set_times(c, m, fd, flags, p, len, atim, mtim, fst_flags)
        }),
        "path_link" => Mem(|c, m, a| {
            let (old_fd, old_flags, old, old_len) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3));
            let (new_fd, new, new_len) = (a.u32(4), a.u32(5), a.u32(6));
            path::path_link(c, m, old_fd, old_flags, old, old_len, new_fd, new, new_len)
        }),
        "path_open" => Mem(|c, m, a| {
            let (fd, dirflags, p, len, oflags) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3), a.u32(4));
            let (base, inheriting, fdflags, out) = (a.u64(5), a.u64(6), a.u32(7), a.u32(8));
            path::path_open(
                c, m, fd, dirflags, p, len, oflags, base, inheriting, fdflags, out,
            )
        }),
        "path_readlink" => Mem(|c, m, a| {
            let (fd, p, len, buf, buf_len, out) =
                (a.u32(0), a.u32(1), a.u32(2), a.u32(3), a.u32(4), a.u32(5));
            path::path_readlink(c, m, fd, p, len, buf, buf_len, out)
        }),
        "path_remove_directory" => {
            Mem(|c, m, a| path::path_remove_directory(c, m, a.u32(0), a.u32(1), a.u32(2)))
        }
        "path_rename" => Mem(|c, m, a| {
            let (fd, old, old_len) = (a.u32(0), a.u32(1), a.u32(2));
            let (new_fd, new, new_len) = (a.u32(3), a.u32(4), a.u32(5));
            path::path_rename(c, m, fd, old, old_len, new_fd, new, new_len)
        }),
        "path_symlink" => Mem(|c, m, a| {
            let (old, old_len, fd, new, new_len) =
                (a.u32(0), a.u32(1), a.u32(2), a.u32(3), a.u32(4));
            path::path_symlink(c, m, old, old_len, fd, new, new_len)
        }),
        "path_unlink_file" => {
            Mem(|c, m, a| path::path_unlink_file(c, m, a.u32(0), a.u32(1), a.u32(2)))
        }
        "poll_oneoff" => {
            Mem(|c, m, a| poll::poll_oneoff(c, m, a.u32(0), a.u32(1), a.u32(2), a.u32(3)))
        }
        "proc_exit" => Handler::Exit,
        "proc_raise" => Ctx(|_, a| proc::proc_raise(a.u32(0))),
        "sched_yield" => Ctx(|_, _| sched::sched_yield()),
        "random_get" => Mem(|c, m, a| random::random_get(c, m, a.u32(0), a.u32(1))),
        "sock_accept" => Ctx(|c, a| sock::sock_accept(c, a.u32(0), a.u32(1), a.u32(2))),
        "sock_recv" => Ctx(|c, a| {
            let (fd, data, data_len, flags) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3));
            sock::sock_recv(c, fd, data, data_len, flags, a.u32(4), a.u32(5))
        }),
        "sock_send" => Ctx(|c, a| {
            let (fd, data, data_len, flags) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3));
            sock::sock_send(c, fd, data, data_len, flags, a.u32(4))
        }),
        "sock_shutdown" => Ctx(|c, a| sock::sock_shutdown(c, a.u32(0), a.u32(1))),
        _ => return None,
    };
    Some(h)
}

impl wasmi::errors::HostError for Interrupted {}

/// One call: the shared body of every registered closure.
#[inline(always)]
fn call<T>(
    h: Handler,
    get: fn(&mut T) -> &mut WasiCtx,
    mut caller: Caller<'_, T>,
    args: &[u64],
) -> Result<i32, wasmi::Error> {
    let args = Args(args);
    if !get(caller.data_mut()).interrupt.enter() {
        return Err(wasmi::Error::host(Interrupted));
    }
    let result = match h {
        Handler::Mem(f) => {
            let (bytes, data): (&mut [u8], &mut T) = match caller.get_export("memory") {
                Some(Extern::Memory(m)) => m.data_and_store_mut(&mut caller),
                _ => (&mut [], caller.data_mut()),
            };
            f(get(data), &mut GuestMemory::new(bytes), &args)
        }
        Handler::Ctx(f) => f(get(caller.data_mut()), &args),
        Handler::Exit => {
            get(caller.data_mut()).interrupt.leave();
            let status = funcs::proc::proc_exit(args.u32(0)).0;
            return Err(wasmi::Error::i32_exit(status));
        }
    };
    // A stop the runner requested while the call ran (a sleep its deadline cut short, a
    // signal that ended a blocking read) ends the guest here.
    if get(caller.data_mut()).interrupt.leave() {
        return Err(wasmi::Error::host(Interrupted));
    }
    let errno = result.err().unwrap_or(Errno::Success);
    Ok(i32::from(errno.raw()))
}

/// Defines `spec` with a typed closure whose wasm signature is the table's.
fn define<T: 'static>(
    linker: &mut Linker<T>,
    spec: &FuncSpec,
    h: Handler,
    get: fn(&mut T) -> &mut WasiCtx,
) -> Result<(), wasmi::Error> {
    use ValType::{I32 as I, I64 as L};
    // `wrap!(a: u32, b: u64)` defines `(i32, i64) -> i32`, handing the arguments over as
    // `[u64]`; `wrap!(=> () ; p0: u32)` the same without a result (`proc_exit`).
    macro_rules! wrap {
        ($($p:ident: $t:ty),*) => {
            linker.func_wrap(MODULE, spec.name, move |c: Caller<'_, T>, $($p: $t),*| {
                call(h, get, c, &[$(u64::from($p)),*])
            })
        };
        (=> () ; $($p:ident: $t:ty),*) => {
            linker.func_wrap(MODULE, spec.name, move |c: Caller<'_, T>, $($p: $t),*| {
                call(h, get, c, &[$(u64::from($p)),*]).map(drop)
            })
        };
    }
    match (spec.params, spec.results) {
        ([I], []) => wrap!(=> () ; p0: u32),
        ([], [I]) => wrap!(),
        ([I], [I]) => wrap!(p0: u32),
        ([I, I], [I]) => wrap!(p0: u32, p1: u32),
        ([I, L], [I]) => wrap!(p0: u32, p1: u64),
        ([I, I, I], [I]) => wrap!(p0: u32, p1: u32, p2: u32),
        ([I, L, I], [I]) => wrap!(p0: u32, p1: u64, p2: u32),
        ([I, L, L], [I]) => wrap!(p0: u32, p1: u64, p2: u64),
        ([I, I, I, I], [I]) => wrap!(p0: u32, p1: u32, p2: u32, p3: u32),
        ([I, L, I, I], [I]) => wrap!(p0: u32, p1: u64, p2: u32, p3: u32),
        ([I, L, L, I], [I]) => wrap!(p0: u32, p1: u64, p2: u64, p3: u32),
        ([I, I, I, I, I], [I]) => wrap!(p0: u32, p1: u32, p2: u32, p3: u32, p4: u32),
        ([I, I, I, L, I], [I]) => wrap!(p0: u32, p1: u32, p2: u32, p3: u64, p4: u32),
        ([I, I, I, I, I, I], [I]) => wrap!(p0: u32, p1: u32, p2: u32, p3: u32, p4: u32, p5: u32),
        ([I, I, I, I, I, I, I], [I]) => {
            wrap!(p0: u32, p1: u32, p2: u32, p3: u32, p4: u32, p5: u32, p6: u32)
        }
        ([I, I, I, I, L, L, I], [I]) => {
            wrap!(p0: u32, p1: u32, p2: u32, p3: u32, p4: u64, p5: u64, p6: u32)
        }
        ([I, I, I, I, I, L, L, I, I], [I]) => {
            wrap!(p0: u32, p1: u32, p2: u32, p3: u32, p4: u32, p5: u64, p6: u64, p7: u32, p8: u32)
        }
        (params, results) => {
            return Err(wasmi::Error::new(format!(
                "failed to register {}: no adapter for {params:?} -> {results:?}",
                spec.name
            )));
        }
    }?;
    Ok(())
}

/// Defines every preview1 function of [`FUNCTIONS`] in `linker` under [`MODULE`].
/// `get` finds the [`WasiCtx`] inside the store data `T`.
///
/// A guest's `proc_exit(n)` surfaces from the call into the guest as an error for which
/// `err.i32_exit_status() == Some(n)`.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut WasiCtx,
) -> Result<(), wasmi::Error> {
    for spec in &FUNCTIONS {
        let h = handler(spec.name).ok_or_else(|| {
            wasmi::Error::new(format!("failed to register {}: no handler", spec.name))
        })?;
        define(linker, spec, h, get)?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "linker_tests.rs"]
mod tests;

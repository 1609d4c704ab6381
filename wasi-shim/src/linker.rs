//! Registration of every preview1 function into a `wasmi::Linker`: the only file that
//! touches wasmi's `Linker`, `Caller` or `Val`.
//!
//! Owns: adapting the plain host functions of `funcs/` to the engine: fetch the guest's
//! `memory` export, find the `WasiCtx` in the store data, call, turn `Result<(), Errno>`
//! into the `i32` errno and a `ProcExit` into `wasmi::Error::i32_exit`. Must not contain
//! WASI semantics: argument meaning lives in `funcs/`, signatures in `table.rs`.
//!
//! A module without a `memory` export still links and runs; every call that touches
//! memory then answers `EFAULT` (an empty memory), and calls that do not (`fd_close`,
//! `proc_exit`, `sched_yield`) work.

use crate::WasiCtx;
use crate::errno::Errno;
use crate::funcs;
use crate::memory::GuestMemory;
use crate::table::{FUNCTIONS, MODULE};
use wasmi::{Caller, Extern, Linker, Val};

/// How a host call ended, other than success.
enum Stop {
    /// Return this errno to the guest.
    Errno(Errno),
    /// Unwind the guest with `proc_exit`'s status.
    Exit(i32),
}

impl From<Errno> for Stop {
    fn from(e: Errno) -> Stop {
        Stop::Errno(e)
    }
}

/// The wasm arguments of one call, typed by the function's `FuncType`.
struct Args<'a>(&'a [Val]);

impl Args<'_> {
    /// Parameter `i`, an `i32`, reinterpreted as the unsigned value preview1 means.
    fn u32(&self, i: usize) -> u32 {
        match self.0[i] {
            Val::I32(v) => v as u32,
            // The linker checked the import against the table's FuncType.
            ref v => unreachable!("parameter {i} is not an i32: {v:?}"),
        }
    }

    /// Parameter `i`, an `i64`, reinterpreted as unsigned.
    fn u64(&self, i: usize) -> u64 {
        match self.0[i] {
            Val::I64(v) => v as u64,
            ref v => unreachable!("parameter {i} is not an i64: {v:?}"),
        }
    }
}

type Handler = fn(&mut WasiCtx, &mut GuestMemory<'_>, &Args<'_>) -> Result<(), Stop>;

/// The host function behind each implemented table entry; `None` for the rest (they
/// answer `ENOSYS`). A test checks this agrees with `FuncSpec::implemented`.
fn handler(name: &str) -> Option<Handler> {
    use funcs::*;
    let h: Handler = match name {
        "args_get" => |c, m, a| Ok(args::args_get(c, m, a.u32(0), a.u32(1))?),
        "args_sizes_get" => |c, m, a| Ok(args::args_sizes_get(c, m, a.u32(0), a.u32(1))?),
        "environ_get" => |c, m, a| Ok(environ::environ_get(c, m, a.u32(0), a.u32(1))?),
        "environ_sizes_get" => |c, m, a| Ok(environ::environ_sizes_get(c, m, a.u32(0), a.u32(1))?),
        "clock_res_get" => |c, m, a| Ok(clock::clock_res_get(c, m, a.u32(0), a.u32(1))?),
        "clock_time_get" => {
            |c, m, a| Ok(clock::clock_time_get(c, m, a.u32(0), a.u64(1), a.u32(2))?)
        }
        "fd_advise" => |c, _, a| Ok(fd::fd_advise(c, a.u32(0), a.u64(1), a.u64(2), a.u32(3))?),
        "fd_close" => |c, _, a| Ok(fd::fd_close(c, a.u32(0))?),
        "fd_datasync" => |c, _, a| Ok(fd::fd_sync(c, a.u32(0), true)?),
        "fd_fdstat_get" => |c, m, a| Ok(fd::fd_fdstat_get(c, m, a.u32(0), a.u32(1))?),
        "fd_fdstat_set_flags" => |c, _, a| Ok(fd::fd_fdstat_set_flags(c, a.u32(0), a.u32(1))?),
        "fd_filestat_set_size" => |c, _, a| Ok(fd::fd_filestat_set_size(c, a.u32(0), a.u64(1))?),
        "fd_filestat_get" => |c, m, a| Ok(fd::fd_filestat_get(c, m, a.u32(0), a.u32(1))?),
        "fd_pread" => |c, m, a| {
            Ok(fd::fd_pread(
                c,
                m,
                a.u32(0),
                a.u32(1),
                a.u32(2),
                a.u64(3),
                a.u32(4),
            )?)
        },
        "fd_prestat_get" => |c, m, a| Ok(fd_dir::fd_prestat_get(c, m, a.u32(0), a.u32(1))?),
        "fd_prestat_dir_name" => |c, m, a| {
            Ok(fd_dir::fd_prestat_dir_name(
                c,
                m,
                a.u32(0),
                a.u32(1),
                a.u32(2),
            )?)
        },
        "fd_pwrite" => |c, m, a| {
            Ok(fd::fd_pwrite(
                c,
                m,
                a.u32(0),
                a.u32(1),
                a.u32(2),
                a.u64(3),
                a.u32(4),
            )?)
        },
        "fd_read" => |c, m, a| Ok(fd::fd_read(c, m, a.u32(0), a.u32(1), a.u32(2), a.u32(3))?),
        "fd_readdir" => |c, m, a| {
            Ok(fd_dir::fd_readdir(
                c,
                m,
                a.u32(0),
                a.u32(1),
                a.u32(2),
                a.u64(3),
                a.u32(4),
            )?)
        },
        "fd_renumber" => |c, _, a| Ok(fd::fd_renumber(c, a.u32(0), a.u32(1))?),
        "fd_sync" => |c, _, a| Ok(fd::fd_sync(c, a.u32(0), false)?),
        "fd_seek" => |c, m, a| {
            Ok(fd::fd_seek(
                c,
                m,
                a.u32(0),
                a.u64(1) as i64,
                a.u32(2),
                a.u32(3),
            )?)
        },
        "fd_tell" => |c, m, a| Ok(fd::fd_tell(c, m, a.u32(0), a.u32(1))?),
        "fd_write" => |c, m, a| Ok(fd::fd_write(c, m, a.u32(0), a.u32(1), a.u32(2), a.u32(3))?),
        "path_create_directory" => |c, m, a| {
            Ok(path::path_create_directory(
                c,
                m,
                a.u32(0),
                a.u32(1),
                a.u32(2),
            )?)
        },
        "path_filestat_get" => |c, m, a| {
            let (fd, flags, p, len, out) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3), a.u32(4));
            Ok(path::path_filestat_get(c, m, fd, flags, p, len, out)?)
        },
        "path_open" => |c, m, a| {
            let (fd, dirflags, p, len, oflags) = (a.u32(0), a.u32(1), a.u32(2), a.u32(3), a.u32(4));
            let (base, inheriting, fdflags, out) = (a.u64(5), a.u64(6), a.u32(7), a.u32(8));
            Ok(path::path_open(
                c, m, fd, dirflags, p, len, oflags, base, inheriting, fdflags, out,
            )?)
        },
        "path_readlink" => |c, m, a| {
            let (fd, p, len, buf, buf_len, out) =
                (a.u32(0), a.u32(1), a.u32(2), a.u32(3), a.u32(4), a.u32(5));
            Ok(path::path_readlink(c, m, fd, p, len, buf, buf_len, out)?)
        },
        "path_remove_directory" => |c, m, a| {
            Ok(path::path_remove_directory(
                c,
                m,
                a.u32(0),
                a.u32(1),
                a.u32(2),
            )?)
        },
        "path_unlink_file" => {
            |c, m, a| Ok(path::path_unlink_file(c, m, a.u32(0), a.u32(1), a.u32(2))?)
        }
        "proc_exit" => |_, _, a| Err(Stop::Exit(proc::proc_exit(a.u32(0)).0)),
        "sched_yield" => |_, _, _| Ok(sched::sched_yield()?),
        "random_get" => |c, m, a| Ok(random::random_get(c, m, a.u32(0), a.u32(1))?),
        "sock_accept" => |c, _, a| Ok(sock::sock_accept(c, a.u32(0))?),
        "sock_recv" => |c, _, a| Ok(sock::sock_recv(c, a.u32(0))?),
        "sock_send" => |c, _, a| Ok(sock::sock_send(c, a.u32(0))?),
        "sock_shutdown" => |c, _, a| Ok(sock::sock_shutdown(c, a.u32(0))?),
        _ => return None,
    };
    Some(h)
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
        let h = handler(spec.name).filter(|_| spec.implemented);
        let returns_errno = !spec.results.is_empty();
        let func = move |mut caller: Caller<'_, T>, params: &[Val], results: &mut [Val]| {
            let errno = match h {
                None => Errno::Nosys,
                Some(h) => {
                    let memory = match caller.get_export("memory") {
                        Some(Extern::Memory(m)) => Some(m),
                        _ => None,
                    };
                    let (bytes, data): (&mut [u8], &mut T) = match memory {
                        Some(m) => m.data_and_store_mut(&mut caller),
                        None => (&mut [], caller.data_mut()),
                    };
                    let mut mem = GuestMemory::new(bytes);
                    match h(get(data), &mut mem, &Args(params)) {
                        Ok(()) => Errno::Success,
                        Err(Stop::Errno(e)) => e,
                        Err(Stop::Exit(status)) => return Err(wasmi::Error::i32_exit(status)),
                    }
                }
            };
            if returns_errno {
                results[0] = Val::I32(i32::from(errno.raw()));
            }
            Ok(())
        };
        linker.func_new(MODULE, spec.name, spec.func_type(), func)?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "linker_tests.rs"]
mod tests;

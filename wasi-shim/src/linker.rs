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
//! Registration is derived from the list behind [`FUNCTIONS`](crate::FUNCTIONS)
//! (`for_each_function` in `table.rs`): each entry becomes a typed `func_wrap` closure
//! whose parameters are the entry's own, passed by name and in order to the `funcs/`
//! function of the entry's name. So no function can be missing or registered with another
//! signature than the table's, and a `funcs/` function whose parameters differ from its
//! entry's does not compile. Typed closures matter for speed: `func_new`'s dynamic `&[Val]`
//! form clones a boxed argument buffer on every call.
//!
//! The memory a call works on is the *calling* instance's `memory` export, looked up on
//! every call. wasmi 2's `Caller` offers no cheaper path: it exposes neither the calling
//! instance nor an id for it, so a cached `Memory` could not be told apart from another
//! instance's in the same store (an import module with its own memory calling WASI, say).
//! The lookup is one search of a small ordered map, under 1 ns of a ~30 ns `fd_write`
//! (`bench/hostcalls`); functions that do not touch memory skip it. A module without a
//! `memory` export still links and runs; every call that touches memory then answers
//! `EFAULT` (an empty memory), and calls that do not (`fd_close`, `proc_exit`,
//! `sched_yield`) work.

use crate::WasiCtx;
use crate::errno::Errno;
use crate::funcs::proc::ProcExit;
use crate::interrupt::Interrupted;
use crate::memory::GuestMemory;
use crate::table::{MODULE, for_each_function};
use wasmi::{Caller, Extern, Linker};

impl wasmi::errors::HostError for Interrupted {}

/// Starts a call, unless the runner asked the guest to stop.
#[inline(always)]
fn enter(ctx: &mut WasiCtx) -> Result<(), wasmi::Error> {
    if ctx.interrupt.enter() {
        Ok(())
    } else {
        Err(wasmi::Error::host(Interrupted))
    }
}

/// Ends a call with its errno as the wasm result.
#[inline(always)]
fn leave(ctx: &mut WasiCtx, result: Result<(), Errno>) -> Result<i32, wasmi::Error> {
    // A stop the runner requested while the call ran (a sleep its deadline cut short, a
    // signal that ended a blocking read) ends the guest here.
    if ctx.interrupt.leave() {
        return Err(wasmi::Error::host(Interrupted));
    }
    let errno = result.err().unwrap_or(Errno::Success);
    Ok(i32::from(errno.raw()))
}

/// One call of a `Mem` function: `f` gets the calling instance's memory.
#[inline(always)]
fn with_memory<T>(
    mut caller: Caller<'_, T>,
    get: fn(&mut T) -> &mut WasiCtx,
    f: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> Result<(), Errno>,
) -> Result<i32, wasmi::Error> {
    enter(get(caller.data_mut()))?;
    let (bytes, data): (&mut [u8], &mut T) = match caller.get_export("memory") {
        Some(Extern::Memory(m)) => m.data_and_store_mut(&mut caller),
        _ => (&mut [], caller.data_mut()),
    };
    let ctx = get(data);
    let result = f(ctx, &mut GuestMemory::new(bytes));
    leave(ctx, result)
}

/// One call of a `Ctx` or `Args` function: no memory lookup.
#[inline(always)]
fn with_ctx<T>(
    mut caller: Caller<'_, T>,
    get: fn(&mut T) -> &mut WasiCtx,
    f: impl FnOnce(&mut WasiCtx) -> Result<(), Errno>,
) -> Result<i32, wasmi::Error> {
    let ctx = get(caller.data_mut());
    enter(ctx)?;
    let result = f(ctx);
    leave(ctx, result)
}

/// The call of the `Exit` function: unwinds the guest with its status.
#[inline(always)]
fn exit<T>(
    mut caller: Caller<'_, T>,
    get: fn(&mut T) -> &mut WasiCtx,
    status: ProcExit,
) -> Result<(), wasmi::Error> {
    let ctx = get(caller.data_mut());
    enter(ctx)?;
    ctx.interrupt.leave();
    Err(wasmi::Error::i32_exit(status.0))
}

/// The body of one entry's closure, by its kind (see `for_each_function`).
macro_rules! call {
    (Mem, $caller:ident, $get:ident, $area:ident::$name:ident($($p:ident),*)) => {
        with_memory($caller, $get, |ctx, mem| {
            crate::funcs::$area::$name(ctx, mem, $($p),*)
        })
    };
    (Ctx, $caller:ident, $get:ident, $area:ident::$name:ident($($p:ident),*)) => {
        with_ctx($caller, $get, |ctx| crate::funcs::$area::$name(ctx, $($p),*))
    };
    (Args, $caller:ident, $get:ident, $area:ident::$name:ident($($p:ident),*)) => {
        with_ctx($caller, $get, |_| crate::funcs::$area::$name($($p),*))
    };
    (Exit, $caller:ident, $get:ident, $area:ident::$name:ident($($p:ident),*)) => {
        exit($caller, $get, crate::funcs::$area::$name($($p),*))
    };
}

/// Builds [`add_to_linker`] from the list: each function is defined with a typed closure
/// taking the entry's parameters, from which wasmi derives the import's type.
macro_rules! add_to_linker {
    ($($area:ident::$name:ident($($p:ident: $t:ty),*) => $kind:ident;)*) => {
        /// Defines every preview1 function of [`FUNCTIONS`](crate::FUNCTIONS) in `linker`
        /// under [`MODULE`]. `get` finds the [`WasiCtx`] inside the store data `T`.
        ///
        /// A guest's `proc_exit(n)` surfaces from the call into the guest as an error for
        /// which `err.i32_exit_status() == Some(n)`.
        pub fn add_to_linker<T: 'static>(
            linker: &mut Linker<T>,
            get: fn(&mut T) -> &mut WasiCtx,
        ) -> Result<(), wasmi::Error> {
            $(
                linker.func_wrap(
                    MODULE,
                    stringify!($name),
                    move |caller: Caller<'_, T>, $($p: $t),*| {
                        call!($kind, caller, get, $area::$name($($p),*))
                    },
                )?;
            )*
            Ok(())
        }
    };
}

for_each_function!(add_to_linker);

#[cfg(test)]
#[path = "linker_tests.rs"]
mod tests;

//! `environ_get`, `environ_sizes_get`: the environment as `NAME=value` strings, in the
//! order the builder was given them.
//!
//! Owns: the `NAME=value` rendering. The array layout is shared with `args`. Must not read
//! the host's environment: only what the builder passed in.

use super::args::{sizes_get, strings_get};
use crate::WasiCtx;
use crate::errno::Errno;
use crate::memory::GuestMemory;

fn environ(ctx: &WasiCtx) -> Vec<Vec<u8>> {
    ctx.env
        .iter()
        .map(|(k, v)| format!("{k}={v}").into_bytes())
        .collect()
}

/// `environ_sizes_get() -> (size, size)`: the variable count and the buffer size needed.
pub fn environ_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    count_ptr: u32,
    buf_size_ptr: u32,
) -> Result<(), Errno> {
    let env = environ(ctx);
    let items: Vec<&[u8]> = env.iter().map(Vec::as_slice).collect();
    sizes_get(mem, &items, count_ptr, buf_size_ptr)
}

/// `environ_get(environ, environ_buf)`.
pub fn environ_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    environ_ptr: u32,
    environ_buf: u32,
) -> Result<(), Errno> {
    let env = environ(ctx);
    let items: Vec<&[u8]> = env.iter().map(Vec::as_slice).collect();
    strings_get(mem, &items, environ_ptr, environ_buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WasiCtxBuilder;
    use crate::testutil::marked;

    fn ctx() -> WasiCtx {
        WasiCtxBuilder::new()
            .env("B", "2")
            .env("A", "")
            .build()
            .unwrap()
    }

    #[test]
    fn sizes_and_strings_keep_builder_order() {
        let mut buf = marked(20);
        let mut mem = GuestMemory::new(&mut buf);
        environ_sizes_get(&mut ctx(), &mut mem, 0, 4).unwrap();
        assert_eq!(&buf[..9], b"\x02\0\0\0\x07\0\0\0?");
        let mut buf = marked(18);
        let mut mem = GuestMemory::new(&mut buf);
        environ_get(&mut ctx(), &mut mem, 1, 10).unwrap();
        assert_eq!(&buf, b"?\x0a\0\0\0\x0e\0\0\0?B=2\0A=\0?");
    }

    #[test]
    fn bad_pointers_fault() {
        let mut buf = marked(16);
        let mut mem = GuestMemory::new(&mut buf);
        assert_eq!(environ_get(&mut ctx(), &mut mem, 0, 10), Err(Errno::Fault));
        assert_eq!(
            environ_sizes_get(&mut ctx(), &mut mem, 13, 0),
            Err(Errno::Fault)
        );
        assert_eq!(buf, marked(16));
    }
}

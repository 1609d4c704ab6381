//! `args_get`, `args_sizes_get`, and the string-array layout they share with `environ`.
//!
//! Owns: writing a list of NUL-terminated strings as preview1 expects (an array of `u32`
//! pointers plus one buffer of the strings back to back). Must not read anything but the
//! context's argument list.

use crate::WasiCtx;
use crate::errno::Errno;
use crate::memory::GuestMemory;

/// Writes `(count, total bytes including NULs)` to `count_ptr` and `size_ptr`.
pub(crate) fn sizes_get(
    mem: &mut GuestMemory<'_>,
    items: &[&[u8]],
    count_ptr: u32,
    size_ptr: u32,
) -> Result<(), Errno> {
    let count = u32::try_from(items.len()).map_err(|_| Errno::Overflow)?;
    let size: usize = items.iter().map(|s| s.len() + 1).sum();
    let size = u32::try_from(size).map_err(|_| Errno::Overflow)?;
    mem.check(count_ptr, 4)?;
    mem.check(size_ptr, 4)?;
    mem.write_u32(count_ptr, count)?;
    mem.write_u32(size_ptr, size)
}

/// Writes the pointer array at `ptrs` and the strings at `buf`.
pub(crate) fn strings_get(
    mem: &mut GuestMemory<'_>,
    items: &[&[u8]],
    ptrs: u32,
    buf: u32,
) -> Result<(), Errno> {
    let size: usize = items.iter().map(|s| s.len() + 1).sum();
    mem.check(
        ptrs,
        u32::try_from(items.len() * 4).map_err(|_| Errno::Fault)?,
    )?;
    mem.check(buf, u32::try_from(size).map_err(|_| Errno::Fault)?)?;
    let mut at = buf;
    for (i, s) in items.iter().enumerate() {
        mem.write_u32(ptrs + 4 * i as u32, at)?;
        mem.write_bytes(at, s)?;
        mem.write_u8(at + s.len() as u32, 0)?;
        at += s.len() as u32 + 1;
    }
    Ok(())
}

fn args(ctx: &WasiCtx) -> Vec<&[u8]> {
    ctx.args.iter().map(|a| a.as_bytes()).collect()
}

/// `args_sizes_get() -> (size, size)`: the argument count and the buffer size they need.
pub fn args_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    argc_ptr: u32,
    argv_buf_size_ptr: u32,
) -> Result<(), Errno> {
    sizes_get(mem, &args(ctx), argc_ptr, argv_buf_size_ptr)
}

/// `args_get(argv, argv_buf)`: the arguments, `argv[0]` first.
pub fn args_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    argv: u32,
    argv_buf: u32,
) -> Result<(), Errno> {
    strings_get(mem, &args(ctx), argv, argv_buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WasiCtxBuilder;
    use crate::testutil::marked;

    fn ctx() -> WasiCtx {
        WasiCtxBuilder::new()
            .arg("prog")
            .arg("a b")
            .build()
            .unwrap()
    }

    #[test]
    fn sizes_are_count_and_bytes_with_nuls() {
        let mut buf = marked(10);
        let mut mem = GuestMemory::new(&mut buf);
        args_sizes_get(&mut ctx(), &mut mem, 1, 5).unwrap();
        assert_eq!(buf, b"?\x02\0\0\0\x09\0\0\0?");
    }

    #[test]
    fn args_are_pointers_then_nul_terminated_strings() {
        let mut buf = marked(20);
        let mut mem = GuestMemory::new(&mut buf);
        args_get(&mut ctx(), &mut mem, 1, 10).unwrap();
        assert_eq!(&buf, b"?\x0a\0\0\0\x0f\0\0\0?prog\0a b\0?");
    }

    #[test]
    fn bad_pointers_fault_without_writing() {
        let mut buf = marked(18);
        let mut mem = GuestMemory::new(&mut buf);
        // The strings need 9 bytes at 10: one past the end.
        assert_eq!(args_get(&mut ctx(), &mut mem, 1, 10), Err(Errno::Fault));
        assert_eq!(args_get(&mut ctx(), &mut mem, 15, 0), Err(Errno::Fault));
        assert_eq!(
            args_sizes_get(&mut ctx(), &mut mem, 0, 15),
            Err(Errno::Fault)
        );
        assert_eq!(
            args_sizes_get(&mut ctx(), &mut mem, u32::MAX, 0),
            Err(Errno::Fault)
        );
        assert_eq!(buf, marked(18));
    }

    #[test]
    fn no_arguments_is_zero_and_zero() {
        let mut ctx = WasiCtxBuilder::new().build().unwrap();
        let mut buf = marked(8);
        let mut mem = GuestMemory::new(&mut buf);
        args_sizes_get(&mut ctx, &mut mem, 0, 4).unwrap();
        assert_eq!(buf, [0; 8]);
    }
}

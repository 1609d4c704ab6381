//! `sock_accept`, `sock_recv`, `sock_send`, `sock_shutdown`.
//!
//! Owns: the answer for sockets, of which a guest never has any (Bacalhau jobs get no
//! network through preview1, and no socket is ever preopened). So each call is `EBADF` for
//! an fd that is not open and `ENOTSOCK` for any fd that is, which is what POSIX answers
//! for a non-socket descriptor. Must not open host sockets.

use crate::WasiCtx;
use crate::errno::Errno;

fn not_a_socket(ctx: &mut WasiCtx, fd: u32) -> Result<(), Errno> {
    ctx.fds.get(fd)?;
    Err(Errno::Notsock)
}

// Each call takes its whole preview1 parameter list, though only `fd` matters, so that
// the compiler checks it against its entry in `table.rs` as every other call's.

/// `sock_accept(fd, flags) -> fd`.
pub fn sock_accept(ctx: &mut WasiCtx, fd: u32, _flags: u32, _fd_ptr: u32) -> Result<(), Errno> {
    not_a_socket(ctx, fd)
}

/// `sock_recv(fd, ri_data, ri_flags) -> (size, roflags)`.
pub fn sock_recv(
    ctx: &mut WasiCtx,
    fd: u32,
    _ri_data: u32,
    _ri_data_len: u32,
    _ri_flags: u32,
    _size_ptr: u32,
    _roflags_ptr: u32,
) -> Result<(), Errno> {
    not_a_socket(ctx, fd)
}

/// `sock_send(fd, si_data, si_flags) -> size`.
pub fn sock_send(
    ctx: &mut WasiCtx,
    fd: u32,
    _si_data: u32,
    _si_data_len: u32,
    _si_flags: u32,
    _size_ptr: u32,
) -> Result<(), Errno> {
    not_a_socket(ctx, fd)
}

/// `sock_shutdown(fd, how)`.
pub fn sock_shutdown(ctx: &mut WasiCtx, fd: u32, _how: u32) -> Result<(), Errno> {
    not_a_socket(ctx, fd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WasiCtxBuilder;

    #[test]
    fn open_fds_are_not_sockets_and_others_are_bad() {
        let mut ctx = WasiCtxBuilder::new().build().unwrap();
        for (fd, errno) in [(1, Errno::Notsock), (9, Errno::Badf)] {
            assert_eq!(sock_accept(&mut ctx, fd, 0, 0), Err(errno));
            assert_eq!(sock_recv(&mut ctx, fd, 0, 0, 0, 0, 0), Err(errno));
            assert_eq!(sock_send(&mut ctx, fd, 0, 0, 0, 0), Err(errno));
            assert_eq!(sock_shutdown(&mut ctx, fd, 0), Err(errno));
        }
    }
}

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

/// `sock_accept(fd, flags) -> fd`.
pub fn sock_accept(ctx: &mut WasiCtx, fd: u32) -> Result<(), Errno> {
    not_a_socket(ctx, fd)
}

/// `sock_recv(fd, ri_data, ri_flags) -> (size, roflags)`.
pub fn sock_recv(ctx: &mut WasiCtx, fd: u32) -> Result<(), Errno> {
    not_a_socket(ctx, fd)
}

/// `sock_send(fd, si_data, si_flags) -> size`.
pub fn sock_send(ctx: &mut WasiCtx, fd: u32) -> Result<(), Errno> {
    not_a_socket(ctx, fd)
}

/// `sock_shutdown(fd, how)`.
pub fn sock_shutdown(ctx: &mut WasiCtx, fd: u32) -> Result<(), Errno> {
    not_a_socket(ctx, fd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WasiCtxBuilder;

    #[test]
    fn open_fds_are_not_sockets_and_others_are_bad() {
        let mut ctx = WasiCtxBuilder::new().build().unwrap();
        for f in [sock_accept, sock_recv, sock_send, sock_shutdown] {
            assert_eq!(f(&mut ctx, 1), Err(Errno::Notsock));
            assert_eq!(f(&mut ctx, 9), Err(Errno::Badf));
        }
    }
}

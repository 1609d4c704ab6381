//! `poll_oneoff` (not implemented yet: the table marks it `implemented: false`, so the
//! linker answers `ENOSYS`).
//!
//! Will own: clock subscriptions against the injected clock (a sleep must not read the
//! host clock directly) and fd subscriptions, where regular files are always ready, as
//! POSIX `poll` says. Must not block on host I/O other than the guest's own stdin.

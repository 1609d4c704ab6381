//! A bounds-checked view of guest linear memory.
//!
//! Owns: every read and write of guest memory by a host function, in little-endian as the
//! wasm ABI requires. Must not know about wasmi: it wraps a plain `&mut [u8]`, so host
//! functions are tested against a `Vec<u8>`.
//!
//! Out-of-bounds policy: a pointer range that does not lie entirely inside memory (including
//! one whose `ptr + len` overflows `u32`) is reported to the guest as `Errno::Fault` (EFAULT,
//! 21), not as a trap. This is what wazero and wasi-common do, and lets a C program see the
//! failure as `errno`. Alignment is not checked: wasm memory is byte-addressed and preview1
//! structures are read field by field.

use crate::errno::Errno;
use std::ops::Range;

/// Guest memory for the duration of one host call.
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

/// One `iovec`/`ciovec`: a guest buffer already checked to be in bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoVec {
    /// Guest address of the buffer.
    pub ptr: u32,
    /// Length in bytes.
    pub len: u32,
}

/// Size of an `iovec`/`ciovec` record: `buf: u32`, `buf_len: u32`.
const IOVEC_SIZE: u32 = 8;

impl<'a> GuestMemory<'a> {
    /// Wraps the guest's memory bytes.
    pub fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { bytes }
    }

    /// The byte range `[ptr, ptr + len)`, or `Fault` if any of it lies outside memory.
    fn range(&self, ptr: u32, len: u32) -> Result<Range<usize>, Errno> {
        let end = ptr.checked_add(len).ok_or(Errno::Fault)? as usize;
        if end > self.bytes.len() {
            return Err(Errno::Fault);
        }
        Ok(ptr as usize..end)
    }

    /// Checks that `[ptr, ptr + len)` is writable before doing I/O whose result would be
    /// lost if the final store faulted.
    pub fn check(&self, ptr: u32, len: u32) -> Result<(), Errno> {
        self.range(ptr, len).map(|_| ())
    }

    /// The guest bytes `[ptr, ptr + len)`.
    pub fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&self.bytes[r])
    }

    /// The guest bytes `[ptr, ptr + len)`, writable.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&mut self.bytes[r])
    }

    /// A guest string; preview1 strings are UTF-8 (`Ilseq` otherwise) and not NUL-terminated.
    pub fn read_str(&self, ptr: u32, len: u32) -> Result<&str, Errno> {
        std::str::from_utf8(self.slice(ptr, len)?).map_err(|_| Errno::Ilseq)
    }

    /// Copies `data` to `ptr`.
    pub fn write_bytes(&mut self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(data.len()).map_err(|_| Errno::Fault)?;
        self.slice_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    fn read_array<const N: usize>(&self, ptr: u32) -> Result<[u8; N], Errno> {
        let mut out = [0; N];
        out.copy_from_slice(self.slice(ptr, N as u32)?);
        Ok(out)
    }

    /// Reads a `u8`.
    pub fn read_u8(&self, ptr: u32) -> Result<u8, Errno> {
        Ok(self.read_array::<1>(ptr)?[0])
    }

    /// Reads a little-endian `u16`.
    pub fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        self.read_array(ptr).map(u16::from_le_bytes)
    }

    /// Reads a little-endian `u32`.
    pub fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        self.read_array(ptr).map(u32::from_le_bytes)
    }

    /// Reads a little-endian `u64`.
    pub fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        self.read_array(ptr).map(u64::from_le_bytes)
    }

    /// Writes a `u8`.
    pub fn write_u8(&mut self, ptr: u32, v: u8) -> Result<(), Errno> {
        self.write_bytes(ptr, &[v])
    }

    /// Writes a little-endian `u16`.
    pub fn write_u16(&mut self, ptr: u32, v: u16) -> Result<(), Errno> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }

    /// Writes a little-endian `u32`.
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }

    /// Writes a little-endian `u64`.
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }

    /// Reads an `iovec_array`/`ciovec_array` and checks every buffer it names, so that a
    /// bad buffer fails the call before any byte is read from or written to a file. The
    /// table is copied out whole: a read into one buffer may overwrite the table itself.
    pub fn iovecs(&self, iovs: u32, iovs_len: u32) -> Result<IoVecs, Errno> {
        let table_len = iovs_len.checked_mul(IOVEC_SIZE).ok_or(Errno::Fault)?;
        self.check(iovs, table_len)?;
        let read = |i: u32| {
            let at = iovs + i * IOVEC_SIZE;
            let v = IoVec {
                ptr: self.read_u32(at)?,
                len: self.read_u32(at + 4)?,
            };
            self.check(v.ptr, v.len)?;
            Ok(v)
        };
        if iovs_len as usize > FEW {
            return (0..iovs_len)
                .map(read)
                .collect::<Result<_, _>>()
                .map(IoVecs::Many);
        }
        let mut few = [IoVec { ptr: 0, len: 0 }; FEW];
        for (i, slot) in few.iter_mut().take(iovs_len as usize).enumerate() {
            *slot = read(i as u32)?;
        }
        Ok(IoVecs::Few(few, iovs_len as usize))
    }
}

/// As many iovecs as a call usually passes (one for a line of output, two or three for
/// buffered stdio): kept on the stack, so that the common call allocates nothing.
const FEW: usize = 8;

/// A checked copy of an iovec table (`GuestMemory::iovecs`).
#[derive(Debug)]
pub enum IoVecs {
    Few([IoVec; FEW], usize),
    Many(Vec<IoVec>),
}

impl std::ops::Deref for IoVecs {
    type Target = [IoVec];

    fn deref(&self) -> &[IoVec] {
        match self {
            IoVecs::Few(few, len) => &few[..*len],
            IoVecs::Many(many) => many,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_bounds_reads_and_writes_are_little_endian() {
        let mut buf = vec![b'?'; 16];
        let mut mem = GuestMemory::new(&mut buf);
        mem.write_u32(1, 0x0403_0201).unwrap();
        mem.write_u16(5, 0x0605).unwrap();
        mem.write_u64(8, 0x0807_0605_0403_0201).unwrap();
        assert_eq!(mem.read_u32(1), Ok(0x0403_0201));
        assert_eq!(mem.read_u16(5), Ok(0x0605));
        assert_eq!(mem.read_u8(7), Ok(b'?'));
        assert_eq!(mem.read_u64(8), Ok(0x0807_0605_0403_0201));
        assert_eq!(&buf[..8], b"?\x01\x02\x03\x04\x05\x06?");
    }

    #[test]
    fn access_ending_exactly_at_the_end_is_allowed() {
        let mut buf = vec![0; 8];
        let mut mem = GuestMemory::new(&mut buf);
        assert_eq!(mem.write_u32(4, 7), Ok(()));
        assert_eq!(mem.read_u32(4), Ok(7));
        assert_eq!(mem.slice(8, 0), Ok(&[][..]));
        assert_eq!(mem.write_u8(7, 1), Ok(()));
    }

    #[test]
    fn one_byte_past_the_end_faults_and_writes_nothing() {
        let mut buf = vec![b'?'; 8];
        let mut mem = GuestMemory::new(&mut buf);
        assert_eq!(mem.write_u32(5, 7), Err(Errno::Fault));
        assert_eq!(mem.read_u64(1), Err(Errno::Fault));
        assert_eq!(mem.read_u8(8), Err(Errno::Fault));
        assert_eq!(mem.slice(9, 0), Err(Errno::Fault));
        assert_eq!(buf, vec![b'?'; 8]);
    }

    #[test]
    fn overflowing_pointer_plus_length_faults() {
        let mut buf = vec![0; 8];
        let mem = GuestMemory::new(&mut buf);
        assert_eq!(mem.slice(u32::MAX, 2), Err(Errno::Fault));
        assert_eq!(mem.read_u32(u32::MAX - 1), Err(Errno::Fault));
        assert_eq!(
            mem.iovecs(0, u32::MAX).map(|v| v.to_vec()),
            Err(Errno::Fault)
        );
    }

    #[test]
    fn iovecs_are_checked_up_front() {
        let mut buf = vec![0; 32];
        let mut mem = GuestMemory::new(&mut buf);
        mem.write_u32(0, 16).unwrap();
        mem.write_u32(4, 4).unwrap();
        mem.write_u32(8, 20).unwrap();
        mem.write_u32(12, 12).unwrap();
        assert_eq!(
            mem.iovecs(0, 2).map(|v| v.to_vec()),
            Ok(vec![IoVec { ptr: 16, len: 4 }, IoVec { ptr: 20, len: 12 }])
        );
        mem.write_u32(12, 13).unwrap();
        assert_eq!(mem.iovecs(0, 2).map(|v| v.to_vec()), Err(Errno::Fault));
    }

    #[test]
    fn tables_of_any_length_are_copied_whole() {
        // Entry i at 8i names the i bytes at 256: on the stack up to `FEW`, on the heap past.
        let mut buf = vec![0; 512];
        let mut mem = GuestMemory::new(&mut buf);
        for i in 0..20 {
            mem.write_u32(8 * i, 256).unwrap();
            mem.write_u32(8 * i + 4, i).unwrap();
        }
        for count in [0, 1, FEW as u32, FEW as u32 + 1, 20] {
            let vecs = mem.iovecs(0, count).unwrap();
            let lens: Vec<u32> = vecs.iter().map(|v| v.len).collect();
            assert_eq!(lens, (0..count).collect::<Vec<_>>(), "{count} iovecs");
            assert_eq!(matches!(vecs, IoVecs::Few(..)), count as usize <= FEW);
        }
        // A bad buffer past the first `FEW` fails the call too.
        mem.write_u32(8 * 19 + 4, 300).unwrap();
        assert_eq!(mem.iovecs(0, 20).map(|v| v.to_vec()), Err(Errno::Fault));
    }

    #[test]
    fn strings_must_be_utf8() {
        let mut buf = b"ok\xff".to_vec();
        let mem = GuestMemory::new(&mut buf);
        assert_eq!(mem.read_str(0, 2), Ok("ok"));
        assert_eq!(mem.read_str(0, 3), Err(Errno::Ilseq));
    }
}

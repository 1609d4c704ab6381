//! The binary's memory allocator: dlmalloc for small blocks, the C library's allocator for
//! large ones.
//!
//! A run makes thousands of small allocations (the job file's tree, wasmi's translation of each
//! function, the receipt), and musl's allocator, the static build's C library, maps and unmaps
//! pages for them as it goes: 87 `mmap` and 82 `munmap` calls for the demo job, each `munmap`
//! a TLB shootdown once the guest's thread exists. dlmalloc keeps freed small blocks for reuse.
//! Large blocks (a module's bytes, a guest's memory) stay with the C library, which maps each
//! on its own, grows it in place with `mremap` and gives it back when freed: in dlmalloc they
//! would be copied to grow (a 1 GiB memory held twice) and freed pages kept.
//!
//! Which allocator owns a block follows from its size alone, which Rust passes to every call:
//! the rule is the same when a block is freed or resized as when it was made.
//!
//! Owns: that split. Must not be used for anything but the binary's global allocator and its
//! tests.

use std::alloc::{GlobalAlloc, Layout, System};

/// From this many bytes a block is the C library's.
const LARGE: usize = 256 * 1024;

/// The allocator `main.rs` installs.
pub struct Allocator;

fn large(size: usize) -> bool {
    size >= LARGE
}

// SAFETY: each block is made and freed by one allocator, the one its size names (`large`), and
// each of the two is a `GlobalAlloc`; `realloc` between them copies the smaller size's bytes.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees on `layout` are passed on.
        unsafe {
            if large(layout.size()) {
                System.alloc(layout)
            } else {
                dlmalloc::GlobalDlmalloc.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe {
            if large(layout.size()) {
                System.alloc_zeroed(layout)
            } else {
                dlmalloc::GlobalDlmalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was made with `layout`'s size, so by the allocator freeing it.
        unsafe {
            if large(layout.size()) {
                System.dealloc(ptr, layout)
            } else {
                dlmalloc::GlobalDlmalloc.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `dealloc` for `ptr`; the caller guarantees `new_size` is a valid size at
        // `layout`'s alignment.
        unsafe {
            match (large(layout.size()), large(new_size)) {
                (true, true) => System.realloc(ptr, layout, new_size),
                (false, false) => dlmalloc::GlobalDlmalloc.realloc(ptr, layout, new_size),
                // Across the line: made anew by the other allocator, the bytes both sizes hold
                // copied over.
                _ => {
                    let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(len: usize) -> impl Iterator<Item = u8> {
        (0..len).map(|i| (i % 251) as u8)
    }

    /// Makes a block of `from` bytes at `align`, fills it, resizes it to each of `to` in turn,
    /// checking the bytes kept each time, and frees it.
    fn resized(align: usize, from: usize, to: &[usize]) {
        let mut layout = Layout::from_size_align(from, align).unwrap();
        unsafe {
            let mut ptr = Allocator.alloc(layout);
            assert!(!ptr.is_null());
            assert_eq!(ptr as usize % align, 0);
            for (i, byte) in pattern(from).enumerate() {
                *ptr.add(i) = byte;
            }
            let mut kept = from;
            for &size in to {
                ptr = Allocator.realloc(ptr, layout, size);
                assert!(!ptr.is_null());
                assert_eq!(ptr as usize % align, 0, "{from} -> {size} at {align}");
                kept = kept.min(size);
                let bytes = std::slice::from_raw_parts(ptr, kept);
                assert!(bytes.iter().copied().eq(pattern(kept)), "{from} -> {size}");
                layout = Layout::from_size_align(size, align).unwrap();
            }
            Allocator.dealloc(ptr, layout);
        }
    }

    #[test]
    fn blocks_keep_their_bytes_when_resized_on_either_side_of_the_line_and_across_it() {
        for align in [1, 16, 4096] {
            resized(align, 24, &[100, 4000, 12]);
            resized(align, LARGE, &[LARGE * 4, LARGE + 1]);
            resized(align, 1000, &[LARGE - 1, LARGE, LARGE * 3, LARGE - 1, 7]);
            resized(align, LARGE * 2, &[64, LARGE * 2]);
        }
    }

    #[test]
    fn zeroed_blocks_are_zero_on_both_sides_of_the_line() {
        for size in [1, 4096, LARGE - 1, LARGE, LARGE * 8] {
            // Freed dirty first, so that a small block reused without zeroing would show.
            let layout = Layout::from_size_align(size, 8).unwrap();
            unsafe {
                let dirty = Allocator.alloc(layout);
                dirty.write_bytes(0xA5, size);
                Allocator.dealloc(dirty, layout);
                let ptr = Allocator.alloc_zeroed(layout);
                assert!(
                    std::slice::from_raw_parts(ptr, size)
                        .iter()
                        .all(|&b| b == 0)
                );
                Allocator.dealloc(ptr, layout);
            }
        }
    }

    #[test]
    fn threads_allocate_and_free_together() {
        let threads: Vec<_> = (0..4)
            .map(|t| {
                std::thread::spawn(move || {
                    for i in 0..2000 {
                        resized(8, 1 + (i * 37 + t) % 3000, &[(i * 53) % 5000 + 1]);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
    }
}

//! The guest's allocator. The host runs every call in a fresh instance, so nothing a call
//! allocates outlives it: a bump allocator over a static arena never needs to free, and,
//! unlike the standard allocator, never grows linear memory for a typical call. Growing
//! memory is what costs most in a short call: the host must change page protections and
//! shoot down other cores' TLBs to make new pages accessible, and again to reset them.
//! Allocations the arena cannot hold go to the standard allocator.
//!
//! It is the global allocator of a policy built for wasm32 with the default `arena`
//! feature; turn the feature off to bring your own.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicUsize, Ordering};
use std::alloc::System;

/// Enough for the inputs, outputs and working data of a typical call; a large config falls
/// through to the standard allocator.
const ARENA_BYTES: usize = 256 << 10;

#[repr(C, align(16))]
struct Bytes(UnsafeCell<[u8; ARENA_BYTES]>);

// Handed out in disjoint pieces by the atomic offset.
unsafe impl Sync for Bytes {}

static ARENA: Bytes = Bytes(UnsafeCell::new([0; ARENA_BYTES]));
static USED: AtomicUsize = AtomicUsize::new(0);

pub struct Arena;

impl Arena {
    fn contains(ptr: *mut u8) -> bool {
        let start = ARENA.0.get() as usize;
        (start..start + ARENA_BYTES).contains(&(ptr as usize))
    }
}

unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let start = ARENA.0.get() as usize;
        let mut offset = 0;
        // A compare-and-swap, so the native tests may share the arena across threads.
        let claimed = USED.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
            offset = (start + used).next_multiple_of(layout.align()) - start;
            offset.checked_add(layout.size()).filter(|end| *end <= ARENA_BYTES)
        });
        match claimed {
            Ok(_) => (start + offset) as *mut u8,
            // SAFETY: forwarded as received.
            Err(_) => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Arena memory goes with the instance; the rest goes back where it came from.
        if !Self::contains(ptr) {
            // SAFETY: `ptr` came from `System.alloc` with this layout.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !Self::contains(ptr) {
            // SAFETY: `ptr` came from `System` with `layout`.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // SAFETY: the layout is valid for `alloc`: same alignment, a size the caller vouches for.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: as for any allocation.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both regions are valid for the smaller size and do not overlap.
            unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
        }
        new
    }
}

#[cfg(all(target_arch = "wasm32", feature = "arena"))]
#[global_allocator]
static GLOBAL: Arena = Arena;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_allocations_come_from_the_arena_and_large_ones_from_the_system() {
        let a = Arena;
        unsafe {
            let small = Layout::from_size_align(100, 8).unwrap();
            let p = a.alloc(small);
            assert!(Arena::contains(p) && (p as usize).is_multiple_of(8));
            p.write_bytes(7, 100);
            let grown = a.realloc(p, small, 300);
            assert!(Arena::contains(grown));
            assert_eq!(*grown.add(99), 7, "realloc keeps the contents");
            a.dealloc(grown, Layout::from_size_align(300, 8).unwrap());

            let big = Layout::from_size_align(ARENA_BYTES + 1, 16).unwrap();
            let q = a.alloc(big);
            assert!(!q.is_null() && !Arena::contains(q));
            a.dealloc(q, big);
        }
    }
}

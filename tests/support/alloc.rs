//! A counting global allocator with per-thread counters.
//!
//! libtest runs tests and its own bookkeeping on several threads: a single
//! global counter would charge their allocations to the code being
//! measured, so each thread counts its own calls, in `thread_local!` cells
//! with const initializers (which neither allocate nor re-enter the
//! allocator).

use std::alloc::{GlobalAlloc, Layout, System as Heap};
use std::cell::Cell;
use std::thread::LocalKey;

/// A global allocator that forwards to the system's and counts the calls
/// of each thread. Install it in a test binary with
///
/// ```ignore
/// #[global_allocator]
/// static GLOBAL: support::alloc::Counting = support::alloc::Counting;
/// ```
pub struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static REALLOCS: Cell<u64> = const { Cell::new(0) };
    static DEALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn bump(counter: &'static LocalKey<Cell<u64>>) {
    // `try_with`: never panic inside the allocator, even while a thread's
    // locals are being torn down.
    let _ = counter.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards its arguments unchanged to the system
// allocator, so the contract the caller upholds is the one `Heap` needs;
// counting only touches a thread-local `Cell` with a const initializer,
// which neither allocates nor re-enters the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: the caller's `layout` meets `GlobalAlloc::alloc`'s rules.
        unsafe { Heap.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: as for `alloc`.
        unsafe { Heap.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&REALLOCS);
        // SAFETY: `ptr` was allocated by `Heap` (through this type) with
        // `layout`, and `new_size` meets the caller's obligations.
        unsafe { Heap.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&DEALLOCS);
        // SAFETY: `ptr` was allocated by `Heap` (through this type) with
        // `layout`.
        unsafe { Heap.dealloc(ptr, layout) }
    }
}

/// Heap calls made by the current thread.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// `alloc` and `alloc_zeroed` calls.
    pub allocs: u64,
    /// `realloc` calls.
    pub reallocs: u64,
    /// `dealloc` calls.
    pub deallocs: u64,
}

impl Counts {
    /// No heap call.
    pub const ZERO: Counts = Counts {
        allocs: 0,
        reallocs: 0,
        deallocs: 0,
    };

    /// This thread's calls so far.
    pub fn now() -> Counts {
        Counts {
            allocs: ALLOCS.with(Cell::get),
            reallocs: REALLOCS.with(Cell::get),
            deallocs: DEALLOCS.with(Cell::get),
        }
    }

    /// The calls made since `start`.
    pub fn since(self, start: Counts) -> Counts {
        Counts {
            allocs: self.allocs - start.allocs,
            reallocs: self.reallocs - start.reallocs,
            deallocs: self.deallocs - start.deallocs,
        }
    }

    /// Calls that take memory: allocations and reallocations.
    pub fn takes(self) -> u64 {
        self.allocs + self.reallocs
    }
}

/// Runs `f` and returns its result with the heap calls it made on this
/// thread.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Counts) {
    let start = Counts::now();
    let r = f();
    (r, Counts::now().since(start))
}

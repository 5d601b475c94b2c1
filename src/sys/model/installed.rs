//! The per-thread slot a C-ABI stand-in serves from, written once for the
//! xnu stand-ins (`abi.rs`) and FreeBSD's `sysctl` (`freebsd/abi.rs`):
//! installing a model for the length of a closure (nesting allowed, the
//! inner one wins, put back also when the closure unwinds), and a
//! stand-in's borrow of the installed model. Each stand-in file keeps its
//! own `thread_local!` slot (a static cannot be generic) and says what a
//! missing model means to its callers.

use core::cell::RefCell;
use core::mem;
use std::thread::LocalKey;

/// A thread's slot: the model its stand-ins serve, if one is installed.
pub(super) type Slot<M> = LocalKey<RefCell<Option<M>>>;

/// Why a stand-in found no model to serve it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Vacant {
    /// None is installed on this thread.
    Empty,
    /// The installed one is in use: a stand-in was re-entered.
    Busy,
}

/// Installs `*home` in `slot` while `f` runs, leaving `vacant` in its
/// place, then puts it back (also when `f` unwinds) and reinstalls the
/// model that was there before.
pub(super) fn run<M: 'static, R>(
    slot: &'static Slot<M>,
    home: &mut M,
    vacant: M,
    f: impl FnOnce() -> R,
) -> R {
    struct Restore<'a, M: 'static> {
        slot: &'static Slot<M>,
        home: &'a mut M,
        previous: Option<M>,
    }
    impl<M: 'static> Drop for Restore<'_, M> {
        fn drop(&mut self) {
            let previous = self.previous.take();
            let mine = self
                .slot
                .with(|slot| mem::replace(&mut *slot.borrow_mut(), previous));
            if let Some(mine) = mine {
                *self.home = mine;
            }
        }
    }
    let mine = mem::replace(home, vacant);
    let previous = slot.with(|slot| slot.borrow_mut().replace(mine));
    let _restore = Restore {
        slot,
        home,
        previous,
    };
    f()
}

/// Runs `f` on the model installed in `slot`.
pub(super) fn serve<M: 'static, T>(
    slot: &'static Slot<M>,
    f: impl FnOnce(&mut M) -> T,
) -> Result<T, Vacant> {
    slot.with(|slot| match slot.try_borrow_mut() {
        Ok(mut model) => model.as_mut().map(f).ok_or(Vacant::Empty),
        Err(_) => Err(Vacant::Busy),
    })
}

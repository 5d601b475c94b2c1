//! `/proc/<pid>/task/<tid>/children` (`fs/proc/array.c`, `children_seq_show`).

use crate::Pid;

/// Incremental parser of a whitespace-separated list of pids, as the kernel
/// prints `/proc/<pid>/task/<tid>/children` (`"%d "` per child), fed in
/// chunks of any size: a pid split across two chunks is joined.
///
/// ```
/// use pidquery::parse::PidList;
///
/// let mut list = PidList::new();
/// let mut pids = Vec::new();
/// assert!(list.feed(b"12 3", |p| pids.push(p.as_raw())));
/// assert!(list.feed(b"4 5 ", |p| pids.push(p.as_raw())));
/// assert!(list.finish(|p| pids.push(p.as_raw())));
/// assert_eq!(pids, [12, 34, 5]);
///
/// let mut bad = PidList::new();
/// assert!(!bad.feed(b"1 x", |_| {}));
/// ```
#[derive(Clone, Debug, Default)]
pub struct PidList {
    /// The digits of a pid not yet ended by a separator.
    pending: Option<i32>,
    /// Set once malformed input was seen; every later call fails.
    bad: bool,
}

impl PidList {
    /// A parser at the start of a list.
    #[inline]
    pub fn new() -> PidList {
        PidList::default()
    }

    /// Parses `bytes`, calling `emit` for every pid a separator completes.
    /// Returns `false`, now and ever after, on anything but ASCII digits,
    /// spaces and newlines, or a pid above `i32::MAX`.
    pub fn feed(&mut self, bytes: &[u8], mut emit: impl FnMut(Pid)) -> bool {
        if self.bad {
            return false;
        }
        for &b in bytes {
            match b {
                b'0'..=b'9' => {
                    let digit = i32::from(b - b'0');
                    match self.pending.unwrap_or(0).checked_mul(10) {
                        Some(v) => self.pending = v.checked_add(digit),
                        None => self.pending = None,
                    }
                    if self.pending.is_none() {
                        self.bad = true;
                        return false;
                    }
                }
                b' ' | b'\n' => {
                    if let Some(pid) = self.pending.take().and_then(Pid::from_raw) {
                        emit(pid);
                    }
                }
                _ => {
                    self.bad = true;
                    return false;
                }
            }
        }
        true
    }

    /// Ends the input: emits a last pid without a trailing separator.
    /// Returns `false` if the input was malformed.
    pub fn finish(mut self, mut emit: impl FnMut(Pid)) -> bool {
        if let Some(pid) = self.pending.take().and_then(Pid::from_raw) {
            emit(pid);
        }
        !self.bad
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid_list(chunks: &[&[u8]]) -> Option<Vec<i32>> {
        let mut list = PidList::new();
        let mut out = Vec::new();
        for chunk in chunks {
            if !list.feed(chunk, |p| out.push(p.as_raw())) {
                return None;
            }
        }
        list.finish(|p| out.push(p.as_raw())).then_some(out)
    }

    #[test]
    fn pid_list_joins_chunks_and_rejects_garbage() {
        assert_eq!(pid_list(&[b""]), Some(vec![]));
        assert_eq!(pid_list(&[b"1 2 3 "]), Some(vec![1, 2, 3]));
        assert_eq!(pid_list(&[b"1", b"0", b" 2", b"0\n"]), Some(vec![10, 20]));
        assert_eq!(pid_list(&[b"2147483647 "]), Some(vec![i32::MAX]));
        assert_eq!(pid_list(&[b"2147483648 "]), None);
        assert_eq!(pid_list(&[b"1 -2 "]), None);
        assert_eq!(pid_list(&[b"1 ", b"\0"]), None);
        // After an error, feeding more cannot recover.
        let mut list = PidList::new();
        assert!(!list.feed(b"x", |_| {}));
        assert!(!list.feed(b"1 ", |_| panic!("no pid after an error")));
        assert!(!list.finish(|_| {}));
    }
}

//! [`InfoBuf`]: reusable storage for the infos of a whole query.

use crate::{PidBuf, ProcInfo};

/// Reusable storage for the [`ProcInfo`]s of every process a query
/// matches, filled in one pass by [`System::infos`](crate::System::infos).
///
/// It grows to the working size and then allocates nothing. A process that
/// vanishes between being listed and being read, or that is hidden from the
/// caller, is left out, as a listing skips it.
///
/// # Examples
///
/// ```
/// use pidquery::{InfoBuf, Pid, PidQuery};
///
/// # fn main() -> Result<(), pidquery::Error> {
/// # if pidquery::System::live().is_err() { return Ok(()) }
/// let mut buf = InfoBuf::new();
/// let infos = PidQuery::ppid(Pid::parent()).infos(&mut buf)?;
/// let me = infos.iter().find(|i| i.pid == Pid::this()).unwrap();
/// assert_eq!(me.ppid, Pid::parent());
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct InfoBuf {
    pub(crate) infos: Vec<ProcInfo>,
    /// The pid list, for backends that list first and then read each.
    pub(crate) pids: PidBuf,
}

impl InfoBuf {
    /// An empty buffer; does not allocate.
    ///
    /// ```
    /// assert!(pidquery::InfoBuf::new().is_empty());
    /// ```
    pub fn new() -> InfoBuf {
        InfoBuf {
            infos: Vec::new(),
            pids: PidBuf::new(),
        }
    }

    /// An empty buffer with room for `n` infos.
    ///
    /// ```
    /// assert!(pidquery::InfoBuf::with_capacity(500).capacity() >= 500);
    /// ```
    pub fn with_capacity(n: usize) -> InfoBuf {
        InfoBuf {
            infos: Vec::with_capacity(n),
            pids: PidBuf::new(),
        }
    }

    /// The last answer (empty before the first and after an error).
    ///
    /// ```
    /// assert!(pidquery::InfoBuf::new().as_slice().is_empty());
    /// ```
    #[inline]
    pub fn as_slice(&self) -> &[ProcInfo] {
        &self.infos
    }

    /// The number of infos in the last answer.
    ///
    /// ```
    /// assert_eq!(pidquery::InfoBuf::new().len(), 0);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.infos.len()
    }

    /// True when the last answer is empty.
    ///
    /// ```
    /// assert!(pidquery::InfoBuf::default().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    /// How many infos fit without allocating.
    ///
    /// ```
    /// assert_eq!(pidquery::InfoBuf::new().capacity(), 0);
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.infos.capacity()
    }
}

impl core::ops::Deref for InfoBuf {
    type Target = [ProcInfo];

    fn deref(&self) -> &[ProcInfo] {
        &self.infos
    }
}

impl core::fmt::Debug for InfoBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.infos.iter()).finish()
    }
}

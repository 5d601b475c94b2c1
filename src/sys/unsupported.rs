//! Backend for platforms without one: every call fails with
//! [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported).

use super::{Kernel, Listed};
use crate::{Error, Pid, PidQuery};

/// The live system on a platform pidquery does not support.
#[derive(Debug)]
pub(crate) struct Unsupported;

impl Kernel for Unsupported {
    fn estimate(&self, _query: &PidQuery) -> Result<usize, Error> {
        Err(Error::unsupported("listing processes"))
    }

    fn list(&self, _query: &PidQuery, _out: &mut [Pid]) -> Result<Listed, Error> {
        Err(Error::unsupported("listing processes"))
    }
}

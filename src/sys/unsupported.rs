//! Backend for platforms without one: every call fails with
//! [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported).

use std::path::Path;

use super::{Inspect, ListPids, Listed, Platform};
use crate::{Error, Pid, PidQuery};

/// The live system on a platform pidquery does not support.
#[derive(Debug)]
pub(crate) struct Live;

/// No public extras.
pub(crate) mod public {}

/// A neutral `dev_t` encoding (major in the high 32 bits): no backend here
/// compares terminal devices.
pub(crate) mod dev {
    /// `makedev(major, minor)`.
    pub(crate) const fn makedev(major: u32, minor: u32) -> u64 {
        ((major as u64) << 32) | minor as u64
    }

    /// `major(dev)`.
    pub(crate) const fn major(dev: u64) -> u32 {
        (dev >> 32) as u32
    }

    /// `minor(dev)`.
    pub(crate) const fn minor(dev: u64) -> u32 {
        dev as u32
    }
}

impl Platform for Live {
    fn live() -> Result<Live, Error> {
        Err(Error::unsupported("listing processes"))
    }

    fn open(_root: &Path) -> Result<Live, Error> {
        Err(Error::unsupported("opening a proc root"))
    }

    fn root(&self) -> Option<&Path> {
        None
    }
}

impl ListPids for Live {
    fn estimate(&self, _query: &PidQuery) -> Result<usize, Error> {
        Err(Error::unsupported("listing processes"))
    }

    fn list(&self, _query: &PidQuery, _out: &mut [Pid]) -> Result<Listed, Error> {
        Err(Error::unsupported("listing processes"))
    }
}

/// Every per-process call is `Unsupported` (the trait's defaults).
impl Inspect for Live {}

super::select_by_info!(Live, ascending: true);
impl super::StreamPids for Live {
    type Stream = super::NoStream;

    fn stream(&self, _query: &PidQuery) -> Result<Option<super::NoStream>, Error> {
        Ok(None)
    }
}

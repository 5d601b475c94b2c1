//! Per-process information from `/proc/<pid>`.

use super::ProcFs;
use crate::sys::Inspect;

impl Inspect for ProcFs {}

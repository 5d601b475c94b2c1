//! `pidquery._pidquery`: the compiled half of the Python package.
//!
//! Each function converts its arguments, runs the library with the GIL
//! released, and converts the answer; all the logic stays in `pidquery`.
//! Buffers live in the objects that own them ([`query::Query`],
//! [`watch::Watch`]) or, for the module's one-shot functions, in one
//! scratch per thread ([`scratch`]), so a loop allocates only its Python
//! results. The Python side (`pidquery/__init__.py`, `pidquery/libproc.py`)
//! re-exports these names and adds the original `libproc` module.

#![deny(unsafe_code)]

mod error;
mod identity;
mod info;
mod libproc;
mod matcher;
mod query;
mod scratch;
mod select;
mod watch;
#[cfg(target_os = "macos")]
mod xnu;

use pyo3::prelude::*;

#[pymodule]
fn _pidquery(m: &Bound<'_, PyModule>) -> PyResult<()> {
    query::register(m)?;
    select::register(m)?;
    info::register(m)?;
    identity::register(m)?;
    watch::register(m)?;
    libproc::register(m)?;
    Ok(())
}

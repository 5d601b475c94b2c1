//! The listing capability's public face: [`PidQuery`] says what to ask,
//! [`PidBuf`] holds the answer, and the engine (grow and retry until the
//! answer is provably complete) runs any backend that lists pids.

pub(crate) mod buf;
pub(crate) mod cond;
pub(crate) mod engine;
pub mod links;
pub(crate) mod matches;
pub(crate) mod plan;
pub(crate) mod query;
pub(crate) mod select;
pub(crate) mod watch;

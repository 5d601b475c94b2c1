//! The per-process capability's public face: who a process is
//! ([`ProcInfo`](crate::ProcInfo) and its parts), its executable, threads
//! and open fds in reusable buffers, and an identity that survives pid
//! reuse. The backends fill them (`sys/`, the `Inspect` capability).

pub(crate) mod comm;
pub(crate) mod exe_buf;
pub(crate) mod fd_buf;
pub(crate) mod flags;
pub(crate) mod info_buf;
mod live;
pub(crate) mod proc_id;
pub(crate) mod proc_info;
mod record_buf;
pub(crate) mod slots;
pub(crate) mod start_time;
pub(crate) mod state;
pub(crate) mod thread_buf;

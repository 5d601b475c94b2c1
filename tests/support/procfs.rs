//! Direct reads of `/proc`, without the crate under test: a process's
//! `comm`, state, uids, children and thread group.

use std::io::Read;
use std::time::Duration;

use pidquery::Pid;

use super::env::pid;
use super::wait::{wait_until_within, TIMEOUT};

/// `/proc/<pid>/comm` without its trailing newline, read directly.
pub fn comm(pid: Pid) -> Option<Vec<u8>> {
    let mut bytes = std::fs::read(format!("/proc/{pid}/comm")).ok()?;
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    Some(bytes)
}

/// The state letter of `pid` (`R`, `S`, `Z`, …) from `/proc/<pid>/stat`,
/// read after the last `)`.
pub fn state(pid: Pid) -> Option<u8> {
    let bytes = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = bytes.iter().rposition(|&b| b == b')')?;
    bytes.get(close + 2).copied()
}

/// The real, effective, saved and fs uids of `pid` from the `Uid:` line of
/// `/proc/<pid>/status`.
/// `None` if it is gone.
pub fn status_uids(pid: Pid) -> Option<[u32; 4]> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    let mut ids = line.split_whitespace().map(|f| f.parse::<u32>().ok());
    Some([ids.next()??, ids.next()??, ids.next()??, ids.next()??])
}

/// Waits until `pid` runs `program` (its `comm` says so), i.e. it has
/// exec'd and is no longer a copy of its parent: credentials and `comm`
/// are final only then.
pub fn wait_exec(pid: Pid, program: &str) {
    wait_exec_within(pid, program, TIMEOUT);
}

/// As [`wait_exec`], failing the test after `limit` instead of [`TIMEOUT`].
pub fn wait_exec_within(pid: Pid, program: &str, limit: Duration) {
    wait_until_within(&format!("pid {pid} to run {program}"), limit, || {
        (comm(pid)? == program.as_bytes()).then_some(())
    });
}

/// The id of the calling thread, from `/proc/thread-self`
/// (`<pid>/task/<tid>`).
pub fn this_thread_id() -> Pid {
    let link = std::fs::read_link("/proc/thread-self").expect("readlink /proc/thread-self");
    let tid = link
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse().ok())
        .expect("/proc/thread-self ends with a thread id");
    pid(tid)
}

/// The children of `pid` (of its main thread) from
/// `/proc/<pid>/task/<pid>/children`; empty when it is gone.
pub fn children(pid: Pid) -> Vec<Pid> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|w| Pid::from_raw(w.parse().ok()?))
        .collect()
}

/// `NSpid:` of a live process (its pid in each nested namespace).
pub fn status_nspid(pid: i32) -> Option<Vec<i32>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("NSpid:"))?;
    Some(
        line[6..]
            .split_whitespace()
            .map(|w| w.parse().expect("pid"))
            .collect(),
    )
}

/// Whether `pid` names a process (not a thread) right now: its `Tgid:`
/// equals itself. `None` when it does not exist.
pub fn is_process_now(pid: Pid) -> Option<bool> {
    let mut text = String::new();
    std::fs::File::open(format!("/proc/{pid}/status"))
        .ok()?
        .read_to_string(&mut text)
        .ok()?;
    let tgid: i32 = text
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))?
        .trim()
        .parse()
        .ok()?;
    Some(tgid == pid.as_raw())
}

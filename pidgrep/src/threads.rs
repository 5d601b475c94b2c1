//! `-w`: pgrep's threads. With `-w` pgrep walks every process's threads
//! (the leader first, then `task/` in the kernel's order) and tests each
//! thread as if it were a process: its own name, state and start time
//! (and ids) and its own command line (empty for a main thread that has
//! exited), the process's parent, group, session and terminal. The ids it prints, counts, negates and picks the newest or oldest
//! of are thread ids; itself and its ancestors are left out by comparing
//! them with the thread id, so an ancestor's other threads stay in.
//!
//! The library lists a process's threads ([`pidquery::System::threads`])
//! but describes processes only, so the per-thread facts are read here
//! from `/proc/<pid>/task/<tid>/stat` and `status`, as pgrep reads them.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use pidquery::{Pid, State, System, Thread, ThreadBuf};

use crate::config::Config;
use crate::output::{fatal, Entry};
use crate::Stop;

/// What pgrep reads of one thread.
struct Task {
    comm: Vec<u8>,
    state: State,
    /// `starttime`, in clock ticks since boot.
    start: u64,
}

/// `/proc/<pid>/task/<tid>/stat`: the name (between the first `(` and the
/// last `)`), the state and the start time (the 22nd field).
fn task(pid: Pid, tid: Pid) -> Option<Task> {
    let text = std::fs::read(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    let open = text.iter().position(|&b| b == b'(')?;
    let close = text.iter().rposition(|&b| b == b')')?;
    let comm = text.get(open + 1..close)?.to_vec();
    let mut fields = text.get(close + 2..)?.split(|&b| b == b' ');
    let state = State::from_letter(*fields.next()?.first()?);
    let start = std::str::from_utf8(fields.nth(18)?).ok()?.parse().ok()?;
    Some(Task { comm, state, start })
}

/// The real and effective uid and the real gid of a thread (`Uid:` and
/// `Gid:` of its `status`).
fn ids(pid: Pid, tid: Pid) -> Option<(u32, u32, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).ok()?;
    let pair = |key: &str| -> Option<(u32, u32)> {
        let line = text.lines().find_map(|l| l.strip_prefix(key))?;
        let mut v = line.split_whitespace().map(|n| n.parse::<u32>().ok());
        Some((v.next()??, v.next()??))
    };
    let (ruid, euid) = pair("Uid:")?;
    let (rgid, _) = pair("Gid:")?;
    Some((ruid, euid, rgid))
}

/// The threads of the processes in `table` (each with whether the
/// process-wide conditions hold), tested and picked as pgrep does.
pub fn select(
    c: &Config,
    table: &[(Pid, bool)],
    me: Pid,
    ancestors: &BTreeSet<Pid>,
) -> Result<Vec<Entry>, Stop> {
    let system = System::live().map_err(fatal)?;
    let mut buf = ThreadBuf::new();
    let older = c
        .older
        .map(|secs| SystemTime::now() - Duration::from_secs(secs));
    let mut out = Vec::new();
    // For -n and -o: the pick so far, by (start, tid).
    let mut best: Option<((u64, Pid), Entry)> = None;
    for &(pid, process_matches) in table {
        // Without -v, no thread of a process that fails the process-wide
        // conditions is listed: its threads are not read.
        if !process_matches && !c.negate {
            continue;
        }
        // A process that ends meanwhile has no threads left to list.
        let Ok(threads) = system.threads(pid, &mut buf) else {
            continue;
        };
        // -O compares wall-clock start times: a thread's is its process's
        // moved by the difference in ticks.
        let origin = match older {
            Some(_) => system.info(pid).ok().and_then(|i| i.start),
            None => None,
        };
        for thread in threads {
            let Thread::Tid(tid) = *thread else { continue };
            if tid == me || ancestors.contains(&tid) {
                continue;
            }
            let Some(t) = task(pid, tid) else { continue };
            let yes = process_matches && thread_matches(c, pid, tid, &t, origin, older);
            if yes == c.negate {
                continue;
            }
            let entry = Entry {
                id: tid,
                task: Some((pid, t.comm, t.state == State::Zombie)),
            };
            if c.newest || c.oldest {
                let key = (t.start, tid);
                let better = best
                    .as_ref()
                    .is_none_or(|(b, _)| if c.newest { key > *b } else { key < *b });
                if better {
                    best = Some((key, entry));
                }
            } else {
                out.push(entry);
            }
        }
    }
    if let Some((_, entry)) = best {
        out.push(entry);
    }
    Ok(out)
}

/// The conditions pgrep tests on each thread's own facts.
fn thread_matches(
    c: &Config,
    pid: Pid,
    tid: Pid,
    t: &Task,
    origin: Option<pidquery::StartTime>,
    older: Option<SystemTime>,
) -> bool {
    if !c.euid.is_empty() || !c.ruid.is_empty() || !c.rgid.is_empty() {
        let Some((ruid, euid, rgid)) = ids(pid, tid) else {
            return false;
        };
        if (!c.euid.is_empty() && !c.euid.contains(&euid))
            || (!c.ruid.is_empty() && !c.ruid.contains(&ruid))
            || (!c.rgid.is_empty() && !c.rgid.contains(&rgid))
        {
            return false;
        }
    }
    if let Some(cutoff) = older {
        let Some(origin) = origin else { return false };
        let hz = u64::from(origin.units_per_second());
        let ticks = |n: u64| Duration::from_nanos(n.saturating_mul(1_000_000_000) / hz);
        let started = origin.to_system_time() + ticks(t.start.saturating_sub(origin.raw()))
            - ticks(origin.raw().saturating_sub(t.start));
        if started >= cutoff {
            return false;
        }
    }
    if let Some(states) = c.states {
        if !states.contains_state(t.state) {
            return false;
        }
    }
    match (&c.regex, c.full) {
        (Some(re), false) => re.is_match(&t.comm),
        // The thread's own `cmdline`: a main thread that has exited has
        // none, and shows as `[name] <defunct>`.
        (Some(re), true) => re.is_match(&crate::output::cmdline_text(
            &format!("/proc/{pid}/task/{tid}/cmdline"),
            || Some((t.comm.clone(), t.state == State::Zombie)),
        )),
        (None, _) => true,
    }
}

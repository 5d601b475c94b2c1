//! The query, and pgrep's output: pids (with `-l` the name, with `-a` the
//! command line as `ps -o args` shows it) joined by the delimiter, or the
//! count.
//!
//! One `pidquery::Query` answers every option (`--ns` and `--cgroup`
//! included) but `-A`, `-F`, `-t ?`, `-w`, and `--ns` with a reference one
//! of whose links cannot be followed; with those, the query's matches are
//! taken as one condition and the rest (ancestors, pgrep's reading of such
//! links, the pidfile's pid, no terminal, threads, negation,
//! newest/oldest) is decided here over the whole table.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::{Duration, SystemTime};

use pidquery::{Match, Namespaces, Pid, PidBuf, Query, StartTime, System};

use crate::config::Config;
use crate::Stop;

pub fn fatal(e: pidquery::Error) -> Stop {
    Stop::Fail(e.to_string(), 3)
}

/// pgrep's buffer for a command line holds 128 KiB less its NUL: what it
/// matches (`-f`) and prints (`-a`) is cut there.
const CMDLINE_MAX: usize = 128 * 1024 - 1;

/// One line of the answer: a pid, or with `-w` a thread id with its
/// process, name and whether it is a zombie.
pub struct Entry {
    pub id: Pid,
    pub task: Option<(Pid, Vec<u8>, bool)>,
}

/// Runs the query and prints; whether anything matched.
pub fn run(c: &Config, program: &str) -> Result<bool, Stop> {
    let me = Pid::this();
    let re = c.regex.as_ref();
    let matcher =
        |text: &[u8]| re.is_some_and(|re| re.is_match(&text[..text.len().min(CMDLINE_MAX)]));
    // With -w, the thread's own name or command line, state, start and
    // ids are tested on each thread (src/threads.rs); the rest is the
    // process's.
    let per_thread = c.threads;
    let mut q = Query::new();
    if re.is_some() && !per_thread {
        let m = Match::custom(&matcher);
        q = if c.full { q.cmdline(m) } else { q.name(m) };
    }
    if !c.pgrp.is_empty() {
        q = q.pgrp(&c.pgrp[..]);
    }
    if !c.rgid.is_empty() && !per_thread {
        q = q.rgid(&c.rgid[..]);
    }
    if !c.parent.is_empty() {
        q = q.parent(&c.parent[..]);
    }
    if !c.session.is_empty() {
        q = q.session(&c.session[..]);
    }
    if let (Some(ttys), false) = (&c.tty, c.no_tty) {
        q = q.tty(&ttys[..]);
    }
    if !c.euid.is_empty() && !per_thread {
        q = q.euid(&c.euid[..]);
    }
    if !c.ruid.is_empty() && !per_thread {
        q = q.ruid(&c.ruid[..]);
    }
    if let (Some(states), false) = (c.states, per_thread) {
        q = q.state(states);
    }
    if let (Some(secs), false) = (c.older, per_thread) {
        q = q.started_before(SystemTime::now() - Duration::from_secs(secs));
    }
    let cgroups: Vec<&[u8]> = c.cgroup.iter().flatten().map(Vec::as_slice).collect();
    if c.cgroup.is_some() {
        q = q.cgroup(&cgroups[..]);
    }
    let mut ns_by_hand = None;
    if let Some(raw) = c.ns {
        let reference = Pid::from_raw(raw)
            .filter(|p| *p != Pid::ZERO)
            .ok_or_else(|| {
                Stop::Fail("Error reading reference namespace information\n".into(), 3)
            })?;
        // pgrep reads a link it cannot follow as inode 0. A kind this
        // kernel lacks (`time` before Linux 5.6) is 0 for every process:
        // left out. When a link of the reference cannot be followed (it
        // exited; a zombie, whose `pid` link alone can be; another
        // user's), pgrep's comparison of zeros is made here.
        let kinds = c
            .nslist
            .unwrap_or(Namespaces::PGREP_DEFAULT)
            .kinds()
            .filter(|(_, name)| std::fs::symlink_metadata(format!("/proc/self/ns/{name}")).is_ok())
            .fold(Namespaces::empty(), |set, (kind, _)| set | kind);
        let ids: Vec<Option<(u64, u64)>> = kinds
            .kinds()
            .map(|(_, name)| ns_of(reference, name))
            .collect();
        if ids.iter().all(Option::is_some) {
            q = q.same_namespaces(reference, kinds);
        } else {
            ns_by_hand = Some((kinds, ids));
        }
    }
    let mut buf = PidBuf::new();
    let entries: Vec<Entry> =
        if c.threads || c.ancestors || ns_by_hand.is_some() || c.pidfile.is_some() || c.no_tty {
            by_hand(c, &q, me, ns_by_hand.as_ref(), &mut buf)?
        } else {
            let mut q = q.except(me);
            if c.negate {
                q = q.negate();
            }
            if c.newest {
                q = q.newest();
            } else if c.oldest {
                q = q.oldest();
            }
            let pids = q.fill(&mut buf).map_err(fatal)?;
            pids.iter().map(|&id| Entry { id, task: None }).collect()
        };
    if entries.is_empty() && c.long_pattern {
        eprintln!(
            "{program}: pattern that searches for process name longer than 15 characters will result in zero matches\nTry `{program} -f' option to match against the complete command line."
        );
    }
    let mut out = Vec::new();
    if c.count {
        out.extend_from_slice(format!("{}\n", entries.len()).as_bytes());
    } else {
        for (i, e) in entries.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(&c.delim);
            }
            out.extend_from_slice(e.id.to_string().as_bytes());
            if c.list_full {
                out.push(b' ');
                out.extend_from_slice(&args_text(e));
            } else if c.list_name {
                out.push(b' ');
                match &e.task {
                    Some((_, comm, _)) => out.extend_from_slice(comm),
                    None => {
                        if let Ok(info) = e.id.info() {
                            out.extend_from_slice(info.comm.as_bytes());
                        }
                    }
                }
            }
        }
        if !entries.is_empty() {
            out.push(b'\n');
        }
    }
    let _ = std::io::stdout().write_all(&out);
    Ok(!entries.is_empty())
}

/// The command line as `ps -o args` (and pgrep) shows it: a thread's
/// from its `task/` directory, with its own name when it has none.
fn args_text(e: &Entry) -> Vec<u8> {
    match &e.task {
        Some((pid, comm, zombie)) => {
            cmdline_text(&format!("/proc/{pid}/task/{}/cmdline", e.id), || {
                Some((comm.clone(), *zombie))
            })
        }
        None => cmdline_text(&format!("/proc/{}/cmdline", e.id), || {
            e.id.info().ok().map(|info| {
                // A process whose main thread has exited shows that
                // thread's `Z` in `stat`, which pgrep reads.
                let zombie = info.state == pidquery::State::Zombie
                    || info.flags.contains(pidquery::ProcFlags::LEADER_EXITED);
                (info.comm.as_bytes().to_vec(), zombie)
            })
        }),
    }
}

/// The `cmdline` file at `path` as pgrep shows it (cut at
/// [`CMDLINE_MAX`]); when empty, `[name]` from `named`, with ` <defunct>`
/// for a zombie.
pub fn cmdline_text(path: &str, named: impl FnOnce() -> Option<(Vec<u8>, bool)>) -> Vec<u8> {
    let mut text = std::fs::read(path).unwrap_or_default();
    text.truncate(CMDLINE_MAX);
    while text.last() == Some(&0) {
        text.pop();
    }
    if text.is_empty() {
        if let Some((comm, zombie)) = named() {
            text.push(b'[');
            text.extend_from_slice(&comm);
            text.push(b']');
            if zombie {
                text.extend_from_slice(b" <defunct>");
            }
        }
        return text;
    }
    // As pgrep prints it: arguments and newlines as spaces, other
    // control characters as `?`.
    for b in &mut text {
        *b = match *b {
            0 | b'\n' => b' ',
            c if c < 0x20 || c == 0x7f => b'?',
            c => c,
        };
    }
    text
}

/// The namespace of kind `name` of `pid`, when its link can be followed.
fn ns_of(pid: Pid, name: &str) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/{pid}/ns/{name}"))
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// A reference's namespaces of some kinds, as pgrep compares them: a
/// link that cannot be followed is `None` (pgrep's 0).
type NsByHand = (Namespaces, Vec<Option<(u64, u64)>>);

/// `-A`, `-F`, `-t ?`, `-w`, and `--ns` with a reference one of whose
/// links cannot be followed (`ns`): the query's matches, then ancestors,
/// those namespaces, the pidfile's pid, no terminal, threads, negation and
/// newest/oldest decided over the whole table.
fn by_hand(
    c: &Config,
    q: &Query<'_>,
    me: Pid,
    ns: Option<&NsByHand>,
    buf: &mut PidBuf,
) -> Result<Vec<Entry>, Stop> {
    let matched: BTreeSet<Pid> = q.fill(buf).map_err(fatal)?.iter().copied().collect();
    let mut ancestors = BTreeSet::new();
    if c.ancestors {
        let mut at = me;
        while let Ok(info) = at.info() {
            if info.ppid == Pid::ZERO || !ancestors.insert(info.ppid) {
                break;
            }
            at = info.ppid;
        }
    }
    // `-t ?` with other names: the terminal, or none.
    let tty_matches = |pid: Pid| match pid.info() {
        Ok(info) => match info.tty {
            None => true,
            Some(dev) => c.tty.as_ref().is_some_and(|t| t.contains(&dev)),
        },
        Err(_) => false,
    };
    let all = Query::new().fill(buf).map_err(fatal)?.to_vec();
    let mut table = Vec::with_capacity(all.len());
    for pid in all {
        let mut yes = matched.contains(&pid) && c.pidfile.is_none_or(|p| p == pid);
        if let (true, Some((kinds, ids))) = (yes, ns) {
            yes = kinds
                .kinds()
                .zip(ids)
                .all(|((_, name), id)| ns_of(pid, name) == *id);
        }
        if yes && c.no_tty {
            yes = tty_matches(pid);
        }
        table.push((pid, yes));
    }
    if c.threads {
        return crate::threads::select(c, &table, me, &ancestors);
    }
    let mut out = Vec::new();
    for (pid, yes) in table {
        if pid == me || ancestors.contains(&pid) {
            continue;
        }
        if yes != c.negate {
            out.push(pid);
        }
    }
    if c.newest || c.oldest {
        let start = |p: &Pid| -> Option<StartTime> { System::live().ok()?.info(*p).ok()?.start };
        let mut best: Option<(StartTime, Pid)> = None;
        for p in &out {
            let Some(s) = start(p) else { continue };
            let better = match best {
                None => true,
                Some((b, _)) if c.newest => s >= b,
                Some((b, _)) => s < b,
            };
            if better {
                best = Some((s, *p));
            }
        }
        out = best.map(|(_, p)| vec![p]).unwrap_or_default();
    }
    Ok(out.into_iter().map(|id| Entry { id, task: None }).collect())
}

//! The query, and pgrep's output: pids (with `-l` the name, with `-a` the
//! command line as `ps -o args` shows it) joined by the delimiter, or the
//! count.
//!
//! One `pidquery::Query` answers every option but `-A` and `--ns`; with
//! those, the query's matches are taken as one condition and the rest
//! (ancestors, namespaces, negation, newest/oldest) is decided here over
//! the whole table.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::{Duration, SystemTime};

use pidquery::{Match, Pid, PidBuf, Query, StartTime, System};

use crate::config::Config;
use crate::Stop;

fn fatal(e: pidquery::Error) -> Stop {
    Stop::Fail(e.to_string(), 3)
}

/// Runs the query and prints; whether anything matched.
pub fn run(c: &Config, _me: &str) -> Result<bool, Stop> {
    let me = Pid::this();
    let re = c.regex.as_ref();
    let matcher = |text: &[u8]| re.is_some_and(|re| re.is_match(text));
    let mut q = Query::new();
    if re.is_some() {
        let m = Match::custom(&matcher);
        q = if c.full { q.cmdline(m) } else { q.name(m) };
    }
    if !c.pgrp.is_empty() {
        q = q.pgrp(&c.pgrp[..]);
    }
    if !c.rgid.is_empty() {
        q = q.rgid(&c.rgid[..]);
    }
    if !c.parent.is_empty() {
        q = q.parent(&c.parent[..]);
    }
    if !c.session.is_empty() {
        q = q.session(&c.session[..]);
    }
    if let Some(ttys) = &c.tty {
        q = q.tty(&ttys[..]);
    }
    if !c.euid.is_empty() {
        q = q.euid(&c.euid[..]);
    }
    if !c.ruid.is_empty() {
        q = q.ruid(&c.ruid[..]);
    }
    if let Some(states) = c.states {
        q = q.state(states);
    }
    if let Some(secs) = c.older {
        q = q.started_before(SystemTime::now() - Duration::from_secs(secs));
    }
    let mut buf = PidBuf::new();
    let pids: Vec<Pid> = if c.ancestors || c.ns.is_some() {
        by_hand(c, &q, me, &mut buf)?
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
        q.fill(&mut buf).map_err(fatal)?.to_vec()
    };
    let mut out = Vec::new();
    if c.count {
        out.extend_from_slice(format!("{}\n", pids.len()).as_bytes());
    } else {
        for (i, pid) in pids.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(&c.delim);
            }
            out.extend_from_slice(pid.to_string().as_bytes());
            if c.list_full {
                out.push(b' ');
                out.extend_from_slice(&args_text(*pid));
            } else if c.list_name {
                out.push(b' ');
                if let Ok(info) = pid.info() {
                    out.extend_from_slice(info.comm.as_bytes());
                }
            }
        }
        if !pids.is_empty() {
            out.push(b'\n');
        }
    }
    let _ = std::io::stdout().write_all(&out);
    Ok(!pids.is_empty())
}

/// The command line as `ps -o args` (and pgrep) shows it.
fn args_text(pid: Pid) -> Vec<u8> {
    let mut text = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    while text.last() == Some(&0) {
        text.pop();
    }
    if text.is_empty() {
        if let Ok(info) = pid.info() {
            text.push(b'[');
            text.extend_from_slice(info.comm.as_bytes());
            text.push(b']');
            if info.state == pidquery::State::Zombie {
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

/// `-A` and `--ns`: the query's matches, then ancestors, namespaces,
/// negation and newest/oldest decided over the whole table.
fn by_hand(c: &Config, q: &Query<'_>, me: Pid, buf: &mut PidBuf) -> Result<Vec<Pid>, Stop> {
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
    let wanted_ns: Vec<&str> = if c.nslist.is_empty() {
        vec!["ipc", "mnt", "net", "pid", "user", "uts"]
    } else {
        c.nslist.clone()
    };
    let ns_of = |pid: Pid, ns: &str| -> Option<u64> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(format!("/proc/{pid}/ns/{ns}"))
            .ok()
            .map(|m| m.ino())
    };
    let reference: Option<Vec<Option<u64>>> =
        c.ns.map(|r| wanted_ns.iter().map(|ns| ns_of(r, ns)).collect());
    let all = Query::new().fill(buf).map_err(fatal)?.to_vec();
    let mut out = Vec::new();
    for pid in all {
        if pid == me || ancestors.contains(&pid) {
            continue;
        }
        let mut yes = matched.contains(&pid);
        if let (true, Some(reference)) = (yes, &reference) {
            yes = wanted_ns
                .iter()
                .zip(reference)
                .all(|(ns, r)| r.is_none() || ns_of(pid, ns) == *r);
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
    Ok(out)
}

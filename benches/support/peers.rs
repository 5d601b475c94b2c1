//! Each filter answered the way a user of another crate (or of `std` alone)
//! would write it. Every function clears `out` and pushes the matching pids,
//! unsorted.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;

use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, UpdateKind};

/// A filter and its argument, as the peers take it.
#[derive(Copy, Clone, Debug)]
pub enum Want {
    All,
    Uid(u32),
    Ruid(u32),
    Ppid(i32),
    Pgrp(i32),
    Tty(u64),
}

/// `procfs::process::all_processes()`, then `.uid()` (the owner of
/// `/proc/<pid>`), `.status()` or `.stat()`. A process that vanishes is
/// skipped.
pub fn procfs(want: Want, out: &mut Vec<i32>) -> procfs::ProcResult<()> {
    out.clear();
    for process in procfs::process::all_processes()? {
        let Ok(process) = process else { continue };
        let keep = match want {
            Want::All => true,
            Want::Uid(uid) => process.uid().is_ok_and(|u| u == uid),
            Want::Ruid(ruid) => process.status().is_ok_and(|s| s.ruid == ruid),
            Want::Ppid(ppid) => process.stat().is_ok_and(|s| s.ppid == ppid),
            Want::Pgrp(pgrp) => process.stat().is_ok_and(|s| s.pgrp == pgrp),
            Want::Tty(dev) => process
                .stat()
                .is_ok_and(|s| s.tty_nr != 0 && u64::from(s.tty_nr as u32) == dev),
        };
        if keep {
            out.push(process.pid);
        }
    }
    Ok(())
}

/// The least `sysinfo` refresh that answers `want`: no threads, and the
/// user ids only when asked about them. `None` for the filters `sysinfo`
/// cannot answer (it exposes no process group and no terminal, and no
/// parent 0).
pub fn sysinfo_kind(want: Want) -> Option<ProcessRefreshKind> {
    let kind = ProcessRefreshKind::nothing().without_tasks();
    match want {
        // sysinfo reports no parent for the children of pid 0.
        Want::Ppid(0) => None,
        Want::All | Want::Ppid(_) => Some(kind),
        Want::Uid(_) | Want::Ruid(_) => Some(kind.with_user(UpdateKind::Always)),
        Want::Pgrp(_) | Want::Tty(_) => None,
    }
}

/// Refreshes `system`'s processes with `kind`, then filters them.
pub fn sysinfo(
    system: &mut sysinfo::System,
    want: Want,
    kind: ProcessRefreshKind,
    out: &mut Vec<i32>,
) {
    out.clear();
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
    let matches = |p: &sysinfo::Process| match want {
        Want::All => true,
        Want::Uid(uid) => p.effective_user_id().is_some_and(|u| **u == uid),
        Want::Ruid(ruid) => p.user_id().is_some_and(|u| **u == ruid),
        Want::Ppid(ppid) => p.parent().is_some_and(|pp| pp.as_u32() as i32 == ppid),
        Want::Pgrp(_) | Want::Tty(_) => false,
    };
    out.extend(
        system
            .processes()
            .iter()
            .filter(|(_, p)| matches(p))
            .map(|(pid, _)| pid.as_u32() as i32),
    );
}

/// `std` only: `fs::read_dir("/proc")`, then `DirEntry::metadata` or
/// `fs::read_to_string` of `stat` / `status`.
pub fn std_fs(want: Want, out: &mut Vec<i32>) -> io::Result<()> {
    out.clear();
    for entry in fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let stat_field = |n: usize| -> Option<i64> {
            let text = fs::read_to_string(entry.path().join("stat")).ok()?;
            let (_, tail) = text.rsplit_once(')')?;
            tail.split_whitespace().nth(n)?.parse().ok()
        };
        let keep = match want {
            Want::All => true,
            Want::Uid(uid) => entry.metadata().is_ok_and(|m| m.uid() == uid),
            Want::Ruid(ruid) => {
                fs::read_to_string(entry.path().join("status"))
                    .ok()
                    .and_then(|s| {
                        let line = s.lines().find(|l| l.starts_with("Uid:"))?;
                        line.split_whitespace().nth(1)?.parse::<u32>().ok()
                    })
                    == Some(ruid)
            }
            Want::Ppid(ppid) => stat_field(1) == Some(i64::from(ppid)),
            Want::Pgrp(pgrp) => stat_field(2) == Some(i64::from(pgrp)),
            Want::Tty(dev) => stat_field(4).is_some_and(|t| t != 0 && t as u64 == dev),
        };
        if keep {
            out.push(pid);
        }
    }
    Ok(())
}

/// `libproc::processes::pids_by_type` (libproc-rs, whose Linux backend
/// reads `/proc`: the owner of `/proc/<pid>` for `uid`, the owner of
/// `/proc/<pid>/stat` for `ruid` — the effective uid, not the real one —
/// and `stat` fields for the rest).
pub fn libproc(want: Want, out: &mut Vec<i32>) -> io::Result<()> {
    use libproc::processes::{pids_by_type, ProcFilter};
    let filter = match want {
        Want::All => ProcFilter::All,
        Want::Uid(uid) => ProcFilter::ByUID { uid },
        Want::Ruid(ruid) => ProcFilter::ByRealUID { ruid },
        Want::Ppid(ppid) => ProcFilter::ByParentProcess { ppid: ppid as u32 },
        Want::Pgrp(pgrp) => ProcFilter::ByProgramGroup {
            pgrpid: pgrp as u32,
        },
        Want::Tty(dev) => ProcFilter::ByTTY { tty: dev as u32 },
    };
    out.clear();
    out.extend(pids_by_type(filter)?.into_iter().map(|p| p as i32));
    Ok(())
}

/// The subtree below `root` from a parent map, the way psutil's
/// `children(recursive=True)` builds it: children lists from one snapshot
/// of every process's parent, then a walk with a `seen` set.
pub fn subtree(root: i32, parents: impl IntoIterator<Item = (i32, i32)>, out: &mut Vec<i32>) {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for (pid, ppid) in parents {
        children.entry(ppid).or_default().push(pid);
    }
    out.clear();
    let mut seen = HashSet::new();
    let mut stack = vec![root];
    while let Some(parent) = stack.pop() {
        for &child in children.get(&parent).map_or(&[][..], Vec::as_slice) {
            if child != root && seen.insert(child) {
                out.push(child);
                stack.push(child);
            }
        }
    }
}

/// `descendants` with procfs: `all_processes()`, `.stat().ppid` of each,
/// then [`subtree`].
pub fn procfs_descendants(root: i32, out: &mut Vec<i32>) -> procfs::ProcResult<()> {
    let mut parents = Vec::new();
    for process in procfs::process::all_processes()? {
        let Ok(process) = process else { continue };
        if let Ok(stat) = process.stat() {
            parents.push((process.pid, stat.ppid));
        }
    }
    subtree(root, parents, out);
    Ok(())
}

/// `descendants` with sysinfo: a refresh of every process, `parent()` of
/// each, then [`subtree`].
pub fn sysinfo_descendants(system: &mut sysinfo::System, root: i32, out: &mut Vec<i32>) {
    let kind = ProcessRefreshKind::nothing().without_tasks();
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
    let parents = system
        .processes()
        .iter()
        .filter_map(|(pid, p)| Some((pid.as_u32() as i32, p.parent()?.as_u32() as i32)));
    subtree(root, parents, out);
}

/// `descendants` with libproc-rs, whose Linux side has no per-process
/// parent: one `pids_by_type(ByParentProcess)` scan per process of the
/// subtree, breadth first.
pub fn libproc_descendants(root: i32, out: &mut Vec<i32>) -> io::Result<()> {
    use libproc::processes::{pids_by_type, ProcFilter};
    out.clear();
    let mut seen = HashSet::new();
    let mut next = 0;
    let mut parent = root;
    loop {
        for child in pids_by_type(ProcFilter::ByParentProcess {
            ppid: parent as u32,
        })? {
            let child = child as i32;
            if child != root && seen.insert(child) {
                out.push(child);
            }
        }
        match out.get(next) {
            Some(&p) => {
                parent = p;
                next += 1;
            }
            None => return Ok(()),
        }
    }
}

/// `descendants` with `std` only: `read_dir("/proc")`, each `stat` read
/// into a `String`, then [`subtree`].
pub fn std_descendants(root: i32, out: &mut Vec<i32>) -> io::Result<()> {
    let mut parents = Vec::new();
    for entry in fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(text) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let ppid = text
            .rsplit_once(')')
            .and_then(|(_, tail)| tail.split_whitespace().nth(1)?.parse().ok());
        if let Some(ppid) = ppid {
            parents.push((pid, ppid));
        }
    }
    subtree(root, parents, out);
    Ok(())
}

/// A watcher the way users of another crate write one: the previous
/// answer in a `HashSet`, a new full list every poll, the differences.
pub struct SetWatch {
    previous: HashSet<i32>,
    now: Vec<i32>,
}

impl SetWatch {
    pub fn new() -> SetWatch {
        SetWatch {
            previous: HashSet::new(),
            now: Vec::new(),
        }
    }

    /// Takes the new list from `list`, returns how many pids were born or
    /// died since the last poll.
    pub fn poll(&mut self, list: impl FnOnce(&mut Vec<i32>)) -> usize {
        list(&mut self.now);
        let now: HashSet<i32> = self.now.iter().copied().collect();
        let changes = now.symmetric_difference(&self.previous).count();
        self.previous = now;
        changes
    }
}

/// Every pid sysinfo's refreshed table holds (dead ones removed).
pub fn sysinfo_all(system: &mut sysinfo::System, out: &mut Vec<i32>) {
    let kind = ProcessRefreshKind::nothing().without_tasks();
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
    out.clear();
    out.extend(system.processes().keys().map(|pid| pid.as_u32() as i32));
}

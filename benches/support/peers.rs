//! Each filter answered the way a user of another crate (or of `std` alone)
//! would write it. Every function clears `out` and pushes the matching pids,
//! unsorted.

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
/// cannot answer (it exposes no process group and no terminal).
pub fn sysinfo_kind(want: Want) -> Option<ProcessRefreshKind> {
    let kind = ProcessRefreshKind::nothing().without_tasks();
    match want {
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

/// The `ppid` fast path the design leaves for later, in `std`: the
/// parent's `task/*/children` lists, each candidate's `stat` then checked
/// (the lists are a hint: a child may be reparented or exit meanwhile).
/// Not a full answer on kernels without `CONFIG_PROC_CHILDREN`.
pub fn children_file(ppid: i32, out: &mut Vec<i32>) -> io::Result<()> {
    out.clear();
    for task in fs::read_dir(format!("/proc/{ppid}/task"))? {
        let Ok(task) = task else { continue };
        let Ok(list) = fs::read_to_string(task.path().join("children")) else {
            continue;
        };
        for pid in list
            .split_whitespace()
            .filter_map(|s| s.parse::<i32>().ok())
        {
            let parent = fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    let (_, tail) = s.rsplit_once(')')?;
                    tail.split_whitespace().nth(1)?.parse::<i32>().ok()
                });
            if parent == Some(ppid) && !out.contains(&pid) {
                out.push(pid);
            }
        }
    }
    Ok(())
}

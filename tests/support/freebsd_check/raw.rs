//! The raw `sysctl` calls of the FreeBSD checker: a well-formed or broken
//! `kern.proc` name and a buffer of some size, checked against the name
//! rules ([`name_errno`]) and the byte-exact copy-out rules of the
//! reference.

use core::ffi::c_int;

use pidquery::model::freebsd::consts;
use pidquery::parse::{kinfo_procs, KinfoLayout};
use pidquery::{Errno, Filter, Pid};

use super::{check_answer, Bytes, Run, SIZE, TTYS};

/// The `Errno` a raw call of `mib` must fail with before any walk, by the
/// reference's name rules (`None`: the name is served), with a buffer
/// (`buffer`) or not, in capability mode or not.
pub fn name_errno(mib: &[c_int], buffer: bool, capability: bool) -> Option<Errno> {
    use consts::*;
    if mib.len() < 2 || mib.len() > CTL_MAXNAME {
        return Some(Errno::EINVAL);
    }
    if mib[0] != CTL_KERN || mib[1] != KERN_PROC {
        return Some(Errno::ENOENT);
    }
    let Some(&op) = mib.get(2) else {
        return Some(Errno::from_raw(libc::EISDIR));
    };
    let args = mib.len() - 3;
    if op == KERN_PROC_PATHNAME || op == KERN_PROC_FILEDESC {
        if capability && buffer {
            return Some(Errno::EPERM);
        }
        return (args != 1).then_some(Errno::EINVAL);
    }
    let base = op & !KERN_PROC_INC_THREAD;
    let nodes = [
        KERN_PROC_PID,
        KERN_PROC_PGRP,
        KERN_PROC_SESSION,
        KERN_PROC_TTY,
        KERN_PROC_UID,
        KERN_PROC_RUID,
        KERN_PROC_PROC,
        KERN_PROC_RGID,
        KERN_PROC_GID,
    ];
    if op == KERN_PROC_ALL {
        if args > 0 {
            return Some(Errno::from_raw(libc::ENOTDIR));
        }
    } else if !(nodes.contains(&base) && (op == base || op == base | KERN_PROC_INC_THREAD)) {
        return Some(Errno::ENOENT);
    }
    if capability && buffer {
        return Some(Errno::EPERM);
    }
    let ok = match base {
        KERN_PROC_ALL => true,
        KERN_PROC_PROC => args <= 1,
        _ => args == 1,
    };
    (!ok).then_some(Errno::EINVAL)
}

impl Run {
    /// A raw call: a well-formed or broken mib, and a buffer of some size.
    pub(super) fn raw_call(&mut self, input: &mut Bytes<'_>) -> Result<(), String> {
        use consts::*;
        let shape = input.byte();
        let arg = self.pick(input.byte()).as_raw();
        let size = input.byte();
        let ops = [
            KERN_PROC_ALL,
            KERN_PROC_PID,
            KERN_PROC_PGRP,
            KERN_PROC_SESSION,
            KERN_PROC_TTY,
            KERN_PROC_UID,
            KERN_PROC_RUID,
            KERN_PROC_PROC,
            KERN_PROC_RGID,
            KERN_PROC_GID,
            KERN_PROC_PROC | KERN_PROC_INC_THREAD,
            KERN_PROC_PGRP | KERN_PROC_INC_THREAD,
            KERN_PROC_ALL | KERN_PROC_INC_THREAD,
            9,
        ];
        let op = ops[usize::from(shape) % ops.len()];
        let mut name = vec![CTL_KERN, KERN_PROC, op];
        match (shape >> 4) % 4 {
            0 => {}
            1 | 2 => name.push(if op == KERN_PROC_TTY {
                TTYS[usize::from(size) % 2] as c_int
            } else {
                arg
            }),
            _ => name.extend([arg, arg]),
        }
        if shape & 0x40 != 0 && size % 8 == 0 {
            name.truncate(2);
        }
        // NULL, or room for a few records with a ragged tail.
        let buffer =
            (size % 4 != 0).then(|| usize::from(size / 4) * SIZE / 4 + usize::from(size % 3) * 100);
        self.model.clear_observations();
        let mut buf = vec![0xeeu8; buffer.unwrap_or(0) + 64];
        let (rc, errno, len) = match buffer {
            Some(n) => self.model.sysctl(&name, Some(&mut buf[..n])),
            None => self.model.sysctl(&name, None),
        };
        let obs = self
            .model
            .observations()
            .last()
            .cloned()
            .ok_or("no call recorded")?;
        // A scripted failure (the model fails nothing else with these).
        if let Err(injected @ (Errno::EINTR | EFAULT)) = obs.result {
            self.stats.failed += 1;
            return if (rc, errno) == (-1, injected) {
                Ok(())
            } else {
                Err(format!(
                    "{name:?}: injected {injected:?}, got {rc} {errno:?}"
                ))
            };
        }
        let expect = name_errno(&name, buffer.is_some(), self.capability);
        if let Some(e) = expect {
            return if (rc, errno) == (-1, e) {
                Ok(())
            } else {
                Err(format!("{name:?}: want {e:?}, got {rc} {errno:?}"))
            };
        }
        if base_of(op) == KERN_PROC_PID && errno == Errno::ESRCH {
            // Absent or hidden; never the caller itself.
            return if arg != self.model.caller().as_raw() {
                Ok(())
            } else {
                Err(format!("ESRCH for the caller {arg}"))
            };
        }
        let Some(n) = buffer else {
            // A probe: (matches + 5) records for a list op, whole records.
            let floor = if base_of(op) == KERN_PROC_PID {
                SIZE
            } else {
                PROBE_SLACK * SIZE
            };
            return if rc == 0 && len % SIZE == 0 && len >= floor {
                Ok(())
            } else {
                Err(format!("probe of {name:?}: {rc} {errno:?} {len}"))
            };
        };
        if buf[n..].iter().any(|&b| b != 0xee) {
            return Err(format!("{name:?}: wrote past {n} bytes"));
        }
        let over_wire = self.max_wired.is_some_and(|max| n > max);
        match (rc, errno) {
            (0, _) => {
                let recs = kinfo_procs(&buf[..len], &KinfoLayout::LP64)
                    .map_err(|e| format!("{name:?}: {e}"))?;
                let parsed: Result<Vec<_>, _> = recs.collect();
                let parsed = parsed.map_err(|e| format!("{name:?}: {e}"))?;
                if len > n || parsed.len() != obs.records {
                    return Err(format!(
                        "{name:?}: {len} bytes into {n}, {} records walked",
                        obs.records
                    ));
                }
                // The list nodes: each stable, visible match exactly once.
                if op == KERN_PROC_PROC && name.len() == 3 {
                    let mut pids: Vec<Pid> = parsed
                        .iter()
                        .map(|k| Pid::from_raw(k.pid).unwrap())
                        .collect();
                    pids.sort_unstable();
                    self.stats.required += check_answer(Filter::All, &obs, &pids)?;
                }
                self.stats.complete += 1;
                Ok(())
            }
            (-1, Errno::ENOMEM) => {
                self.stats.short += 1;
                let want = if over_wire { 0 } else { n };
                if len != want || obs.records * SIZE <= n && !over_wire {
                    return Err(format!(
                        "{name:?}: ENOMEM with *oldlenp {len} (passed {n}), {} records",
                        obs.records
                    ));
                }
                // The whole records in the prefix parse.
                let whole = (n / SIZE) * SIZE;
                if !over_wire {
                    kinfo_procs(&buf[..whole], &KinfoLayout::LP64)
                        .map_err(|e| format!("{e}"))?
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| format!("{name:?}: partial copy {e}"))?;
                } else if buf[..n].iter().any(|&b| b != 0xee) {
                    return Err(format!("{name:?}: copied into an unwired buffer"));
                }
                Ok(())
            }
            other => Err(format!("{name:?}: unexpected {other:?}")),
        }
    }
}

/// `op` without `KERN_PROC_INC_THREAD` (`KERN_PROC_ALL` stays itself).
fn base_of(op: c_int) -> c_int {
    op & !consts::KERN_PROC_INC_THREAD
}

/// `EFAULT`, the other errno the checker injects.
pub(super) const EFAULT: Errno = Errno::from_raw(libc::EFAULT);

//! `descendants` in O(descendants): a breadth-first walk over `children`
//! files inside one window in which no task was created; when the walk
//! cannot be proven, a scan of `stat` that records every process's parent
//! in the reused buffer, links the subtree there (`list::links`), and
//! checks the links it used. Both meet the contract in the crate docs
//! (`descendants` while the tree changes).
//!
//! # Below-ness only ends
//!
//! A process enters a subtree only by being born into it: a process whose
//! parent exits goes to an *ancestor* of that parent (a thread of its
//! group, the nearest subreaper, or init: `find_new_reaper`), and
//! `CLONE_PARENT` only gives a newborn its creator's parent. So a process
//! below `W` at one instant was below `W` at every earlier instant at
//! which both were alive, and a parent link `X → W` seen at two instants
//! held in between when `W` lived throughout (a parent changes only when
//! it exits).
//!
//! # The walk
//!
//! The answer buffer is the queue: the root's children are written to its
//! front, then each pid in turn has its own children appended behind the
//! last, until the reader reaches the end. Each node costs what `ppid` of a
//! single-threaded parent costs, its proofs but the window's run per node
//! (`children/`, `Scope::Walk`). With no task created during the walk
//! (`Quiet`, `released.rs`), no pid is reused and every node was alive
//! when the root's list was read, so *a listed process was below the root
//! then*: it was in the list of a node `W` alive at that read, and `W` was
//! itself below the root. *A process below the root throughout is listed*
//! unless a node exits meanwhile and its children go to a node whose list
//! was already read (a subreaper root, or a subreaper below it): so the
//! lists of the root and of every node that had children are read a second
//! time, after all the others, and a pid they show that the walk did not
//! list declines it. A node without children when read had no
//! descendants, so none can be handed to it. The nodes with children are
//! noted from the back of the buffer. A walk during which a task was
//! created is thrown away; after [`WALKS`] the query scans.
//!
//! # The scan
//!
//! It needs four slots per process (a `(pid, parent)` pair and a copy of
//! it). When the buffer is smaller than four times the process count
//! (`/proc`'s link count, a generous estimate), the query reports the
//! buffer full with that need instead of scanning into it, so the engine
//! grows the buffer once. Tasks may be created during the scan; instead,
//! after linking, every process that is the recorded parent of a listed
//! one (the root aside) is read again: it must have been born before the
//! scan began (its start time, in clock ticks, before the tick at which
//! the scan began) and still have the parent recorded. Then it is the
//! process recorded and its link held from its record to now, so all
//! those links held together just after the scan, and each listed process
//! was, when its own record was read, the child of a process then below
//! the root. A `stat` that shows a task already released (ppid 0) is
//! read again (`reread.rs`): the old leader of an exec from a thread reads
//! so for a moment, and a process that was below the root throughout would
//! otherwise be linked to nobody. A recorded parent without a record of its own means a
//! process was reaped before it was read, and its children may have been
//! missed, unless the mount hides it: when the task counters
//! (`released.rs`) show a release, the scan is made again. After
//! [`ATTEMPTS`] scans that could not be checked the query fails with
//! [`ErrorKind::Raced`](crate::ErrorKind::Raced) rather than answer what
//! it cannot prove.

use std::os::fd::AsFd;

use super::children::{Checks, Scope};
use super::released::{lock_tasklist, Quiet, Window};
use super::syscalls::{clock_ns, clock_ticks, openat, pread};
use super::{read_pid_stat, stat_uid, ProcFs};
use crate::list::links;
use crate::parse;
use crate::sys::{ListPids, Listed};
use crate::{Error, ErrorKind, Pid, PidQuery};

/// Bytes of `<pid>/stat` read; the parent is the fourth field, well within.
const STAT_BUF: usize = 1024;
/// Slots per process the scan needs: a `(pid, parent)` pair, and a copy
/// of it kept for the checks after the linking.
const SCAN_SLOTS: usize = 4;
/// Slots the scan asks for beyond those: headroom for processes born
/// before the next attempt.
const SCAN_HEADROOM: usize = 64;
/// Walks tried before the scan: a walk during which a task was created
/// anywhere is thrown away, and the scan, which needs no such calm, is
/// then cheaper than more walks.
const WALKS: u32 = 2;
/// Scans tried before the query gives up (a node born less than a clock
/// tick before a scan fails its check; a few scans later it passes).
pub(super) const ATTEMPTS: u32 = 8;

/// What one scan came to.
enum Scanned {
    /// An answer, proven.
    Listed(Listed),
    /// A task was created meanwhile, or a parent vanished: scan again.
    Churned,
}

impl ProcFs {
    /// Every process below `root`, ascending.
    pub(super) fn list_descendants(&self, root: Pid, out: &mut [Pid]) -> Result<Listed, Error> {
        for _ in 0..WALKS {
            if let Some(n) = self.walk_children(root, out) {
                return Ok(Listed::Complete(n));
            }
            if root == Pid::ZERO {
                break;
            }
        }
        let need = self
            .estimate(&PidQuery::descendants(root))?
            .saturating_mul(SCAN_SLOTS)
            .saturating_add(SCAN_HEADROOM);
        if out.len() < need {
            return Ok(Listed::Full { needed: Some(need) });
        }
        for _ in 0..ATTEMPTS {
            if let Scanned::Listed(listed) = self.link_scan(root, out)? {
                return Ok(listed);
            }
        }
        Err(
            Error::new(ErrorKind::Raced { attempts: ATTEMPTS }, "descendants")
                .with_path(&self.path),
        )
    }

    /// The breadth-first walk over `children` files, sorted and proven;
    /// `None` when a node's list cannot be proven complete or does not
    /// fit, or a task was created meanwhile.
    fn walk_children(&self, root: Pid, out: &mut [Pid]) -> Option<usize> {
        self.walk_children_with(root, out, &mut |_| {})
    }

    /// [`walk_children`](Self::walk_children), calling `before` with each
    /// node before its list is read: for the tests that change the tree at
    /// that point.
    fn walk_children_with(
        &self,
        root: Pid,
        out: &mut [Pid],
        before: &mut dyn FnMut(Pid),
    ) -> Option<usize> {
        let proc_root = self.root.as_fd();
        let window = Quiet::open(proc_root, false, || self.lock_near(root))?;
        let mut tail = complete(self.node_children(root, out)?)?;
        // Nodes with children, noted from the back of `out`.
        let mut noted = 0usize;
        let mut head = 0;
        while head < tail {
            let node = *out.get(head)?;
            head += 1;
            let end = out.len().checked_sub(noted)?;
            before(node);
            let found = self.children_of_node(node, out.get_mut(tail..end)?)?;
            if found > 0 {
                // The note must not land on what was just written.
                if tail + found >= end {
                    return None;
                }
                noted += 1;
                *out.get_mut(end - 1)? = node;
            }
            tail += found;
        }
        let n = sort_dedup(out, tail);
        // The second reading: the root and every node that had children.
        let (listed, rest) = out.split_at_mut(n);
        let split = rest.len().checked_sub(noted)?;
        let (scratch, notes) = rest.split_at_mut(split);
        let again = core::iter::once(root).chain(notes.iter().copied());
        for node in again {
            let found = self.children_of_node(node, scratch)?;
            let all_known = scratch
                .get(..found)?
                .iter()
                .all(|pid| listed.binary_search(pid).is_ok());
            if !all_known {
                return None;
            }
        }
        window
            .close(proc_root, || self.lock_near(root))?
            .quiet
            .then_some(n)
    }

    /// One call that takes `read_lock(&tasklist_lock)`, which is global: a
    /// one-byte read of `pid`'s own `children` file under this proc root
    /// (where the caller may not be visible, as in another namespace's
    /// mount), else of the caller's.
    fn lock_near(&self, pid: Pid) -> bool {
        let mut path = [0u8; parse::PID_PATH_MAX];
        let mut file = [0u8; parse::PID_PATH_MAX];
        let read = parse::pid_path(pid, b"task", &mut path)
            .and_then(|task| openat(self.root.as_fd(), task, libc::O_DIRECTORY).ok())
            .and_then(|task| {
                let name = parse::pid_path(pid, b"children", &mut file)?;
                openat(task.as_fd(), name, 0).ok()
            })
            .is_some_and(|fd| pread(fd.as_fd(), &mut [0u8; 1], 0).is_ok());
        read || lock_tasklist(self.root.as_fd())
    }

    /// The proven `children` list of one node of the walk.
    fn node_children(&self, node: Pid, room: &mut [Pid]) -> Option<Listed> {
        self.list_children_with(node, room, Scope::Walk, Checks::ALL, &mut |_| {})
    }

    /// The children of a process the walk found, into `room`: its proven
    /// `children` list, or none when it has been reaped meanwhile (its
    /// children went to a thread of its own, which the thread checks see,
    /// or to an ancestor, which the second reading sees). A list that a
    /// child reaped mid-read kept from being proven is read once more
    /// before giving up.
    fn children_of_node(&self, node: Pid, room: &mut [Pid]) -> Option<usize> {
        for _ in 0..2 {
            if let Some(listed) = self.node_children(node, room) {
                return complete(listed);
            }
            if !self.exists(node) {
                return Some(0);
            }
        }
        None
    }

    /// Whether `/proc/<pid>` can be looked up (a zombie can).
    fn exists(&self, pid: Pid) -> bool {
        let mut path = [0u8; parse::PID_PATH_MAX];
        parse::pid_path(pid, b"", &mut path)
            .is_some_and(|name| matches!(stat_uid(self.root.as_fd(), name), Ok(Some(_))))
    }

    /// One scan of every process's `stat`, writing `(pid, parent)` pairs
    /// to `out`, then the subtree linked in place and its links checked
    /// (see "The scan" in the module docs).
    fn link_scan(&self, root: Pid, out: &mut [Pid]) -> Result<Scanned, Error> {
        let proc_root = self.root.as_fd();
        // Processes born before this tick were born before the scan.
        let Some(born_before) = boot_ticks() else {
            return Ok(Scanned::Churned);
        };
        let window = Window::open(proc_root);
        let lease = self.lease()?;
        let dir = lease.fd();
        let mut stat = [0u8; STAT_BUF];
        let mut pairs = 0usize;
        self.each_process(dir, |pid, _| {
            // A record of a released task (ppid 0) is read again: the old
            // leader of an exec from a thread reads so for a moment, and
            // would be nobody's child (`reread.rs`).
            let Some(text) = read_pid_stat(dir, pid, &mut stat)
                .map_err(|e| self.per_pid("read stat", pid, e))?
            else {
                return Ok(()); // gone or hidden
            };
            let fields = parse::stat(text).ok_or_else(|| self.malformed(pid, "stat"))?;
            // A parent the kernel cannot name (never negative in practice)
            // ends the chain: the pid is its own parent.
            let parent = Pid::from_raw(fields.ppid).unwrap_or(pid);
            if let Some([slot_pid, slot_parent]) = out
                .get_mut(2 * pairs..2 * pairs + 2)
                .and_then(|s| <&mut [Pid; 2]>::try_from(s).ok())
            {
                *slot_pid = pid;
                *slot_parent = parent;
            }
            pairs += 1;
            Ok(())
        })?;
        drop(lease);
        let table_len = pairs.saturating_mul(2);
        let need = table_len.saturating_mul(2);
        let Some((table, copy)) = out.get_mut(..need).map(|room| room.split_at_mut(table_len))
        else {
            return Ok(Scanned::Listed(Listed::Full {
                needed: Some(need.saturating_add(SCAN_HEADROOM)),
            }));
        };
        // A recorded parent without a record of its own was reaped before
        // it was read, unless the mount hides it: only a release says so.
        let dangling = links::has_dangling_parent(table);
        let released = window
            .is_none_or(|window| !window.none_released(proc_root, || lock_tasklist(proc_root)));
        if dangling && released {
            return Ok(Scanned::Churned);
        }
        copy.copy_from_slice(table);
        let n = links::descendants_in_place(table, root);
        // Every node with a child listed: born before the scan, and the
        // same parent as recorded.
        // Below pid 0 is every process, whatever its parent: nothing to check.
        let listed = if root == Pid::ZERO { 0 } else { n };
        for &pid in table.get(..listed).unwrap_or_default() {
            let Some(node) = links::recorded_parent(copy, pid).filter(|&node| node != root) else {
                continue;
            };
            // `None`: checked already.
            if let Some(parent) = links::take_recorded_parent(copy, node) {
                if !self.same_since(node, parent, born_before, &mut stat) {
                    return Ok(Scanned::Churned);
                }
            }
        }
        Ok(Scanned::Listed(Listed::Complete(n)))
    }

    /// Whether `node`, read now, was born before the tick `born_before` and
    /// has `parent` as its parent: then it is the process recorded, and its
    /// parent has not changed since (a parent changes only when it exits).
    fn same_since(&self, node: Pid, parent: Pid, born_before: u64, buf: &mut [u8]) -> bool {
        match read_pid_stat(self.root.as_fd(), node, buf) {
            Ok(Some(text)) => parse::stat_record(text).is_some_and(|st| {
                st.starttime < born_before && Pid::from_raw(st.ppid) == Some(parent)
            }),
            _ => false,
        }
    }
}

/// `CLOCK_BOOTTIME` in the clock ticks of `stat`'s `starttime` (which
/// counts from the same clock, through the same time namespace), rounded
/// down; `None` if it cannot be read.
fn boot_ticks() -> Option<u64> {
    let hz = u128::from(clock_ticks()?);
    let ns = clock_ns(libc::CLOCK_BOOTTIME).ok()?;
    u64::try_from(ns.checked_mul(hz)? / 1_000_000_000).ok()
}

/// The count of a complete list; `None` for one that did not fit.
fn complete(listed: Listed) -> Option<usize> {
    match listed {
        Listed::Complete(n) => Some(n),
        Listed::Full { .. } => None,
    }
}

/// Sorts `out[..n]` and drops duplicates in place; the count kept.
fn sort_dedup(out: &mut [Pid], n: usize) -> usize {
    out.get_mut(..n).map_or(0, links::sort_dedup)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    use std::io::{BufRead, BufReader};
    use std::path::Path;
    use std::process::{Command, Stdio};

    /// A three-level tree: `sh` (reading its stdin) → `width` shells that
    /// become `sleep`s, each with `width` `sleep` children and one zombie
    /// (an exited child the `sleep` never reaps). The whole process group
    /// is killed on drop.
    struct Tree {
        sh: std::process::Child,
    }

    impl Tree {
        fn spawn(width: usize) -> Tree {
            use std::os::unix::process::CommandExt;
            let middle =
                format!("for j in $(seq {width}); do sleep 60 & done; (exit 0) & exec sleep 60");
            let script =
                format!("for i in $(seq {width}); do sh -c '{middle}' & done; echo ready; read _");
            let mut sh = Command::new("sh")
                .args(["-c", &script])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .process_group(0)
                .spawn()
                .unwrap();
            let mut line = String::new();
            BufReader::new(sh.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            assert_eq!(line.trim(), "ready");
            Tree { sh }
        }

        fn root(&self) -> Pid {
            Pid::from(&self.sh)
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{}", self.sh.id())])
                .status();
            let _ = self.sh.wait();
        }
    }

    /// The subtree below `root` by a naive closure over every process's
    /// `stat` parent, read with `std`.
    fn naive(root: Pid) -> BTreeSet<Pid> {
        let mut parent = BTreeMap::new();
        for entry in std::fs::read_dir("/proc").unwrap() {
            let name = entry.unwrap().file_name();
            let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let ppid: i32 = stat
                .rsplit_once(')')
                .unwrap()
                .1
                .split_whitespace()
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            parent.insert(pid, ppid);
        }
        let mut below = BTreeSet::new();
        let mut grew = true;
        while grew {
            grew = false;
            for (&pid, &ppid) in &parent {
                if (ppid == root.as_raw()
                    || below.contains(&Pid::from_raw(ppid).unwrap_or(Pid::ZERO)))
                    && below.insert(Pid::from_raw(pid).unwrap())
                {
                    grew = true;
                }
            }
        }
        below.remove(&root);
        below
    }

    /// The walk, tried until no task is created meanwhile elsewhere on
    /// this machine (up to 200 times).
    fn walk(fs: &ProcFs, root: Pid, out: &mut [Pid]) -> Option<usize> {
        (0..200).find_map(|_| fs.walk_children(root, out))
    }

    /// The scan, likewise.
    fn scan(fs: &ProcFs, root: Pid, out: &mut [Pid]) -> Listed {
        for _ in 0..200 {
            if let Scanned::Listed(listed) = fs.link_scan(root, out).unwrap() {
                return listed;
            }
        }
        panic!("no scan without a task created meanwhile");
    }

    #[test]
    fn the_walk_and_the_scan_agree_with_a_naive_closure() {
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        let tree = Tree::spawn(4);
        let root = tree.root();
        let want = 4 + 4 * 5; // 4 middles, each with 4 sleeps and a zombie
        let mut out = vec![Pid::ZERO; 1 << 16];
        // The tree is complete once every middle has exec'd with its
        // children forked.
        let mut settled = false;
        for _ in 0..2000 {
            if naive(root).len() == want && walk(&fs, root, &mut out).is_some_and(|n| n == want) {
                settled = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(settled, "the tree did not reach {want} descendants");
        let oracle = naive(root);
        let n = walk(&fs, root, &mut out).expect("single-threaded nodes");
        assert!(out[..n].windows(2).all(|w| w[0] < w[1]));
        let walked: BTreeSet<Pid> = out[..n].iter().copied().collect();
        assert_eq!(walked, oracle);
        let Listed::Complete(n) = scan(&fs, root, &mut out) else {
            panic!("room for every process");
        };
        assert_eq!(out[..n].iter().copied().collect::<BTreeSet<_>>(), oracle);
        assert!(out[..n].windows(2).all(|w| w[0] < w[1]));
        // Through the backend entry point: the walk.
        let Listed::Complete(n) = fs.list_descendants(root, &mut out).unwrap() else {
            panic!("room for every process");
        };
        assert_eq!(out[..n].iter().copied().collect::<BTreeSet<_>>(), oracle);
    }

    /// A root that dies mid-walk: its child, read after, is then a child of
    /// init, and a child it forks then was never below the root. The
    /// creation breaks the walk's window; the answer never lists it.
    #[test]
    fn a_root_dying_mid_walk_brings_in_nothing_born_after() {
        use std::io::Write;
        use std::os::unix::process::CommandExt;
        let script = r#"
import os, sys, time
if os.fork() == 0:
    y1 = os.posix_spawn("/bin/sleep", ["sleep", "60"], os.environ)
    print(os.getpid(), y1, flush=True)
    sys.stdin.readline()
    print(os.posix_spawn("/bin/sleep", ["sleep", "60"], os.environ), flush=True)
    time.sleep(60)
time.sleep(60)
"#;
        let Ok(mut root) = Command::new("python3")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
        else {
            eprintln!("skipped: no python3");
            return;
        };
        let group = root.id();
        let pid = Pid::from(&root);
        let mut input = root.stdin.take().unwrap();
        let mut output = BufReader::new(root.stdout.take().unwrap());
        let mut line = String::new();
        output.read_line(&mut line).unwrap();
        let ids: Vec<Pid> = line
            .split_whitespace()
            .map(|w| Pid::from_raw(w.parse().unwrap()).unwrap())
            .collect();
        let (middle, first) = (ids[0], ids[1]);
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        let mut out = vec![Pid::ZERO; 1 << 12];
        let mut late = None;
        let mut died = false;
        let walked = fs.walk_children_with(pid, &mut out, &mut |node| {
            if node == middle && !died {
                died = true;
                let _ = root.kill();
                let _ = root.wait();
                writeln!(input, "go").unwrap();
                let mut line = String::new();
                output.read_line(&mut line).unwrap();
                late = Pid::from_raw(line.trim().parse().unwrap());
            }
        });
        let late = late.expect("the middle process forked after the root died");
        assert_eq!(walked, None, "a task created meanwhile breaks the window");
        // Through the entry point: the root is gone, nothing is below it.
        let mut room = vec![Pid::ZERO; 1 << 16];
        let listed = match fs.list_descendants(pid, &mut room).unwrap() {
            Listed::Complete(n) => room[..n].to_vec(),
            Listed::Full { .. } => panic!("room for every process"),
        };
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{group}")])
            .status();
        assert!(!listed.contains(&late), "{late} was never below {pid}");
        assert!(!listed.contains(&first) && !listed.contains(&middle));
    }

    /// The walk through the mount of a pid namespace the caller is not in
    /// (so `thread-self` does not resolve there).
    #[test]
    fn a_walk_through_another_namespaces_mount() {
        use std::os::unix::process::CommandExt;
        let root_user = std::fs::metadata("/proc/self").is_ok_and(|m| {
            use std::os::unix::fs::MetadataExt;
            m.uid() == 0
        });
        let have_unshare = Command::new("unshare")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !root_user || !have_unshare {
            eprintln!("skipped: needs root and unshare");
            return;
        }
        let mut unshare = Command::new("unshare")
            .args(["--pid", "--fork", "--mount-proc", "sh", "-c"])
            .arg("sleep 60 & sleep 60 & exec sleep 60")
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let init = (0..2000).find_map(|_| {
            let pid = unshare.id();
            let kids = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"));
            let init = kids.ok()?.split_whitespace().next()?.parse::<u32>().ok();
            // The namespace's own proc is mounted, and its init has exec'd.
            let comm = init.and_then(|i| std::fs::read(format!("/proc/{i}/root/proc/1/comm")).ok());
            let init = init.filter(|_| comm.as_deref() == Some(b"sleep\n"));
            if init.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            init
        });
        let fs = init
            .and_then(|init| ProcFs::open_root(Path::new(&format!("/proc/{init}/root/proc"))).ok());
        let mut out = vec![Pid::ZERO; 1 << 12];
        let mut n = None;
        for _ in 0..400 {
            n = fs
                .as_ref()
                .and_then(|fs| walk(fs, Pid::from_raw(1).unwrap(), &mut out));
            if n == Some(2) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", unshare.id())])
            .status();
        let _ = unshare.wait();
        assert_eq!(n, Some(2), "the walk through the namespace's mount");
    }

    #[test]
    fn a_node_gone_meanwhile_has_no_children() {
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        let gone = Pid::from_raw(i32::MAX).unwrap();
        let mut room = [Pid::ZERO; 4];
        assert_eq!(fs.children_of_node(gone, &mut room), Some(0));
        assert!(!fs.exists(gone));
        assert!(fs.exists(Pid::this()));
    }

    #[test]
    fn a_walk_that_does_not_fit_asks_for_room_for_the_scan() {
        let fs = ProcFs::open_root(Path::new("/proc")).unwrap();
        let tree = Tree::spawn(3);
        let root = tree.root();
        let mut tiny = [Pid::ZERO; 2];
        let mut n = 0;
        for _ in 0..2000 {
            n = naive(root).len();
            if n == 3 + 3 * 4 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(n, 15);
        match fs.list_descendants(root, &mut tiny).unwrap() {
            Listed::Full { needed: Some(need) } => {
                assert!(need > 2 * 15);
                let mut room = vec![Pid::ZERO; need];
                let Listed::Complete(k) = fs.list_descendants(root, &mut room).unwrap() else {
                    panic!("the room it asked for must do");
                };
                assert_eq!(k, 15);
            }
            other => panic!("{other:?}"),
        }
        // A scan into a buffer too small for the table counts every process.
        let mut small = vec![Pid::ZERO; 8];
        match scan(&fs, root, &mut small) {
            Listed::Full { needed: Some(need) } => assert!(need > 30),
            other => panic!("{other:?}"),
        }
    }
}

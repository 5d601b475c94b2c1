//! The live Linux backend: scenarios realized by spawning processes with
//! the fixtures of `tests/support`, answers from `/proc` through the crate,
//! and `ps` (procps) as the oracle.

use std::collections::{BTreeSet, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use pidquery::{Dev, Error, Filter, Pid, PidBuf, PidQuery};

use crate::conformance::{Backend, Context, Piece, Promises, Scenario, Staged, Terminal};
use crate::support::{self, Proc, FORGED_NAME};

/// The live system, with the processes staged so far.
#[derive(Debug, Default)]
pub struct Live {
    /// What keeps each staged piece alive: dropping one kills and reaps
    /// it, with its group or descendants.
    held: Vec<Proc>,
    /// `ps`'s terminal names and their devices.
    ttys: HashMap<String, Option<Dev>>,
}

impl Live {
    pub fn new() -> Live {
        Live::default()
    }

    /// The device of the terminal `ps` calls `name` (`pts/3`); `None` for
    /// `?` or a name with no node under `/dev`.
    fn tty_dev(&mut self, name: &str) -> Option<Dev> {
        if name == "?" {
            return None;
        }
        *self.ttys.entry(name.to_string()).or_insert_with(|| {
            let meta = std::fs::metadata(Path::new("/dev").join(name)).ok()?;
            Some(Dev::from_raw(meta.rdev()))
        })
    }

    fn pty(&mut self, high: bool) -> Result<(Vec<Pid>, Terminal), String> {
        let session = if high {
            support::high_pty_session().ok_or("`python3` is not installed")?
        } else {
            support::pty_session().ok_or("`script` is not installed")?
        };
        let holder = session.script.pid();
        // The session leader is the holder's child; the rest are its own.
        let leader = match support::children(holder).as_slice() {
            [leader] => *leader,
            other => panic!("pty holder {holder} has children {other:?}"),
        };
        let mut pids = vec![holder, leader];
        pids.extend(session.members.iter().filter(|&&p| p != leader));
        let dev = Dev::from_raw(
            std::fs::metadata(&session.tty)
                .expect("stat the pty")
                .rdev(),
        );
        let terminal = Terminal {
            dev,
            path: Some(session.tty.clone()),
        };
        self.held.push(session.script);
        Ok((pids, terminal))
    }
}

/// This process: its pid, and its group and terminal from
/// `/proc/self/stat`, its uids from `/proc/self/status`.
fn this_process() -> Context {
    let stat = std::fs::read("/proc/self/stat").expect("read /proc/self/stat");
    let close = stat.iter().rposition(|&b| b == b')').expect("a ')'");
    let fields: Vec<i64> = String::from_utf8_lossy(&stat[close + 2..])
        .split_whitespace()
        .skip(1) // state
        .take(4) // ppid, pgrp, session, tty_nr
        .map(|f| f.parse().expect("a number"))
        .collect();
    let [r, e, _, _] = support::status_uids(Pid::this()).expect("our own uids");
    let pgid = support::pid(i32::try_from(fields[1]).expect("a pid"));
    let tty_nr = u64::try_from(fields[3]).expect("tty_nr is not negative");
    Context {
        pid: Pid::this(),
        pgid,
        tty: (tty_nr != 0).then(|| Dev::from_raw(tty_nr)),
        uid: e,
        ruid: r,
    }
}

impl Backend for Live {
    fn name(&self) -> &'static str {
        "linux"
    }

    fn promises(&self) -> Promises {
        Promises {
            ascending: true,
            exact_fit: true,
            churn: true,
        }
    }

    fn stage(&mut self, scenario: &Scenario) -> Result<Staged, String> {
        for piece in &scenario.pieces {
            if let Piece::Uids { .. } = piece {
                if !support::is_root() {
                    return Err("needs root to change uids".into());
                }
                if !support::have("setpriv") {
                    return Err("`setpriv` is not installed".into());
                }
            }
        }
        let mut pids = Vec::new();
        let mut terminals = Vec::new();
        for &piece in &scenario.pieces {
            match piece {
                Piece::Sleeper => {
                    let p = support::sleeper();
                    pids.push(p.pid());
                    self.held.push(p);
                }
                Piece::Family {
                    children,
                    own_group,
                } => {
                    let f = support::family(children, own_group);
                    pids.push(f.leader.pid());
                    pids.extend(&f.children);
                    self.held.push(f.leader);
                }
                Piece::Pty { high } => {
                    let (members, terminal) = self.pty(high)?;
                    pids.extend(members);
                    terminals.push(terminal);
                }
                Piece::Zombie { own_group } => {
                    let z = support::zombie(own_group);
                    pids.push(z.pid());
                    self.held.push(z);
                }
                Piece::ForgedName => {
                    let f = support::forged_name();
                    let p = f.pid();
                    // The name is in stat unescaped: a parser that reads
                    // fields after the first ')' would believe it.
                    let stat = std::fs::read(format!("/proc/{p}/stat")).unwrap();
                    assert!(
                        stat.windows(FORGED_NAME.len()).any(|w| w == FORGED_NAME),
                        "the forged name is not in {p}'s stat"
                    );
                    pids.push(p);
                    self.held.push(f);
                }
                Piece::Uids { ruid, euid } => {
                    let u = support::with_uids(ruid, euid);
                    let p = u.pid();
                    // Non-dumpable after the uid change: the directory
                    // belongs to the effective uid, the files in it to
                    // root, so stat's owner is no uid of the process.
                    let owner = |f: &str| std::fs::metadata(format!("/proc/{p}{f}")).unwrap().uid();
                    assert_eq!((owner(""), owner("/stat")), (euid, 0), "{p}");
                    pids.push(p);
                    self.held.push(u);
                }
            }
        }
        let staged = Staged::resolve(scenario, this_process(), &pids, terminals);
        // ps must agree with the scenario before any answer is judged.
        let table = support::ps();
        for m in &staged.members {
            let row = table
                .get(&m.pid)
                .unwrap_or_else(|| panic!("ps does not list {} ({})", m.role, m.pid));
            let tty = self.tty_dev(&row.tty);
            assert_eq!(
                (row.ppid, row.pgid, tty, row.uid, row.ruid),
                (m.ppid, m.pgid, m.tty, m.uid, m.ruid),
                "ps disagrees with the scenario on {}: {row:?}",
                m.role
            );
            assert_eq!(
                row.stat.starts_with('Z'),
                m.spec.zombie,
                "{}: {row:?}",
                m.role
            );
            if m.spec.forged_name {
                assert_eq!(support::comm(m.pid).as_deref(), Some(FORGED_NAME));
            }
        }
        Ok(staged)
    }

    fn reap(&mut self, pid: Pid) {
        let at = self
            .held
            .iter()
            .position(|p| p.pid() == pid)
            .unwrap_or_else(|| panic!("{pid} is not a staged child of the test"));
        self.held.remove(at).kill_and_reap();
    }

    fn fill(&mut self, q: &PidQuery, buf: &mut PidBuf) -> Result<Vec<Pid>, Error> {
        q.fill(buf).map(<[Pid]>::to_vec)
    }

    fn fill_slice(&mut self, q: &PidQuery, out: &mut [Pid]) -> Result<usize, Error> {
        q.fill_slice(out)
    }

    fn oracle(&mut self, q: &PidQuery) -> BTreeSet<Pid> {
        let table = support::ps();
        let mut matched = BTreeSet::new();
        for row in table.values() {
            let yes = match q.filter() {
                Filter::All => true,
                Filter::Pgrp(g) => row.pgid == g,
                Filter::Tty(d) => self.tty_dev(&row.tty) == Some(d),
                Filter::Uid(u) => row.uid == u,
                Filter::Ruid(u) => row.ruid == u,
                Filter::Ppid(p) => row.ppid == p,
                other => panic!("no ps oracle for {other:?}"),
            };
            if yes {
                matched.insert(row.pid);
            }
        }
        matched
    }
}

//! The FreeBSD model backend: scenarios written into a
//! [`pidquery::model::freebsd::Model`]'s table (sessions and their
//! terminals included), answers through the crate's FreeBSD engine over
//! the model's `sysctl`, and a naive filter over the table as oracle.

use std::collections::BTreeSet;

use pidquery::model::freebsd::{Model, Proc, State};
use pidquery::{Dev, Error, Filter, Pid, PidBuf, PidQuery};

use crate::conformance::{Backend, Context, Piece, Promises, Scenario, Staged, Terminal};

/// The effective and real uid of the model's test process: an ordinary
/// FreeBSD user.
const TEST_UID: u32 = 1001;

/// A booted model (`kernel`, `init`) with a process standing for the test:
/// a child of `init` leading its own session and group, without a
/// terminal, making the calls.
#[derive(Debug)]
pub struct FreeBsd {
    model: Model,
    test: Pid,
}

impl FreeBsd {
    pub fn new() -> FreeBsd {
        let mut model = Model::new();
        let test = model.spawn(Pid::from_raw(1).unwrap()).unwrap();
        assert!(model.setsid(test));
        model.update(test, |p| (p.uid, p.ruid) = (TEST_UID, TEST_UID));
        assert!(model.set_caller(test));
        FreeBsd { model, test }
    }
}

/// The naive filter: a process of the table (never `New`) and what `q`
/// asks of it, with the terminal looked up through its session.
fn answers(model: &Model, p: &Proc, q: &PidQuery) -> bool {
    match q.filter() {
        Filter::All => true,
        Filter::Pgrp(g) => p.pgid == g,
        Filter::Uid(u) => p.uid == u,
        Filter::Ruid(u) => p.ruid == u,
        Filter::Ppid(pp) => {
            p.ppid == pp && p.pid != Pid::ZERO || p.pid == Pid::ZERO && pp == Pid::ZERO
        }
        // The session must still hold the terminal (KI_CTTY).
        Filter::Tty(d) => {
            let tty = model.terminal(p.sid).filter(|t| t.held);
            p.controlling_terminal && tty.and_then(|t| t.dev) == Some(d.raw())
        }
        other => panic!("the oracle does not know {other:?}"),
    }
}

impl Backend for FreeBsd {
    fn name(&self) -> &'static str {
        "freebsd model"
    }

    fn promises(&self) -> Promises {
        Promises {
            ascending: true,
            // Unlike xnu, a buffer that comes back exactly full is complete.
            exact_fit: true,
            churn: false,
        }
    }

    fn stage(&mut self, scenario: &Scenario) -> Result<Staged, String> {
        // Forked in spec order, so a parent exists before its children;
        // then groups, sessions, terminals and uids are set to what the
        // scenario says.
        let specs = scenario.specs();
        let mut pids: Vec<Pid> = Vec::new();
        for spec in &specs {
            let parent = spec.parent.map_or(self.test, |i| pids[i]);
            pids.push(self.model.spawn(parent).ok_or("no free pid")?);
        }
        // Terminals: devfs inode numbers. The first beyond a non-negative
        // int (answered from the whole table), the high ones small enough
        // for the kernel filter; the minors the suite checks are the
        // host's `Dev` encoding.
        let mut terminals = Vec::new();
        for piece in &scenario.pieces {
            if let Piece::Pty { high } = piece {
                let n = u32::try_from(terminals.len()).unwrap();
                let dev = if *high {
                    Dev::new(0, 300 + n)
                } else {
                    Dev::from_raw(0x9000_0000 + u64::from(n))
                };
                terminals.push(Terminal { dev, path: None });
            }
        }
        let t = self.model.get(self.test).unwrap();
        let test = Context {
            pid: self.test,
            pgid: t.pgid,
            tty: None,
            uid: t.uid,
            ruid: t.ruid,
        };
        let staged = Staged::resolve(scenario, test, &pids, terminals);
        // The session leaders of the terminals first, then everyone else
        // joins the session of its terminal (or stays in the test's).
        for (k, term) in staged.terminals.iter().enumerate() {
            let leader = staged
                .members
                .iter()
                .find(|m| m.spec.terminal == Some(k))
                .ok_or("a terminal without a leader")?;
            assert!(self.model.setsid(leader.pid), "setsid {}", leader.role);
            assert!(self
                .model
                .acquire_terminal(leader.pid, Some(term.dev.raw())));
        }
        for m in &staged.members {
            let sid = match m.tty {
                Some(d) => {
                    let k = staged.terminals.iter().position(|t| t.dev == d).unwrap();
                    staged
                        .members
                        .iter()
                        .find(|l| l.spec.terminal == Some(k))
                        .unwrap()
                        .pid
                }
                None => self.test,
            };
            self.model.update(m.pid, |p| {
                (p.ppid, p.pgid, p.sid) = (m.ppid, m.pgid, sid);
                (p.uid, p.ruid) = (m.uid, m.ruid);
                p.controlling_terminal = m.tty.is_some();
            });
        }
        for m in staged.members.iter().filter(|m| m.spec.zombie) {
            assert!(self.model.exit(m.pid));
        }
        Ok(staged)
    }

    fn reap(&mut self, pid: Pid) {
        assert_eq!(self.model.get(pid).map(|p| p.ppid), Some(self.test));
        self.model.exit(pid);
        assert!(self.model.reap(pid), "{pid} was not a zombie");
    }

    fn fill(&mut self, q: &PidQuery, buf: &mut PidBuf) -> Result<Vec<Pid>, Error> {
        self.model.fill(q, buf).map(<[Pid]>::to_vec)
    }

    fn fill_slice(&mut self, q: &PidQuery, out: &mut [Pid]) -> Result<usize, Error> {
        self.model.fill_slice(q, out)
    }

    fn oracle(&mut self, q: &PidQuery) -> BTreeSet<Pid> {
        let model = &self.model;
        model
            .procs()
            .filter(|p| p.state != State::New && answers(model, p, q))
            .map(|p| p.pid)
            .collect()
    }
}

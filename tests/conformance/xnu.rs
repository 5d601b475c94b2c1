//! The xnu model backend: scenarios written into a [`Model`]'s table,
//! answers through the crate's macOS engine over the model's
//! `proc_listpids`, and the naive oracle of `tests/support/model_check.rs`
//! over the table as it stands.

use std::collections::BTreeSet;

use pidquery::model::{Model, Observation};
use pidquery::{Dev, Error, Pid, PidBuf, PidQuery};

use crate::conformance::{Backend, Context, Piece, Promises, Scenario, Staged, Terminal};
use crate::support::model_check::oracle;

/// The effective and real uid of the model's test process: an ordinary
/// macOS user.
const TEST_UID: u32 = 501;

/// A booted model (`kernel_task`, `launchd`) with a process standing for
/// the test: a child of `launchd` leading its own group, without a
/// terminal.
#[derive(Debug)]
pub struct Xnu {
    model: Model,
    test: Pid,
}

impl Xnu {
    pub fn new() -> Xnu {
        let mut model = Model::new();
        let test = model.spawn(Pid::from_raw(1).unwrap());
        let p = model.get_mut(test).unwrap();
        (p.pgid, p.uid, p.ruid) = (test, TEST_UID, TEST_UID);
        Xnu { model, test }
    }
}

impl Backend for Xnu {
    fn name(&self) -> &'static str {
        "xnu model"
    }

    fn promises(&self) -> Promises {
        Promises {
            ascending: false,
            exact_fit: false,
            churn: false,
        }
    }

    fn stage(&mut self, scenario: &Scenario) -> Result<Staged, String> {
        // Forked in spec order, so a parent exists before its children;
        // then every attribute is set to what the scenario says.
        let specs = scenario.specs();
        let mut pids: Vec<Pid> = Vec::new();
        for spec in &specs {
            let parent = spec.parent.map_or(self.test, |i| pids[i]);
            pids.push(self.model.spawn(parent));
        }
        let mut terminals = Vec::new();
        for piece in &scenario.pieces {
            if let Piece::Pty { high } = piece {
                let minor = if *high { 300 } else { 3 };
                let n = u32::try_from(terminals.len()).unwrap();
                terminals.push(Terminal {
                    dev: Dev::new(16, minor + n),
                    path: None,
                });
            }
        }
        let t = self.model.get(self.test).unwrap();
        let test = Context {
            pid: self.test,
            pgid: t.pgid,
            tty: t.tty.filter(|_| t.controlling_terminal),
            uid: t.uid,
            ruid: t.ruid,
        };
        let staged = Staged::resolve(scenario, test, &pids, terminals);
        for m in &staged.members {
            let p = self.model.get_mut(m.pid).unwrap();
            (p.ppid, p.pgid, p.uid, p.ruid) = (m.ppid, m.pgid, m.uid, m.ruid);
            p.tty = m.tty;
            p.controlling_terminal = m.tty.is_some();
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
        let table = Observation {
            kind: 0,
            typeinfo: 0,
            buffer_pids: None,
            nprocs: self.model.nprocs(),
            result: Ok(0),
            live: self.model.live().cloned().collect(),
            zombies: self.model.zombies().cloned().collect(),
            left_out: 0,
        };
        oracle(Some(q.filter()), &table).into_iter().collect()
    }
}

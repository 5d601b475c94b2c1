//! Combined queries (a name and a user, a name and a command line, a
//! command line, a parent and a name) answered the way users of the peers
//! write them: procfs by hand over `all_processes()`, sysinfo's
//! `processes_by_name` over a refreshed `System`, and psutil's
//! `process_iter` in a Python process kept running beside the bench (see
//! `psutil_query.py`). Every function clears `out` and pushes the matching
//! pids, unsorted.

use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, UpdateKind};

/// A combined question. `name` is the kernel's short name (`comm`),
/// compared exactly; `pattern` a substring of the command line with its
/// arguments joined by spaces.
#[derive(Copy, Clone, Debug)]
pub enum Ask {
    NameUid {
        name: &'static str,
        uid: u32,
    },
    NameCmdline {
        name: &'static str,
        pattern: &'static str,
    },
    Cmdline {
        pattern: &'static str,
    },
    ParentName {
        parent: i32,
        name: &'static str,
    },
}

/// The arguments joined by spaces contain `pattern`.
fn joined_contains<S: AsRef<OsStr>>(args: &[S], pattern: &str) -> bool {
    let joined: Vec<&[u8]> = args.iter().map(|a| a.as_ref().as_encoded_bytes()).collect();
    let joined = joined.join(&b' ');
    joined
        .windows(pattern.len())
        .any(|w| w == pattern.as_bytes())
}

/// procfs: `all_processes()`, `.stat()` for the name (and parent), then
/// `.uid()` (the owner of `/proc/<pid>`) or `.cmdline()` only when the
/// name matched, as `&&` reads. A process that vanishes is skipped.
pub fn procfs(ask: Ask, out: &mut Vec<i32>) -> procfs::ProcResult<()> {
    out.clear();
    for process in procfs::process::all_processes()? {
        let Ok(process) = process else { continue };
        let cmdline_has = |pattern| {
            process
                .cmdline()
                .is_ok_and(|args| joined_contains(&args, pattern))
        };
        let keep = match ask {
            Ask::Cmdline { pattern } => cmdline_has(pattern),
            _ => {
                let Ok(stat) = process.stat() else { continue };
                match ask {
                    Ask::NameUid { name, uid } => {
                        stat.comm == name && process.uid().is_ok_and(|u| u == uid)
                    }
                    Ask::NameCmdline { name, pattern } => stat.comm == name && cmdline_has(pattern),
                    Ask::ParentName { parent, name } => stat.ppid == parent && stat.comm == name,
                    Ask::Cmdline { .. } => unreachable!("matched above"),
                }
            }
        };
        if keep {
            out.push(process.pid);
        }
    }
    Ok(())
}

/// sysinfo: one `System` kept between calls (its intended use), refreshed
/// with what the question needs (the user ids, the command line), then
/// `processes_by_name` (a substring match) narrowed to the exact name.
pub fn sysinfo(system: &mut sysinfo::System, ask: Ask, out: &mut Vec<i32>) {
    let kind = ProcessRefreshKind::nothing().without_tasks();
    let kind = match ask {
        Ask::NameUid { .. } => kind.with_user(UpdateKind::Always),
        Ask::NameCmdline { .. } | Ask::Cmdline { .. } => kind.with_cmd(UpdateKind::Always),
        Ask::ParentName { .. } => kind,
    };
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
    out.clear();
    let pid = |p: &sysinfo::Process| p.pid().as_u32() as i32;
    match ask {
        Ask::NameUid { name, uid } => out.extend(
            system
                .processes_by_name(name.as_ref())
                .filter(|p| p.name() == name && p.effective_user_id().is_some_and(|u| **u == uid))
                .map(pid),
        ),
        Ask::NameCmdline { name, pattern } => out.extend(
            system
                .processes_by_name(name.as_ref())
                .filter(|p| p.name() == name && joined_contains(p.cmd(), pattern))
                .map(pid),
        ),
        Ask::Cmdline { pattern } => out.extend(
            system
                .processes()
                .values()
                .filter(|p| joined_contains(p.cmd(), pattern))
                .map(pid),
        ),
        Ask::ParentName { parent, name } => out.extend(
            system
                .processes_by_name(name.as_ref())
                .filter(|p| {
                    p.name() == name && p.parent().is_some_and(|pp| pp.as_u32() as i32 == parent)
                })
                .map(pid),
        ),
    }
}

/// A Python process running `psutil_query.py`: each question is one line
/// on its standard input, each answer one line of pids back. What a call
/// costs beyond psutil's own work is a pipe round trip (microseconds,
/// against psutil's milliseconds).
pub struct Psutil {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    line: String,
}

impl Psutil {
    /// Starts `python3 psutil_query.py`; the error says why it cannot
    /// (no `python3`, no `psutil`).
    pub fn start() -> Result<Psutil, String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/support/psutil_query.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("no pipes to python3".to_owned());
        };
        let mut p = Psutil {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            line: String::new(),
        };
        match p.stdout.read_line(&mut p.line) {
            Ok(_) if p.line.trim() == "ready" => Ok(p),
            _ => Err(format!(
                "{} did not start (is psutil installed?)",
                script.display()
            )),
        }
    }

    /// `psutil.__version__`, as the script reported it at start.
    pub fn version(&mut self) -> io::Result<String> {
        writeln!(self.stdin, "version")?;
        self.line.clear();
        self.stdout.read_line(&mut self.line)?;
        Ok(self.line.trim().to_owned())
    }

    /// Asks psutil `ask` and reads its answer into `out`.
    pub fn ask(&mut self, ask: Ask, out: &mut Vec<i32>) -> io::Result<()> {
        match ask {
            Ask::NameUid { name, uid } => writeln!(self.stdin, "name_uid\t{name}\t{uid}"),
            Ask::NameCmdline { name, pattern } => {
                writeln!(self.stdin, "name_cmdline\t{name}\t{pattern}")
            }
            Ask::Cmdline { pattern } => writeln!(self.stdin, "cmdline\t{pattern}"),
            Ask::ParentName { parent, name } => {
                writeln!(self.stdin, "parent_name\t{parent}\t{name}")
            }
        }?;
        self.line.clear();
        self.stdout.read_line(&mut self.line)?;
        out.clear();
        out.extend(
            self.line
                .split_whitespace()
                .filter_map(|p| p.parse::<i32>().ok()),
        );
        Ok(())
    }
}

impl Drop for Psutil {
    fn drop(&mut self) {
        // End of input ends the script's loop.
        let _ = self.stdin.flush();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

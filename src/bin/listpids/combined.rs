//! Running combined conditions: the pids, their count, their infos (each
//! process read once after the query, and left out when it is gone or its
//! pid now names a process that disagrees with the conditions), and
//! `--watch` by polling the query and comparing consecutive answers.

use std::process::ExitCode;

use pidquery::{Changes, ErrorKind, PidBuf, PidQuery, System};

use crate::{output, print_changes, print_pids, Args, Failure};

/// Runs `args.conds` on `system` with the output `args` asks for.
pub fn run(system: &System, args: &Args) -> Result<ExitCode, Failure> {
    let ttys = args.conds.ttys()?;
    let cgroups = args.conds.cgroups();
    let query = args.conds.query(ttys.as_deref(), cgroups.as_deref());
    if let Some(every) = args.watch {
        if args.count || args.infos.is_some() {
            let flag = args.infos.as_ref().map_or("--count", |(f, _)| *f);
            return Err(Failure(format!("--watch cannot be combined with {flag}")));
        }
        if args.track_reuse {
            // The library's `Watch` tells reused pids apart only for a
            // `PidQuery` (one classic filter).
            return Err(Failure(format!(
                "--track-reuse works with one classic filter only, not with {}",
                args.conds.given.join(" ")
            )));
        }
        return watch(system, &query, every);
    }
    if args.track_reuse {
        return Err(Failure("--track-reuse needs --watch".into()));
    }
    let mut buf = PidBuf::new();
    let pids = query.fill_in(system, &mut buf)?;
    let Some((_, mode)) = &args.infos else {
        return print_pids(pids, args.count);
    };
    let mut infos = Vec::with_capacity(pids.len());
    for &pid in pids {
        match system.info(pid) {
            Ok(info) if args.conds.still_holds(&info, ttys.as_deref()) => infos.push(info),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::NoSuchProcess | ErrorKind::NotAProcess | ErrorKind::PermissionDenied
                ) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let printed =
        output::print_infos(system, PidQuery::all().filter(), infos, mode).map_err(Failure)?;
    Ok(if printed == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--watch`: runs the query every `every` and prints what changed between
/// two answers, until interrupted or the output is closed.
fn watch(
    system: &System,
    query: &pidquery::Query<'_>,
    every: std::time::Duration,
) -> Result<ExitCode, Failure> {
    let (mut old, mut new) = (PidBuf::new(), PidBuf::new());
    loop {
        query.fill_in(system, &mut new)?;
        if !print_changes(Changes::between(old.as_slice(), new.as_slice()))? {
            return Ok(ExitCode::SUCCESS);
        }
        std::mem::swap(&mut old, &mut new);
        std::thread::sleep(every);
    }
}

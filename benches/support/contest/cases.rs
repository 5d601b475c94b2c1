//! The contestants of each kind of question: for a filter, a subtree, a
//! watch of everything, a watch of a subtree and a find, every way of
//! answering it (pidquery's, the floor's, the peers'), each checked once
//! against the group's expected answer where its count is one.

use pidquery::{Pid, PidBuf, PidQuery, Watch};

use super::super::floor::{self, Floor};
use super::super::peers::{self, SetWatch, Want};
use super::{fill_slice, floor_descendants, floor_query, pid, to_query, Builder, Expect, Group};

pub(super) fn filter_contestants(b: &mut Builder, group: &Group, want: Want, room: usize) {
    let query = to_query(want);
    let mut buf = PidBuf::new();
    b.add("pidquery fill", "pidquery", move || {
        query.fill(&mut buf).expect("pidquery fill").len()
    });
    if matches!(want, Want::All) {
        let mut slots = vec![Pid::ZERO; room];
        b.add("pidquery fill_slice", "pidquery fill_slice", move || {
            fill_slice(&query, &mut slots)
        });
    }
    let mut floor = Floor::open().expect("open /proc");
    let mut out = Vec::with_capacity(room);
    b.add("floor", "floor", move || {
        floor_query(&mut floor, want, &mut out);
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    b.add("libproc", "libproc", move || {
        peers::libproc(want, &mut out).expect("libproc");
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    b.add("procfs", "procfs", move || {
        peers::procfs(want, &mut out).expect("procfs");
        out.len()
    });
    if let Some(kind) = peers::sysinfo_kind(want) {
        let mut out = Vec::with_capacity(room);
        b.add("sysinfo new", "sysinfo new", move || {
            let mut system = sysinfo::System::new();
            peers::sysinfo(&mut system, want, kind, &mut out);
            out.len()
        });
        let mut out = Vec::with_capacity(room);
        let mut system = sysinfo::System::new();
        b.add("sysinfo reused", "sysinfo reused", move || {
            peers::sysinfo(&mut system, want, kind, &mut out);
            out.len()
        });
    }
    // Pid 0 has no `/proc` entry, and no children files.
    if let Want::Ppid(ppid @ 1..) = want {
        let mut out = Vec::with_capacity(room);
        b.add("children files", "children files", move || {
            out.clear();
            floor::children_files(ppid, &mut out).expect("children files");
            out.len()
        });
    }
    let mut out = Vec::with_capacity(room);
    b.add("std fs", "std fs", move || {
        peers::std_fs(want, &mut out).expect("std fs");
        out.len()
    });

    // The check runs each one's own query once more, outside it.
    let (g, e) = (group.name.as_str(), &group.expect);
    let mut answer = Vec::new();
    answer.extend(
        query
            .fill(&mut PidBuf::new())
            .expect("fill")
            .iter()
            .map(|p| p.as_raw()),
    );
    e.check("pidquery", g, &answer);
    let mut slots = vec![Pid::ZERO; room];
    let n = fill_slice(&query, &mut slots);
    answer.clear();
    answer.extend(slots[..n].iter().map(|p| p.as_raw()));
    e.check("pidquery fill_slice", g, &answer);
    floor_query(&mut Floor::open().expect("open /proc"), want, &mut answer);
    e.check("floor", g, &answer);
    peers::procfs(want, &mut answer).expect("procfs");
    e.check("procfs", g, &answer);
    if let Some(kind) = peers::sysinfo_kind(want) {
        peers::sysinfo(&mut sysinfo::System::new(), want, kind, &mut answer);
        e.check("sysinfo", g, &answer);
    }
    peers::std_fs(want, &mut answer).expect("std fs");
    e.check("std fs", g, &answer);
    if let Want::Ppid(ppid @ 1..) = want {
        answer.clear();
        floor::children_files(ppid, &mut answer).expect("children files");
        e.check("children files", g, &answer);
    }
    // libproc's `ruid` reads the owner of `<pid>/stat` (the effective uid,
    // or root for a non-dumpable process): a wrong answer the check would
    // only catch for a process whose ids differ.
    peers::libproc(want, &mut answer).expect("libproc");
    e.check("libproc", g, &answer);
}

pub(super) fn descendants_contestants(b: &mut Builder, group: &Group, root: i32, room: usize) {
    let query = PidQuery::descendants(pid(root));
    let mut buf = PidBuf::new();
    b.add("pidquery fill", "pidquery", move || {
        query.fill(&mut buf).expect("pidquery fill").len()
    });
    let mut floor = Floor::open().expect("open /proc");
    let (mut pairs, mut out) = (Vec::with_capacity(room), Vec::with_capacity(room));
    b.add("floor", "floor", move || {
        floor_descendants(&mut floor, root, &mut pairs, &mut out);
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    b.add("children files", "children files", move || {
        floor::descendants_by_children(root, &mut out).expect("children files");
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    b.add("procfs", "procfs", move || {
        peers::procfs_descendants(root, &mut out).expect("procfs");
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    b.add("sysinfo new", "sysinfo new", move || {
        peers::sysinfo_descendants(&mut sysinfo::System::new(), root, &mut out);
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    let mut system = sysinfo::System::new();
    b.add("sysinfo reused", "sysinfo reused", move || {
        peers::sysinfo_descendants(&mut system, root, &mut out);
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    // One full scan per process of the subtree: one call a round.
    b.add_slow("libproc", "libproc", move || {
        peers::libproc_descendants(root, &mut out).expect("libproc");
        out.len()
    });
    let mut out = Vec::with_capacity(room);
    b.add("std fs", "std fs", move || {
        peers::std_descendants(root, &mut out).expect("std fs");
        out.len()
    });

    let (g, e) = (group.name.as_str(), &group.expect);
    let mut answer = Vec::new();
    answer.extend(
        query
            .fill(&mut PidBuf::new())
            .expect("fill")
            .iter()
            .map(|p| p.as_raw()),
    );
    e.check("pidquery", g, &answer);
    floor_descendants(
        &mut Floor::open().expect("open /proc"),
        root,
        &mut Vec::new(),
        &mut answer,
    );
    e.check("floor", g, &answer);
    floor::descendants_by_children(root, &mut answer).expect("children files");
    e.check("children files", g, &answer);
    peers::procfs_descendants(root, &mut answer).expect("procfs");
    e.check("procfs", g, &answer);
    peers::sysinfo_descendants(&mut sysinfo::System::new(), root, &mut answer);
    e.check("sysinfo", g, &answer);
    peers::libproc_descendants(root, &mut answer).expect("libproc");
    e.check("libproc", g, &answer);
    peers::std_descendants(root, &mut answer).expect("std fs");
    e.check("std fs", g, &answer);
}

pub(super) fn watch_all_contestants(b: &mut Builder, group: &Group, room: usize) {
    let query = PidQuery::all();
    let mut watch = Watch::with_buffers(
        query,
        PidBuf::with_capacity(room),
        PidBuf::with_capacity(room),
    );
    watch.poll().expect("poll");
    let current: Vec<i32> = watch.current().iter().map(|p| p.as_raw()).collect();
    group.expect.check("pidquery watch", &group.name, &current);
    b.add("pidquery watch poll", "pidquery", move || {
        watch.poll().expect("poll").len()
    });
    let mut tracked = Watch::with_buffers(
        query,
        PidBuf::with_capacity(room),
        PidBuf::with_capacity(room),
    )
    .track_reuse();
    tracked.poll().expect("poll");
    b.add(
        "pidquery watch tracking reuse",
        "pidquery tracking reuse",
        move || tracked.poll().expect("poll").len(),
    );
    let mut buf = PidBuf::new();
    b.add("pidquery fill", "pidquery fill", move || {
        query.fill(&mut buf).expect("fill").len()
    });
    let mut floor = Floor::open().expect("open /proc");
    let mut out = Vec::with_capacity(room);
    b.add("floor", "floor", move || {
        floor.all(&mut out).expect("floor");
        out.len()
    });
    let mut w = SetWatch::new();
    b.add("libproc watch", "libproc", move || {
        w.poll(|out| peers::libproc(Want::All, out).expect("libproc"))
    });
    let mut w = SetWatch::new();
    b.add("procfs watch", "procfs", move || {
        w.poll(|out| peers::procfs(Want::All, out).expect("procfs"))
    });
    let mut w = SetWatch::new();
    let mut system = sysinfo::System::new();
    b.add("sysinfo watch", "sysinfo reused", move || {
        w.poll(|out| peers::sysinfo_all(&mut system, out))
    });
    let mut w = SetWatch::new();
    b.add("std fs watch", "std fs", move || {
        w.poll(|out| peers::std_fs(Want::All, out).expect("std fs"))
    });
}

pub(super) fn watch_descendants_contestants(b: &mut Builder, group: &Group, root: i32) {
    let query = PidQuery::descendants(pid(root));
    let mut watch = Watch::new(query);
    watch.poll().expect("poll");
    let current: Vec<i32> = watch.current().iter().map(|p| p.as_raw()).collect();
    group.expect.check("pidquery watch", &group.name, &current);
    b.add("pidquery watch poll", "pidquery", move || {
        watch.poll().expect("poll").len()
    });
    let mut tracked = Watch::new(query).track_reuse();
    tracked.poll().expect("poll");
    b.add(
        "pidquery watch tracking reuse",
        "pidquery tracking reuse",
        move || tracked.poll().expect("poll").len(),
    );
    let mut buf = PidBuf::new();
    b.add("pidquery fill", "pidquery fill", move || {
        query.fill(&mut buf).expect("fill").len()
    });
    let mut floor = Floor::open().expect("open /proc");
    let (mut pairs, mut out) = (Vec::new(), Vec::new());
    b.add("floor", "floor", move || {
        floor_descendants(&mut floor, root, &mut pairs, &mut out);
        out.len()
    });
    let mut w = SetWatch::new();
    b.add("procfs watch", "procfs", move || {
        w.poll(|out| peers::procfs_descendants(root, out).expect("procfs"))
    });
    let mut w = SetWatch::new();
    let mut system = sysinfo::System::new();
    b.add("sysinfo watch", "sysinfo reused", move || {
        w.poll(|out| peers::sysinfo_descendants(&mut system, root, out))
    });
    let mut w = SetWatch::new();
    b.add_slow("libproc watch", "libproc", move || {
        w.poll(|out| peers::libproc_descendants(root, out).expect("libproc"))
    });
    // A pidfd per process of the subtree, polled without waiting: what
    // waking on deaths would cost per check (it sees no births).
    let mut pidfds = floor::Pidfds::open(&match &group.expect {
        Expect::Exactly(p) | Expect::Contains(p) => p.clone(),
    });
    b.add("pidfd poll", "pidfd poll (deaths only)", move || {
        pidfds.ready()
    });
}

pub(super) fn find_contestants(b: &mut Builder, target: i32, room: usize) {
    let want = pid(target);
    b.add("pidquery iter find", "pidquery", move || {
        usize::from(
            PidQuery::all()
                .iter()
                .expect("iter")
                .any(|p| p.expect("scan") == want),
        )
    });
    let mut buf = PidBuf::new();
    b.add("pidquery fill", "pidquery fill", move || {
        usize::from(
            PidQuery::all()
                .fill(&mut buf)
                .expect("fill")
                .contains(&want),
        )
    });
    let mut floor = Floor::open().expect("open /proc");
    let mut out = Vec::with_capacity(room);
    b.add("floor", "floor", move || {
        floor.all(&mut out).expect("floor");
        usize::from(out.contains(&target))
    });
    b.add("procfs find", "procfs", move || {
        let found = procfs::process::all_processes()
            .expect("procfs")
            .filter_map(Result::ok)
            .any(|p| p.pid == target);
        usize::from(found)
    });
    let mut out = Vec::with_capacity(room);
    b.add("libproc", "libproc", move || {
        peers::libproc(Want::All, &mut out).expect("libproc");
        usize::from(out.contains(&target))
    });
    b.add("std fs find", "std fs", move || {
        let name = target.to_string();
        let found = std::fs::read_dir("/proc")
            .expect("read_dir")
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_str() == Some(name.as_str()));
        usize::from(found)
    });
}

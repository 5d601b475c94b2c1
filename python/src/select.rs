//! `select` and `iter_select`: the pids satisfying several conditions at
//! once (the library's `Query`), each condition a keyword argument.

use std::time::{Duration, SystemTime};

use pidquery::{Dev, Pick, Pid, PidBuf, Query, States};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyList, PyString};

use crate::error::to_py;
use crate::matcher::{Callable, Kind, Pattern, Texts};
use crate::query::{pid_arg, pid_list, tty_dev};
use crate::scratch;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(select, m)?)?;
    m.add_function(wrap_pyfunction!(iter_select, m)?)?;
    m.add_class::<SelectIter>()?;
    Ok(())
}

/// Every keyword `select` takes.
const KEYWORDS: [&str; 23] = [
    "name",
    "name_prefix",
    "name_contains",
    "cmdline",
    "cmdline_prefix",
    "cmdline_contains",
    "ignore_case",
    "pgrp",
    "session",
    "tty",
    "euid",
    "uid",
    "ruid",
    "rgid",
    "ppid",
    "descendants",
    "state",
    "started_before",
    "started_after",
    "exclude",
    "negate",
    "newest",
    "oldest",
];

/// The conditions of one `select` call, owning what the library's
/// `Query` borrows.
#[derive(Default)]
pub(crate) struct Spec {
    pgrp: Option<Vec<Pid>>,
    session: Option<Vec<Pid>>,
    tty: Option<Vec<Dev>>,
    euid: Option<Vec<u32>>,
    ruid: Option<Vec<u32>>,
    rgid: Option<Vec<u32>>,
    parent: Option<Vec<Pid>>,
    descendant_of: Option<Vec<Pid>>,
    state: Option<States>,
    name: Option<Pattern>,
    cmdline: Option<Pattern>,
    started_before: Option<SystemTime>,
    started_after: Option<SystemTime>,
    except: Option<Pid>,
    negate: bool,
    pick: Pick,
}

/// The keyword arguments naming one text condition (`name`, `name_prefix`,
/// `name_contains`, or the same for `cmdline`).
#[derive(Default)]
struct TextArgs<'py> {
    given: Vec<(String, Kind, Bound<'py, PyAny>)>,
}

impl Spec {
    /// The conditions `kwargs` name; `func` names the caller in messages.
    pub(crate) fn parse(func: &str, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Spec> {
        let mut spec = Spec::default();
        let (mut names, mut cmdlines) = (TextArgs::default(), TextArgs::default());
        let (mut fold, mut newest, mut oldest) = (false, false, false);
        for (key, value) in kwargs.into_iter().flat_map(|d| d.iter()) {
            let key: String = key.extract()?;
            if !KEYWORDS.contains(&key.as_str()) {
                return Err(PyTypeError::new_err(format!(
                    "{func}() got an unexpected keyword argument '{key}' (the conditions: {})",
                    KEYWORDS.join(", ")
                )));
            }
            if value.is_none() {
                continue;
            }
            let k = key.as_str();
            match k {
                "pgrp" => spec.pgrp = Some(pids(&value, k)?),
                "session" => spec.session = Some(pids(&value, k)?),
                "ppid" => spec.parent = Some(pids(&value, k)?),
                "descendants" => spec.descendant_of = Some(pids(&value, k)?),
                "euid" | "uid" => {
                    if spec.euid.is_some() {
                        return Err(PyTypeError::new_err(
                            "uid and euid are one condition (the effective uid): pass one",
                        ));
                    }
                    spec.euid = Some(ids(&value, k)?);
                }
                "ruid" => spec.ruid = Some(ids(&value, k)?),
                "rgid" => spec.rgid = Some(ids(&value, k)?),
                "tty" => spec.tty = Some(ttys(&value)?),
                "state" => spec.state = Some(states(&value)?),
                "started_before" => spec.started_before = Some(time(&value, k)?),
                "started_after" => spec.started_after = Some(time(&value, k)?),
                "exclude" => spec.except = Some(pid(&value, k)?),
                "ignore_case" => fold = flag(&value, k)?,
                "negate" => spec.negate = flag(&value, k)?,
                "newest" => newest = flag(&value, k)?,
                "oldest" => oldest = flag(&value, k)?,
                _ => {
                    let (args, kind) = match k.split_once('_') {
                        Some((field, "prefix")) => (field, Kind::Prefix),
                        Some((field, _)) => (field, Kind::Contains),
                        None => (k, Kind::Exact),
                    };
                    let args = if args == "name" {
                        &mut names
                    } else {
                        &mut cmdlines
                    };
                    args.given.push((key.clone(), kind, value));
                }
            }
        }
        if newest && oldest {
            return Err(PyValueError::new_err(
                "newest and oldest exclude each other: pass one",
            ));
        }
        spec.pick = match (newest, oldest) {
            (true, _) => Pick::Newest,
            (_, true) => Pick::Oldest,
            _ => Pick::All,
        };
        spec.name = names.pattern(fold)?;
        spec.cmdline = cmdlines.pattern(fold)?;
        let texts = [&spec.name, &spec.cmdline]
            .into_iter()
            .flatten()
            .any(|p| matches!(p, Pattern::Texts(_)));
        if fold && !texts {
            return Err(PyValueError::new_err(
                "ignore_case applies to a name or cmdline text, and none was given",
            ));
        }
        Ok(spec)
    }

    /// The library's query over these conditions.
    pub(crate) fn query(&self) -> Query<'_> {
        let mut q = Query::new();
        if let Some(v) = &self.pgrp {
            q = q.pgrp(v.as_slice());
        }
        if let Some(v) = &self.session {
            q = q.session(v.as_slice());
        }
        if let Some(v) = &self.tty {
            q = q.tty(v.as_slice());
        }
        if let Some(v) = &self.euid {
            q = q.euid(v.as_slice());
        }
        if let Some(v) = &self.ruid {
            q = q.ruid(v.as_slice());
        }
        if let Some(v) = &self.rgid {
            q = q.rgid(v.as_slice());
        }
        if let Some(v) = &self.parent {
            q = q.parent(v.as_slice());
        }
        if let Some(v) = &self.descendant_of {
            q = q.descendant_of(v.as_slice());
        }
        if let Some(s) = self.state {
            q = q.state(s);
        }
        if let Some(p) = &self.name {
            q = q.name(p.to_match());
        }
        if let Some(p) = &self.cmdline {
            q = q.cmdline(p.to_match());
        }
        if let Some(t) = self.started_before {
            q = q.started_before(t);
        }
        if let Some(t) = self.started_after {
            q = q.started_after(t);
        }
        if let Some(p) = self.except {
            q = q.except(p);
        }
        if self.negate {
            q = q.negate();
        }
        match self.pick {
            Pick::Newest => q.newest(),
            Pick::Oldest => q.oldest(),
            _ => q,
        }
    }

    /// Whether a Python callable runs while the query does.
    fn calls_python(&self) -> bool {
        [&self.name, &self.cmdline]
            .into_iter()
            .flatten()
            .any(Pattern::calls_python)
    }

    /// Runs the query into `buf` with the GIL released; the exception a
    /// callable raised, if any, wins over the query's own answer.
    fn fill(&self, py: Python<'_>, buf: &mut PidBuf) -> PyResult<()> {
        let result = py.detach(|| self.query().fill(buf).map(drop));
        let raised = [&self.name, &self.cmdline]
            .into_iter()
            .flatten()
            .find_map(Pattern::take_raised);
        match raised {
            Some(err) => Err(err),
            None => result.map_err(to_py),
        }
    }

    /// Runs `f` on a pid buffer: this thread's scratch, or a fresh one when
    /// a callable may run (it may call back into this module, which uses
    /// the scratch).
    fn with_buf<T>(&self, f: impl FnOnce(&mut PidBuf) -> T) -> T {
        if self.calls_python() {
            f(&mut PidBuf::new())
        } else {
            scratch::with(|s| f(&mut s.pids))
        }
    }
}

impl TextArgs<'_> {
    /// The one pattern these arguments give (at most one may be given).
    fn pattern(self, fold: bool) -> PyResult<Option<Pattern>> {
        let mut given = self.given.into_iter();
        let Some((key, kind, value)) = given.next() else {
            return Ok(None);
        };
        if let Some((other, ..)) = given.next() {
            return Err(PyTypeError::new_err(format!(
                "{key} and {other} are one condition: pass one"
            )));
        }
        let text = value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>();
        if !text && value.is_callable() {
            if kind != Kind::Exact {
                return Err(PyTypeError::new_err(format!(
                    "{key} takes a str, bytes or a list of them; a callable goes to {}",
                    key.split('_').next().unwrap_or(&key)
                )));
            }
            return Ok(Some(Pattern::Callable(Callable::new(value.unbind()))));
        }
        let texts = each(
            &value,
            &key,
            |v| v.is_instance_of::<PyString>() || v.is_instance_of::<PyBytes>(),
            |item| {
                if let Ok(s) = item.cast::<PyString>() {
                    let os: std::ffi::OsString = s.extract()?;
                    Ok(std::os::unix::ffi::OsStringExt::into_vec(os))
                } else if let Ok(b) = item.cast::<PyBytes>() {
                    Ok(b.as_bytes().to_vec())
                } else {
                    Err(PyTypeError::new_err(format!(
                        "{key} takes a str, bytes, a list of them or a callable, not {}",
                        type_name(item)
                    )))
                }
            },
        )?;
        Ok(Some(Pattern::Texts(Texts { kind, texts, fold })))
    }
}

/// The type name of `value`, for messages.
fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// `value` as one item (when `single(value)`) or as an iterable of items,
/// each converted by `one`. A list means any of its values.
fn each<T>(
    value: &Bound<'_, PyAny>,
    key: &str,
    single: impl Fn(&Bound<'_, PyAny>) -> bool,
    one: impl Fn(&Bound<'_, PyAny>) -> PyResult<T>,
) -> PyResult<Vec<T>> {
    if single(value) {
        return Ok(vec![one(value)?]);
    }
    let items = value.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "{key} takes one value or an iterable of values, not {}",
            type_name(value)
        ))
    })?;
    items.map(|item| one(&item?)).collect()
}

/// Whether `value` is an int and not a bool.
fn is_int(value: &Bound<'_, PyAny>) -> bool {
    value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>()
}

/// One int argument (a bool is refused).
fn int(value: &Bound<'_, PyAny>, key: &str) -> PyResult<i64> {
    if !is_int(value) {
        return Err(PyTypeError::new_err(format!(
            "{key} takes an int or an iterable of ints, not {}",
            type_name(value)
        )));
    }
    value
        .extract::<i64>()
        .map_err(|_| PyValueError::new_err(format!("{key}: {value} is out of range")))
}

/// One pid: `ValueError` when negative or too large.
fn pid(value: &Bound<'_, PyAny>, key: &str) -> PyResult<Pid> {
    let raw = int(value, key)?;
    let raw = i32::try_from(raw)
        .map_err(|_| PyValueError::new_err(format!("{key}: {raw} is not a pid")))?;
    pid_arg(raw).map_err(|e| PyValueError::new_err(format!("{key}: {}", e.value(value.py()))))
}

/// One pid or any of several.
fn pids(value: &Bound<'_, PyAny>, key: &str) -> PyResult<Vec<Pid>> {
    each(value, key, is_int, |v| pid(v, key))
}

/// One user or group id or any of several: `ValueError` outside 32 bits.
fn ids(value: &Bound<'_, PyAny>, key: &str) -> PyResult<Vec<u32>> {
    each(value, key, is_int, |v| {
        let raw = int(v, key)?;
        u32::try_from(raw).map_err(|_| {
            PyValueError::new_err(format!(
                "{key}: {raw} is not a user or group id (0 to 2**32-1)"
            ))
        })
    })
}

/// One terminal (device number, or path) or any of several.
fn ttys(value: &Bound<'_, PyAny>) -> PyResult<Vec<Dev>> {
    let single = |v: &Bound<'_, PyAny>| {
        is_int(v)
            || v.is_instance_of::<PyString>()
            || v.is_instance_of::<PyBytes>()
            || v.hasattr("__fspath__").unwrap_or(false)
    };
    each(value, "tty", single, tty_dev)
}

/// Run states: a string of `ps` letters (`"S"`, `"RD"`, `"R,S"`) or an
/// iterable of them.
fn states(value: &Bound<'_, PyAny>) -> PyResult<States> {
    let letters = each(
        value,
        "state",
        |v| v.is_instance_of::<PyString>(),
        |v| {
            if !v.is_instance_of::<PyString>() {
                return Err(PyTypeError::new_err(format!(
                    "state takes a str of ps letters or an iterable of them, not {}",
                    type_name(v)
                )));
            }
            let s: String = v.extract()?;
            States::from_letters(s.as_bytes()).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "state: {s:?} has a letter that is no run state (R S D T t Z X I P)"
                ))
            })
        },
    )?;
    Ok(letters.into_iter().fold(States::empty(), |a, b| a | b))
}

/// A time: an aware or naive `datetime` (naive is local time, as
/// `datetime.timestamp` reads it), or seconds since the epoch.
fn time(value: &Bound<'_, PyAny>, key: &str) -> PyResult<SystemTime> {
    let seconds: f64 = if value.hasattr("timestamp")? && !value.is_instance_of::<PyInt>() {
        value.call_method0("timestamp")?.extract()?
    } else if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{key} takes a datetime or seconds since the epoch, not bool"
        )));
    } else {
        value.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "{key} takes a datetime or seconds since the epoch, not {}",
                type_name(value)
            ))
        })?
    };
    let out_of_range = || PyValueError::new_err(format!("{key}: {seconds} is out of range"));
    let span = Duration::try_from_secs_f64(seconds.abs()).map_err(|_| out_of_range())?;
    let at = if seconds >= 0.0 {
        SystemTime::UNIX_EPOCH.checked_add(span)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(span)
    };
    at.ok_or_else(out_of_range)
}

/// A bool argument (only a bool: `negate=1` is refused).
fn flag(value: &Bound<'_, PyAny>, key: &str) -> PyResult<bool> {
    value
        .cast::<PyBool>()
        .map(|b| b.is_true())
        .map_err(|_| PyTypeError::new_err(format!("{key} takes a bool, not {}", type_name(value))))
}

/// The pids of the processes satisfying **every** condition given, each
/// condition accepting **any** of its values (a list means "any of"), as
/// ``pgrep`` combines its options; a new list, ascending. No condition:
/// every process. A process that exits meanwhile is left out.
///
/// Conditions (keyword only; None is the same as leaving it out):
///
/// - ``name`` / ``name_prefix`` / ``name_contains``: the short name
///   (``comm``, at most 15 bytes on Linux) equals, starts with or
///   contains the text (str or bytes, or a list of them: any); ``name``
///   also takes a callable, called with each candidate's name as a str,
///   whose truth decides (``name=re.compile("^k").search``).
/// - ``cmdline`` / ``cmdline_prefix`` / ``cmdline_contains``: the same for
///   the command line as ``ps -o args`` shows it (arguments joined by
///   spaces; a kernel thread's is its name in brackets). Linux only.
/// - ``ignore_case``: compare those texts ignoring ASCII case.
/// - ``pgrp``, ``session``, ``ppid``, ``descendants`` (below the pid in the
///   tree, itself excluded): pids.
/// - ``euid`` (or ``uid``, as ``pids`` names it), ``ruid``, ``rgid``: ids.
/// - ``tty``: a device number (``st_rdev``) or a terminal's path.
/// - ``state``: ``ps`` letters, ``"S"``, ``"RD"`` or ``["R", "S"]``.
/// - ``started_before``, ``started_after``: a ``datetime`` or seconds
///   since the epoch (strictly before / after; Linux counts in whole
///   seconds from boot, as ``ps`` does).
/// - ``exclude``: never this pid (``pgrep`` leaves itself out so).
/// - ``negate``: the processes that do not satisfy the conditions
///   (``pgrep -v``; ``exclude`` still applies).
/// - ``newest`` / ``oldest``: only the match started last / first.
///
/// An empty list matches nothing.
///
/// >>> import os, subprocess, time, pidquery
/// >>> child = subprocess.Popen(["sleep", "5"])
/// >>> for _ in range(500):  # until it has exec'd sleep
/// ...     if child.pid in pidquery.select(ppid=os.getpid(), name="sleep"): break
/// ...     time.sleep(0.01)
/// >>> pidquery.select(ppid=os.getpid(), name=["sleep", "nope"], state="RS") == [child.pid]
/// True
/// >>> child.pid in pidquery.select(ppid=[1, os.getpid()], cmdline_prefix="SLEEP 5", ignore_case=True)
/// True
/// >>> os.getpid() in pidquery.select(euid=os.geteuid(), exclude=os.getpid())
/// False
/// >>> child.kill(); child.wait()
/// -9
///
/// Raises TypeError for an unknown keyword, a value of the wrong type or
/// two keywords for one condition; ValueError for a negative pid, an id
/// out of range, an unknown state letter, both newest and oldest;
/// OSError as ``pids`` does; whatever a callable raised.
#[pyfunction]
#[pyo3(signature = (**conditions))]
fn select<'py>(
    py: Python<'py>,
    conditions: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyList>> {
    let spec = Spec::parse("select", conditions)?;
    spec.with_buf(|buf| {
        spec.fill(py, buf)?;
        pid_list(py, buf.as_slice())
    })
}

/// As ``select``, one pid at a time, ascending: the answer is taken whole
/// when the call is made (the GIL released), then handed out.
///
/// >>> import os, pidquery
/// >>> it = pidquery.iter_select(euid=os.geteuid(), name_prefix="py")
/// >>> os.getpid() in set(it) or "py" not in open("/proc/self/comm").read()
/// True
#[pyfunction]
#[pyo3(signature = (**conditions))]
fn iter_select(py: Python<'_>, conditions: Option<&Bound<'_, PyDict>>) -> PyResult<SelectIter> {
    let spec = Spec::parse("iter_select", conditions)?;
    let mut pids = PidBuf::new();
    spec.fill(py, &mut pids)?;
    Ok(SelectIter { pids, next: 0 })
}

/// The answer of one ``iter_select`` call, one pid at a time.
///
/// >>> import pidquery
/// >>> it = pidquery.iter_select(pgrp=[])
/// >>> (iter(it) is it, list(it))
/// (True, [])
#[pyclass(module = "pidquery")]
pub(crate) struct SelectIter {
    pids: PidBuf,
    next: usize,
}

#[pymethods]
impl SelectIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self) -> Option<i32> {
        let pid = self.pids.as_slice().get(self.next)?;
        self.next += 1;
        Some(pid.as_raw())
    }

    /// How many pids are left.
    fn __length_hint__(&self) -> usize {
        self.pids.len() - self.next
    }
}

//! How `select` compares a process name or command line: one text or any
//! of several (exactly, by prefix or by substring, optionally ignoring
//! ASCII case), or a Python callable.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::sync::Mutex;

use pidquery::{Match, MatchBytes};
use pyo3::prelude::*;

/// How a text pattern is compared.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Exact,
    Prefix,
    Contains,
}

impl Kind {
    /// The library's comparison of `kind` against `pattern`.
    fn of(self, pattern: &[u8], fold: bool) -> Match<'_> {
        let m = match self {
            Kind::Exact => Match::exact(pattern),
            Kind::Prefix => Match::prefix(pattern),
            Kind::Contains => Match::substring(pattern),
        };
        if fold {
            m.ignore_ascii_case()
        } else {
            m
        }
    }
}

/// Any of several texts, compared one way.
#[derive(Debug)]
pub(crate) struct Texts {
    pub(crate) kind: Kind,
    pub(crate) texts: Vec<Vec<u8>>,
    pub(crate) fold: bool,
}

impl MatchBytes for Texts {
    fn matches(&self, bytes: &[u8]) -> bool {
        self.texts
            .iter()
            .any(|t| self.kind.of(t, self.fold).is_match(bytes))
    }
}

/// A Python callable called with the text as a `str` (undecodable bytes
/// as `os.fsdecode` gives them); its truth decides. It runs with the GIL
/// taken again for the call. The first exception it raises is kept (the
/// process counts as not matching, and later calls are skipped) and
/// raised once the query returns.
pub(crate) struct Callable {
    func: Py<PyAny>,
    raised: Mutex<Option<PyErr>>,
}

impl Callable {
    pub(crate) fn new(func: Py<PyAny>) -> Callable {
        Callable {
            func,
            raised: Mutex::new(None),
        }
    }

    /// The exception the callable raised, if any (taken: the next run
    /// starts afresh).
    pub(crate) fn take_raised(&self) -> Option<PyErr> {
        self.raised().take()
    }
}

impl Callable {
    fn raised(&self) -> std::sync::MutexGuard<'_, Option<PyErr>> {
        self.raised
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl MatchBytes for Callable {
    fn matches(&self, bytes: &[u8]) -> bool {
        if self.raised().is_some() {
            return false;
        }
        // The lock is not held during the call: the callable may run
        // queries of its own.
        let verdict = Python::attach(|py| {
            let text = OsStr::from_bytes(bytes).into_pyobject(py)?;
            self.func.bind(py).call1((text,))?.is_truthy()
        });
        verdict.unwrap_or_else(|err| {
            self.raised().get_or_insert(err);
            false
        })
    }
}

/// A name or command-line condition as `select` takes it.
pub(crate) enum Pattern {
    Texts(Texts),
    Callable(Callable),
}

impl Pattern {
    /// The library's `Match`: one text directly, else this pattern's own
    /// matcher.
    pub(crate) fn to_match(&self) -> Match<'_> {
        match self {
            Pattern::Texts(t) if t.texts.len() == 1 => t.kind.of(&t.texts[0], t.fold),
            Pattern::Texts(t) => Match::custom(t),
            Pattern::Callable(c) => Match::custom(c),
        }
    }

    /// Whether Python code runs while the query does.
    pub(crate) fn calls_python(&self) -> bool {
        matches!(self, Pattern::Callable(_))
    }

    /// The exception a callable raised during the last run, if any.
    pub(crate) fn take_raised(&self) -> Option<PyErr> {
        match self {
            Pattern::Callable(c) => c.take_raised(),
            Pattern::Texts(_) => None,
        }
    }
}

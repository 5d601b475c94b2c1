//! The frame every operation-sequence checker over a kernel model shares:
//! operation bytes read one at a time, the reused buffers a query fills,
//! the five ways of asking (a fill into each of three buffers, a slice
//! fill, a probe), and the loop that runs operations until the input ends
//! or the table is full, stopping at the first broken guarantee.
//!
//! Each kernel's checker (`model_check.rs` for xnu, `freebsd_check.rs` for
//! FreeBSD) says what its operations are and what each answer must be, as
//! a [`Checker`]. Whoever includes a checker declares this file beside it,
//! once, as `ops_check` with `#[macro_use]` (`tests/support/mod.rs`, the
//! fuzz targets, the xnu model's unit tests), and the checker names it as
//! `super::ops_check`. Test machinery, not library API.

use core::fmt;

use pidquery::{Error, Pid, PidBuf, PidQuery};

/// A broken guarantee found by [`check_ops`]: which operation, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Index of the operation (not the byte) that broke it.
    pub op: usize,
    /// What was expected and what happened.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "operation {}: {}", self.op, self.message)
    }
}

impl std::error::Error for Violation {}

/// Operation bytes, read one at a time; zeros past the end.
pub struct Bytes<'a> {
    rest: &'a [u8],
}

impl<'a> Bytes<'a> {
    /// Reads `rest`.
    pub fn new(rest: &'a [u8]) -> Self {
        Bytes { rest }
    }

    /// The next byte, or 0 past the end.
    pub fn byte(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                b
            }
            None => 0,
        }
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

/// A kernel model as the checker drives it: the crate's engine run through
/// the model's stand-ins, and the model's record of the calls it served.
pub trait Model {
    /// Processes in the table (live and zombies).
    fn nprocs(&self) -> usize;
    /// Forgets the calls recorded so far.
    fn clear_observations(&mut self);
    /// `PidQuery::fill` against the model.
    fn fill<'b, const N: usize>(
        &mut self,
        query: &PidQuery,
        buf: &'b mut PidBuf<N>,
    ) -> Result<&'b [Pid], Error>;
    /// `PidQuery::fill_slice` against the model.
    fn fill_slice(&mut self, query: &PidQuery, out: &mut [Pid]) -> Result<usize, Error>;
    /// `PidQuery::probe` against the model.
    fn probe(&mut self, query: &PidQuery) -> Result<usize, Error>;
}

/// One kernel's checker: its operations, and what each answer must be.
pub trait Checker: Sized {
    /// The model it drives.
    type Model: Model;
    /// What a run exercised.
    type Stats;
    /// The table stops growing past this many processes, to keep runs fast.
    const MAX_PROCS: usize;

    /// A fresh model that records its calls, and empty statistics.
    fn start() -> Self;
    /// The model.
    fn model(&mut self) -> &mut Self::Model;
    /// The model, to look at.
    fn model_ref(&self) -> &Self::Model;
    /// What the run exercised.
    fn into_stats(self) -> Self::Stats;
    /// Reads one operation from `input` and runs it; a query goes through
    /// [`ask`] with `buffers`.
    fn step(&mut self, input: &mut Bytes<'_>, buffers: &mut Buffers) -> Result<(), String>;
    /// The query an operation asks, read from `input`.
    fn query(&self, input: &mut Bytes<'_>) -> PidQuery;
    /// The length of the slice a slice fill gets, from its size byte.
    fn slice_len(size: u8) -> usize;
    /// Checks a fill's answer (`buf_empty`: the buffer after it).
    fn check_fill(
        &mut self,
        query: &PidQuery,
        got: Result<Vec<Pid>, Error>,
        buf_empty: bool,
    ) -> Result<(), String>;
    /// Checks a slice fill's answer; `slice` is the whole slice it filled.
    fn check_slice(
        &mut self,
        query: &PidQuery,
        got: Result<usize, Error>,
        slice: &[Pid],
    ) -> Result<(), String>;
    /// Checks a probe's answer.
    fn check_probe(&mut self, query: &PidQuery, got: Result<usize, Error>) -> Result<(), String>;
}

/// The buffers the queries reuse: no inline room, a little, the default,
/// and caller storage.
pub struct Buffers {
    tiny: PidBuf<0>,
    small: PidBuf<4>,
    default: PidBuf,
    slice: Vec<Pid>,
}

/// One query: the checker's [`Checker::query`], then one of five ways of
/// asking it chosen by the next byte (a fill into each buffer, a slice
/// fill sized by the byte after, a probe), on a fresh record of calls, and
/// the checker's verdict.
pub fn ask<C: Checker>(
    checker: &mut C,
    input: &mut Bytes<'_>,
    buffers: &mut Buffers,
) -> Result<(), String> {
    let query = checker.query(input);
    let mode = input.byte();
    let size = input.byte();
    checker.model().clear_observations();
    match mode % 5 {
        0 => {
            let got = fill_into(checker.model(), &query, &mut buffers.tiny);
            checker.check_fill(&query, got, buffers.tiny.is_empty())
        }
        1 => {
            let got = fill_into(checker.model(), &query, &mut buffers.small);
            checker.check_fill(&query, got, buffers.small.is_empty())
        }
        2 => {
            let got = fill_into(checker.model(), &query, &mut buffers.default);
            checker.check_fill(&query, got, buffers.default.is_empty())
        }
        3 => {
            let slice = &mut buffers.slice;
            slice.clear();
            slice.resize(C::slice_len(size), Pid::ZERO);
            let got = checker.model().fill_slice(&query, slice);
            checker.check_slice(&query, got, slice)
        }
        _ => {
            let got = checker.model().probe(&query);
            checker.check_probe(&query, got)
        }
    }
}

/// One fill into `buf`, as an owned answer.
fn fill_into<M: Model, const N: usize>(
    model: &mut M,
    query: &PidQuery,
    buf: &mut PidBuf<N>,
) -> Result<Vec<Pid>, Error> {
    model.fill(query, buf).map(<[Pid]>::to_vec)
}

/// Interprets `bytes` as a sequence of `C`'s operations until they run out
/// or the table holds [`Checker::MAX_PROCS`] processes.
///
/// # Errors
///
/// The first [`Violation`].
pub fn check_ops<C: Checker>(bytes: &[u8]) -> Result<C::Stats, Violation> {
    let mut checker = C::start();
    let mut buffers = Buffers {
        tiny: PidBuf::default(),
        small: PidBuf::default(),
        default: PidBuf::new(),
        slice: Vec::new(),
    };
    let mut input = Bytes::new(bytes);
    let mut op = 0;
    while !input.is_empty() && checker.model_ref().nprocs() < C::MAX_PROCS {
        checker
            .step(&mut input, &mut buffers)
            .map_err(|message| Violation { op, message })?;
        op += 1;
    }
    Ok(checker.into_stats())
}

/// Implements [`Model`] for a kernel model by its inherent methods of the
/// same names and signatures (every model has them), in a checker that
/// has `ops_check` in scope.
macro_rules! impl_model {
    ($model:ty) => {
        impl ops_check::Model for $model {
            fn nprocs(&self) -> usize {
                <$model>::nprocs(self)
            }
            fn clear_observations(&mut self) {
                <$model>::clear_observations(self)
            }
            fn fill<'b, const N: usize>(
                &mut self,
                query: &pidquery::PidQuery,
                buf: &'b mut pidquery::PidBuf<N>,
            ) -> Result<&'b [pidquery::Pid], pidquery::Error> {
                <$model>::fill(self, query, buf)
            }
            fn fill_slice(
                &mut self,
                query: &pidquery::PidQuery,
                out: &mut [pidquery::Pid],
            ) -> Result<usize, pidquery::Error> {
                <$model>::fill_slice(self, query, out)
            }
            fn probe(&mut self, query: &pidquery::PidQuery) -> Result<usize, pidquery::Error> {
                <$model>::probe(self, query)
            }
        }
    };
}

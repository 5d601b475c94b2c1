//! [`StartTime`]: when a process started, exactly as the kernel counts it.

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// When a process started: the kernel's own count, kept exactly, and the
/// origin that turns it into wall-clock time.
///
/// - Linux: `starttime` of `/proc/<pid>/stat`, in clock ticks (`USER_HZ`,
///   `sysconf(_SC_CLK_TCK)`, 100 almost everywhere) since boot (on
///   `CLOCK_BOOTTIME`, shifted by the time namespace's offset); the origin
///   is the boot time (`btime` of the proc root's `stat`, in whole seconds,
///   as `ps` uses it).
/// - macOS: `pbi_start_tvsec` and `pbi_start_tvusec` of `proc_bsdinfo`, in
///   microseconds since the Unix epoch.
///
/// Comparison, ordering and hashing use the kernel's count alone (as a
/// fraction of a second, so counts in different units still compare
/// exactly), never the origin: the same process read twice compares equal
/// even if the wall clock was set in between and the boot time moved with
/// it. That makes it part of an identity ([`ProcId`](crate::ProcId)) that
/// survives clock changes; its resolution is one tick (10 ms on Linux, 1 µs
/// on macOS).
///
/// # Examples
///
/// ```
/// use std::time::SystemTime;
/// use pidquery::Pid;
///
/// # fn main() -> Result<(), pidquery::Error> {
/// # if pidquery::System::live().is_err() { return Ok(()) }
/// let info = Pid::this().info()?;
/// let start = info.start.expect("Linux and macOS know the start time");
/// let started: SystemTime = start.into();
/// assert!(started <= SystemTime::now());
/// // As `listpids --json` prints it: seconds with the platform's precision.
/// assert!(start.epoch_seconds().to_string().contains('.'));
/// # Ok(()) }
/// ```
#[derive(Copy, Clone)]
pub struct StartTime {
    /// The kernel's count, in `per_sec` units since `origin_ns`.
    count: u64,
    /// Units per second (Linux `USER_HZ`, macOS 1 000 000); never 0.
    per_sec: u32,
    /// When the count was 0, in nanoseconds since the Unix epoch.
    origin_ns: u64,
}

impl StartTime {
    /// A Linux start time: `ticks` clock ticks of `hz` per second since a
    /// boot at `boot_secs` seconds after the Unix epoch. `None` if `hz` is 0.
    #[allow(dead_code)]
    pub(crate) const fn since_boot(ticks: u64, hz: u32, boot_secs: u64) -> Option<StartTime> {
        if hz == 0 {
            return None;
        }
        Some(StartTime {
            count: ticks,
            per_sec: hz,
            origin_ns: boot_secs.saturating_mul(NANOS_PER_SEC),
        })
    }

    /// An xnu start time: `secs` seconds and `micros` microseconds since the
    /// Unix epoch. `None` if `micros` is a second or more, or the total
    /// overflows.
    // Used by the xnu backend and its model.
    #[allow(dead_code)]
    pub(crate) const fn since_epoch_micros(secs: u64, micros: u64) -> Option<StartTime> {
        if micros >= 1_000_000 {
            return None;
        }
        let Some(whole) = secs.checked_mul(1_000_000) else {
            return None;
        };
        let Some(count) = whole.checked_add(micros) else {
            return None;
        };
        Some(StartTime {
            count,
            per_sec: 1_000_000,
            origin_ns: 0,
        })
    }

    /// The kernel's count, in [`units_per_second`](StartTime::units_per_second)
    /// units since the origin (boot on Linux, the Unix epoch on macOS).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let start = pidquery::Pid::this().info()?.start.unwrap();
    /// assert!(start.raw() > 0);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn raw(self) -> u64 {
        self.count
    }

    /// Units of [`raw`](StartTime::raw) per second: `USER_HZ` on Linux,
    /// 1 000 000 on macOS.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let start = pidquery::Pid::this().info()?.start.unwrap();
    /// assert!(start.units_per_second() >= 100);
    /// # Ok(()) }
    /// ```
    #[inline]
    pub const fn units_per_second(self) -> u32 {
        self.per_sec
    }

    /// The time since the Unix epoch (truncated to nanoseconds).
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let start = pidquery::Pid::this().info()?.start.unwrap();
    /// assert!(start.since_unix_epoch().as_secs() > 1_000_000_000);
    /// # Ok(()) }
    /// ```
    pub fn since_unix_epoch(self) -> Duration {
        let nanos = u128::from(self.origin_ns) + self.count_nanos();
        let secs = nanos / u128::from(NANOS_PER_SEC);
        let sub = (nanos % u128::from(NANOS_PER_SEC)) as u32;
        Duration::new(u64::try_from(secs).unwrap_or(u64::MAX), sub)
    }

    /// The wall-clock time the process started.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let start = pidquery::Pid::this().info()?.start.unwrap();
    /// assert!(start.to_system_time() <= std::time::SystemTime::now());
    /// # Ok(()) }
    /// ```
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + self.since_unix_epoch()
    }

    /// A `Display` of the seconds since the Unix epoch with the platform's
    /// precision: two decimals at 100 ticks a second (Linux), six at
    /// microseconds (macOS), nine for a unit that is not a power of ten.
    ///
    /// ```
    /// # fn main() -> Result<(), pidquery::Error> {
    /// # if pidquery::System::live().is_err() { return Ok(()) }
    /// let start = pidquery::Pid::this().info()?.start.unwrap();
    /// let text = start.epoch_seconds().to_string();
    /// let secs: f64 = text.parse().unwrap();
    /// assert!((secs - start.since_unix_epoch().as_secs_f64()).abs() < 1e-3);
    /// # Ok(()) }
    /// ```
    pub fn epoch_seconds(self) -> EpochSeconds {
        EpochSeconds(self)
    }

    /// The count in nanoseconds (truncated).
    fn count_nanos(self) -> u128 {
        u128::from(self.count) * u128::from(NANOS_PER_SEC) / u128::from(self.per_sec.max(1))
    }

    /// `count / per_sec` against `other`'s, exactly.
    fn cmp_count(self, other: StartTime) -> Ordering {
        let a = u128::from(self.count) * u128::from(other.per_sec);
        let b = u128::from(other.count) * u128::from(self.per_sec);
        a.cmp(&b)
    }
}

impl PartialEq for StartTime {
    fn eq(&self, other: &StartTime) -> bool {
        self.cmp_count(*other) == Ordering::Equal
    }
}

impl Eq for StartTime {}

impl PartialOrd for StartTime {
    fn partial_cmp(&self, other: &StartTime) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for StartTime {
    fn cmp(&self, other: &StartTime) -> Ordering {
        self.cmp_count(*other)
    }
}

impl Hash for StartTime {
    /// Equal start times (equal fractions) truncate to the same nanosecond
    /// count, so this agrees with `Eq`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.count_nanos().hash(state);
    }
}

impl fmt::Debug for StartTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "StartTime({}/{}s, epoch {})",
            self.count,
            self.per_sec,
            self.epoch_seconds()
        )
    }
}

impl From<StartTime> for SystemTime {
    fn from(start: StartTime) -> SystemTime {
        start.to_system_time()
    }
}

/// Seconds since the Unix epoch with a start time's precision; see
/// [`StartTime::epoch_seconds`].
#[derive(Copy, Clone, Debug)]
pub struct EpochSeconds(StartTime);

impl fmt::Display for EpochSeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let since = self.0.since_unix_epoch();
        // Decimal digits of the unit: 100 → 2, 1 000 000 → 6; other units
        // (not a power of ten) print nanoseconds.
        let mut digits = 0u32;
        let mut unit = self.0.per_sec;
        while unit > 1 && unit % 10 == 0 {
            unit /= 10;
            digits += 1;
        }
        if unit != 1 {
            digits = 9;
        }
        if digits == 0 {
            return write!(f, "{}", since.as_secs());
        }
        let frac = since.subsec_nanos() / 10u32.pow(9 - digits);
        write!(
            f,
            "{}.{:0width$}",
            since.as_secs(),
            frac,
            width = digits as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_micros_convert_exactly() {
        let t = StartTime::since_boot(12_345, 100, 1_700_000_000).unwrap();
        assert_eq!(
            t.since_unix_epoch(),
            Duration::new(1_700_000_123, 450_000_000)
        );
        assert_eq!(t.epoch_seconds().to_string(), "1700000123.45");
        let m = StartTime::since_epoch_micros(1_700_000_123, 450_000).unwrap();
        assert_eq!(m.epoch_seconds().to_string(), "1700000123.450000");
        assert_eq!(m.since_unix_epoch(), t.since_unix_epoch());
        assert!(StartTime::since_epoch_micros(1, 1_000_000).is_none());
        assert!(StartTime::since_boot(1, 0, 0).is_none());
        let odd = StartTime::since_boot(1, 1024, 0).unwrap();
        assert_eq!(odd.epoch_seconds().to_string(), "0.000976562");
        let whole = StartTime::since_boot(7, 1, 3).unwrap();
        assert_eq!(whole.epoch_seconds().to_string(), "10");
    }

    #[test]
    fn comparison_ignores_the_origin() {
        let a = StartTime::since_boot(500, 100, 1_000).unwrap();
        let b = StartTime::since_boot(500, 100, 1_001).unwrap();
        let c = StartTime::since_boot(501, 100, 1_000).unwrap();
        assert_eq!(a, b);
        assert!(a < c && b < c);
        // Different units compare as fractions of a second.
        let m = StartTime::since_boot(5_000_000, 1_000_000, 0).unwrap();
        assert_eq!(a, m);
        use std::collections::hash_map::DefaultHasher;
        let h = |t: StartTime| {
            let mut s = DefaultHasher::new();
            t.hash(&mut s);
            s.finish()
        };
        assert_eq!(h(a), h(b));
        assert_eq!(h(a), h(m));
    }
}

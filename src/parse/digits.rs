//! Decimal digits: `/proc` entry names (`fs/proc/util.c`, `name_to_int`)
//! and the numeric fields of `stat` and `status`.

use crate::Pid;

/// The pid a `/proc` entry name stands for, as `name_to_int` accepts it:
/// all ASCII digits, no leading zero (except `"0"` itself), fits an `i32`.
///
/// ```
/// use pidquery::parse::pid_name;
/// assert_eq!(pid_name(b"1").map(|p| p.as_raw()), Some(1));
/// assert_eq!(pid_name(b"self"), None);
/// assert_eq!(pid_name(b"2147483648"), None);
/// assert_eq!(pid_name(b""), None);
/// ```
pub fn pid_name(name: &[u8]) -> Option<Pid> {
    match name {
        [] => None,
        [b'0', _, ..] => None,
        _ => parse_u31(name).and_then(Pid::from_raw),
    }
}

/// Parses ASCII decimal digits (at least one, nothing else) into a `u64`.
fn parse_digits(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &b| {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        value.checked_mul(10)?.checked_add(u64::from(d))
    })
}

/// Parses ASCII decimal digits into an `i32 >= 0`.
fn parse_u31(digits: &[u8]) -> Option<i32> {
    parse_digits(digits).and_then(|v| i32::try_from(v).ok())
}

/// Parses ASCII decimal digits into a `u32`.
pub(super) fn parse_u32(digits: &[u8]) -> Option<u32> {
    parse_digits(digits).and_then(|v| u32::try_from(v).ok())
}

/// Parses ASCII decimal digits into a `u64`.
pub(super) fn parse_u64(digits: &[u8]) -> Option<u64> {
    parse_digits(digits)
}

/// Parses an optionally `-`-signed decimal `i64`.
pub(super) fn parse_i64(field: &[u8]) -> Option<i64> {
    match field {
        [b'-', digits @ ..] => {
            let magnitude = parse_digits(digits)?;
            if magnitude == 1u64 << 63 {
                return Some(i64::MIN);
            }
            i64::try_from(magnitude).ok().map(|m| -m)
        }
        _ => i64::try_from(parse_digits(field)?).ok(),
    }
}

/// Parses an optionally `-`-signed decimal `i32`.
pub(super) fn parse_i32(field: &[u8]) -> Option<i32> {
    match field {
        [b'-', digits @ ..] => {
            let magnitude = i64::try_from(parse_digits(digits)?).ok()?;
            i32::try_from(-magnitude).ok()
        }
        _ => parse_u31(field),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_names_follow_name_to_int() {
        assert_eq!(pid_name(b"0"), Pid::from_raw(0));
        assert_eq!(pid_name(b"2147483647"), Pid::from_raw(i32::MAX));
        for bad in [
            &b"01"[..],
            b"00",
            b"-1",
            b"+1",
            b"1a",
            b" 1",
            b"2147483648",
            b"99999999999",
            b"thread-self",
            b"\xff",
        ] {
            assert_eq!(pid_name(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}

//! `parse::PidList` against splitting on whitespace and `str::parse`.

use pidquery::parse::PidList;

use super::cursor::Cursor;

/// The pids of a whole `children` text, or `None` if any byte is not an
/// ASCII digit, space or newline, or a number does not fit an `i32`.
fn reference(text: &[u8]) -> Option<Vec<i32>> {
    if !text
        .iter()
        .all(|b| b.is_ascii_digit() || *b == b' ' || *b == b'\n')
    {
        return None;
    }
    std::str::from_utf8(text)
        .ok()?
        .split([' ', '\n'])
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<i32>().ok())
        .collect()
}

/// The fuzz entry point: one byte picks the chunk size (1 to 16), the rest
/// is the text, fed to the parser in chunks of that size.
pub fn check(input: &[u8]) {
    let mut c = Cursor::new(input);
    let chunk = usize::from(c.byte() % 16) + 1;
    let text = c.take(usize::MAX);
    let mut list = PidList::new();
    let mut got = Vec::new();
    let mut ok = true;
    for part in text.chunks(chunk) {
        ok = list.feed(part, |p| got.push(p.as_raw()));
        if !ok {
            break;
        }
    }
    let ok = ok && list.finish(|p| got.push(p.as_raw()));
    match reference(text) {
        Some(want) => {
            assert!(ok, "rejected {:?}", String::from_utf8_lossy(text));
            assert_eq!(
                got,
                want,
                "{:?} in chunks of {chunk}",
                String::from_utf8_lossy(text)
            );
        }
        None => assert!(
            !ok,
            "accepted {:?} as {got:?}",
            String::from_utf8_lossy(text)
        ),
    }
}

//! Byte comparisons that fail with a side-by-side hex dump, rows that differ marked `!`.

use std::fmt::Write;

const ROW: usize = 16;

/// Panics with a hex diff when `actual` differs from `expected`.
#[track_caller]
pub fn assert_bytes_eq(actual: &[u8], expected: &[u8], context: &str) {
    if actual != expected {
        panic!(
            "{context}: bytes differ ({} bytes, expected {})\n{}",
            actual.len(),
            expected.len(),
            hex_diff(actual, expected)
        );
    }
}

/// A side-by-side dump: offset, expected, actual; `!` marks a row that differs.
pub fn hex_diff(actual: &[u8], expected: &[u8]) -> String {
    let rows = actual.len().max(expected.len()).div_ceil(ROW);
    let mut out = format!("      {:<48}  {}\n", "expected", "actual");
    for row in 0..rows {
        let range = row * ROW..(row + 1) * ROW;
        let left = row_hex(expected, range.clone());
        let right = row_hex(actual, range.clone());
        let mark = if left == right { ' ' } else { '!' };
        let _ = writeln!(out, "{mark}{:04x} {left:<48}  {right}", range.start);
    }
    out
}

fn row_hex(bytes: &[u8], range: std::ops::Range<usize>) -> String {
    let end = range.end.min(bytes.len());
    let row = bytes.get(range.start.min(end)..end).unwrap_or(&[]);
    row.iter()
        .map(|byte| format!("{byte:02x} "))
        .collect::<String>()
        .trim_end()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::hex_diff;

    #[test]
    fn marks_the_rows_that_differ() {
        let diff = hex_diff(&[0u8; 20], &[[0u8; 16].as_slice(), &[1, 0, 0, 0]].concat());
        let lines: Vec<_> = diff.lines().collect();
        assert!(lines[1].starts_with(" 0000"), "{diff}");
        assert!(lines[2].starts_with("!0010"), "{diff}");
    }
}

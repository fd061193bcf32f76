//! Field readers (nom) and writers (`bytes`) shared by every packet and LSA.
//!
//! The readers are concrete (`&[u8]` input, nom's default error) so that tuples of them
//! parse without type annotations. Callers check a region's length against the bytes that
//! hold it first, and turn a nom error into the [`DecodeError`](crate::DecodeError) that
//! names the region.

use std::net::Ipv4Addr;

use bytes::{BufMut, Bytes};
use nom::{IResult, Parser, number::complete as number};
use serde::Serializer;

pub(crate) type ParseResult<'a, T> = IResult<&'a [u8], T>;

pub(crate) fn u8(input: &[u8]) -> ParseResult<'_, u8> {
    number::be_u8(input)
}

pub(crate) fn u16(input: &[u8]) -> ParseResult<'_, u16> {
    number::be_u16(input)
}

pub(crate) fn u24(input: &[u8]) -> ParseResult<'_, u32> {
    number::be_u24(input)
}

pub(crate) fn u32(input: &[u8]) -> ParseResult<'_, u32> {
    number::be_u32(input)
}

pub(crate) fn i32(input: &[u8]) -> ParseResult<'_, i32> {
    number::be_i32(input)
}

pub(crate) fn ipv4(input: &[u8]) -> ParseResult<'_, Ipv4Addr> {
    number::be_u32.map(Ipv4Addr::from).parse(input)
}

/// Splits `input` into records of `size` bytes and parses each one; `input.len()` must be a
/// multiple of `size` (callers check it, with the error that names the list). The vector is
/// sized from the input length, which bounds it.
pub(crate) fn records<'a, T>(
    input: &'a [u8],
    size: usize,
    mut parse_record: impl FnMut(&'a [u8]) -> ParseResult<'a, T>,
) -> Option<Vec<T>> {
    let mut out = Vec::with_capacity(input.len() / size.max(1));
    for chunk in input.chunks_exact(size.max(1)) {
        let (_, record) = parse_record(chunk).ok()?;
        out.push(record);
    }
    Some(out)
}

pub(crate) fn put_ipv4(buf: &mut impl BufMut, address: Ipv4Addr) {
    buf.put_u32(address.into());
}

/// Writes the low 24 bits of `value` (callers check that it fits).
pub(crate) fn put_u24(buf: &mut impl BufMut, value: u32) {
    let [_, high, middle, low] = value.to_be_bytes();
    buf.put_slice(&[high, middle, low]);
}

/// Serializes opaque bytes as a lowercase hex string (for the daemon's JSON views).
pub(crate) fn serialize_hex<S: Serializer>(bytes: &Bytes, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&HexString(bytes))
}

struct HexString<'a>(&'a [u8]);

impl std::fmt::Display for HexString<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

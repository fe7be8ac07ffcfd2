//! A minimal DER reader for the parts of CMS / RFC 3161 the timestamp check walks. It only
//! slices: every value it returns is a borrowed view of the input, and malformed input is an
//! error, never a panic.

/// One DER element: its tag, its full encoding and its contents.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub full: &'a [u8],
    pub value: &'a [u8],
}

/// The input was not the DER this module expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed DER")]
pub struct DerError;

/// Reads the element at the start of `input`, returning it and the rest.
pub fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let tag = *input.first().ok_or(DerError)?;
    if tag & 0x1f == 0x1f {
        return Err(DerError); // multi-byte tags are not used here
    }
    let first = *input.get(1).ok_or(DerError)?;
    let (len, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return Err(DerError);
        }
        let bytes = input.get(2..2 + n).ok_or(DerError)?;
        (
            bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize),
            2 + n,
        )
    };
    let end = header.checked_add(len).ok_or(DerError)?;
    let full = input.get(..end).ok_or(DerError)?;
    Ok((
        Tlv {
            tag,
            full,
            value: &full[header..],
        },
        &input[end..],
    ))
}

/// Reads one element with the expected tag.
pub fn expect(input: &[u8], tag: u8) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let (tlv, rest) = read(input)?;
    if tlv.tag == tag {
        Ok((tlv, rest))
    } else {
        Err(DerError)
    }
}

/// All elements of a constructed value.
pub fn children(value: &[u8]) -> Result<Vec<Tlv<'_>>, DerError> {
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let (tlv, r) = read(rest)?;
        out.push(tlv);
        rest = r;
    }
    Ok(out)
}

pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const OID: u8 = 0x06;
pub const OCTET_STRING: u8 = 0x04;
pub const GENERALIZED_TIME: u8 = 0x18;
/// The DER of ASN.1 NULL, the parameters of `rsaEncryption`.
pub const NULL_PARAMS: &[u8] = &[0x05, 0x00];

//! A strict JSON scanner for the extractor's hot path: it walks the payload once, checks
//! the full RFC 8259 grammar, and keeps only the members the pointer tree names (text
//! borrowed, numbers parsed by the standard library's correctly rounded parser). It builds
//! no values for the rest. `extract.rs` keeps a serde-based walk as the reference the tests
//! compare this scanner with.

use std::borrow::Cow;

use super::tree::{Found, Node};

/// 10^0 ..= 10^22: the powers of ten that are exact doubles.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Deeper nesting is refused, like serde_json's default limit.
const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ScanError {
    NotAnObject,
    /// What is wrong and the byte offset where.
    Syntax(&'static str, usize),
}

struct Scanner<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
}

type R<T> = Result<T, ScanError>;

/// Fills `out` from `payload` for the members `root` names.
pub(crate) fn scan<'a>(root: &Node, payload: &'a [u8], out: &mut [Found<'a>]) -> R<()> {
    // simdutf8 checks with SIMD (detected at run time); the standard library finds where
    // a refused payload goes wrong.
    let text = simdutf8::basic::from_utf8(payload).map_err(|_| {
        let at = std::str::from_utf8(payload)
            .err()
            .map_or(0, |e| e.valid_up_to());
        ScanError::Syntax("invalid UTF-8", at)
    })?;
    let mut s = Scanner {
        b: payload,
        text,
        i: 0,
    };
    s.ws();
    let is_object = s.peek() == Some(b'{');
    s.value(Some(root), out, 0)?;
    s.ws();
    if s.i != s.b.len() {
        return Err(ScanError::Syntax("trailing characters", s.i));
    }
    if is_object {
        Ok(())
    } else {
        Err(ScanError::NotAnObject)
    }
}

impl<'a> Scanner<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn err<T>(&self, what: &'static str) -> R<T> {
        Err(ScanError::Syntax(what, self.i))
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8, what: &'static str) -> R<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            self.err(what)
        }
    }

    /// A value; `node` is the pointer-tree node it stands at (None: not wanted).
    fn value(&mut self, node: Option<&Node>, out: &mut [Found<'a>], depth: usize) -> R<()> {
        if depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        let slot = node.and_then(|n| n.slot);
        let found = match self.peek() {
            Some(b'{') => {
                self.object(node, out, depth)?;
                Found::Composite
            }
            Some(b'[') => {
                self.array(node, out, depth)?;
                Found::Composite
            }
            Some(b'"') => Found::Text(self.string()?),
            Some(b't') => {
                self.literal(b"true")?;
                Found::Bool(true)
            }
            Some(b'f') => {
                self.literal(b"false")?;
                Found::Bool(false)
            }
            Some(b'n') => {
                self.literal(b"null")?;
                Found::Null
            }
            // Numbers at a node of the tree (and at the top) are parsed, so that their range
            // is checked where serde_json checks it; the others are only scanned.
            Some(b'-' | b'0'..=b'9') => Found::Number(self.number(node.is_some() || depth == 0)?),
            _ => return self.err("expected a value"),
        };
        if let Some(s) = slot {
            out[s] = found;
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            self.err("invalid literal")
        }
    }

    fn object(&mut self, node: Option<&Node>, out: &mut [Found<'a>], depth: usize) -> R<()> {
        self.i += 1; // '{'
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        let mut hint = 0;
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return self.err("expected a member name");
            }
            let key = self.string()?;
            self.ws();
            self.expect(b':', "expected ':'")?;
            self.ws();
            let child = node.and_then(|n| n.child_from(&key, hint)).map(|(i, c)| {
                hint = i + 1;
                c
            });
            // Numbers, the usual member, without the general (recursive) value path.
            if let Some(b'-' | b'0'..=b'9') = self.peek() {
                let v = self.number(child.is_some())?;
                if let Some(s) = child.and_then(|c| c.slot) {
                    out[s] = Found::Number(v);
                }
            } else {
                self.value(child, out, depth + 1)?;
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.err("expected ',' or '}'"),
            }
        }
    }

    fn array(&mut self, node: Option<&Node>, out: &mut [Found<'a>], depth: usize) -> R<()> {
        self.i += 1; // '['
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        let mut index = 0usize;
        loop {
            self.ws();
            let child = match node {
                Some(n) if n.has_children() => n.child(&index.to_string()),
                _ => None,
            };
            self.value(child, out, depth + 1)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.err("expected ',' or ']'"),
            }
            index += 1;
        }
    }

    /// A string at `self.i` (the opening quote): borrowed when it has no escapes.
    #[inline]
    fn string(&mut self) -> R<Cow<'a, str>> {
        self.i += 1;
        let start = self.i;
        loop {
            match self.peek() {
                Some(b'"') => {
                    let s = &self.text[start..self.i];
                    self.i += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => return self.escaped(start),
                Some(c) if c < 0x20 => return self.err("control character in a string"),
                Some(_) => self.i += 1,
                None => return self.err("unterminated string"),
            }
        }
    }

    /// The rest of a string with escapes, from its first byte `start`.
    fn escaped(&mut self, start: usize) -> R<Cow<'a, str>> {
        let mut s = String::from(&self.text[start..self.i]);
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Cow::Owned(s));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.b[self.i..].starts_with(b"\\u") {
                                    return self.err("lone surrogate");
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return self.err("invalid surrogate pair");
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return self.err("lone surrogate");
                            } else {
                                hi
                            };
                            s.push(
                                char::from_u32(code)
                                    .ok_or(ScanError::Syntax("invalid escape", self.i))?,
                            );
                            continue;
                        }
                        _ => return self.err("invalid escape"),
                    };
                    s.push(c);
                    self.i += 1;
                }
                Some(c) if c < 0x20 => return self.err("control character in a string"),
                Some(_) => {
                    // Copy a run of plain characters at once (UTF-8 was checked up front).
                    let run = self.i;
                    while let Some(c) = self.peek() {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        self.i += 1;
                    }
                    s.push_str(&self.text[run..self.i]);
                }
                None => return self.err("unterminated string"),
            }
        }
    }

    fn hex4(&mut self) -> R<u32> {
        let digits = self
            .b
            .get(self.i..self.i + 4)
            .ok_or(ScanError::Syntax("short \\u escape", self.i))?;
        let mut v = 0u32;
        for &d in digits {
            v = v * 16
                + (d as char)
                    .to_digit(16)
                    .ok_or(ScanError::Syntax("invalid \\u escape", self.i))?;
        }
        self.i += 4;
        Ok(v)
    }

    /// A number per the JSON grammar; parsed only when `wanted`. Walks a local index (the
    /// field `i` is written once at the end, not per digit).
    #[inline]
    fn number(&mut self, wanted: bool) -> R<f64> {
        let b = self.b;
        let start = self.i;
        let at = |i: usize| b.get(i).copied();
        let mut i = start;
        let negative = at(i) == Some(b'-');
        i += usize::from(negative);
        // The digits as an integer while they fit (the fast path's mantissa).
        let mut digits = Digits::default();
        match at(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits.read(b, i),
            _ => return Err(ScanError::Syntax("invalid number", i)),
        }
        let mut exponent: i64 = 0;
        if at(i) == Some(b'.') {
            i += 1;
            if !matches!(at(i), Some(b'0'..=b'9')) {
                return Err(ScanError::Syntax("invalid number", i));
            }
            let before = i;
            i = digits.read(b, i);
            exponent -= (i - before) as i64;
        }
        if let Some(b'e' | b'E') = at(i) {
            i += 1;
            let sign = match at(i) {
                Some(b'-') => {
                    i += 1;
                    -1
                }
                Some(b'+') => {
                    i += 1;
                    1
                }
                _ => 1,
            };
            if !matches!(at(i), Some(b'0'..=b'9')) {
                return Err(ScanError::Syntax("invalid number", i));
            }
            let mut e: i64 = 0;
            while let Some(d @ b'0'..=b'9') = at(i) {
                e = (e * 10 + i64::from(d - b'0')).min(1 << 40);
                i += 1;
            }
            exponent += sign * e;
        }
        self.i = i;
        if !wanted {
            return Ok(0.0);
        }
        // Clinger's fast path: an integer below 2^53 and a power of ten up to 10^22 are
        // exact doubles, and IEEE multiplication and division round correctly, so the
        // result is the correctly rounded value (what the standard parser returns).
        let (mantissa, significant) = (digits.mantissa, digits.significant);
        if significant <= 19 && mantissa <= 1 << 53 && (-22..=22).contains(&exponent) {
            let m = mantissa as f64;
            let v = if exponent >= 0 {
                m * POW10[exponent as usize]
            } else {
                m / POW10[(-exponent) as usize]
            };
            return Ok(if negative { -v } else { v });
        }
        let text = &self.text[start..i];
        let v: f64 = text
            .parse()
            .map_err(|_| ScanError::Syntax("invalid number", start))?;
        // serde_json refuses a wanted number beyond f64's range; so does this scanner.
        if v.is_infinite() {
            return Err(ScanError::Syntax("number out of range", start));
        }
        Ok(v)
    }
}

/// A number's digits: the first 19 significant ones as an integer, and how many
/// significant ones there are in all (more than 19: the standard parser decides).
#[derive(Default)]
struct Digits {
    mantissa: u64,
    significant: u32,
}

impl Digits {
    /// Reads the run of digits of `b` from `i`; returns the index after it.
    #[inline]
    fn read(&mut self, b: &[u8], mut i: usize) -> usize {
        while let Some(&d @ b'0'..=b'9') = b.get(i) {
            if self.significant < 19 {
                self.mantissa = self.mantissa * 10 + u64::from(d - b'0');
            }
            // Leading zeros (as in 0.0012) add nothing to the mantissa.
            if self.significant > 0 || d != b'0' {
                self.significant += 1;
            }
            i += 1;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> f64 {
        let mut s = Scanner {
            b: text.as_bytes(),
            text,
            i: 0,
        };
        s.number(true).unwrap()
    }

    #[test]
    fn the_fast_path_equals_the_standard_parser_bit_for_bit() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let digits = |n: u64, len: u64| -> String {
            let s = n.to_string();
            s[..(len as usize).min(s.len())].to_string()
        };
        for _ in 0..200_000 {
            let sign = if next() % 2 == 0 { "-" } else { "" };
            let int = match next() % 4 {
                0 => "0".to_string(),
                _ => digits((next() % 10_000_000_000_000_000_000) | 1, 1 + next() % 20),
            };
            let int = int.trim_start_matches('0').to_string();
            let int = if int.is_empty() { "0".to_string() } else { int };
            let frac = match next() % 3 {
                0 => String::new(),
                _ => format!(
                    ".{}",
                    "0".repeat((next() % 4) as usize) + &digits(next(), 1 + next() % 18)
                ),
            };
            let exp = match next() % 4 {
                0 => format!("e{}", next() % 30),
                1 => format!("E-{}", next() % 30),
                _ => String::new(),
            };
            let text = format!("{sign}{int}{frac}{exp}");
            let want: f64 = text.parse().unwrap();
            assert_eq!(parse(&text).to_bits(), want.to_bits(), "{text}");
        }
        for text in [
            "0",
            "-0",
            "-0.0",
            "9007199254740993",
            "0.1",
            "1e22",
            "1e23",
            "123456789012345678901",
        ] {
            let want: f64 = text.parse().unwrap();
            assert_eq!(parse(text).to_bits(), want.to_bits(), "{text}");
        }
    }
}

//! What kinds of characters a value holds, gathered in one pass: each ASCII
//! punctuation character, tab, line feed, carriage return, NUL, other controls,
//! non-ASCII characters, uppercase letters, spaces and runs of whitespace, one bit
//! each. Prefilters test them against what a regex needs (`prefilter`); the
//! transformations tell from them that they would change nothing
//! (`Transform::effect`).

/// A set of symbols. Lowercase letters and digits have no bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Symbols(u64);

/// Bits 0-31 are the 32 ASCII punctuation characters.
const TAB: u64 = 1 << 32;
const LINE_FEED: u64 = 1 << 33;
const CARRIAGE_RETURN: u64 = 1 << 34;
const NUL: u64 = 1 << 35;
/// The other ASCII controls and DEL.
const CONTROL: u64 = 1 << 36;
/// Any byte of a non-ASCII character.
const NON_ASCII: u64 = 1 << 37;
const UPPERCASE: u64 = 1 << 38;
const SPACE: u64 = 1 << 39;
/// Two ASCII whitespace or control bytes in a row.
const WHITESPACE_RUN: u64 = 1 << 40;

/// Bits of whitespace and controls: what whitespace steps act on.
const WHITESPACE: u64 = TAB | LINE_FEED | CARRIAGE_RETURN | NUL | CONTROL | SPACE;

/// Each byte's bit.
const SYMBOL: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut next = 0;
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        table[b] = if c.is_ascii_punctuation() {
            next += 1;
            1 << (next - 1)
        } else if c == b'\t' {
            TAB
        } else if c == b'\n' {
            LINE_FEED
        } else if c == b'\r' {
            CARRIAGE_RETURN
        } else if c == 0 {
            NUL
        } else if c.is_ascii_control() {
            CONTROL
        } else if c >= 0x80 {
            NON_ASCII
        } else if c.is_ascii_uppercase() {
            UPPERCASE
        } else if c == b' ' {
            SPACE
        } else {
            0
        };
        b += 1;
    }
    table
};

/// Marks the whitespace bytes (up to the space, and DEL) in `SCAN`, so that `of`
/// finds two in a row by and-ing each byte's bits with the previous byte's; it is
/// never left in a set.
const WS_MARK: u64 = 1 << 63;

/// `SYMBOL`, with `WS_MARK` on the whitespace bytes.
const SCAN: [u64; 256] = {
    let mut table = SYMBOL;
    let mut b = 0usize;
    while b < 256 {
        assert!(
            SYMBOL[b] & WS_MARK == 0,
            "WS_MARK must be a bit no symbol uses"
        );
        if SYMBOL[b] & WHITESPACE != 0 {
            table[b] |= WS_MARK;
        }
        b += 1;
    }
    table
};

impl Symbols {
    /// The symbols of a value.
    pub fn of(value: &str) -> Symbols {
        // Most values are read here once per field: a lookup and three bit
        // operations per byte, no test of the byte's class.
        let (mut set, mut pairs, mut prev) = (0, 0, 0);
        for b in value.bytes() {
            let bits = SCAN[usize::from(b)];
            set |= bits;
            pairs |= prev & bits;
            prev = bits;
        }
        if pairs & WS_MARK != 0 {
            set |= WHITESPACE_RUN;
        }
        Symbols(set & !WS_MARK)
    }

    /// The symbol of one byte.
    pub fn of_byte(b: u8) -> Symbols {
        Symbols(SYMBOL[usize::from(b)])
    }

    /// The symbols of some bytes, for constants.
    pub const fn of_bytes(bytes: &[u8]) -> Symbols {
        let mut set = 0;
        let mut i = 0;
        while i < bytes.len() {
            set |= SYMBOL[bytes[i] as usize];
            i += 1;
        }
        Symbols(set)
    }

    /// True when the two sets share a symbol.
    pub fn intersects(self, other: Symbols) -> bool {
        self.0 & other.0 != 0
    }

    /// The set as bits (one per symbol), for tables indexed by symbol.
    pub fn bits(self) -> u64 {
        self.0
    }

    /// Both sets' symbols.
    pub fn union(self, other: Symbols) -> Symbols {
        Symbols(self.0 | other.0)
    }

    /// True when the value may hold one of the characters of `set` (a set from
    /// `of_bytes` or the constants: exact, except that controls other than tab, line
    /// feed, carriage return and NUL share one bit).
    pub fn has_any(self, set: Symbols) -> bool {
        self.intersects(set)
    }

    /// Non-ASCII characters.
    pub const NON_ASCII: Symbols = Symbols(NON_ASCII);
    /// ASCII uppercase letters.
    pub const UPPERCASE: Symbols = Symbols(UPPERCASE);
    /// Any whitespace or control (non-ASCII characters may be Unicode whitespace).
    pub const WHITESPACE: Symbols = Symbols(WHITESPACE | NON_ASCII);
    /// Whitespace other than single spaces: what `compress_whitespace` would change.
    pub const UNCOMPRESSED: Symbols = Symbols((WHITESPACE_RUN | WHITESPACE | NON_ASCII) & !SPACE);

    /// The set with `other`'s symbols as well, for constants.
    pub const fn with(self, other: Symbols) -> Symbols {
        Symbols(self.0 | other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lowercase_letters_and_digits_have_no_bit() {
        for b in 0..=255u8 {
            let silent = b.is_ascii_lowercase() || b.is_ascii_digit();
            assert_eq!(SYMBOL[usize::from(b)] == 0, silent, "{b:#x}");
        }
    }

    #[test]
    fn whitespace_runs_and_single_spaces_are_told_apart() {
        let uncompressed = |v: &str| Symbols::of(v).has_any(Symbols::UNCOMPRESSED);
        assert!(!uncompressed("a b c"));
        assert!(uncompressed("a  b"));
        assert!(uncompressed("a\tb"));
        assert!(uncompressed("a\u{a0}b"));
        assert!(Symbols::of("a b").has_any(Symbols::WHITESPACE));
        assert!(!Symbols::of("ab").has_any(Symbols::WHITESPACE));
    }

    #[test]
    fn bytes_are_found() {
        let s = Symbols::of("Tom & Jerry's 100%");
        assert!(s.has_any(Symbols::of_bytes(b"&")));
        assert!(s.has_any(Symbols::of_bytes(b"%'")));
        assert!(!s.has_any(Symbols::of_bytes(b"<>/")));
        assert!(s.has_any(Symbols::UPPERCASE));
        assert!(!s.has_any(Symbols::NON_ASCII));
    }
}

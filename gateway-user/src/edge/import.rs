//! Parsing a blocklist file for `gateway ban import`: one CIDR per line, `#`
//! comments, blank lines. Every line is checked before anything is inserted.
use std::collections::HashSet;

use ipnet::IpNet;

use super::{
    cidr::parse_cidr,
    error::{EdgeError, Result},
};

/// The CIDRs of an import file, deduplicated, in file order.
#[derive(Debug, Default)]
pub struct ImportList {
    /// Networks to insert.
    pub nets: Vec<IpNet>,
    /// Lines whose host bits were cleared: (line number, input, result).
    pub normalized: Vec<(usize, String, IpNet)>,
}

/// Parses the text of an import file; the first bad line fails the whole file.
pub fn parse_import(file: &str, text: &str) -> Result<ImportList> {
    let mut list = ImportList::default();
    let mut seen = HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let parsed = parse_cidr(line).map_err(|e| EdgeError::ImportLine {
            file: file.to_string(),
            line: i + 1,
            text: raw.to_string(),
            reason: match e {
                EdgeError::InvalidCidr { reason, .. } => format!("invalid CIDR: {reason}"),
                other => other.to_string(),
            },
        })?;
        if parsed.normalized {
            list.normalized.push((i + 1, line.to_string(), parsed.net));
        }
        if seen.insert(parsed.net) {
            list.nets.push(parsed.net);
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_blank_lines_and_duplicates_are_skipped() {
        let text = "# header\n\n198.18.0.1\n198.18.0.0/24  # trailing comment\n  2001:db8::/32\n198.18.0.1/32\n";
        let list = parse_import("f", text).unwrap();
        let got: Vec<String> = list.nets.iter().map(|n| n.to_string()).collect();
        assert_eq!(got, ["198.18.0.1/32", "198.18.0.0/24", "2001:db8::/32"]);
        assert!(list.normalized.is_empty());
    }

    #[test]
    fn a_bad_line_fails_the_file_naming_its_number_and_text() {
        let text = "198.18.0.1\n# ok\n198.18.0.300\n10.0.0.0/8\n";
        let err = parse_import("bans.txt", text).unwrap_err().to_string();
        assert!(err.starts_with("bans.txt:3:"), "{err}");
        assert!(err.contains("198.18.0.300"), "{err}");
        assert!(err.contains("nothing was imported"), "{err}");
    }

    #[test]
    fn host_bits_are_normalized_and_reported_with_their_line() {
        let list = parse_import("f", "\n198.18.1.1/24\n").unwrap();
        assert_eq!(list.nets[0].to_string(), "198.18.1.0/24");
        assert_eq!(list.normalized.len(), 1);
        assert_eq!(list.normalized[0].0, 2);
    }

    #[test]
    fn a_hundred_thousand_lines_parse() {
        let mut text = String::new();
        for i in 0..100_000u32 {
            let [_, b, c, d] = i.to_be_bytes();
            text.push_str(&format!("10.{b}.{c}.{d}\n"));
        }
        assert_eq!(parse_import("f", &text).unwrap().nets.len(), 100_000);
    }
}

//! "Did you mean …?" suggestions for misspelt keys, values and names.

/// The candidate closest to `word`, when it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a, I, S>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a S>,
    S: AsRef<str> + ?Sized + 'a,
{
    let word_lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                c.as_ref(),
                distance(&word_lower, &c.as_ref().to_ascii_lowercase()),
            )
        })
        .filter(|&(c, d)| d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|&(_, d)| d)
        .map(|(c, _)| c)
}

/// Levenshtein edit distance, on characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn a_one_letter_typo_suggests_the_right_key() {
        assert_eq!(did_you_mean("bnd", &["name", "bind", "tls"]), Some("bind"));
        assert_eq!(
            did_you_mean("path_prefx", &["path", "path_prefix", "host"]),
            Some("path_prefix")
        );
    }

    #[test]
    fn an_unrelated_word_suggests_nothing() {
        assert_eq!(did_you_mean("zebra", &["name", "bind", "tls"]), None);
    }

    #[test]
    fn case_differences_are_close() {
        assert_eq!(
            did_you_mean("roundrobin", &["round_robin", "least_conn", "ip_hash"]),
            Some("round_robin")
        );
    }
}

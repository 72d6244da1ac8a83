//! ASCII case-insensitive search for a few fixed needles, fast: the prefilters that decide
//! which files are parsed at all (`scan::might_be_relevant`, `declared::prefilter`) run over
//! every byte of a tree, so they are the hot loop of `check`.
//!
//! An ASCII case-insensitive automaton cannot use the SIMD literal search (Teddy) that a
//! case-sensitive one gets, and falls back to a byte-at-a-time automaton. So the text is
//! lowercased into a fixed-size chunk buffer (each chunk overlapping the next by one needle
//! length less one byte, so no match is split) and searched case-sensitively for the
//! lowercased needles. No allocation per call, whatever the file's size.
//!
//! Not a general search: it answers only "is any needle in here".

use aho_corasick::AhoCorasick;
use aho_corasick::packed;

/// Bytes lowercased and searched at a time: small enough to stay in L1/L2 cache.
const CHUNK: usize = 16 * 1024;

/// Needles matched ASCII case-insensitively.
#[derive(Debug)]
pub struct Needles {
    /// SIMD search (Teddy) over the lowercased needles, when this CPU has it.
    packed: Option<packed::Searcher>,
    /// Over the lowercased needles, case-sensitive: where `packed` is not available. (An
    /// `AhoCorasick` over many needles does not always pick Teddy itself: with these 13 it
    /// ran its DFA byte by byte, 15% of `check`'s time on a library tree.)
    automaton: AhoCorasick,
    /// Length of the longest needle, in bytes.
    longest: usize,
}

impl Needles {
    /// `None` when the automaton cannot be built (it cannot for a handful of short needles)
    /// or a needle is longer than a quarter of a chunk.
    pub fn new(words: &[&str]) -> Option<Self> {
        let lowered: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        let longest = lowered.iter().map(String::len).max().unwrap_or(0);
        if longest > CHUNK / 4 {
            return None;
        }
        let automaton = AhoCorasick::new(&lowered).ok()?;
        let packed = packed::Config::new().builder().extend(&lowered).build();
        Some(Self {
            packed,
            automaton,
            longest,
        })
    }

    /// Whether any needle occurs in `bytes`, ASCII case-insensitively.
    pub fn any_in(&self, bytes: &[u8]) -> bool {
        let overlap = self.longest.saturating_sub(1);
        let mut buffer = [0u8; CHUNK];
        let step = CHUNK - overlap;
        let mut start = 0;
        while start < bytes.len() {
            let end = (start + CHUNK).min(bytes.len());
            let window = &bytes[start..end];
            let lower = &mut buffer[..window.len()];
            for (to, from) in lower.iter_mut().zip(window) {
                *to = from.to_ascii_lowercase();
            }
            let found = match &self.packed {
                Some(searcher) => searcher.find(&*lower).is_some(),
                None => self.automaton.is_match(&*lower),
            };
            if found {
                return true;
            }
            if end == bytes.len() {
                break;
            }
            // The next window starts `overlap` bytes before this one ended: a match that
            // crosses `end` starts at most `overlap` bytes before it.
            start += step;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needles(words: &[&str]) -> Needles {
        Needles::new(words).expect("needles build")
    }

    #[test]
    fn matches_ignoring_ascii_case() {
        let n = needles(&["postgres", "Neon_DB", "\\"]);
        assert!(n.any_in(b"import POSTGRES"));
        assert!(n.any_in(b"x = os.environ['NEON_DB_URL']"));
        assert!(n.any_in(b"a\\b"));
        assert!(!n.any_in(b"import mysql"));
        assert!(!n.any_in(b""));
        // Non-ASCII bytes are left alone (no Unicode folding), and never panic.
        assert!(!n.any_in("PÖSTGRES".as_bytes()));
        assert!(!n.any_in(&[0xff, 0xfe, 0x00, 0x80]));
    }

    #[test]
    fn finds_needles_across_every_chunk_boundary() {
        let n = needles(&["postgres"]);
        let overlap = "postgres".len() - 1;
        let step = CHUNK - overlap;
        // The needle at every offset around the first two chunk boundaries and the end.
        for boundary in [CHUNK, step + CHUNK, 3 * step] {
            for offset in boundary - 10..boundary + 2 {
                let mut text = vec![b'x'; offset + 40];
                text[offset..offset + 8].copy_from_slice(b"PostGres");
                assert!(n.any_in(&text), "needle at {offset} not found");
                // Cut through the needle: no match.
                text.truncate(offset + 7);
                assert!(!n.any_in(&text), "partial needle at {offset} matched");
            }
        }
    }

    #[test]
    fn a_long_text_without_needles_is_read_to_the_end() {
        let n = needles(&["ossrdbms", "password="]);
        let mut text = vec![b'a'; 5 * CHUNK + 3];
        assert!(!n.any_in(&text));
        let len = text.len();
        text[len - 9..].copy_from_slice(b"PASSWORD=");
        assert!(n.any_in(&text));
    }
}

//! A work budget for tree-sitter parses, so that no input makes a parse run away.
//!
//! tree-sitter's error recovery can loop: on a 187-byte fuzz input (`fuzz/seeds/scan/
//! scan-timeout-49fdb282`) the TypeScript grammar's recovery circles between bytes 171 and 175
//! for ever, each round more expensive than the last (100 rounds of 100 operations take 0.4 s,
//! 3,000 take 17 s, and memory grows past a gigabyte). tree-sitter calls a progress callback
//! every 100 parse operations; [`parse_bounded`] cancels the parse from there when
//!
//! - the furthest byte the parser has reached has not moved for [`STALLED_CHECKS`] checks
//!   (a parse that moves forward never waits that long at one place: see the figures there), or
//! - the parse has taken more than [`CHECKS_PER_KIB`] checks per KiB of text (plus
//!   [`BASE_CHECKS`]), which bounds loops that creep forward.
//!
//! Both limits count operations, not time, so a file parses or not the same way on every
//! machine and under any load. A cancelled parse gives no tree: the caller falls back to the
//! regex scanner, as it does for files over the size caps.

use tree_sitter::{ParseOptions, ParseState, Parser, Tree};

/// Checks (of 100 operations each) the furthest position may stay put before the parse is
/// cancelled. Measured: real and generated files (node_modules, the Python standard library,
/// the pathological cases of `tests.rs`) stall for at most a few dozen checks, the balancing
/// of a 1 MiB file's repetitions included; the looping recovery reaches 64 checks in about
/// 0.3 s.
const STALLED_CHECKS: u32 = 64;

/// Checks per KiB of text a parse may take in all (about 25 operations per byte).
const CHECKS_PER_KIB: usize = 256;

/// Checks any parse may take, however short the text.
const BASE_CHECKS: usize = 256;

/// How far a parse has got, and whether it may go on.
#[derive(Debug)]
pub(super) struct Budget {
    checks: usize,
    max_checks: usize,
    max_stalled: u32,
    furthest: usize,
    stalled: u32,
    /// The most checks the furthest position stayed put (for the calibration probe).
    #[cfg(test)]
    pub(super) longest_stall: u32,
}

impl Budget {
    pub(super) fn for_text(len: usize) -> Self {
        Self {
            checks: 0,
            max_checks: BASE_CHECKS.saturating_add(len / 1024 * CHECKS_PER_KIB),
            max_stalled: STALLED_CHECKS,
            furthest: 0,
            stalled: 0,
            #[cfg(test)]
            longest_stall: 0,
        }
    }

    /// One progress check at `offset`: whether the parse must stop.
    pub(super) fn exhausted(&mut self, offset: usize) -> bool {
        self.checks += 1;
        if offset > self.furthest {
            self.furthest = offset;
            self.stalled = 0;
        } else {
            self.stalled += 1;
            #[cfg(test)]
            {
                self.longest_stall = self.longest_stall.max(self.stalled);
            }
        }
        self.checks > self.max_checks || self.stalled > self.max_stalled
    }

    /// No limit: for measuring what real parses take.
    #[cfg(test)]
    pub(super) fn unlimited() -> Self {
        Self {
            max_checks: usize::MAX,
            max_stalled: u32::MAX,
            ..Self::for_text(0)
        }
    }

    #[cfg(test)]
    pub(super) fn checks(&self) -> usize {
        self.checks
    }
}

/// `parser.parse(text, old)` within a [`Budget`]: `None` when the budget runs out (or when
/// tree-sitter fails for its own reasons).
pub(crate) fn parse_bounded(parser: &mut Parser, text: &str, old: Option<&Tree>) -> Option<Tree> {
    parse_counting(parser, text, old, &mut Budget::for_text(text.len()))
}

pub(super) fn parse_counting(
    parser: &mut Parser,
    text: &str,
    old: Option<&Tree>,
    budget: &mut Budget,
) -> Option<Tree> {
    let bytes = text.as_bytes();
    let mut progress = |state: &ParseState| budget.exhausted(state.current_byte_offset());
    parser.parse_with_options(
        &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
        old,
        Some(ParseOptions::new().progress_callback(&mut progress)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_that_moves_forward_is_never_cut() {
        let mut budget = Budget::for_text(1 << 20);
        // 3,000 × 65 checks stay within the total for 1 MiB (262,400).
        for offset in 1..=3_000 {
            assert!(!budget.exhausted(offset * 10));
            // Reductions and recovery at one place, short of the limit.
            for _ in 0..STALLED_CHECKS {
                assert!(!budget.exhausted(offset * 10));
            }
        }
    }

    #[test]
    fn a_stalled_parse_is_cut() {
        let mut budget = Budget::for_text(1 << 20);
        assert!(!budget.exhausted(500));
        // Going back does not count as progress.
        let stopped = (0..).position(|round| budget.exhausted(500 - round % 10));
        assert_eq!(stopped, Some(STALLED_CHECKS as usize));
    }

    #[test]
    fn a_creeping_parse_is_cut_by_the_total() {
        let mut budget = Budget::for_text(2048);
        let stopped = (0..).position(|round| budget.exhausted(round / 10));
        assert_eq!(stopped, Some(BASE_CHECKS + 2 * CHECKS_PER_KIB));
    }

    /// The fuzz input that made the TypeScript grammar's error recovery loop for ever: the
    /// parse is cancelled within its budget, and the scanner still answers (from the regex
    /// scanner).
    #[test]
    fn the_looping_fuzz_input_is_cut_within_the_budget() {
        let bytes = include_bytes!("../../../fuzz/seeds/scan/scan-timeout-49fdb282");
        let text = String::from_utf8_lossy(&bytes[1..]).into_owned();
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into())
            .unwrap();
        let mut budget = Budget::for_text(text.len());
        let tree = parse_counting(&mut parser, &text, None, &mut budget);
        assert!(tree.is_none(), "the looping parse was not cancelled");
        assert!(
            budget.checks() <= BASE_CHECKS + 1,
            "{} checks",
            budget.checks()
        );
        // The whole scan, as the fuzz target runs it, ends too.
        let scan = crate::scan::scan(crate::scan::Language::JavaScript, &text);
        assert!(scan.env_refs.len() < 10, "{:?}", scan.env_refs);
    }
}

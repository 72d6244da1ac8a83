//! The sink every rule writes its findings into: each rule's findings are filtered by the
//! configured levels and suppression comments as soon as the rule returns, and at most
//! [`MAX_PER_RULE_AND_FILE`] findings of one rule in one file are kept. The rest of them become
//! one summary finding (per severity) at the first one left out, whose
//! [`Diagnostic::omitted`] says how many it stands for, so every output still counts them all.
//!
//! Why a cap: a generated .env with 146,000 copies of one key is 438,000 findings (a duplicate,
//! an invalid host and an unused variable per line); holding and printing every one took
//! ~470 MiB and most of a second, and nobody reads past the first screen of one rule in one
//! file. Rules keep their simple signature (`&mut Vec<Diagnostic>`): `run_all` hands them a
//! `&mut Collector`, which derefs to the vector of the rule being run. Taking it mutably is
//! the moment the previous rule's findings are settled, so at most one rule's raw findings are
//! held at once (see `Collector::deref_mut`).
//!
//! `push_with` (and `push_with_severity`, for a finding below its rule's default severity)
//! filter and count a finding before the rule builds it: past the cap a finding costs a
//! counter. A rule whose findings can run into the hundreds of thousands (`duplicate-key`) may
//! also stop building them at the cap itself and push one finding with `omitted` set instead;
//! it joins the summary like any finding past the cap.

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::Rule;
use crate::text::TextRange;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

/// The most findings of one rule in one file that are listed one by one.
pub const MAX_PER_RULE_AND_FILE: usize = 1000;

pub(crate) struct Collector<'k> {
    /// Applies the configured severity; `false` drops the finding (rule off, suppressed).
    keep: &'k dyn Fn(&mut Diagnostic) -> bool,
    /// The running rule's raw findings.
    pending: Vec<Diagnostic>,
    kept: Vec<Diagnostic>,
    /// Findings listed so far per file and rule, and the summary finding (index into `kept`)
    /// per file, rule and severity; keyed by path first so a lookup allocates nothing.
    files: HashMap<String, FileCounts>,
    /// The diagnostic [`Collector::push_with`] filters before building the real one.
    probe: Option<Diagnostic>,
}

impl<'k> Collector<'k> {
    pub(crate) fn new(keep: &'k dyn Fn(&mut Diagnostic) -> bool) -> Self {
        Self {
            keep,
            pending: Vec::new(),
            kept: Vec::new(),
            files: HashMap::new(),
            probe: None,
        }
    }

    /// Moves the pending findings into `kept`, in file order, past the filter and the cap.
    fn settle(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut batch = std::mem::take(&mut self.pending);
        // The first findings in the file are the ones listed; a summary a rule made itself
        // (it stopped building findings at the cap) comes after those it listed.
        batch.sort_unstable_by(|a, b| {
            (&a.path, a.omitted > 0, a.range.start).cmp(&(&b.path, b.omitted > 0, b.range.start))
        });
        for diagnostic in batch {
            self.admit(diagnostic);
        }
    }

    /// Filters one finding and lists it, or counts it in its summary past the cap.
    fn admit(&mut self, mut diagnostic: Diagnostic) {
        if !(self.keep)(&mut diagnostic) {
            return;
        }
        if diagnostic.omitted == 0 && self.listed_count(&diagnostic.path, diagnostic.rule) {
            self.kept.push(diagnostic);
        } else {
            let stands_for = diagnostic.omitted.max(1);
            self.summarise(
                diagnostic.rule,
                &diagnostic.path,
                diagnostic.range,
                diagnostic.severity,
                stands_for,
            );
        }
    }

    /// The counts of `path`, created on first use.
    fn counts(&mut self, path: &str) -> &mut FileCounts {
        if !self.files.contains_key(path) {
            self.files.insert(path.to_string(), FileCounts::default());
        }
        self.files.get_mut(path).expect("inserted above")
    }

    /// Whether one more finding of `rule` in `path` is listed one by one (it is then counted).
    fn listed_count(&mut self, path: &str, rule: Rule) -> bool {
        let listed = self.counts(path).listed.entry(rule).or_insert(0);
        if *listed < MAX_PER_RULE_AND_FILE {
            *listed += 1;
            true
        } else {
            false
        }
    }

    /// Counts a finding past the cap (or a rule's own summary, `stands_for` findings) in its
    /// file's summary, which starts at the first one left out.
    fn summarise(
        &mut self,
        rule: Rule,
        path: &str,
        range: TextRange,
        severity: Severity,
        stands_for: usize,
    ) {
        let next = self.kept.len();
        let index = *self
            .counts(path)
            .summaries
            .entry((rule, severity))
            .or_insert(next);
        if index == next {
            let mut summary = Diagnostic::new(rule, path, range, String::new());
            summary.severity = severity;
            self.kept.push(summary);
        }
        self.kept[index].omitted += stands_for;
    }

    /// For a rule whose findings can run into the hundreds of thousands: a finding of `rule` at
    /// `range` in `path` is filtered and counted first, and `build` (its message, fixes) runs
    /// only when it is listed. Past the cap it costs a counter, not a diagnostic, so 250,000
    /// reads of one misspelt name build 1,000 messages and fixes. Findings are listed in the
    /// order they are pushed: the rule pushes them in file order.
    pub(crate) fn push_with(
        &mut self,
        rule: Rule,
        path: &str,
        range: TextRange,
        build: impl FnOnce() -> Diagnostic,
    ) {
        self.push_with_severity(rule, path, range, rule.default_severity(), build);
    }

    /// [`Collector::push_with`] for a finding whose severity before configuration is
    /// `severity` rather than its rule's default (`env-syntax` lowers a line the loader reads
    /// but misreads to a warning). The configured level, if any, still wins; the severity
    /// `build` sets is overwritten by the filtered one.
    pub(crate) fn push_with_severity(
        &mut self,
        rule: Rule,
        path: &str,
        range: TextRange,
        severity: Severity,
        build: impl FnOnce() -> Diagnostic,
    ) {
        self.settle();
        // One probe per file and rule, reused: filtering costs no allocation per finding.
        let probe = match &mut self.probe {
            Some(probe) if probe.rule == rule && probe.path == path => probe,
            slot => slot.insert(Diagnostic::new(rule, path, range, String::new())),
        };
        probe.range = range;
        probe.severity = severity;
        if !(self.keep)(probe) {
            return;
        }
        let severity = probe.severity;
        if self.listed_count(path, rule) {
            let mut diagnostic = build();
            debug_assert!(diagnostic.rule == rule && diagnostic.range == range);
            diagnostic.severity = severity;
            self.kept.push(diagnostic);
        } else {
            self.summarise(rule, path, range, severity, 1);
        }
    }

    /// Every kept finding, the summaries worded with their final counts.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        self.settle();
        let summaries = self
            .files
            .values()
            .flat_map(|counts| counts.summaries.values());
        for &index in summaries {
            let summary = &mut self.kept[index];
            summary.message = summary_message(summary.rule, summary.omitted);
        }
        self.kept
    }
}

/// What the collector counts per file.
#[derive(Default)]
struct FileCounts {
    listed: HashMap<Rule, usize>,
    summaries: HashMap<(Rule, Severity), usize>,
}

fn summary_message(rule: Rule, omitted: usize) -> String {
    let findings = if omitted == 1 { "finding" } else { "findings" };
    format!(
        "{omitted} more {rule} {findings} from here on in this file are not listed \
         one by one: neon-lsp lists at most {MAX_PER_RULE_AND_FILE} findings of one rule per \
         file; fix the ones listed and run again"
    )
}

impl Deref for Collector<'_> {
    type Target = Vec<Diagnostic>;

    fn deref(&self) -> &Vec<Diagnostic> {
        &self.pending
    }
}

impl DerefMut for Collector<'_> {
    /// Settles the previous rule's findings before handing out the vector for the next one:
    /// `run_all` passes `&mut Collector` to each rule's `check(context, out)`, which coerces
    /// through here once per rule.
    fn deref_mut(&mut self) -> &mut Vec<Diagnostic> {
        self.settle();
        &mut self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextRange;

    fn finding(rule: Rule, path: &str, at: usize) -> Diagnostic {
        Diagnostic::new(rule, path, TextRange::new(at, at + 1), format!("at {at}"))
    }

    fn push_many(out: &mut Vec<Diagnostic>, rule: Rule, path: &str, count: usize) {
        // Reverse order: the collector lists the first ones in the file, not the first pushed.
        for at in (0..count).rev() {
            out.push(finding(rule, path, at));
        }
    }

    #[test]
    fn caps_each_rule_per_file_and_counts_the_rest() {
        let keep = |_: &mut Diagnostic| true;
        let mut collector = Collector::new(&keep);
        push_many(&mut collector, Rule::DuplicateKey, ".env", 2500);
        push_many(&mut collector, Rule::DuplicateKey, "other/.env", 3);
        push_many(&mut collector, Rule::UnusedEnvVariable, ".env", 1001);
        let kept = collector.finish();
        let of = |rule: Rule, path: &str| -> Vec<&Diagnostic> {
            kept.iter()
                .filter(|d| d.rule == rule && d.path == path)
                .collect()
        };
        let duplicates = of(Rule::DuplicateKey, ".env");
        assert_eq!(duplicates.len(), MAX_PER_RULE_AND_FILE + 1);
        assert!(
            duplicates[..MAX_PER_RULE_AND_FILE]
                .iter()
                .all(|d| d.omitted == 0 && d.range.start < MAX_PER_RULE_AND_FILE)
        );
        let summary = duplicates[MAX_PER_RULE_AND_FILE];
        assert_eq!(summary.omitted, 1500);
        assert_eq!(summary.range.start, MAX_PER_RULE_AND_FILE);
        assert!(
            summary
                .message
                .starts_with("1500 more duplicate-key findings")
        );
        assert_eq!(of(Rule::DuplicateKey, "other/.env").len(), 3);
        let unused = of(Rule::UnusedEnvVariable, ".env");
        assert_eq!(unused.last().unwrap().omitted, 1);
        assert!(
            unused
                .last()
                .unwrap()
                .message
                .starts_with("1 more unused-env-variable finding ")
        );
    }

    #[test]
    fn filters_before_counting_and_summarises_per_severity() {
        // Suppressed findings neither count towards the cap nor appear in a summary.
        let keep = |d: &mut Diagnostic| {
            if !d.range.start.is_multiple_of(2) {
                d.severity = Severity::Error;
            }
            !d.range.start.is_multiple_of(3)
        };
        let mut collector = Collector::new(&keep);
        push_many(&mut collector, Rule::InvalidNeonHost, ".env", 3000);
        let kept = collector.finish();
        let listed = kept.iter().filter(|d| d.omitted == 0).count();
        assert_eq!(listed, MAX_PER_RULE_AND_FILE);
        let total: usize = kept.iter().map(|d| d.omitted.max(1)).sum();
        assert_eq!(total, (0..3000).filter(|at| at % 3 != 0).count());
        let summaries: Vec<_> = kept.iter().filter(|d| d.omitted > 0).collect();
        assert_eq!(summaries.len(), 2);
        assert!(summaries.iter().any(|d| d.severity == Severity::Error));
        assert!(summaries.iter().all(|d| d.fixes.is_empty()));
    }
}

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
//! A rule whose findings can run into the hundreds of thousands (`duplicate-key`) may stop
//! building them at the cap itself and push one finding with `omitted` set instead; it joins
//! the summary like any finding past the cap.

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::Rule;
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
    /// Findings listed so far per file and rule.
    listed: HashMap<(String, Rule), usize>,
    /// The summary finding (index into `kept`) per file, rule and severity.
    summaries: HashMap<(String, Rule, Severity), usize>,
}

impl<'k> Collector<'k> {
    pub(crate) fn new(keep: &'k dyn Fn(&mut Diagnostic) -> bool) -> Self {
        Self {
            keep,
            pending: Vec::new(),
            kept: Vec::new(),
            listed: HashMap::new(),
            summaries: HashMap::new(),
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
        for mut diagnostic in batch {
            if !(self.keep)(&mut diagnostic) {
                continue;
            }
            let listed = self
                .listed
                .entry((diagnostic.path.clone(), diagnostic.rule))
                .or_insert(0);
            if *listed < MAX_PER_RULE_AND_FILE && diagnostic.omitted == 0 {
                *listed += 1;
                self.kept.push(diagnostic);
                continue;
            }
            let stands_for = diagnostic.omitted.max(1);
            let key = (
                diagnostic.path.clone(),
                diagnostic.rule,
                diagnostic.severity,
            );
            match self.summaries.get(&key) {
                Some(&index) => self.kept[index].omitted += stands_for,
                None => {
                    let mut summary = Diagnostic::new(
                        diagnostic.rule,
                        diagnostic.path,
                        diagnostic.range,
                        String::new(),
                    );
                    summary.severity = diagnostic.severity;
                    summary.omitted = stands_for;
                    self.summaries.insert(key, self.kept.len());
                    self.kept.push(summary);
                }
            }
        }
    }

    /// Every kept finding, the summaries worded with their final counts.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        self.settle();
        for &index in self.summaries.values() {
            let summary = &mut self.kept[index];
            summary.message = summary_message(summary.rule, summary.omitted);
        }
        self.kept
    }
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

//! The scan after an edit, from the previous one (the language server's path, issue 13's
//! "p99 < 10 ms per edit" on a 10,000-line file).
//!
//! After the incremental re-parse, the top-level statements the edit touched — in the new tree
//! and in the previous one, widened until both sides cover whole statements — are found from
//! the edit and `Tree::changed_ranges` (everything outside has the same text, shifted, and the
//! same syntax). Only those statements are walked; every other statement's facts are the
//! previous scan's, shifted by the edit's length change.
//!
//! That is exact only when the edited statements, before and after, change nothing the rest of
//! the file depends on. The whole-file parts of the scan are: the environment's aliases
//! (`env = os.environ`), the platform flags (`on_azure = "WEBSITE_HOSTNAME" in os.environ`) and
//! the value flow's bindings (flow- and scope-insensitive: a name bound anywhere holds its value
//! everywhere). So the edited statements, old and new, must
//! - add no alias (the alias pass is run over their candidates with the file's aliases),
//! - hold no platform needle (a platform variable or production value) and no platform flag's
//!   name, so that they record no branch and no flag,
//! - mention no name the value flow bound (the last part of each key: `conn`, `self.conn` →
//!   `conn`, `fn:get_conn` → `get_conn`), and, new, bind nothing themselves.
//!
//! Otherwise the new tree is scanned whole (its parse is not repeated). The cache test
//! (`analysis/cache.rs`) compares both paths with fresh scans over random edit sequences.

use super::{Builder, Dialect, Node, PLATFORM_NEEDLES, Tree, kinds, walk_under};
use crate::scan::{Language, Scan, ValueOrigin};
use crate::text::TextRange;
use std::collections::{HashMap, HashSet};

/// What a scan learnt about the whole file that one statement's facts depend on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    py_modules: Vec<String>,
    py_environs: Vec<String>,
    py_getenvs: Vec<String>,
    js_env_aliases: Vec<String>,
    platform_flags: HashMap<String, Option<bool>>,
    /// Names an edited statement must not contain: the platform flags and the last part of
    /// every key the value flow bound.
    watched: HashSet<String>,
}

impl Context {
    pub(super) fn of(builder: &Builder<'_, '_>) -> Context {
        let mut watched: HashSet<String> = builder.platform_flags.keys().cloned().collect();
        for key in &builder.bound {
            let last = key.rsplit(['.', ':']).next().unwrap_or(key);
            watched.insert(last.to_owned());
        }
        Context {
            py_modules: builder.py_modules.clone(),
            py_environs: builder.py_environs.clone(),
            py_getenvs: builder.py_getenvs.clone(),
            js_env_aliases: builder.js_env_aliases.clone(),
            platform_flags: builder.platform_flags.clone(),
            watched,
        }
    }

    fn seed(&self, builder: &mut Builder<'_, '_>) {
        builder.py_modules.clone_from(&self.py_modules);
        builder.py_environs.clone_from(&self.py_environs);
        builder.py_getenvs.clone_from(&self.py_getenvs);
        builder.js_env_aliases.clone_from(&self.js_env_aliases);
        builder.platform_flags.clone_from(&self.platform_flags);
    }
}

/// The previous scan of a file: its text, its tree (not edited), its facts and context.
pub(crate) struct Previous<'p> {
    pub text: &'p str,
    pub tree: &'p Tree,
    pub scan: &'p Scan,
    pub context: &'p Context,
}

/// What changed since the previous scan: its bytes `start..old_end` are now `start..new_end`
/// (several edits merged into the one range covering them all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
}

impl Span {
    /// The span covering `self` and then `next` (an edit of the text after `self`).
    pub fn then(self, next: Span) -> Span {
        let start = self.start.min(next.start);
        let end = self.new_end.max(next.old_end);
        Span {
            start,
            old_end: self.old_end + (end - self.new_end),
            new_end: (end + next.new_end).saturating_sub(next.old_end),
        }
    }
}

/// The scan of `text` after the edit `span` of `previous.text`; `edited` is the previous tree
/// edited to match. The same facts as a fresh scan; the context is `None` when the text gets no
/// tree.
pub(crate) fn rescan(
    dialect: Dialect,
    text: &str,
    edited: &Tree,
    previous: &Previous<'_>,
    span: Span,
) -> (Scan, Option<Tree>, Option<Context>) {
    let language = super::language_of(dialect);
    if !super::tree_fits(text) || !super::has_tree_needle(language, text) {
        return super::scan_with_context(dialect, text, Some(edited));
    }
    let Some(tree) = super::parse_with(dialect, text, Some(edited)) else {
        return (super::super::code::scan_code(language, text), None, None);
    };
    if let Some(scan) = splice(language, text, &tree, edited, previous, span) {
        #[cfg(test)]
        SPLICED.with(|count| count.set(count.get() + 1));
        return (scan, Some(tree), Some(previous.context.clone()));
    }
    let (scan, context) = super::scan_parsed(language, text, &tree);
    (scan, Some(tree), Some(context))
}

/// The new facts from the previous ones and a scan of the edited statements, or `None` when
/// the edit may change facts outside them.
fn splice(
    language: Language,
    text: &str,
    tree: &Tree,
    edited: &Tree,
    previous: &Previous<'_>,
    span: Span,
) -> Option<Scan> {
    if *tree.language() != *previous.tree.language() || !previous.scan.env_definitions.is_empty() {
        return None;
    }
    let delta = text.len() as i64 - previous.text.len() as i64;
    let consistent = span.start <= span.old_end
        && span.start <= span.new_end
        && span.old_end <= previous.text.len()
        && span.new_end <= text.len()
        && span.new_end as i64 - span.old_end as i64 == delta;
    if !consistent {
        return None;
    }
    let to_old = |at: usize| usize::try_from(at as i64 - delta).ok();
    let to_new = |at: usize| usize::try_from(at as i64 + delta).ok();
    let (mut start, mut end) = (span.start, span.new_end);
    for changed in edited.changed_ranges(tree) {
        start = start.min(changed.start_byte);
        end = end.max(changed.end_byte);
    }
    let (root, old_root) = (tree.root_node(), previous.tree.root_node());
    // Widen to whole statements on both sides: `start..end` in the new text is
    // `start..to_old(end)` in the previous one (the text before `start` and after the edit is
    // the same).
    let (statements, old_statements, old_end) = loop {
        let old_end = to_old(end).filter(|e| *e >= start)?;
        let statements = overlapping(root, start, end);
        let old_statements = overlapping(old_root, start, old_end);
        let mut wider = (start, end);
        for node in &statements {
            wider = (wider.0.min(node.start_byte()), wider.1.max(node.end_byte()));
        }
        for node in &old_statements {
            wider = (
                wider.0.min(node.start_byte()),
                wider.1.max(to_new(node.end_byte())?),
            );
        }
        if wider == (start, end) {
            break (statements, old_statements, old_end);
        }
        (start, end) = wider;
    };
    let old_text = previous.text.get(start..old_end)?;
    let new_text = text.get(start..end)?;
    let context = previous.context;
    if touches_context(old_text, context) || touches_context(new_text, context) {
        return None;
    }
    // The previous statements' facts are dropped: they need only add nothing to the aliases
    // or bindings, which scanning them tells.
    scan_statements(language, previous.text, old_root, &old_statements, context)?;
    let region = scan_statements(language, text, root, &statements, context)?;
    Splice {
        start,
        old_end,
        delta,
    }
    .apply(previous.scan, region)
}

/// The top-level statements (children of the root) overlapping `start..end`, or holding
/// `start` strictly inside when the range is empty.
fn overlapping(root: Node<'_>, start: usize, end: usize) -> Vec<Node<'_>> {
    let mut found = Vec::new();
    let mut cursor = root.walk();
    if cursor.goto_first_child_for_byte(start).is_none() {
        return found;
    }
    loop {
        let node = cursor.node();
        let (from, to) = (node.start_byte(), node.end_byte());
        if from >= end.max(start + 1) || (start == end && from >= start) {
            break;
        }
        if to > start {
            found.push(node);
        }
        if !cursor.goto_next_sibling() {
            break;
        }
    }
    found
}

/// Whether `text` holds a platform needle or a watched name (a platform flag, a bound name).
fn touches_context(text: &str, context: &Context) -> bool {
    if PLATFORM_NEEDLES.is_match(text.as_bytes()) {
        return true;
    }
    if context.watched.is_empty() {
        return false;
    }
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .any(|word| !word.is_empty() && context.watched.contains(word))
}

/// The facts of `statements` (children of `root`) as the whole file's scan finds them, given
/// its context; `None` when they add an alias, a binding or a platform branch.
fn scan_statements(
    language: Language,
    text: &str,
    root: Node<'_>,
    statements: &[Node<'_>],
    context: &Context,
) -> Option<Scan> {
    let mut builder = Builder::new(language, text);
    context.seed(&mut builder);
    let table = kinds::table_of(root);
    let mut alias_nodes = Vec::new();
    for statement in statements {
        walk_under(*statement, vec![root], |node, _| {
            let candidate = match table {
                Some(table) => table.is_alias_candidate(node),
                None => kinds::ALIASES.contains(&node.kind()),
            };
            if candidate {
                alias_nodes.push(node);
            }
        });
    }
    if !alias_nodes.is_empty() {
        let adds = match language {
            Language::Python => builder.python_aliases(&alias_nodes) > 0,
            _ => {
                builder.javascript_aliases(&alias_nodes);
                let adds = !builder.js_env_aliases.is_empty();
                builder.js_env_aliases.clone_from(&context.js_env_aliases);
                adds
            }
        };
        if adds {
            return None;
        }
    }
    let mut paths: Vec<(usize, bool)> = Vec::new();
    let mut functions = Vec::new();
    for statement in statements {
        walk_under(*statement, vec![root], |node, ancestors| {
            builder.walked(node, ancestors, table, &mut paths, &mut functions);
        });
    }
    if !builder.branches.is_empty() || !builder.platform_modules.is_empty() {
        return None;
    }
    builder.order_refs();
    // No root: the flow's walk over uses runs only with a binding, which ends here anyway.
    builder.root = None;
    if !super::flow::run(&mut builder).is_empty() {
        return None;
    }
    let scan = builder.finish();
    scan.platform.is_none().then_some(scan)
}

/// Where the edited statements lie: `start..old_end` of the previous text, whose length
/// changed by `delta`.
struct Splice {
    start: usize,
    old_end: usize,
    delta: i64,
}

/// Where a fact lies relative to the edited statements.
enum Place {
    Before,
    Inside,
    After,
}

impl Splice {
    /// Where a previous fact at `range` lies; `None` for an empty range on a boundary (which
    /// side it belongs to cannot be told).
    fn place(&self, range: TextRange) -> Option<Place> {
        if range.is_empty() && (range.start == self.start || range.start == self.old_end) {
            return None;
        }
        Some(if range.start < self.start {
            Place::Before
        } else if range.start >= self.old_end {
            Place::After
        } else {
            Place::Inside
        })
    }

    /// `range` moved by the edit's length change when `shift` (a fact after the edit).
    fn moved(&self, range: TextRange, shift: bool) -> TextRange {
        if !shift {
            return range;
        }
        let by = |at: usize| (at as i64 + self.delta) as usize;
        TextRange::new(by(range.start), by(range.end))
    }

    /// The previous facts before and after the edited statements (those after shifted) with
    /// `region`'s in between.
    fn apply(&self, previous: &Scan, region: Scan) -> Option<Scan> {
        let mut scan = Scan::default();
        // Env refs first: assignments and value facts point into them by index.
        let (mut before, mut inside) = (0, 0);
        for reference in &previous.env_refs {
            match self.place(reference.name_range)? {
                Place::Before => before += 1,
                Place::Inside => inside += 1,
                Place::After => {}
            }
        }
        let added = region.env_refs.len();
        let index = |old: usize| -> Option<usize> {
            if old < before {
                Some(old)
            } else if old >= before + inside {
                Some(old - inside + added)
            } else {
                None
            }
        };
        scan.env_refs = self.merge(
            &previous.env_refs,
            region.env_refs,
            |r| r.name_range,
            |r, shift| {
                let mut r = r.clone();
                r.name_range = self.moved(r.name_range, shift);
                r.expr_range = self.moved(r.expr_range, shift);
                Some(r)
            },
        )?;
        scan.comments = self.merge(
            &previous.comments,
            region.comments,
            |r| *r,
            |r, shift| Some(self.moved(*r, shift)),
        )?;
        scan.string_literals = self.merge(
            &previous.string_literals,
            region.string_literals,
            |l| l.range,
            |l, shift| {
                let mut l = l.clone();
                l.range = self.moved(l.range, shift);
                l.value_range = self.moved(l.value_range, shift);
                Some(l)
            },
        )?;
        // Built connection strings depend on constants anywhere in the file: found again
        // (`templates::resolve`) once the facts are complete.
        for literal in &mut scan.string_literals {
            literal.built = None;
        }
        scan.log_calls = self.merge(
            &previous.log_calls,
            region.log_calls,
            |c| c.range,
            |c, shift| {
                let mut c = c.clone();
                c.range = self.moved(c.range, shift);
                c.callee_range = self.moved(c.callee_range, shift);
                c.args_range = self.moved(c.args_range, shift);
                Some(c)
            },
        )?;
        scan.split_calls = self.merge(
            &previous.split_calls,
            region.split_calls,
            |c| c.range,
            |c, shift| {
                let mut c = c.clone();
                c.range = self.moved(c.range, shift);
                c.receiver_range = self.moved(c.receiver_range, shift);
                Some(c)
            },
        )?;
        scan.token_scopes = self.merge(
            &previous.token_scopes,
            region.token_scopes,
            |s| s.literal_range,
            |s, shift| {
                let mut s = s.clone();
                s.literal_range = self.moved(s.literal_range, shift);
                s.value_range = self.moved(s.value_range, shift);
                Some(s)
            },
        )?;
        scan.ssl_properties = self.merge(
            &previous.ssl_properties,
            region.ssl_properties,
            |p| p.key_range,
            |p, shift| {
                let mut p = p.clone();
                p.key_range = self.moved(p.key_range, shift);
                p.value_range = self.moved(p.value_range, shift);
                Some(p)
            },
        )?;
        let region_assignments = region
            .assignments
            .into_iter()
            .map(|mut a| {
                a.env_ref += before;
                a
            })
            .collect();
        scan.assignments = self.merge(
            &previous.assignments,
            region_assignments,
            |a| a.local_range,
            |a, shift| {
                let mut a = a.clone();
                a.local_range = self.moved(a.local_range, shift);
                a.env_ref = index(a.env_ref)?;
                Some(a)
            },
        )?;
        let region_values = region
            .values
            .into_iter()
            .map(|mut v| {
                if let ValueOrigin::EnvRef(i) = &mut v.origin {
                    *i += before;
                }
                v
            })
            .collect();
        scan.values = self.merge(
            &previous.values,
            region_values,
            |v| v.range,
            |v, shift| {
                let mut v = v.clone();
                v.range = self.moved(v.range, shift);
                if let ValueOrigin::EnvRef(i) = &mut v.origin {
                    *i = index(*i)?;
                }
                Some(v)
            },
        )?;
        if let Some(platform) = &previous.platform {
            let mut platform = platform.clone();
            platform.code_paths = self.merge(
                &platform.code_paths,
                Vec::new(),
                |p| p.range,
                |p, shift| {
                    let mut p = p.clone();
                    p.range = self.moved(p.range, shift);
                    Some(p)
                },
            )?;
            // A branch in the edited statements would have stopped the splice already.
            scan.platform = Some(platform);
        }
        Some(scan)
    }

    /// `previous`' facts before the edited statements, then `region`, then `previous`' facts
    /// after them, each through `fix` (told whether the fact moved); `None` when a previous
    /// fact's place cannot be told or `fix` fails (a fact pointing at a dropped one).
    fn merge<T: Clone>(
        &self,
        previous: &[T],
        region: Vec<T>,
        range: impl Fn(&T) -> TextRange,
        fix: impl Fn(&T, bool) -> Option<T>,
    ) -> Option<Vec<T>> {
        let mut merged = Vec::with_capacity(previous.len() + region.len());
        let mut region = Some(region);
        for fact in previous {
            match self.place(range(fact))? {
                Place::Before => merged.push(fix(fact, false)?),
                Place::Inside => {}
                Place::After => {
                    if let Some(region) = region.take() {
                        merged.extend(region);
                    }
                    merged.push(fix(fact, true)?);
                }
            }
        }
        if let Some(region) = region.take() {
            merged.extend(region);
        }
        Some(merged)
    }
}

#[cfg(test)]
thread_local! {
    static SPLICED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many scans on this thread took the incremental path (tests check it is taken).
#[cfg(test)]
pub(crate) fn spliced() -> usize {
    SPLICED.with(std::cell::Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies `span`'s replacement `new` to `text` (as `start..old_end` → `new`).
    fn apply(text: &str, start: usize, old_end: usize, new: &str) -> (String, Span) {
        let mut changed = text.to_owned();
        changed.replace_range(start..old_end, new);
        let span = Span {
            start,
            old_end,
            new_end: start + new.len(),
        };
        (changed, span)
    }

    /// Two edits merged cover every changed byte: the text outside the merged span is the
    /// same before and after, shifted.
    #[test]
    fn merged_spans_cover_both_edits() {
        let text = "0123456789abcdefghij";
        let cases = [
            ((2, 4, "XYZ"), (10, 12, "")),
            ((10, 12, "Q"), (1, 3, "WW")),
            ((5, 5, "+++"), (6, 7, "-")),
            ((3, 9, ""), (3, 3, "long insertion")),
            ((8, 8, "ab"), (0, 20, "all")),
        ];
        for ((s1, e1, n1), (s2, e2, n2)) in cases {
            let (once, first) = apply(text, s1, e1, n1);
            let (twice, second) = apply(&once, s2, e2.min(once.len()), n2);
            let merged = first.then(second);
            assert_eq!(text[..merged.start], twice[..merged.start]);
            assert_eq!(text[merged.old_end..], twice[merged.new_end..]);
            assert_eq!(
                twice.len() as i64 - text.len() as i64,
                merged.new_end as i64 - merged.old_end as i64
            );
        }
    }

    /// The statements an edit touches: those overlapping it, or holding an empty edit strictly
    /// inside; not their neighbours ending or starting at its bounds.
    #[test]
    fn overlapping_statements() {
        let text = "a = 1\nb = 2\nc = 3\n";
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .expect("grammar loads");
        let tree = parser.parse(text, None).expect("parses");
        let starts = |start, end| -> Vec<usize> {
            overlapping(tree.root_node(), start, end)
                .iter()
                .map(|n| n.start_byte())
                .collect()
        };
        assert_eq!(starts(6, 7), vec![6]);
        assert_eq!(starts(4, 8), vec![0, 6]);
        assert_eq!(starts(7, 7), vec![6]);
        assert_eq!(starts(6, 6), Vec::<usize>::new());
        assert_eq!(starts(5, 6), Vec::<usize>::new());
        assert_eq!(starts(0, 18), vec![0, 6, 12]);
    }
}

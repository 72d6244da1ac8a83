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

/// A top-level node of a text (a statement, or an extra such as a comment): its bytes and
/// kind. The language server keeps one list per open document, so that an edit's statements
/// are found without a tree of the current text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Top {
    pub start: usize,
    pub end: usize,
    kind: u16,
}

/// The top-level nodes of `root`, in order.
pub(crate) fn tops_of(root: Node<'_>) -> Vec<Top> {
    let mut cursor = root.walk();
    root.children(&mut cursor)
        .map(|node| Top {
            start: node.start_byte(),
            end: node.end_byte(),
            kind: node.kind_id(),
        })
        .collect()
}

/// tree-sitter's kind id of `ERROR` nodes (`ts_builtin_sym_error`).
const ERROR_KIND: u16 = u16::MAX;

/// The latest scan of an open document, for [`splice_local`].
pub(crate) struct Latest<'p> {
    pub text: &'p str,
    pub scan: &'p Scan,
    /// The whole-file context of the last full parse (no splice since has changed it).
    pub context: &'p Context,
    /// `text`'s top-level nodes.
    pub tops: &'p [Top],
    /// The grammar of the last full parse.
    pub grammar: &'p tree_sitter::Language,
    /// Regions of `text` (whole top-level nodes) that must be re-parsed together when an
    /// edit's region meets them (the patches of the language server's view).
    pub patches: &'p [(usize, usize)],
    /// The last full parse found a syntax error somewhere.
    pub has_error: bool,
}

/// What [`splice_local`] gives: the facts, the new text's top-level nodes, and the region it
/// re-parsed (`start..end` of the new text) with its tree.
pub(crate) struct LocalSplice {
    pub scan: Scan,
    pub tops: Vec<Top>,
    pub start: usize,
    pub end: usize,
    pub tree: Tree,
}

/// Regions larger than this are not re-parsed on their own (the full re-parse is then as
/// quick, and the region's statements' scan is not).
const MAX_LOCAL_REGION: usize = 64 * 1024;

/// The scan of `text` after the edit `span` of `latest.text`, re-parsing only the top-level
/// nodes around the edit, or `None` when that cannot be shown to give what a full parse
/// gives (the caller then re-parses the whole text: [`rescan`]).
///
/// tree-sitter's incremental re-parse of a whole file costs time in proportion to its
/// top-level statements however small the edit (its top-level repetition nodes are fragile,
/// so never reused: 10,000 statements take 10–25 ms). Here the region is the top-level nodes
/// the edit touches plus one unedited neighbour on each side, parsed with the region as the
/// only included range (so that offsets are the document's). It is accepted only when
/// - the region's previous text, parsed the same way, gives exactly the top-level nodes the
///   full parse gave (the region parses alone as it does in the file),
/// - the new region parses without an error, its first and last nodes are the unedited
///   neighbours, unchanged (the edit did not join them to anything),
/// - and, as for [`rescan`], neither side touches the file's context.
pub(crate) fn splice_local(
    language: Language,
    text: &str,
    latest: &Latest<'_>,
    span: Span,
) -> Option<LocalSplice> {
    if !latest.scan.env_definitions.is_empty() || latest.tops.is_empty() {
        return None;
    }
    let old_text = latest.text;
    let delta = text.len() as i64 - old_text.len() as i64;
    let consistent = span.start <= span.old_end
        && span.start <= span.new_end
        && span.old_end <= old_text.len()
        && span.new_end <= text.len()
        && span.new_end as i64 - span.old_end as i64 == delta;
    if !consistent {
        return None;
    }
    let tops = latest.tops;
    // The touched nodes: those ending at or after the edit's start and starting at or before
    // its end; then one neighbour on each side.
    let first_touched = tops.partition_point(|top| top.end < span.start);
    let after_touched = tops.partition_point(|top| top.start <= span.old_end);
    let mut lo = first_touched.checked_sub(1);
    let mut hi = (after_touched < tops.len()).then_some(after_touched);
    // Grow over patches the region meets (they are re-parsed whole, with it).
    loop {
        let start = lo.map_or(0, |i| tops[i].start);
        let end = hi.map_or(old_text.len(), |i| tops[i].end);
        let mut grown = false;
        for &(p_start, p_end) in latest.patches {
            if p_start < end && start < p_end && (p_start < start || p_end > end) {
                if p_start < start {
                    lo = tops
                        .partition_point(|top| top.end <= p_start)
                        .checked_sub(1);
                    grown = true;
                }
                if p_end > end {
                    let at = tops.partition_point(|top| top.start < p_end);
                    hi = (at < tops.len()).then_some(at);
                    grown = true;
                }
            }
        }
        if !grown {
            break;
        }
    }
    // Error recovery may reach across statements: next to a top-level error, only the full
    // parse can tell.
    if latest.has_error {
        let near = |at: Option<usize>, step: isize| {
            (1..=2).any(|k| {
                at.and_then(|i| i.checked_add_signed(step * k))
                    .and_then(|i| tops.get(i))
                    .is_some_and(|top| top.kind == ERROR_KIND)
            })
        };
        if near(lo, -1) || near(hi, 1) || lo.is_none() && hi.is_none() {
            return None;
        }
    }
    let start = lo.map_or(0, |i| tops[i].start);
    let old_end = hi.map_or(old_text.len(), |i| tops[i].end);
    let new_end = usize::try_from(old_end as i64 + delta).ok()?;
    if old_end < span.old_end || start > span.start || old_end - start > MAX_LOCAL_REGION {
        return None;
    }
    let old_region = old_text.get(start..old_end)?;
    let new_region = text.get(start..new_end)?;
    let context = latest.context;
    if touches_context(old_region, context) || touches_context(new_region, context) {
        return None;
    }
    // The previous region must parse alone into exactly the nodes the full parse gave it.
    let old_tree = parse_region(latest.grammar, old_text, start, old_end)?;
    let old_root = old_tree.root_node();
    let expected = &tops[lo.map_or(0, |i| i)..hi.map_or(tops.len(), |i| i + 1)];
    if old_root.has_error() || tops_of(old_root) != expected {
        return None;
    }
    let new_tree = parse_region(latest.grammar, text, start, new_end)?;
    let new_root = new_tree.root_node();
    if new_root.has_error() {
        return None;
    }
    let new_tops = tops_of(new_root);
    let shifted = |top: Top| -> Option<Top> {
        Some(Top {
            start: usize::try_from(top.start as i64 + delta).ok()?,
            end: usize::try_from(top.end as i64 + delta).ok()?,
            kind: top.kind,
        })
    };
    if let Some(lo) = lo
        && new_tops.first() != Some(&tops[lo])
    {
        return None;
    }
    if let Some(hi) = hi
        && new_tops.last().copied() != shifted(tops[hi])
    {
        return None;
    }
    let old_nodes = children_of(old_root);
    let new_nodes = children_of(new_root);
    scan_statements(language, old_text, old_root, &old_nodes, context)?;
    let region = scan_statements(language, text, new_root, &new_nodes, context)?;
    let scan = Splice {
        start,
        old_end,
        delta,
    }
    .apply(latest.scan, region)?;
    let mut all = Vec::with_capacity(tops.len() + new_tops.len());
    all.extend_from_slice(&tops[..lo.map_or(0, |i| i)]);
    all.extend_from_slice(&new_tops);
    if let Some(hi) = hi {
        for top in &tops[hi + 1..] {
            all.push(shifted(*top)?);
        }
    }
    #[cfg(test)]
    SPLICED_LOCALLY.with(|count| count.set(count.get() + 1));
    Some(LocalSplice {
        scan,
        tops: all,
        start,
        end: new_end,
        tree: new_tree,
    })
}

fn children_of(root: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = root.walk();
    root.children(&mut cursor).collect()
}

/// `text[start..end]` parsed alone (the only included range), with the parse budget.
fn parse_region(
    grammar: &tree_sitter::Language,
    text: &str,
    start: usize,
    end: usize,
) -> Option<Tree> {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(grammar).ok()?;
    parser
        .set_included_ranges(&[tree_sitter::Range {
            start_byte: start,
            end_byte: end,
            start_point: crate::text::point_at(text, start),
            end_point: crate::text::point_at(text, end),
        }])
        .ok()?;
    super::budget::parse_bounded(&mut parser, text, None)
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

#[cfg(test)]
thread_local! {
    static SPLICED_LOCALLY: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many scans on this thread re-parsed only the edited region ([`splice_local`]).
#[cfg(test)]
pub(crate) fn spliced_locally() -> usize {
    SPLICED_LOCALLY.with(std::cell::Cell::get)
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

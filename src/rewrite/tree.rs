//! Parsing and walking for the tree-based rewrites (Python, JavaScript/TypeScript).

use crate::scan::Language;
use crate::scan::SyntaxTree;
use crate::text::TextRange;
use tree_sitter::{Node, Parser, Tree};

/// Parses with the grammar the scanner would use for this path (`.ts` TypeScript, `.tsx` TSX,
/// JavaScript otherwise, TypeScript when JavaScript fails).
pub(crate) fn parse(path: &str, language: Language, text: &str) -> Option<Tree> {
    let with = |grammar: tree_sitter::Language| {
        let mut parser = Parser::new();
        parser.set_language(&grammar).ok()?;
        crate::scan::parse_bounded(&mut parser, text, None)
    };
    if language == Language::Python {
        return with(tree_sitter_python::LANGUAGE.into());
    }
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".tsx") {
        return with(tree_sitter_typescript::LANGUAGE_TSX.into());
    }
    if lower.ends_with(".ts") || lower.ends_with(".mts") || lower.ends_with(".cts") {
        return with(tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into());
    }
    let javascript = with(tree_sitter_javascript::LANGUAGE.into())?;
    if !javascript.root_node().has_error() {
        return Some(javascript);
    }
    match with(tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into()) {
        Some(typescript) if !typescript.root_node().has_error() => Some(typescript),
        _ => Some(javascript),
    }
}

pub(crate) fn range(node: Node<'_>) -> TextRange {
    TextRange::new(node.start_byte(), node.end_byte())
}

pub(crate) fn slice<'s>(text: &'s str, node: Node<'_>) -> &'s str {
    text.get(node.start_byte()..node.end_byte()).unwrap_or("")
}

/// The node spanning exactly `range`, else the smallest one around it.
pub(crate) fn node_at(tree: &SyntaxTree, range: TextRange) -> Option<Node<'_>> {
    let node = tree.descendant_for_byte_range(range.start, range.end)?;
    // Prefer the outermost node with the same span (an expression statement's expression).
    let mut best = node;
    let mut current = node;
    for _ in 0..4 {
        let Some(parent) = current.parent() else {
            break;
        };
        if parent.start_byte() == range.start && parent.end_byte() == range.end {
            best = parent;
        }
        current = parent;
    }
    Some(best)
}

/// [`node_at`]'s node and up to `levels` of its ancestors (nearest first), from one walk down
/// the tree: for loops over every read of a file.
pub(crate) fn node_and_ancestors(
    tree: &SyntaxTree,
    range: TextRange,
    levels: usize,
) -> Option<(Node<'_>, Vec<Node<'_>>)> {
    let path = tree.path_for_byte_range(range.start, range.end);
    let deepest = path.len().checked_sub(1)?;
    // As `node_at`: the outermost of the next 4 ancestors with exactly the range.
    let mut best = deepest;
    for at in (deepest.saturating_sub(4)..deepest).rev() {
        if path[at].start_byte() == range.start && path[at].end_byte() == range.end {
            best = at;
        }
    }
    let ancestors = path[..best].iter().rev().take(levels).copied().collect();
    Some((path[best], ancestors))
}

/// Up to `levels` ancestors of `node`, nearest first (`Node::parent` walks down from the root,
/// so the walk is bounded).
pub(crate) fn ancestors(node: Node<'_>, levels: usize) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut current = node;
    for _ in 0..levels {
        let Some(parent) = current.parent() else {
            break;
        };
        out.push(parent);
        current = parent;
    }
    out
}

/// Named children of `node`.
pub(crate) fn children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// Calls `visit` on every node under `root` (iterative, no recursion).
pub(crate) fn each_node<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>)) {
    let mut cursor = root.walk();
    loop {
        visit(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// The top-level statements of `tree`, named ones only (as `children(root)`).
pub(crate) fn statements(tree: &SyntaxTree) -> Vec<Node<'_>> {
    tree.top_level()
        .into_iter()
        .filter(|node| node.is_named())
        .collect()
}

/// Calls `visit` on every node of every top-level statement of `tree`, in document order.
pub(crate) fn each_node_in<'t>(tree: &'t SyntaxTree, mut visit: impl FnMut(Node<'t>)) {
    for top in tree.top_level() {
        each_node(top, &mut visit);
    }
}

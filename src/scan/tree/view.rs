//! A document's syntax tree as the rewrites read it, which may be in pieces.
//!
//! After an edit, the language server re-parses only the top-level statements around it
//! (`incremental.rs`, [`super::incremental::splice_local`]): a full re-parse of a long flat file
//! costs time in proportion to its statements, since tree-sitter cannot reuse its fragile
//! top-level repetition nodes. The document's syntax is then the last full tree, edited to
//! match the text (exact everywhere but where the edits were), and for each edited region a
//! tree of just its statements, parsed with the region as the only included range (so its byte
//! offsets are the document's). [`SyntaxTree`] answers the rewrites' questions from the right
//! piece: the node at a range, the top-level statements in order, a walk over every node.

use tree_sitter::{Node, Tree};

/// A whole tree, or an edited one with trees of the regions where it is stale.
#[derive(Clone)]
pub struct SyntaxTree {
    full: Tree,
    /// Sorted, disjoint; each covers whole top-level statements of the current text.
    patches: Vec<Patch>,
}

/// A region `start..end` of the text and the tree of just its statements.
#[derive(Clone)]
pub(crate) struct Patch {
    pub start: usize,
    pub end: usize,
    pub tree: Tree,
}

impl SyntaxTree {
    pub fn whole(tree: Tree) -> Self {
        Self {
            full: tree,
            patches: Vec::new(),
        }
    }

    pub(crate) fn patched(full: Tree, patches: Vec<Patch>) -> Self {
        Self { full, patches }
    }

    /// The tree holding `start..end`: a patch when the range lies in one, the full tree when
    /// it lies outside all of them, `None` when it straddles a patch's edge.
    fn tree_for(&self, start: usize, end: usize) -> Option<&Tree> {
        for patch in &self.patches {
            if patch.start <= start && end <= patch.end {
                return Some(&patch.tree);
            }
            if start < patch.end && patch.start < end.max(start + 1) {
                return None;
            }
        }
        Some(&self.full)
    }

    /// The smallest node spanning `start..end` (tree-sitter's `descendant_for_byte_range`).
    /// A range spanning several of a patch's statements gets the document's root, as it
    /// would from a whole tree.
    pub fn descendant_for_byte_range(&self, start: usize, end: usize) -> Option<Node<'_>> {
        let root = self.tree_for(start, end)?.root_node();
        let node = root.descendant_for_byte_range(start, end)?;
        Some(if node.id() == root.id() {
            self.full.root_node()
        } else {
            node
        })
    }

    /// The nodes from the root down to [`Self::descendant_for_byte_range`]'s, root first, in
    /// one walk down (each `Node::parent` call walks down from the root again: a long loop of
    /// them over a file's reads is what this saves). Empty where that gives `None`.
    pub fn path_for_byte_range(&self, start: usize, end: usize) -> Vec<Node<'_>> {
        let Some(tree) = self.tree_for(start, end) else {
            return Vec::new();
        };
        let mut path = vec![self.full.root_node()];
        let mut cursor = tree.walk();
        'descend: while cursor.goto_first_child_for_byte(start).is_some() {
            loop {
                let child = cursor.node();
                if child.end_byte() >= end && child.end_byte() > start {
                    if start < child.start_byte() {
                        break 'descend;
                    }
                    path.push(child);
                    continue 'descend;
                }
                if !cursor.goto_next_sibling() {
                    break 'descend;
                }
            }
        }
        path
    }

    /// The top-level nodes (children of the root, extras such as comments included) in
    /// document order.
    pub fn top_level(&self) -> Vec<Node<'_>> {
        let mut out = Vec::new();
        let mut patches = self.patches.iter().peekable();
        let root = self.full.root_node();
        let mut cursor = root.walk();
        for node in root.children(&mut cursor) {
            // A statement an edit deleted is an empty node in the edited tree.
            if node.start_byte() == node.end_byte() {
                continue;
            }
            while let Some(patch) = patches.peek()
                && patch.start < node.end_byte().max(node.start_byte() + 1)
            {
                let patch_root = patch.tree.root_node();
                let mut inner = patch_root.walk();
                out.extend(patch_root.children(&mut inner));
                patches.next();
            }
            if self
                .patches
                .iter()
                .any(|p| node.start_byte() < p.end && p.start < node.end_byte())
            {
                continue;
            }
            out.push(node);
        }
        for patch in patches {
            let patch_root = patch.tree.root_node();
            let mut inner = patch_root.walk();
            out.extend(patch_root.children(&mut inner));
        }
        out
    }

    /// Whether the syntax is a single tree (no statement was re-parsed on its own).
    #[cfg(test)]
    pub fn is_whole(&self) -> bool {
        self.patches.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::point_at as point;
    use tree_sitter::{Parser, Range};

    fn javascript() -> Parser {
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_javascript::LANGUAGE.into())
            .expect("grammar");
        parser
    }

    /// A patch parsed on its own answers for its region; the full tree for the rest; the
    /// top-level statements come in document order from both.
    #[test]
    fn a_patched_tree_answers_from_the_right_piece() {
        let old = "const a = 1;\nconst b = 2;\nconst c = 3;\n";
        let text = "const a = 1;\nlet bb = f(2);\nconst c = 3;\n";
        let mut parser = javascript();
        let full = parser.parse(old, None).expect("parse");
        // The full tree edited to the new text's length (its middle statement is stale).
        let mut edited = full.clone();
        edited.edit(&tree_sitter::InputEdit {
            start_byte: 13,
            old_end_byte: 25,
            new_end_byte: 27,
            start_position: point(old, 13),
            old_end_position: point(old, 25),
            new_end_position: point(text, 27),
        });
        parser
            .set_included_ranges(&[Range {
                start_byte: 13,
                end_byte: 27,
                start_point: point(text, 13),
                end_point: point(text, 27),
            }])
            .expect("ranges");
        let local = parser.parse(text, None).expect("parse");
        let view = SyntaxTree::patched(
            edited,
            vec![Patch {
                start: 13,
                end: 27,
                tree: local,
            }],
        );
        let call = view.descendant_for_byte_range(22, 26).expect("node");
        assert_eq!(call.kind(), "call_expression");
        assert_eq!(&text[call.start_byte()..call.end_byte()], "f(2)");
        let c = view.descendant_for_byte_range(34, 35).expect("node");
        assert_eq!(&text[c.start_byte()..c.end_byte()], "c");
        assert!(view.descendant_for_byte_range(10, 16).is_none());
        let tops: Vec<&str> = view
            .top_level()
            .iter()
            .map(|n| &text[n.start_byte()..n.end_byte()])
            .collect();
        assert_eq!(tops, ["const a = 1;", "let bb = f(2);", "const c = 3;"]);
        assert!(!view.is_whole());
    }
}

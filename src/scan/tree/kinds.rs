//! Node kinds by id: [`kind`] is [`Node::kind`] read from a table built once per grammar.
//!
//! `Node::kind` asks tree-sitter for the symbol's C string, then measures it and checks it is
//! UTF-8 on every call; the scanner asks it several times for each of the hundreds of
//! thousands of nodes of a large file. The table maps `Node::kind_id` (the same public symbol
//! `Node::kind` names) to the same `&'static str`, so every `match kind(node) { "…" => … }`
//! stays as written.

use std::borrow::Borrow;
use std::sync::LazyLock;
use tree_sitter::{Language, Node};

pub(crate) struct Table {
    language: Language,
    names: Vec<&'static str>,
    /// Kinds the facts walk visits ([`VISITED`]).
    visited: Vec<bool>,
    /// Kinds the aliases walk collects ([`ALIASES`]).
    aliases: Vec<bool>,
}

/// The kinds `Builder::visit` (and the language modules' `*_node`, `definition`,
/// `function_name` under it) does anything with; for every other node the facts walk only
/// keeps its stacks. A kind missing here would drop facts: `tests.rs` scans every fixture with
/// and without the filter.
pub(super) const VISITED: &[&str] = &[
    // visit
    "comment",
    "string",
    "template_string",
    "call",
    "call_expression",
    "new_expression",
    "if_statement",
    "conditional_expression",
    "ternary_expression",
    "pair",
    "keyword_argument",
    "return_statement",
    "arrow_function",
    "import_from_statement",
    "import_statement",
    // javascript_node / python_node
    "member_expression",
    "subscript_expression",
    "subscript",
    "variable_declarator",
    "assignment_expression",
    // definition
    "assignment",
    "augmented_assignment",
    "augmented_assignment_expression",
    "named_expression",
    "for_statement",
    "for_in_clause",
    "for_in_statement",
    // function_name
    "function_definition",
    "function_declaration",
    "method_definition",
    "function_expression",
    "function",
];

/// The kinds the first walk collects for the aliases and platform flags.
pub(super) const ALIASES: &[&str] = &[
    "import_statement",
    "import_from_statement",
    "assignment",
    "variable_declarator",
];

static TABLES: LazyLock<Vec<Table>> = LazyLock::new(|| {
    [
        tree_sitter_python::LANGUAGE.into(),
        tree_sitter_javascript::LANGUAGE.into(),
        tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        tree_sitter_typescript::LANGUAGE_TSX.into(),
    ]
    .into_iter()
    .map(|language: Language| {
        let names: Vec<&'static str> = (0..language.node_kind_count())
            .map(|id| {
                u16::try_from(id)
                    .ok()
                    .and_then(|id| language.node_kind_for_id(id))
                    .unwrap_or("")
            })
            .collect();
        let set = |kinds: &[&str]| names.iter().map(|name| kinds.contains(name)).collect();
        Table {
            visited: set(VISITED),
            aliases: set(ALIASES),
            language,
            names,
        }
    })
    .collect()
});

/// The table of the node's grammar (none for a grammar the scanner does not parse).
pub(crate) fn table_of(node: Node<'_>) -> Option<&'static Table> {
    let language = node.language();
    TABLES.iter().find(|table| table.language == *language)
}

impl Table {
    /// Whether the facts walk visits this node ([`VISITED`]).
    pub(crate) fn is_visited(&self, node: Node<'_>) -> bool {
        self.visited
            .get(usize::from(node.kind_id()))
            .copied()
            .unwrap_or(true)
    }

    /// Whether the aliases walk collects this node ([`ALIASES`]).
    pub(crate) fn is_alias_candidate(&self, node: Node<'_>) -> bool {
        self.aliases
            .get(usize::from(node.kind_id()))
            .copied()
            .unwrap_or(false)
    }
}

/// The node's kind, as [`Node::kind`] names it (of a node or a reference to one).
pub(crate) fn kind<'t>(node: impl Borrow<Node<'t>>) -> &'static str {
    let node = *node.borrow();
    let language = node.language();
    let id = usize::from(node.kind_id());
    TABLES
        .iter()
        .find(|table| table.language == *language)
        .and_then(|table| table.names.get(id))
        .copied()
        .unwrap_or_else(|| node.kind())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every node of a tree of each grammar gets the name `Node::kind` gives it.
    #[test]
    fn the_table_names_every_node_as_tree_sitter_does() {
        let sources: [(Language, &str); 4] = [
            (
                tree_sitter_python::LANGUAGE.into(),
                "import os as o\nif 'X' in o.environ:\n    print(f\"{a!r}\", *b, **c)\n",
            ),
            (
                tree_sitter_javascript::LANGUAGE.into(),
                "const { env } = process;\nclass A { #x = 1; m() { return <p a={b}>{`t${c}`}</p>; } }\n",
            ),
            (
                tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
                "import type { T } from 'x';\nconst a: T<number> = b as any satisfies U;\n",
            ),
            (
                tree_sitter_typescript::LANGUAGE_TSX.into(),
                "export const C = (p: P) => <div {...p}>{p.env?.X ?? 'd'}</div>;\n",
            ),
        ];
        for (language, source) in sources {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&language).expect("grammar loads");
            let tree = parser.parse(source, None).expect("parses");
            let mut count = 0;
            super::super::walk(tree.root_node(), |node, _| {
                count += 1;
                assert_eq!(kind(node), node.kind(), "{source}");
            });
            assert!(count > 20, "{source}");
        }
    }
}

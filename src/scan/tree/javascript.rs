//! JavaScript/TypeScript: the names of the env object and its reads.

use super::{Builder, EnvRead, Seen, kind, range};
use crate::scan::RefForm;
use tree_sitter::Node;

/// The env objects as written without whitespace.
const ENV_OBJECTS: &[&str] = &["process.env", "import.meta.env", "Bun.env"];

impl<'s, 't> Builder<'s, 't> {
    /// `const env = process.env`, `const { env } = process`, `const { env: e } = process`,
    /// `import { env } from "node:process"`.
    pub(super) fn javascript_aliases(&mut self, nodes: &[Node<'t>]) {
        let mut aliases = Vec::new();
        for node in nodes {
            match kind(node) {
                "variable_declarator" => {
                    let (Some(name), Some(value)) = (
                        node.child_by_field_name("name"),
                        node.child_by_field_name("value"),
                    ) else {
                        continue;
                    };
                    if kind(name) == "identifier"
                        && self
                            .shape(value)
                            .is_some_and(|s| ENV_OBJECTS.contains(&s.as_str()))
                    {
                        aliases.push(self.slice(name).to_owned());
                    } else if kind(name) == "object_pattern"
                        && kind(value) == "identifier"
                        && self.slice(value) == "process"
                    {
                        let mut cursor = name.walk();
                        for entry in name.named_children(&mut cursor) {
                            match kind(entry) {
                                "shorthand_property_identifier_pattern"
                                    if self.slice(entry) == "env" =>
                                {
                                    aliases.push("env".to_owned());
                                }
                                "pair_pattern" => {
                                    let key = entry.child_by_field_name("key");
                                    let local = entry.child_by_field_name("value");
                                    if let (Some(key), Some(local)) = (key, local)
                                        && self.key_text(key) == Some("env")
                                        && kind(local) == "identifier"
                                    {
                                        aliases.push(self.slice(local).to_owned());
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
                "import_statement" => {
                    let from_process = node
                        .child_by_field_name("source")
                        .and_then(|s| self.plain_string(s))
                        .is_some_and(|s| matches!(self.slice_range(s), "process" | "node:process"));
                    if !from_process {
                        continue;
                    }
                    let mut stack = vec![*node];
                    let mut budget = 64;
                    while let Some(current) = stack.pop() {
                        budget -= 1;
                        if budget == 0 {
                            break;
                        }
                        if kind(current) == "import_specifier" {
                            let name = current.child_by_field_name("name");
                            if name.is_some_and(|n| self.slice(n) == "env") {
                                let local = current.child_by_field_name("alias").or(name);
                                if let Some(local) = local {
                                    aliases.push(self.slice(local).to_owned());
                                }
                            }
                            continue;
                        }
                        let mut cursor = current.walk();
                        stack.extend(current.named_children(&mut cursor));
                    }
                }
                _ => {}
            }
        }
        aliases.retain(|a| {
            !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        });
        aliases.sort();
        aliases.dedup();
        self.js_env_aliases = aliases;
    }

    /// `process.env`, `import.meta.env`, `Bun.env` or a name bound to one.
    pub(super) fn js_envish(&self, node: Node<'t>) -> bool {
        match kind(node) {
            "identifier" => self.js_env_aliases.iter().any(|a| a == self.slice(node)),
            "member_expression" => self
                .shape(node)
                .is_some_and(|s| ENV_OBJECTS.contains(&s.as_str())),
            _ => false,
        }
    }

    /// `process.env.X`, `process.env["X"]`, `Deno.env.get("X")` and aliases of the env object.
    pub(super) fn javascript_env_read(&self, node: Node<'t>) -> Option<EnvRead> {
        match kind(node) {
            "member_expression" => {
                let object = node.child_by_field_name("object")?;
                let property = node.child_by_field_name("property")?;
                if kind(property) != "property_identifier" || !self.js_envish(object) {
                    return None;
                }
                Some(EnvRead {
                    name: range(property),
                    expr: range(node),
                    form: RefForm::JsEnvMember,
                    has_default: false,
                })
            }
            "subscript_expression" => {
                let object = node.child_by_field_name("object")?;
                if !self.js_envish(object) {
                    return None;
                }
                let name = self.plain_string(node.child_by_field_name("index")?)?;
                Some(EnvRead {
                    name,
                    expr: range(node),
                    form: RefForm::JsEnvSubscript,
                    has_default: false,
                })
            }
            "call_expression" => {
                let function = node.child_by_field_name("function")?;
                if self.shape(function).as_deref() != Some("Deno.env.get") {
                    return None;
                }
                let name = self.plain_string(*self.arguments(node).first()?)?;
                Some(EnvRead {
                    name,
                    expr: range(node),
                    form: RefForm::DenoEnvGet,
                    has_default: false,
                })
            }
            _ => None,
        }
    }

    pub(super) fn javascript_node(&mut self, seen: Seen<'t>, platform: bool) {
        let node = seen.node;
        match kind(node) {
            "member_expression" | "subscript_expression" | "call_expression" => {
                // `process.env.hasOwnProperty("X")` calls a method; it reads no variable.
                let called = seen.parent.is_some_and(|p| {
                    kind(p) == "call_expression" && p.child_by_field_name("function") == Some(node)
                });
                if kind(node) == "member_expression" && called {
                    return;
                }
                if let Some(read) = self.javascript_env_read(node) {
                    self.push_ref(node, read, seen.parent, platform);
                }
            }
            "variable_declarator" | "assignment_expression" => {
                let pattern = node
                    .child_by_field_name("name")
                    .or_else(|| node.child_by_field_name("left"));
                let value = node
                    .child_by_field_name("value")
                    .or_else(|| node.child_by_field_name("right"));
                if let (Some(pattern), Some(value)) = (pattern, value)
                    && kind(pattern) == "object_pattern"
                    && self.js_envish(value)
                {
                    self.destructure(pattern, platform);
                }
            }
            _ => {}
        }
    }

    /// `const { X, Y: alias, Z = "d", "A-B": c } = process.env`.
    fn destructure(&mut self, pattern: Node<'t>, platform: bool) {
        let mut cursor = pattern.walk();
        let entries: Vec<Node<'t>> = pattern.named_children(&mut cursor).collect();
        for entry in entries {
            let (key, local, has_default) = match kind(entry) {
                "shorthand_property_identifier_pattern" => (entry, entry, false),
                "object_assignment_pattern" => {
                    let Some(left) = entry.child_by_field_name("left") else {
                        continue;
                    };
                    (left, left, true)
                }
                "pair_pattern" => {
                    let (Some(key), Some(value)) = (
                        entry.child_by_field_name("key"),
                        entry.child_by_field_name("value"),
                    ) else {
                        continue;
                    };
                    match kind(value) {
                        "identifier" => (key, value, false),
                        "assignment_pattern" => {
                            let Some(left) = value
                                .child_by_field_name("left")
                                .filter(|l| kind(l) == "identifier")
                            else {
                                continue;
                            };
                            (key, left, true)
                        }
                        // A nested pattern: `{ X: { y } }`.
                        _ => continue,
                    }
                }
                _ => continue,
            };
            let name = if matches!(kind(key), "string") {
                let Some(name) = self.plain_string(key) else {
                    continue;
                };
                name
            } else {
                range(key)
            };
            let index = self.scan.env_refs.len();
            self.scan.env_refs.push(crate::scan::EnvRef {
                name: self.slice_range(name).to_owned(),
                name_range: name,
                expr_range: range(entry),
                form: RefForm::JsEnvDestructuring,
                has_default,
                platform_path: platform,
            });
            self.destructured.push((range(local), index));
        }
    }
}

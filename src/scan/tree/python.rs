//! Python: the names of the environment and its reads.

use super::{Builder, EnvRead, Seen, kind, range};
use crate::scan::RefForm;
use tree_sitter::Node;

impl<'s, 't> Builder<'s, 't> {
    /// `import os as o`, `from os import environ as e, getenv`, `env = os.environ`.
    /// Returns how many aliases the nodes added (duplicates included), so that an edit can
    /// tell whether a statement contributes to them (`incremental.rs`).
    pub(super) fn python_aliases(&mut self, nodes: &[Node<'t>]) -> usize {
        let mut added = 0;
        let mut assignments = Vec::new();
        for node in nodes {
            match kind(node) {
                "import_statement" => {
                    let mut cursor = node.walk();
                    for name in node.children_by_field_name("name", &mut cursor) {
                        if kind(name) == "aliased_import"
                            && name
                                .child_by_field_name("name")
                                .is_some_and(|n| self.slice(n) == "os")
                            && let Some(alias) = name.child_by_field_name("alias")
                        {
                            self.py_modules.push(self.slice(alias).to_owned());
                            added += 1;
                        }
                    }
                }
                "import_from_statement" => {
                    let from_os = node
                        .child_by_field_name("module_name")
                        .is_some_and(|m| self.slice(m) == "os");
                    if !from_os {
                        continue;
                    }
                    let mut cursor = node.walk();
                    for name in node.children_by_field_name("name", &mut cursor) {
                        let (imported, local) = if kind(name) == "aliased_import" {
                            let (Some(imported), Some(alias)) = (
                                name.child_by_field_name("name"),
                                name.child_by_field_name("alias"),
                            ) else {
                                continue;
                            };
                            (self.slice(imported), self.slice(alias))
                        } else {
                            (self.slice(name), self.slice(name))
                        };
                        match imported {
                            "environ" => self.py_environs.push(local.to_owned()),
                            "getenv" => self.py_getenvs.push(local.to_owned()),
                            _ => continue,
                        }
                        added += 1;
                    }
                }
                "assignment" => assignments.push(*node),
                _ => {}
            }
        }
        // `env = os.environ` (module-level or local): later `env["X"]` reads the environment.
        for assignment in assignments {
            let (Some(left), Some(right)) = (
                assignment.child_by_field_name("left"),
                assignment.child_by_field_name("right"),
            ) else {
                continue;
            };
            if kind(left) == "identifier" && self.py_environish(right) {
                self.py_environs.push(self.slice(left).to_owned());
                added += 1;
            }
        }
        self.py_environs.sort();
        self.py_environs.dedup();
        added
    }

    /// `os.environ` or a name bound to it.
    pub(super) fn py_environish(&self, node: Node<'t>) -> bool {
        match kind(node) {
            "attribute" => {
                let (Some(object), Some(attribute)) = (
                    node.child_by_field_name("object"),
                    node.child_by_field_name("attribute"),
                ) else {
                    return false;
                };
                kind(object) == "identifier"
                    && self.slice(attribute) == "environ"
                    && self.py_modules.iter().any(|m| m == self.slice(object))
            }
            "identifier" => self.py_environs.iter().any(|e| e == self.slice(node)),
            _ => false,
        }
    }

    /// `os.environ["X"]`, `os.environ.get("X"[, d])`, `os.environ.setdefault("X", d)`,
    /// `os.getenv("X"[, d])` and their aliases.
    pub(super) fn python_env_read(&self, node: Node<'t>) -> Option<EnvRead> {
        match kind(node) {
            "subscript" => {
                let value = node.child_by_field_name("value")?;
                if !self.py_environish(value) {
                    return None;
                }
                let name = self.plain_string(node.child_by_field_name("subscript")?)?;
                Some(EnvRead {
                    name,
                    expr: range(node),
                    form: RefForm::PythonEnvironSubscript,
                    has_default: false,
                })
            }
            "call" => {
                let function = node.child_by_field_name("function")?;
                let form = match kind(function) {
                    "attribute" => {
                        let object = function.child_by_field_name("object")?;
                        let method = self.slice(function.child_by_field_name("attribute")?);
                        match method {
                            "get" if self.py_environish(object) => RefForm::PythonEnvironGet,
                            "setdefault" if self.py_environish(object) => {
                                RefForm::PythonEnvironSetdefault
                            }
                            "getenv"
                                if kind(object) == "identifier"
                                    && self.py_modules.iter().any(|m| m == self.slice(object)) =>
                            {
                                RefForm::PythonGetenv
                            }
                            _ => return None,
                        }
                    }
                    "identifier" if self.py_getenvs.iter().any(|g| g == self.slice(function)) => {
                        RefForm::PythonGetenv
                    }
                    _ => return None,
                };
                let arguments = self.arguments(node);
                let name = self.plain_string(*arguments.first()?)?;
                Some(EnvRead {
                    name,
                    expr: range(node),
                    form,
                    has_default: arguments.len() >= 2,
                })
            }
            _ => None,
        }
    }

    pub(super) fn python_node(&mut self, seen: Seen<'t>, platform: bool) {
        if matches!(kind(seen.node), "call" | "subscript")
            && let Some(read) = self.python_env_read(seen.node)
        {
            self.push_ref(seen.node, read, seen.parent, platform);
        }
    }
}

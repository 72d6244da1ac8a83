//! Intra-file value flow: which names hold a connection string, a parsed form of it, a password
//! or a token.
//!
//! Flow-insensitive and scope-insensitive on purpose: a name bound to a tracked value anywhere in
//! the file (a branch, a function, a method's `self.x`) holds it everywhere. Definitions are
//! evaluated in source order for a few rounds (so `a = b` before `b = …` still resolves), every
//! evaluation visits at most [`BUDGET`] nodes, and uses are looked up in a hash map: linear.
//! One level of function return: `def get_conn(): return os.environ[…]` makes `get_conn()` a
//! connection string.

use super::{Builder, Definition, Seen, kind, range};
use crate::scan::{ValueFact, ValueKind, ValueOrigin, ValueRole};
use crate::text::TextRange;
use std::collections::{HashMap, HashSet};
use tree_sitter::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Val {
    kind: ValueKind,
    origin: ValueOrigin,
    /// The expression that holds it (a name, a member, a subscript, a call), for facts.
    at: TextRange,
}

/// Nodes one evaluation may visit.
const BUDGET: usize = 48;
/// Rounds over the definitions before giving up on further changes.
const ROUNDS: usize = 4;

struct Flow<'b, 's, 't> {
    b: &'b Builder<'s, 't>,
    bindings: HashMap<String, Val>,
    targets: HashSet<usize>,
    facts: Vec<ValueFact>,
}

/// Runs the value flow over the builder's definitions, log calls and uses; returns the keys it
/// bound (`conn`, `self.conn`, `fn:get_conn`), which an edit's statements must not mention for
/// the other statements' facts to stay as they were (`incremental.rs`).
pub(super) fn run(builder: &mut Builder<'_, '_>) -> Vec<String> {
    let mut flow = Flow {
        b: builder,
        bindings: HashMap::new(),
        targets: HashSet::new(),
        facts: Vec::new(),
    };
    // Locals assigned straight from an env read (also destructured ones).
    for assignment in &flow.b.scan.assignments {
        if let Some(value) = flow.env_val(assignment.env_ref) {
            let key: String = assignment
                .local
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            flow.bindings.entry(key).or_insert(value);
        }
    }
    for _ in 0..ROUNDS {
        let mut changed = false;
        for definition in &flow.b.definitions {
            changed |= flow.define(*definition, false);
        }
        if !changed {
            break;
        }
    }
    for definition in &flow.b.definitions {
        flow.define(*definition, true);
    }
    // What each log call's arguments evaluate to: `print(conn)` logs it, `print(len(conn))` and
    // `print("set" if conn else "unset")` do not.
    for call in &flow.b.log_nodes {
        let Some(arguments) = call.child_by_field_name("arguments") else {
            continue;
        };
        let mut cursor = arguments.walk();
        let arguments: Vec<Node<'_>> = arguments.named_children(&mut cursor).take(32).collect();
        for argument in arguments {
            if let Some(val) = flow.eval(argument_value(argument)) {
                flow.facts.push(ValueFact {
                    range: val.at,
                    kind: val.kind,
                    origin: val.origin,
                    role: ValueRole::Logged,
                });
            }
        }
    }
    // Uses: a third walk, so nothing per identifier is kept in memory.
    if !flow.bindings.is_empty()
        && let Some(root) = flow.b.root
    {
        super::walk(root, |node, ancestors| {
            if matches!(
                kind(node),
                "identifier" | "shorthand_property_identifier" | "attribute" | "member_expression"
            ) {
                flow.use_of(Seen {
                    node,
                    parent: ancestors.last().copied(),
                    grand: ancestors.len().checked_sub(2).map(|i| ancestors[i]),
                });
            }
        });
    }
    for (index, reference) in flow.b.scan.env_refs.iter().enumerate() {
        if let Some(kind) = env_kind(&reference.name) {
            flow.facts.push(ValueFact {
                range: reference.expr_range,
                kind,
                origin: ValueOrigin::EnvRef(index),
                role: ValueRole::Use,
            });
        }
    }
    let mut facts = flow.facts;
    facts.sort_by_key(|f| (f.range.start, f.range.end));
    facts.dedup_by(|a, b| a.range == b.range && a.role == b.role);
    let bound = flow.bindings.into_keys().collect();
    builder.scan.values = facts;
    bound
}

/// What an environment variable holds, by the shape of its name.
pub(in crate::scan) fn env_kind(name: &str) -> Option<ValueKind> {
    let upper = name.to_ascii_uppercase();
    let database = ["DATABASE", "POSTGRES", "DB", "PG", "SQL"]
        .iter()
        .any(|w| upper.contains(w));
    if upper.contains("CONNECTIONSTRING")
        || upper.contains("CONNECTION_STRING")
        || upper.ends_with("DSN")
        || (database && (upper.ends_with("_URL") || upper.ends_with("_URI")))
    {
        Some(ValueKind::ConnectionString)
    } else if is_password_name(&upper.to_ascii_lowercase()) || upper.contains("PASSWORD") {
        Some(ValueKind::Password)
    } else if upper.contains("SECRET") && !upper.contains("SECRET_NAME") {
        Some(ValueKind::Secret)
    } else if upper.ends_with("TOKEN") || upper.ends_with("ACCESS_TOKEN") {
        Some(ValueKind::Token)
    } else {
        None
    }
}

/// `password`, `db_password`, `dbPassword`, `PGPASSWORD`, `pwd`, `db_pass` (lowercase input).
pub(in crate::scan) fn is_password_name(lower: &str) -> bool {
    let last = lower.rsplit(['.', '_']).next().unwrap_or(lower);
    lower.ends_with("password")
        || lower.ends_with("passwd")
        || last == "pwd"
        || last == "pass"
        || lower == "pgpassword"
}

/// `access_token`, `accessToken` (lowercase input): the token of a token response. A bare
/// `token` counts only on a tracked value (`credential.get_token(…).token`).
fn is_token_key(lower: &str) -> bool {
    matches!(lower, "access_token" | "accesstoken")
}

impl Flow<'_, '_, '_> {
    fn env_val(&self, index: usize) -> Option<Val> {
        let reference = self.b.scan.env_refs.get(index)?;
        env_kind(&reference.name).map(|kind| Val {
            kind,
            origin: ValueOrigin::EnvRef(index),
            at: reference.expr_range,
        })
    }

    fn slice(&self, node: Node<'_>) -> &str {
        self.b.slice(node)
    }

    /// Binds a definition's targets; `record` adds the definition facts. Returns whether a
    /// binding was added.
    fn define(&mut self, definition: Definition<'_>, record: bool) -> bool {
        match definition {
            Definition::Assign { target, value } => {
                let val = self.eval(value);
                self.bind(target, val, Some(value), record)
            }
            Definition::Each { target, value } => {
                let val = self
                    .eval(value)
                    .filter(|v| v.kind == ValueKind::ParsedConnection);
                self.bind(target, val, None, record)
            }
            Definition::Return { function, value } => {
                let Some(val) = self.eval(value) else {
                    return false;
                };
                let key = format!("fn:{}", self.slice(function));
                self.insert(key, val)
            }
        }
    }

    fn insert(&mut self, key: String, val: Val) -> bool {
        if self.bindings.contains_key(&key) {
            return false;
        }
        self.bindings.insert(key, val);
        true
    }

    fn bind(
        &mut self,
        target: Node<'_>,
        val: Option<Val>,
        value: Option<Node<'_>>,
        record: bool,
    ) -> bool {
        match kind(target) {
            "identifier"
            | "attribute"
            | "member_expression"
            | "shorthand_property_identifier_pattern" => {
                let Some(key) = self.b.dotted_key(target).or_else(|| {
                    (kind(target) == "shorthand_property_identifier_pattern")
                        .then(|| self.slice(target).to_owned())
                }) else {
                    return false;
                };
                self.targets.insert(target.id());
                let val = val.or_else(|| {
                    let constant = value.is_none_or(|v| is_constant(v));
                    let last = key.rsplit('.').next().unwrap_or(&key).to_ascii_lowercase();
                    (!constant && is_password_name(&last)).then_some(Val {
                        kind: ValueKind::Password,
                        origin: ValueOrigin::Name,
                        at: range(target),
                    })
                });
                let Some(val) = val else {
                    return false;
                };
                if record {
                    self.facts.push(ValueFact {
                        range: range(target),
                        kind: val.kind,
                        origin: val.origin,
                        role: ValueRole::Definition,
                    });
                }
                self.insert(key, val)
            }
            "pattern_list" | "tuple_pattern" | "list_pattern" | "array_pattern" | "tuple"
            | "list" | "expression_list" => {
                let mut cursor = target.walk();
                let parts: Vec<Node<'_>> = target.named_children(&mut cursor).take(32).collect();
                let mut changed = false;
                for part in parts {
                    changed |= self.bind(part, val, value, record);
                }
                changed
            }
            "object_pattern" => {
                let mut cursor = target.walk();
                let entries: Vec<Node<'_>> = target.named_children(&mut cursor).take(64).collect();
                let mut changed = false;
                for entry in entries {
                    let (key, local) = match kind(entry) {
                        "shorthand_property_identifier_pattern" => (entry, entry),
                        "object_assignment_pattern" => {
                            let Some(left) = entry.child_by_field_name("left") else {
                                continue;
                            };
                            (left, left)
                        }
                        "pair_pattern" => {
                            let (Some(key), Some(local)) = (
                                entry.child_by_field_name("key"),
                                entry.child_by_field_name("value"),
                            ) else {
                                continue;
                            };
                            let local = if kind(local) == "assignment_pattern" {
                                let Some(left) = local.child_by_field_name("left") else {
                                    continue;
                                };
                                left
                            } else {
                                local
                            };
                            (key, local)
                        }
                        _ => continue,
                    };
                    let Some(key) = self.b.key_text(key) else {
                        continue;
                    };
                    let refined = refine(val, key, range(local));
                    changed |= self.bind(local, refined, None, record);
                }
                changed
            }
            _ => false,
        }
    }

    fn eval(&self, node: Node<'_>) -> Option<Val> {
        let mut budget = BUDGET;
        self.eval_within(node, &mut budget)
    }

    fn eval_within(&self, node: Node<'_>, budget: &mut usize) -> Option<Val> {
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        if let Some(index) = self.b.ref_nodes.get(&node.id()) {
            return self.env_val(*index);
        }
        let field = |name: &str| node.child_by_field_name(name);
        let here = range(node);
        match kind(node) {
            "identifier" => self
                .bindings
                .get(self.slice(node))
                .map(|v| Val { at: here, ..*v }),
            "attribute" | "member_expression" => {
                if let Some(val) = self
                    .b
                    .dotted_key(node)
                    .and_then(|key| self.bindings.get(&key))
                {
                    return Some(Val { at: here, ..*val });
                }
                let property = field("attribute").or_else(|| field("property"))?;
                let inner = self.eval_within(field("object")?, budget);
                refine(inner, self.slice(property), here)
            }
            "subscript" | "subscript_expression" => {
                let object = field("value").or_else(|| field("object"))?;
                let index = field("subscript").or_else(|| field("index"))?;
                let inner = self.eval_within(object, budget);
                match self.b.key_text(index) {
                    Some(key) if self.b.string(index).is_some() => refine(inner, key, here),
                    // A part of a split string or a slice of a secret (`password[:2]`) is
                    // still (part of) the secret.
                    _ => inner.map(|v| Val { at: here, ..v }),
                }
            }
            "call" | "call_expression" | "new_expression" => self.eval_call(node, budget),
            "parenthesized_expression"
            | "await"
            | "await_expression"
            | "as_expression"
            | "non_null_expression"
            | "satisfies_expression"
            | "type_assertion" => self.eval_within(node.named_child(0)?, budget),
            "boolean_operator" | "binary_expression" | "binary_operator" => {
                let operator = self.slice(field("operator")?);
                if !matches!(operator, "or" | "and" | "||" | "&&" | "??" | "+" | "%") {
                    return None;
                }
                let left = self.eval_within(field("left")?, budget);
                let found = left.or_else(|| self.eval_within(field("right")?, budget));
                if matches!(operator, "+" | "%") {
                    found.map(|v| self.built(node, v))
                } else {
                    found
                }
            }
            "conditional_expression" => self
                .eval_within(node.named_child(0)?, budget)
                .or_else(|| self.eval_within(node.named_child(2)?, budget)),
            "ternary_expression" => self
                .eval_within(field("consequence")?, budget)
                .or_else(|| self.eval_within(field("alternative")?, budget)),
            "string" | "template_string" | "concatenated_string" => {
                let mut cursor = node.walk();
                let parts: Vec<Node<'_>> = node
                    .named_children(&mut cursor)
                    .filter(|c| {
                        matches!(
                            kind(c),
                            "interpolation" | "template_substitution" | "string"
                        )
                    })
                    .take(16)
                    .collect();
                for part in parts {
                    let inner = if kind(part) == "string" {
                        part
                    } else {
                        part.named_child(0)?
                    };
                    if let Some(val) = self.eval_within(inner, budget) {
                        return Some(self.built(node, val));
                    }
                }
                None
            }
            // An object or dict that holds a secret (`{ host, user, password }`,
            // `{"password": pw}`, `{ ...config }`) holds it too.
            "object" | "dictionary" => {
                let mut cursor = node.walk();
                let entries: Vec<Node<'_>> = node.named_children(&mut cursor).take(32).collect();
                entries.into_iter().find_map(|entry| {
                    let value = match kind(entry) {
                        "pair" => entry.child_by_field_name("value")?,
                        "shorthand_property_identifier" | "spread_element" | "dictionary_splat" => {
                            entry
                        }
                        _ => return None,
                    };
                    if kind(entry) == "shorthand_property_identifier" {
                        let at = range(entry);
                        self.bindings
                            .get(self.slice(value))
                            .map(|v| Val { at, ..*v })
                    } else if matches!(kind(entry), "spread_element" | "dictionary_splat") {
                        self.eval_within(value.named_child(0)?, budget)
                    } else {
                        self.eval_within(value, budget)
                    }
                })
            }
            "generator_expression"
            | "list_comprehension"
            | "dictionary_comprehension"
            | "set_comprehension" => {
                let mut cursor = node.walk();
                let clause = node
                    .named_children(&mut cursor)
                    .find(|c| kind(c) == "for_in_clause")?;
                let inner = self.eval_within(clause.child_by_field_name("right")?, budget)?;
                Some(Val {
                    kind: ValueKind::ParsedConnection,
                    at: here,
                    ..inner
                })
            }
            _ => None,
        }
    }

    /// A string built from a tracked value: a connection string when the text around says so.
    fn built(&self, node: Node<'_>, val: Val) -> Val {
        let shape = node.end_byte() - node.start_byte() <= 1024
            && super::super::looks_like_connection_string(self.slice(node));
        if shape && matches!(val.kind, ValueKind::Password | ValueKind::Token) {
            Val {
                kind: ValueKind::ConnectionString,
                ..val
            }
        } else {
            val
        }
    }

    fn eval_call(&self, call: Node<'_>, budget: &mut usize) -> Option<Val> {
        let (name, receiver) = self.b.callee(call)?;
        let arguments = self.b.arguments(call);
        let first = arguments.first().copied();
        let here = range(call);
        let parsed = |val: Option<Val>| {
            val.filter(|v| {
                matches!(
                    v.kind,
                    ValueKind::ConnectionString | ValueKind::ParsedConnection
                )
            })
            .map(|v| Val {
                kind: ValueKind::ParsedConnection,
                origin: v.origin,
                at: here,
            })
        };
        if super::TOKEN_CALL.is_match(name)
            && (name.starts_with("get")
                || name.starts_with("acquire")
                || name.starts_with("Acquire"))
        {
            return Some(Val {
                kind: ValueKind::Token,
                origin: ValueOrigin::TokenRequest,
                at: here,
            });
        }
        if let Some(receiver) = receiver {
            match name {
                "split" | "rsplit" | "Split" | "splitlines" | "partition" | "rpartition"
                | "items" | "values" | "map" | "filter" | "reduce" | "entries" | "slice"
                | "copy" => return parsed(self.eval_within(receiver, budget)),
                "format" => {
                    let val = self.eval_within(receiver, budget).or_else(|| {
                        arguments
                            .iter()
                            .find_map(|a| self.eval_within(argument_value(*a), budget))
                    })?;
                    return Some(self.built(receiver, val));
                }
                "strip" | "lstrip" | "rstrip" | "trim" | "trimStart" | "trimEnd" | "replace"
                | "lower" | "upper" | "toLowerCase" | "toUpperCase" | "encode" | "decode"
                | "toString" | "casefold" | "removeprefix" | "removesuffix" | "join" => {
                    return self
                        .eval_within(receiver, budget)
                        .map(|v| Val { at: here, ..v });
                }
                "get" | "getOrDefault" | "pop" => {
                    let key = first.and_then(|k| self.b.key_text(k))?;
                    let inner = self.eval_within(receiver, budget);
                    return refine(inner, key, here);
                }
                _ => {}
            }
        }
        match name {
            "conninfo_to_dict"
            | "parse_dsn"
            | "urlparse"
            | "urlsplit"
            | "make_url"
            | "parse"
            | "parseConnectionString"
            | "parse_url"
            | "URL"
            | "ConnectionString"
            | "dict"
            | "list"
            | "tuple"
            | "set"
            | "sorted"
            | "fromEntries"
            | "from"
            | "Map"
            | "Object" => parsed(self.eval_within(argument_value(first?), budget)),
            "str" | "String" | "repr" | "stringify" => self
                .eval_within(argument_value(first?), budget)
                .map(|v| Val { at: here, ..v }),
            _ => {
                // One level of function return: `get_conn()`, `self.get_conn()`.
                let local =
                    receiver.is_none_or(|r| matches!(self.slice(r), "self" | "this" | "cls"));
                if local {
                    self.bindings
                        .get(&format!("fn:{name}"))
                        .map(|v| Val { at: here, ..*v })
                } else {
                    None
                }
            }
        }
    }

    /// Records the fact a use of a bound name makes, at the largest expression that still holds
    /// a tracked value: `conn['password']` (a password), `conn.split(";")` (a parsed connection),
    /// `conn` itself.
    fn use_of(&mut self, seen: Seen<'_>) {
        let node = seen.node;
        if self.targets.contains(&node.id()) || !self.is_use_position(seen) {
            return;
        }
        let key = match kind(node) {
            "identifier" | "shorthand_property_identifier" => self.slice(node).to_owned(),
            _ => match self.b.dotted_key(node) {
                Some(key) => key,
                None => return,
            },
        };
        let Some(val) = self.bindings.get(&key).copied().or_else(|| {
            // A call of a function that returns a tracked value.
            let parent = seen.parent?;
            let called = matches!(kind(parent), "call" | "call_expression")
                && parent.child_by_field_name("function") == Some(node);
            if !called {
                return None;
            }
            let val = self.eval(parent)?;
            self.facts.push(ValueFact {
                range: range(parent),
                kind: val.kind,
                origin: val.origin,
                role: ValueRole::Use,
            });
            None
        }) else {
            return;
        };
        let Some(parent) = seen.parent else {
            self.push_use(range(node), val);
            return;
        };
        let is_object = parent.child_by_field_name("object") == Some(node)
            || parent.child_by_field_name("value") == Some(node);
        match kind(parent) {
            "attribute" | "member_expression" if is_object => {
                // The parent is bound itself: it makes its own fact.
                if self
                    .b
                    .dotted_key(parent)
                    .is_some_and(|k| self.bindings.contains_key(&k))
                {
                    return;
                }
                let method_call = seen.grand.filter(|g| {
                    matches!(kind(g), "call" | "call_expression")
                        && g.child_by_field_name("function") == Some(parent)
                });
                if let Some(call) = method_call {
                    if let Some(derived) = self.eval(call) {
                        self.push_use(range(call), derived);
                    }
                    let method = parent
                        .child_by_field_name("attribute")
                        .or_else(|| parent.child_by_field_name("property"))
                        .map(|m| self.slice(m));
                    if matches!(method, Some("split" | "rsplit" | "Split")) {
                        self.push_use(range(node), val);
                    }
                } else if let Some(derived) = self.eval(parent) {
                    self.push_use(range(parent), derived);
                }
            }
            "subscript" | "subscript_expression" if is_object => {
                if let Some(derived) = self.eval(parent) {
                    self.push_use(range(parent), derived);
                }
            }
            _ => self.push_use(range(node), val),
        }
    }

    fn push_use(&mut self, range: TextRange, val: Val) {
        self.facts.push(ValueFact {
            range,
            kind: val.kind,
            origin: val.origin,
            role: ValueRole::Use,
        });
    }

    /// Whether an identifier stands for its value here (not a declaration, a parameter, a
    /// keyword argument's name or an attribute's name).
    fn is_use_position(&self, seen: Seen<'_>) -> bool {
        let Some(parent) = seen.parent else {
            return true;
        };
        let node = seen.node;
        if kind(node) != "identifier" {
            return true;
        }
        match kind(parent) {
            "attribute" => parent.child_by_field_name("attribute") != Some(node),
            "keyword_argument" => parent.child_by_field_name("name") != Some(node),
            "function_definition"
            | "class_definition"
            | "parameters"
            | "default_parameter"
            | "typed_parameter"
            | "typed_default_parameter"
            | "lambda_parameters"
            | "aliased_import"
            | "dotted_name"
            | "import_from_statement"
            | "import_statement"
            | "function_declaration"
            | "formal_parameters"
            | "method_definition"
            | "import_specifier"
            | "required_parameter"
            | "optional_parameter"
            | "global_statement"
            | "nonlocal_statement"
            | "class_declaration"
            | "namespace_import"
            | "import_clause" => false,
            _ => true,
        }
    }
}

/// A keyword argument's value, or the argument itself.
fn argument_value(argument: Node<'_>) -> Node<'_> {
    if kind(argument) == "keyword_argument" {
        argument.child_by_field_name("value").unwrap_or(argument)
    } else {
        argument
    }
}

/// The value under `key` of a value (a subscript, a member, a destructured key, `.get(key)`),
/// held by the expression at `at`.
fn refine(inner: Option<Val>, key: &str, at: TextRange) -> Option<Val> {
    let lower = key.to_ascii_lowercase();
    let origin = inner.map_or(ValueOrigin::Name, |v| v.origin);
    if is_password_name(&lower) {
        return Some(Val {
            kind: ValueKind::Password,
            origin,
            at,
        });
    }
    if is_token_key(&lower) || (lower == "token" && inner.is_some()) {
        return Some(Val {
            kind: ValueKind::Token,
            origin,
            at,
        });
    }
    // Other keys of a parsed connection (host, port, user, dbname) are not secrets.
    None
}

/// A constant: a plain string, a number, a boolean, `None`/`null`/`undefined`.
fn is_constant(node: Node<'_>) -> bool {
    match kind(node) {
        "string" => {
            let mut cursor = node.walk();
            let interpolated = node
                .named_children(&mut cursor)
                .any(|c| kind(c) == "interpolation");
            !interpolated
        }
        "integer"
        | "float"
        | "number"
        | "true"
        | "false"
        | "none"
        | "null"
        | "undefined"
        | "concatenated_string" => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name() {
        assert_eq!(
            env_kind("NEON_POSTGRESQL_CONNECTIONSTRING"),
            Some(ValueKind::ConnectionString)
        );
        assert_eq!(env_kind("DATABASE_URL"), Some(ValueKind::ConnectionString));
        assert_eq!(env_kind("PGPASSWORD"), Some(ValueKind::Password));
        assert_eq!(env_kind("DB_PWD"), Some(ValueKind::Password));
        assert_eq!(env_kind("DB_PASS"), Some(ValueKind::Password));
        assert_eq!(
            env_kind("AZURE_POSTGRESQL_CLIENTSECRET"),
            Some(ValueKind::Secret)
        );
        assert_eq!(env_kind("NEON_POSTGRESQL_HOST"), None);
        assert_eq!(env_kind("WEBSITE_HOSTNAME"), None);
        assert_eq!(env_kind("BYPASS"), None);
        assert!(is_password_name("dbpassword"));
        assert!(!is_password_name("compass"));
    }
}

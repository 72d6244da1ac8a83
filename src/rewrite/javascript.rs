//! JavaScript/TypeScript rewrites (node-postgres): a connection string read becomes the pg config
//! from the component variables, with `ssl` from `_SSL`.

use super::tree::{ancestors, children, node_at, range, slice};
use super::{Edit, Rewrite, Site, Wiring, append_entries, indent_at};
use crate::catalogue::Field;
use crate::scan::SyntaxTree;
use crate::text::TextRange;
use tree_sitter::Node;

/// The pg config properties this connection's variables give, as `(key, expression)`.
fn pg_config(site: &Site<'_>, wiring: &Wiring) -> Option<Vec<(&'static str, String)>> {
    let read = |field| wiring.name(field).map(|name| site.reader(name));
    let mut pairs = vec![("host", read(Field::Host)?), ("user", read(Field::User)?)];
    if let Some(password) = read(Field::Password) {
        pairs.push(("password", password));
    }
    pairs.push(("database", read(Field::Database)?));
    if let Some(port) = read(Field::Port) {
        pairs.push(("port", format!("Number({port})")));
    }
    if let Some(ssl) = read(Field::Ssl) {
        pairs.push(("ssl", format!("{ssl} === \"true\"")));
    }
    Some(pairs)
}

fn names(wiring: &Wiring) -> String {
    [
        Field::Host,
        Field::User,
        Field::Password,
        Field::Database,
        Field::Port,
        Field::Ssl,
    ]
    .iter()
    .filter_map(|f| wiring.name(*f))
    .collect::<Vec<_>>()
    .join(", ")
}

fn is_read(node: Node<'_>) -> bool {
    matches!(
        node.kind(),
        "member_expression" | "subscript_expression" | "call_expression"
    )
}

fn key_text<'s>(text: &'s str, pair: Node<'_>) -> Option<&'s str> {
    let key = pair.child_by_field_name("key")?;
    Some(slice(text, key).trim_matches(['"', '\'', '`']))
}

/// The keys an object literal already sets.
fn object_keys<'s>(text: &'s str, object: Node<'_>) -> Vec<&'s str> {
    children(object)
        .into_iter()
        .filter_map(|child| match child.kind() {
            "pair" => key_text(text, child),
            "shorthand_property_identifier" => Some(slice(text, child)),
            _ => None,
        })
        .collect()
}

pub(crate) fn wrong_read(tree: &SyntaxTree, site: &Site<'_>, wiring: &Wiring) -> Option<Rewrite> {
    if site.field != Field::ConnectionString {
        return None;
    }
    let node = node_at(tree, site.expr)?;
    if !is_read(node) {
        return None;
    }
    let pairs = pg_config(site, wiring)?;
    let text = site.text;
    let up = ancestors(node, 3);
    // `{ connectionString: <read>, … }`: the property becomes the component properties.
    if let [pair, object, ..] = up.as_slice()
        && pair.kind() == "pair"
        && object.kind() == "object"
        && key_text(text, *pair) == Some("connectionString")
    {
        let existing = object_keys(text, *object);
        let indent = indent_at(text, pair.start_byte());
        let new_text = pairs
            .iter()
            .filter(|(key, _)| !existing.contains(key))
            .map(|(key, value)| format!("{key}: {value}"))
            .collect::<Vec<_>>()
            .join(&format!(",\n{indent}"));
        return Some(Rewrite::unsafe_(
            format!(
                "Replace connectionString with the pg config from {}",
                names(wiring)
            ),
            vec![Edit::new(range(*pair), new_text)],
        ));
    }
    // `new Pool(<read>)`, `new Client(<read>)`: the argument becomes the config object.
    if let [arguments, call, ..] = up.as_slice()
        && arguments.kind() == "arguments"
        && matches!(call.kind(), "new_expression" | "call_expression")
        && children(*arguments).first().map(|n| n.id()) == Some(node.id())
    {
        let indent = indent_at(text, call.start_byte());
        let body = pairs
            .iter()
            .map(|(key, value)| format!("{indent}  {key}: {value},\n"))
            .collect::<String>();
        return Some(Rewrite::unsafe_(
            format!(
                "Pass the pg config from {} instead of a connection string",
                names(wiring)
            ),
            vec![Edit::new(range(node), format!("{{\n{body}{indent}}}"))],
        ));
    }
    // Anywhere else the code wants a string: build the URL from the components.
    let token = if wiring.name(Field::Password).is_none() {
        " (no password: with Entra auth pg needs the access token as the password)"
    } else {
        ""
    };
    Some(Rewrite::unsafe_(
        format!("Build the connection URL from {}{token}", names(wiring)),
        vec![Edit::new(site.expr, url_template(site, wiring)?)],
    ))
}

/// `postgresql://user:password@host:port/database?sslmode=require` from the component
/// variables, each part percent-encoded, TLS as `_SSL` says.
fn url_template(site: &Site<'_>, wiring: &Wiring) -> Option<String> {
    let read = |field| wiring.name(field).map(|name| site.reader(name));
    let user = read(Field::User)?;
    let host = read(Field::Host)?;
    let database = read(Field::Database)?;
    let mut url = format!("`postgresql://${{encodeURIComponent({user})}}");
    if let Some(password) = read(Field::Password) {
        url.push_str(&format!(":${{encodeURIComponent({password})}}"));
    }
    url.push_str(&format!("@${{{host}}}"));
    if let Some(port) = read(Field::Port) {
        url.push_str(&format!(":${{{port}}}"));
    }
    url.push_str(&format!("/${{encodeURIComponent({database})}}"));
    if let Some(ssl) = read(Field::Ssl) {
        url.push_str(&format!(
            "${{{ssl} === \"true\" ? \"?sslmode=require\" : \"\"}}"
        ));
    }
    url.push('`');
    Some(url)
}

/// The object literal holding a read (`{ host: process.env.X_HOST, … }`).
fn object_of(tree: &SyntaxTree, read: TextRange) -> Option<Node<'_>> {
    let (_, up) = super::tree::node_and_ancestors(tree, read, 3)?;
    up.into_iter()
        .skip_while(|n| n.kind() != "pair")
        .nth(1)
        .filter(|n| n.kind() == "object")
}

pub(crate) fn missing_reads(
    tree: &SyntaxTree,
    text: &str,
    present: &[Site<'_>],
    missing: &[(Field, &str)],
) -> Option<Rewrite> {
    let site = present.first()?;
    let mut edits = Vec::new();
    let mut added = Vec::new();
    // Components go into the pg config object that holds the other reads.
    if let Some(object) = present.iter().find_map(|s| object_of(tree, s.expr)) {
        let existing = object_keys(text, object);
        let entries: Vec<(&str, String, &str)> = missing
            .iter()
            .filter_map(|(field, name)| {
                let read = site.reader(name);
                let (key, value) = match field {
                    Field::Ssl => ("ssl", format!("{read} === \"true\"")),
                    Field::Host => ("host", read),
                    Field::User | Field::Username => ("user", read),
                    Field::Password => ("password", read),
                    Field::Database => ("database", read),
                    _ => return None,
                };
                (!existing.contains(&key)).then_some((key, value, *name))
            })
            .collect();
        if let Some(last) = children(object)
            .into_iter()
            .rfind(|c| c.kind() != "comment")
        {
            let lines: Vec<String> = entries
                .iter()
                .map(|(key, value, _)| format!("{key}: {value}"))
                .collect();
            if let Some(edit) = append_entries(text, last.start_byte(), last.end_byte(), &lines) {
                edits.push(edit);
                added.extend(entries.iter().map(|(_, _, name)| *name));
            }
        }
    }
    // A user-assigned identity: the credential gets the client id.
    if let Some((_, client_id)) = missing.iter().find(|(f, _)| *f == Field::ClientId)
        && let Some(edit) = credential_client_id(tree, text, &site.reader(client_id))
    {
        edits.push(edit);
        added.push(client_id);
    }
    Rewrite::reads(&added, edits)
}

/// `new DefaultAzureCredential()` → `new DefaultAzureCredential({ managedIdentityClientId: … })`,
/// `new ManagedIdentityCredential()` → `new ManagedIdentityCredential(…)`.
fn credential_client_id(tree: &SyntaxTree, text: &str, read: &str) -> Option<Edit> {
    let mut found = None;
    super::tree::each_node_in(tree, |node| {
        if found.is_some() || node.kind() != "new_expression" {
            return;
        }
        let (Some(constructor), Some(arguments)) = (
            node.child_by_field_name("constructor"),
            node.child_by_field_name("arguments"),
        ) else {
            return;
        };
        if children(arguments).is_empty() {
            let argument = match slice(text, constructor) {
                "DefaultAzureCredential" => format!("({{ managedIdentityClientId: {read} }})"),
                "ManagedIdentityCredential" => format!("({read})"),
                _ => return,
            };
            found = Some(Edit::new(range(arguments), argument));
        }
    });
    found
}

pub(crate) fn hand_parse(
    _tree: &SyntaxTree,
    _text: &str,
    _split: TextRange,
    _receiver: TextRange,
) -> Option<Rewrite> {
    // Node's client types get components; a split connection string here is a URL the code
    // should hand to pg as `connectionString` — the rule's message says so, no mechanical edit.
    None
}

//! Python rewrites (psycopg 2/3, Django settings): component reads become the libpq key-value
//! string the client type gets, or the part of it the code wanted, parsed by the driver.

use super::tree::{ancestors, children, node_at, range, slice};
use super::{Edit, Rewrite, Site, Wiring, append_entries, libpq_key};
use crate::catalogue::{ClientType, Field};
use crate::scan::SyntaxTree;
use crate::text::TextRange;
use tree_sitter::Node;

/// How this file parses a libpq string: `psycopg2.extensions.parse_dsn` or psycopg 3's
/// `psycopg.conninfo.conninfo_to_dict`, with the import to add when the file has none.
fn parser(text: &str) -> (&'static str, Option<&'static str>) {
    let imports = |module: &str| {
        text.lines().any(|line| {
            let line = line.trim_start();
            line.starts_with(&format!("import {module}"))
                && !line[7 + module.len()..].starts_with(|c: char| c.is_alphanumeric())
                || line.starts_with(&format!("from {module} "))
                || line.starts_with(&format!("from {module}."))
        })
    };
    if imports("psycopg2") {
        ("psycopg2.extensions.parse_dsn", None)
    } else if imports("psycopg") {
        (
            "psycopg.conninfo.conninfo_to_dict",
            Some("import psycopg.conninfo\n"),
        )
    } else {
        (
            "psycopg2.extensions.parse_dsn",
            Some("import psycopg2.extensions\n"),
        )
    }
}

/// Where an import goes: before the first top-level `import`/`from` that is not `__future__`,
/// else at the start.
fn import_at(text: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if (line.starts_with("import ") || line.starts_with("from "))
            && !line.starts_with("from __future__")
        {
            return offset;
        }
        offset += line.len();
    }
    0
}

pub(crate) fn with_import(text: &str, import: Option<&str>, mut edits: Vec<Edit>) -> Vec<Edit> {
    if let Some(import) = import
        && !text.contains(import.trim_end())
    {
        let at = import_at(text);
        edits.insert(0, Edit::new(TextRange::new(at, at), import));
    }
    edits
}

fn is_read(node: Node<'_>) -> bool {
    matches!(node.kind(), "subscript" | "call")
}

fn overlaps(node: Node<'_>, reads: &[TextRange]) -> bool {
    reads
        .iter()
        .any(|r| r.start >= node.start_byte() && r.end <= node.end_byte())
}

pub(crate) fn wrong_read(
    tree: &SyntaxTree,
    site: &Site<'_>,
    wiring: &Wiring,
    reads: &[TextRange],
) -> Option<Rewrite> {
    let node = node_at(tree, site.expr)?;
    if !is_read(node) {
        return None;
    }
    let text = site.text;
    if let Some(rewrite) = super::frameworks::create_engine(node, site, wiring)
        .or_else(|| super::frameworks::dj_database_url(node, site, wiring))
        .or_else(|| super::frameworks::django_split(tree, node, site, wiring))
    {
        return Some(rewrite);
    }
    match (site.field, wiring.connection_string()) {
        // Django gets no port: Service Connector's servers listen on 5432.
        (Field::Port, _) if wiring.client_type == ClientType::Django => Some(Rewrite::unsafe_(
            "Use port \"5432\": Service Connector sets no port for Django (its servers listen on 5432)",
            vec![Edit::new(site.expr, "\"5432\"")],
        )),
        (field, Some(cs)) if libpq_key(field).is_some() || field == Field::Ssl => {
            let cs_read = site.reader(cs);
            if let Some(rewrite) = connect_call(node, site, cs, &cs_read, reads) {
                return Some(rewrite);
            }
            let (parse, import) = parser(text);
            let parsed = format!("{parse}({cs_read})");
            let expression = match (field, libpq_key(field)) {
                (Field::Ssl, _) => format!(
                    "str({parsed}.get(\"sslmode\") in (\"require\", \"verify-ca\", \"verify-full\")).lower()"
                ),
                (Field::Port, _) => format!("{parsed}.get(\"port\", \"5432\")"),
                (_, Some(key)) => format!("{parsed}[\"{key}\"]"),
                _ => return None,
            };
            Some(Rewrite::unsafe_(
                format!(
                    "Read {} from {cs}, parsed by the driver",
                    libpq_key(field).unwrap_or("sslmode")
                ),
                with_import(text, import, vec![Edit::new(site.expr, expression)]),
            ))
        }
        _ => None,
    }
}

/// `psycopg2.connect(host=<read>, …)`: the connection string replaces the keyword arguments
/// that read Service Connector variables; the others (`connect_timeout=5`) stay.
fn connect_call(
    node: Node<'_>,
    site: &Site<'_>,
    cs: &str,
    cs_read: &str,
    reads: &[TextRange],
) -> Option<Rewrite> {
    let up = ancestors(node, 3);
    let [keyword, arguments, call, ..] = up.as_slice() else {
        return None;
    };
    if keyword.kind() != "keyword_argument"
        || arguments.kind() != "argument_list"
        || call.kind() != "call"
    {
        return None;
    }
    let callee = slice(site.text, call.child_by_field_name("function")?);
    if !(callee.ends_with("connect") || callee.ends_with("AsyncConnection.connect")) {
        return None;
    }
    let args = children(*arguments);
    if args
        .iter()
        .any(|a| a.kind() != "keyword_argument" && a.kind() != "comment")
    {
        return None;
    }
    let kept: Vec<&str> = args
        .iter()
        .filter(|a| a.kind() == "keyword_argument" && !overlaps(**a, reads))
        .map(|a| slice(site.text, *a))
        .collect();
    let mut new_args = vec![cs_read.to_owned()];
    new_args.extend(kept.iter().map(|s| s.to_string()));
    Some(Rewrite::unsafe_(
        format!("Connect with {cs} (the libpq string Service Connector sets)"),
        vec![Edit::new(
            range(*arguments),
            format!("({})", new_args.join(", ")),
        )],
    ))
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
    // Django's DATABASES entry (or a libpq dict) holding the other reads.
    let dict = present.iter().find_map(|s| {
        let (_, up) = super::tree::node_and_ancestors(tree, s.expr, 2)?;
        match up.as_slice() {
            [pair, dict, ..] if pair.kind() == "pair" && dict.kind() == "dictionary" => Some(*dict),
            _ => None,
        }
    });
    if let Some(dict) = dict {
        let pairs: Vec<Node<'_>> = children(dict)
            .into_iter()
            .filter(|c| c.kind() == "pair")
            .collect();
        let django = pairs.iter().any(|p| {
            p.child_by_field_name("key")
                .is_some_and(|k| slice(text, k).trim_matches(['"', '\'']) == "HOST")
        });
        if let Some(last) = pairs.last() {
            let mut lines = Vec::new();
            for (field, name) in missing {
                let key = if django {
                    match field {
                        Field::Name | Field::Database => "NAME",
                        Field::Host => "HOST",
                        Field::User | Field::Username => "USER",
                        Field::Password => "PASSWORD",
                        _ => continue,
                    }
                } else {
                    let Some(key) = libpq_key(*field) else {
                        continue;
                    };
                    key
                };
                lines.push(format!("\"{key}\": {}", site.reader(name)));
                added.push(*name);
            }
            if let Some(edit) = append_entries(text, last.start_byte(), last.end_byte(), &lines) {
                edits.push(edit);
            }
        }
    }
    if let Some((_, client_id)) = missing.iter().find(|(f, _)| *f == Field::ClientId)
        && let Some(edit) = credential_client_id(tree, text, &site.reader(client_id))
    {
        edits.push(edit);
        added.push(client_id);
    }
    Rewrite::reads(&added, edits)
}

/// `DefaultAzureCredential()` → `DefaultAzureCredential(managed_identity_client_id=…)`,
/// `ManagedIdentityCredential()` → `ManagedIdentityCredential(client_id=…)`.
fn credential_client_id(tree: &SyntaxTree, text: &str, read: &str) -> Option<Edit> {
    let mut found = None;
    super::tree::each_node_in(tree, |node| {
        if found.is_some() || node.kind() != "call" {
            return;
        }
        let (Some(function), Some(arguments)) = (
            node.child_by_field_name("function"),
            node.child_by_field_name("arguments"),
        ) else {
            return;
        };
        if !children(arguments).is_empty() {
            return;
        }
        let callee = slice(text, function);
        let name = callee.rsplit('.').next().unwrap_or(callee);
        let keyword = match name {
            "DefaultAzureCredential" => "managed_identity_client_id",
            "ManagedIdentityCredential" => "client_id",
            _ => return,
        };
        found = Some(Edit::new(range(arguments), format!("({keyword}={read})")));
    });
    found
}

/// A hand split of a libpq string: a dict built from it (`dict(p.split("=") for p in
/// s.split())`, `{…: … for pair in s.split(" ")}`) becomes the driver's parse; a bare
/// `s.split(" ")` becomes the parsed `key=value` pairs, values unquoted.
pub(crate) fn hand_parse(
    tree: &SyntaxTree,
    text: &str,
    split: TextRange,
    receiver: TextRange,
) -> Option<Rewrite> {
    let node = node_at(tree, split)?;
    let receiver_text = text.get(receiver.start..receiver.end)?;
    let (parse, import) = parser(text);
    let parsed = format!("{parse}({receiver_text})");
    let whole = ancestors(node, 6).into_iter().find(|n| match n.kind() {
        "dictionary_comprehension" => true,
        "call" => n
            .child_by_field_name("function")
            .is_some_and(|f| slice(text, f) == "dict"),
        _ => false,
    });
    // The parsed dict's name, when a SQLAlchemy URL is built from it: that URL is rebuilt too.
    let url = whole.and_then(|dict| {
        let assignment = dict.parent()?;
        let left = assignment.child_by_field_name("left")?;
        (assignment.kind() == "assignment" && left.kind() == "identifier")
            .then(|| super::frameworks::sqlalchemy_url_from(tree, text, slice(text, left)))?
    });
    if let (Some(dict), Some(url)) = (whole, url) {
        let mut edits = with_import(text, import, vec![Edit::new(range(dict), parsed)]);
        edits = with_import(text, Some("from sqlalchemy.engine import URL\n"), edits);
        edits.push(url);
        return Some(Rewrite::unsafe_(
            format!(
                "Parse the connection string with {parse} and build the SQLAlchemy URL with URL.create (the password as it is, sslmode kept)"
            ),
            edits,
        ));
    }
    let (target, new_text, title) = match whole {
        Some(dict) => (
            range(dict),
            parsed,
            format!("Parse the connection string with {parse}"),
        ),
        None => (
            range(node),
            format!("[f\"{{key}}={{value}}\" for key, value in {parsed}.items()]"),
            format!("Split the connection string with {parse} (values unquoted)"),
        ),
    };
    Some(Rewrite::unsafe_(
        title,
        with_import(text, import, vec![Edit::new(target, new_text)]),
    ))
}

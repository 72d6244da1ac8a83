//! Python framework rewrites: a SQLAlchemy `create_engine(…)` whose URL is built from parts the
//! client type does not get, and Django settings that read a connection string into
//! `DATABASES` (through `dj_database_url.parse`/`config`, or split by hand).
//!
//! Facts (service-connector.md): client type python gets one libpq key-value string with
//! `sslmode=require` (N1 §3, P1 §4.1); django gets `_NAME`, `_HOST`, `_USER` and, with a secret,
//! `_PASSWORD` — no port (the servers listen on 5432) and no sslmode, which Service Connector's
//! own samples hard-code as `"5432"` and `"sslmode": "require"` (N2, §6.1). The entries written
//! here set `"sslmode": "require"` and leave `PORT` out, as the Django snippet does: libpq's
//! default port is 5432.

use super::tree::{ancestors, children, range, slice};
use super::{Edit, Rewrite, Site, Wiring, indent_at};
use crate::catalogue::{ClientType, Field};
use crate::scan::SyntaxTree;
use crate::text::TextRange;
use tree_sitter::Node;

/// How far up from a read the construct around it may be (`create_engine(f"…{read}…")`, a
/// `URL.create(…)` inside it, a keyword argument).
const LEVELS: usize = 8;

/// `create_engine(<URL built from component reads>, …)` for client type python: the URL becomes
/// an empty one of the same driver and a `creator` that connects with the libpq string Service
/// Connector sets (its `sslmode=require` included), so nothing is re-encoded into a URL.
/// SQLAlchemy passes an empty URL's connection to `creator` untouched; `connect_args={"dsn": …}`
/// would not do (the psycopg2 dialect passes an empty DSN positionally).
pub(crate) fn create_engine(node: Node<'_>, site: &Site<'_>, wiring: &Wiring) -> Option<Rewrite> {
    let cs = wiring.connection_string()?;
    if wiring.client_type != ClientType::Python {
        return None;
    }
    let text = site.text;
    let up = ancestors(node, LEVELS);
    let mut below = node;
    for (index, ancestor) in up.iter().enumerate() {
        if ancestor.kind() == "argument_list"
            && let Some(call) = up.get(index + 1)
            && call.kind() == "call"
            && call
                .child_by_field_name("function")
                .is_some_and(|f| last_segment(slice(text, f)) == "create_engine")
        {
            let args = children(*ancestor);
            let first = args.iter().find(|a| a.kind() != "comment")?;
            if first.id() != below.id() || first.kind() == "keyword_argument" {
                return None;
            }
            // `creator` replaces the driver's connect: its own arguments would be dropped.
            let keywords = |name: &str| {
                args.iter().any(|a| {
                    a.kind() == "keyword_argument"
                        && a.child_by_field_name("name")
                            .is_some_and(|n| slice(text, n) == name)
                }) || args.iter().any(|a| a.kind() == "dictionary_splat")
            };
            if keywords("connect_args") || keywords("creator") {
                return None;
            }
            let (scheme, module) = driver(slice(text, *first))?;
            let edit = Edit::new(
                range(*first),
                format!(
                    "\"{scheme}://\", creator=lambda: {module}.connect({})",
                    site.reader(cs)
                ),
            );
            return Some(Rewrite::unsafe_(
                format!(
                    "Connect with {cs} (the libpq string Service Connector sets, sslmode included) through create_engine's creator"
                ),
                with_import(site, &format!("import {module}"), edit),
            ));
        }
        below = *ancestor;
    }
    None
}

/// `edit` and the one merging `import` into the file's imports (`snippet::place`, as the
/// snippets do: after the docstring, never a duplicate).
fn with_import(site: &Site<'_>, import: &str, edit: Edit) -> Vec<Edit> {
    let mut edits = Vec::new();
    if let Ok(Some(lines)) =
        crate::snippet::place::add_imports(site.path, ClientType::Python, site.text, &[import])
    {
        let line_start = |n: usize| {
            if n == 0 {
                0
            } else {
                site.text
                    .match_indices('\n')
                    .nth(n - 1)
                    .map_or(site.text.len(), |(at, _)| at + 1)
            }
        };
        let range = TextRange::new(
            line_start(lines.start),
            line_start(lines.end.max(lines.start)),
        );
        edits.push(Edit::new(range, lines.text));
    }
    edits.push(edit);
    edits
}

fn last_segment(callee: &str) -> &str {
    callee.rsplit('.').next().unwrap_or(callee)
}

/// The SQLAlchemy dialect and the DBAPI module whose `connect` takes a libpq string, from the
/// URL's text: psycopg2 (also `postgresql://`, its default driver) or psycopg 3. Other drivers
/// (asyncpg, pg8000) take no libpq string: no rewrite.
fn driver(url: &str) -> Option<(&'static str, &'static str)> {
    if url.contains("postgresql+psycopg2") {
        Some(("postgresql+psycopg2", "psycopg2"))
    } else if url.contains("postgresql+psycopg") {
        Some(("postgresql+psycopg", "psycopg"))
    } else if url.contains("postgresql+") || url.contains("postgres+") {
        None
    } else if url.contains("postgresql") || url.contains("postgres:") {
        Some(("postgresql+psycopg2", "psycopg2"))
    } else {
        None
    }
}

/// The keys of a Django `DATABASES` entry that name the server, read from the connection's
/// variables by this rewrite; other keys (`ENGINE`, `CONN_MAX_AGE`, `TEST`) are kept.
const SERVER_KEYS: [&str; 6] = ["NAME", "HOST", "USER", "PASSWORD", "PORT", "OPTIONS"];

/// A Django `DATABASES` entry (a dict literal at `at`'s indentation) from the variables a Django
/// connection gets, then `kept` (`"KEY": value` pairs the entry keeps). `None` without a password
/// variable: a passwordless connection needs a token, which no rewrite of a read can supply.
fn django_entry(site: &Site<'_>, wiring: &Wiring, at: usize, kept: &[String]) -> Option<String> {
    let base = indent_at(site.text, at);
    let inner = format!("{base}    ");
    let mut lines = vec!["{".to_owned()];
    let is_engine = |pair: &&String| pair.starts_with("\"ENGINE\"") || pair.starts_with("'ENGINE'");
    match kept.iter().find(is_engine) {
        Some(engine) => lines.push(format!("{inner}{engine},")),
        None => lines.push(format!(
            "{inner}\"ENGINE\": \"django.db.backends.postgresql\","
        )),
    }
    for (key, field) in [
        ("NAME", Field::Name),
        ("HOST", Field::Host),
        ("USER", Field::User),
        ("PASSWORD", Field::Password),
    ] {
        let name = wiring.name(field)?;
        lines.push(format!("{inner}\"{key}\": {},", site.reader(name)));
    }
    lines.push(format!("{inner}\"OPTIONS\": {{\"sslmode\": \"require\"}},"));
    for pair in kept.iter().filter(|p| !is_engine(p)) {
        lines.push(format!("{inner}{pair},"));
    }
    lines.push(format!("{base}}}"));
    Some(lines.join("\n"))
}

/// `dj_database_url.parse(<connection string read>, …)` / `.config(default=<read>, …)` for client
/// type django: the call becomes the `DATABASES` entry from the variables Django gets. Its
/// keyword arguments become the keys dj-database-url would set (`conn_max_age` →
/// `CONN_MAX_AGE`, …; `ssl_require` is the `sslmode` the entry always sets).
pub(crate) fn dj_database_url(node: Node<'_>, site: &Site<'_>, wiring: &Wiring) -> Option<Rewrite> {
    if wiring.client_type != ClientType::Django || site.field != Field::ConnectionString {
        return None;
    }
    let text = site.text;
    let up = ancestors(node, 3);
    let (arguments, call) = match up.as_slice() {
        [arguments, call, ..] if arguments.kind() == "argument_list" => (*arguments, *call),
        [keyword, arguments, call, ..]
            if keyword.kind() == "keyword_argument"
                && keyword
                    .child_by_field_name("name")
                    .is_some_and(|n| slice(text, n) == "default") =>
        {
            (*arguments, *call)
        }
        _ => return None,
    };
    let callee = slice(text, call.child_by_field_name("function")?);
    let is_dj = matches!(last_segment(callee), "parse" | "config")
        && (callee.starts_with("dj_database_url.") || text.contains("from dj_database_url import"));
    if call.kind() != "call" || !is_dj {
        return None;
    }
    let mut kept = Vec::new();
    for argument in children(arguments) {
        match argument.kind() {
            "comment" => {}
            "keyword_argument" => {
                let name = slice(text, argument.child_by_field_name("name")?);
                let value = slice(text, argument.child_by_field_name("value")?);
                let key = match name {
                    "default" | "env" | "ssl_require" => continue,
                    "engine" => "ENGINE",
                    "conn_max_age" => "CONN_MAX_AGE",
                    "conn_health_checks" => "CONN_HEALTH_CHECKS",
                    "disable_server_side_cursors" => "DISABLE_SERVER_SIDE_CURSORS",
                    "test_options" => "TEST",
                    _ => return None,
                };
                kept.push(format!("\"{key}\": {value}"));
            }
            _ if argument.id() == node.id() => {}
            _ => return None,
        }
    }
    let entry = django_entry(site, wiring, call.start_byte(), &kept)?;
    Some(Rewrite::unsafe_(
        "Build the DATABASES entry from the variables Service Connector sets for Django (sslmode require)",
        vec![Edit::new(range(call), entry)],
    ))
}

/// Django settings that read the connection string into a name and build `DATABASES` from its
/// split (`conn = os.environ[CS]`, `params = dict(… conn.split() …)`,
/// `"NAME": params["dbname"]`): the `DATABASES` entry reads the variables Django gets and the
/// statements that only fed it are removed. `None` when a name they bind is used anywhere else.
pub(crate) fn django_split(
    tree: &SyntaxTree,
    node: Node<'_>,
    site: &Site<'_>,
    wiring: &Wiring,
) -> Option<Rewrite> {
    if wiring.client_type != ClientType::Django || site.field != Field::ConnectionString {
        return None;
    }
    let text = site.text;
    let statements: Vec<Node<'_>> = super::tree::statements(tree);
    // The module-level statement holding the read, and the ones after it that use what it binds.
    let holder = statements
        .iter()
        .position(|s| s.start_byte() <= node.start_byte() && node.end_byte() <= s.end_byte())?;
    let mut bound: Vec<&str> = Vec::new();
    let mut removed: Vec<usize> = Vec::new();
    let databases = statements
        .iter()
        .position(|s| assigned_name(text, *s) == Some("DATABASES"))?;
    for (index, statement) in statements.iter().enumerate().skip(holder) {
        if index == databases {
            continue;
        }
        let uses = index == holder || bound.iter().any(|name| uses_name(text, *statement, name));
        if !uses {
            continue;
        }
        bound.push(assigned_name(text, *statement)?);
        removed.push(index);
    }
    if databases <= holder {
        return None;
    }
    // Each removed statement must feed DATABASES, directly or through a later removed one
    // (`REPLICA_HOST = params["host"]` is a use of its own: then nothing is removed).
    let mut feeding: Vec<bool> = vec![false; removed.len()];
    for at in (0..removed.len()).rev() {
        let name = bound[at];
        feeding[at] = uses_name(text, statements[databases], name)
            || (at + 1..removed.len())
                .any(|later| feeding[later] && uses_name(text, statements[removed[later]], name));
    }
    if feeding.contains(&false) {
        return None;
    }
    // The entry: `DATABASES = {"default": {…}}` whose server keys read what was bound.
    let default = default_entry(text, statements[databases])?;
    let pairs: Vec<Node<'_>> = children(default)
        .into_iter()
        .filter(|p| p.kind() == "pair")
        .collect();
    let key_of = |pair: &Node<'_>| {
        pair.child_by_field_name("key")
            .map(|k| slice(text, k).trim_matches(['"', '\'']).to_owned())
    };
    let mut kept = Vec::new();
    let mut fed = false;
    for pair in &pairs {
        let key = key_of(pair)?;
        if SERVER_KEYS.contains(&key.as_str()) {
            fed |= bound.iter().any(|name| uses_name(text, *pair, name));
        } else if bound.iter().any(|name| uses_name(text, *pair, name)) {
            return None;
        } else {
            kept.push(slice(text, *pair).to_owned());
        }
    }
    // Every use of a bound name is in the removed statements or the replaced keys.
    let elsewhere = statements.iter().enumerate().any(|(index, statement)| {
        !removed.contains(&index)
            && index != databases
            && bound.iter().any(|name| uses_name(text, *statement, name))
    });
    if !fed || elsewhere {
        return None;
    }
    let entry = django_entry(site, wiring, default.start_byte(), &kept)?;
    let mut edits = vec![Edit::new(range(default), entry)];
    for index in removed {
        let statement = statements[index];
        let end = text[statement.end_byte()..]
            .find('\n')
            .map_or(text.len(), |i| statement.end_byte() + i + 1);
        let start = text[..statement.start_byte()]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        // A statement between blank lines takes one of them along.
        let blank_before = start == 0 || text[..start].ends_with("\n\n");
        let end = match text[end..].find('\n') {
            Some(i) if blank_before && text[end..end + i].trim().is_empty() => end + i + 1,
            _ => end,
        };
        edits.push(Edit::new(TextRange::new(start, end), ""));
    }
    Some(Rewrite::unsafe_(
        format!(
            "Build DATABASES from the variables Service Connector sets for Django, not from a split of the connection string (removes {})",
            bound.join(", ")
        ),
        edits,
    ))
}

/// `NAME = …` at module level: the name.
fn assigned_name<'s>(text: &'s str, statement: Node<'_>) -> Option<&'s str> {
    if statement.kind() != "expression_statement" {
        return None;
    }
    let assignment = children(statement).into_iter().next()?;
    if assignment.kind() != "assignment" {
        return None;
    }
    let left = assignment.child_by_field_name("left")?;
    (left.kind() == "identifier").then(|| slice(text, left))
}

/// Whether the identifier `name` occurs under `node`.
fn uses_name(text: &str, node: Node<'_>, name: &str) -> bool {
    let mut found = false;
    super::tree::each_node(node, |n| {
        found |= n.kind() == "identifier" && slice(text, n) == name;
    });
    found
}

/// The dict of `"default"` in `DATABASES = {"default": {…}}`.
fn default_entry<'t>(text: &str, statement: Node<'t>) -> Option<Node<'t>> {
    let assignment = children(statement).into_iter().next()?;
    let dict = assignment.child_by_field_name("right")?;
    if dict.kind() != "dictionary" {
        return None;
    }
    children(dict).into_iter().find_map(|pair| {
        let key = pair.child_by_field_name("key")?;
        let value = pair.child_by_field_name("value")?;
        (slice(text, key).trim_matches(['"', '\'']) == "default" && value.kind() == "dictionary")
            .then_some(value)
    })
}

/// A SQLAlchemy URL built as a string from the dict `parsed` (the driver's parse of the libpq
/// string: `"postgresql+psycopg2://{user}:{password}@{host}/{dbname}".format(**parsed)`, keyword
/// arguments reading `parsed[…]`, or an f-string): the edit that builds it with `URL.create(…)`,
/// which `create_engine` and Flask-SQLAlchemy take as they take the string — the password needs
/// no percent-encoding, `sslmode` is carried over (the string drops both), and printing it masks
/// the password.
pub(crate) fn sqlalchemy_url_from(tree: &SyntaxTree, text: &str, parsed: &str) -> Option<Edit> {
    let mut found = None;
    super::tree::each_node_in(tree, |node| {
        if found.is_some() {
            return;
        }
        let template = match node.kind() {
            "call" => {
                let Some(function) = node.child_by_field_name("function") else {
                    return;
                };
                let object = function.child_by_field_name("object");
                let attribute = function.child_by_field_name("attribute");
                match (object, attribute) {
                    (Some(object), Some(attribute))
                        if object.kind() == "string" && slice(text, attribute) == "format" =>
                    {
                        object
                    }
                    _ => return,
                }
            }
            "string" if slice(text, node).starts_with(['f', 'F']) => node,
            _ => return,
        };
        let url = slice(text, template);
        if url.contains("://") && uses_name(text, node, parsed) {
            found = driver(url).map(|(scheme, _)| (node, scheme));
        }
    });
    let (node, scheme) = found?;
    let base = indent_at(text, node.start_byte());
    let inner = format!("{base}    ");
    let item = |key: &str| format!("{parsed}[\"{key}\"]");
    let arguments = [
        format!("\"{scheme}\""),
        format!("username={}", item("user")),
        format!("password={parsed}.get(\"password\")"),
        format!("host={}", item("host")),
        format!("port=int({parsed}.get(\"port\", 5432))"),
        format!("database={}", item("dbname")),
        format!("query={{\"sslmode\": {parsed}.get(\"sslmode\", \"require\")}}"),
    ];
    let mut out = String::from("URL.create(\n");
    for argument in arguments {
        out.push_str(&format!("{inner}{argument},\n"));
    }
    out.push_str(&format!("{base})"));
    Some(Edit::new(range(node), out))
}

//! Shell rewrites (client type "none": psql and friends): a connection string read becomes the
//! libpq key-value string built from the component variables, TLS as `_SSL` says.

use super::text::inside_double_quotes;
use super::{Edit, Rewrite, Site, Wiring};
use crate::catalogue::Field;

pub(crate) fn wrong_read(site: &Site<'_>, wiring: &Wiring) -> Option<Rewrite> {
    if site.field != Field::ConnectionString {
        return None;
    }
    let var = |field| wiring.name(field).map(|name| format!("${{{name}}}"));
    let mut parts = vec![
        format!("host={}", var(Field::Host)?),
        format!("dbname={}", var(Field::Database)?),
        format!("user={}", var(Field::Username)?),
    ];
    if let Some(port) = var(Field::Port) {
        parts.push(format!("port={port}"));
    }
    if let Some(password) = var(Field::Password) {
        // Quoted for libpq: a password with spaces stays one value.
        parts.push(format!("password='{password}'"));
    }
    if let Some(ssl) = var(Field::Ssl) {
        parts.push(format!(
            "sslmode=$([ \"{ssl}\" = true ] && echo require || echo disable)"
        ));
    }
    let body = parts.join(" ");
    let new_text = if inside_double_quotes(site.text, site.expr.start) {
        body
    } else {
        format!("\"{body}\"")
    };
    Some(Rewrite::unsafe_(
        "Build the libpq connection string from the component variables Service Connector sets",
        vec![Edit::new(site.expr, new_text)],
    ))
}

//! PHP rewrites (pgsql, PDO): `pg_connect` gets the key-value string Service Connector sets.

use super::text::enclosing_call;
use super::{Edit, Rewrite, Site, Wiring};
use crate::catalogue::ClientType;
use crate::text::TextRange;

pub(crate) fn wrong_read(site: &Site<'_>, wiring: &Wiring) -> Option<Rewrite> {
    let cs = wiring.connection_string()?;
    let read = site.reader(cs);
    if let Some((_, inside)) = enclosing_call(site.text, site.expr, &["pg_connect", "pg_pconnect"])
    {
        return Some(Rewrite::unsafe_(
            format!("Connect with {cs} (the libpq string Service Connector sets)"),
            vec![Edit::new(inside, read)],
        ));
    }
    if let Some((_, inside)) = enclosing_call(site.text, site.expr, &["new PDO"]) {
        // PDO's pgsql DSN is `pgsql:` followed by libpq keywords; the first argument is the DSN.
        let first_end = site.text[inside.start..inside.end]
            .find(',')
            .map_or(inside.end, |i| inside.start + i);
        return Some(Rewrite::unsafe_(
            format!("Build the PDO DSN from {cs}"),
            vec![Edit::new(
                crate::text::TextRange::new(inside.start, first_end),
                format!("'pgsql:' . {read}"),
            )],
        ));
    }
    None
}

pub(crate) fn hand_parse(
    _text: &str,
    _split: TextRange,
    _receiver: TextRange,
    _client: Option<ClientType>,
) -> Option<Rewrite> {
    None
}

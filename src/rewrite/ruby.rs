//! Ruby rewrites (ruby-pg): the driver parses the key-value string Service Connector sets
//! (`PG::Connection.conninfo_parse`).

use super::{Edit, Rewrite, Site, Wiring, libpq_key};
use crate::text::TextRange;

pub(crate) fn wrong_read(site: &Site<'_>, wiring: &Wiring) -> Option<Rewrite> {
    let cs = wiring.connection_string()?;
    let key = libpq_key(site.field)?;
    Some(Rewrite::unsafe_(
        format!("Read {key} from {cs}, parsed by PG::Connection.conninfo_parse"),
        vec![Edit::new(
            site.expr,
            format!(
                "PG::Connection.conninfo_parse({}).find {{ |option| option[:keyword] == \"{key}\" }}&.fetch(:val)",
                site.reader(cs)
            ),
        )],
    ))
}

/// `conninfo.split(" ")` becomes the driver's parse as `key=value` strings, values unquoted.
pub(crate) fn hand_parse(text: &str, split: TextRange, receiver: TextRange) -> Option<Rewrite> {
    let receiver_text = text.get(receiver.start..receiver.end)?;
    // Only the call itself: `receiver.split(…)` ending at the split's end.
    let call = text.get(split.start..split.end)?;
    if !call.starts_with(receiver_text) {
        return None;
    }
    Some(Rewrite::unsafe_(
        "Split the connection string with PG::Connection.conninfo_parse (values unquoted)",
        vec![Edit::new(
            split,
            format!(
                "PG::Connection.conninfo_parse({receiver_text}).filter_map {{ |option| \"#{{option[:keyword]}}=#{{option[:val]}}\" if option[:val] }}"
            ),
        )],
    ))
}

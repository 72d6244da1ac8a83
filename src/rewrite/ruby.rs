//! Ruby rewrites (ruby-pg): the driver parses the key-value string Service Connector sets
//! (`PG::Connection.conninfo_parse`).

use super::text::{enclosing_call, split_top_level};
use super::{Edit, Rewrite, Site, Wiring, libpq_key};
use crate::text::TextRange;

pub(crate) fn wrong_read(site: &Site<'_>, wiring: &Wiring) -> Option<Rewrite> {
    let cs = wiring.connection_string()?;
    let key = libpq_key(site.field)?;
    // `PG.connect(host: ENV[…], …)`: the string replaces the options read from the environment;
    // the others (`connect_timeout: 5`) stay.
    if let Some((_, inside)) = enclosing_call(
        site.text,
        site.expr,
        &[
            "PG.connect",
            "PG::Connection.new",
            "PG::Connection.open",
            "PG::Connection.connect",
        ],
    ) {
        let arguments = &site.text[inside.start..inside.end];
        let options: Vec<&str> = split_top_level(arguments)
            .into_iter()
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .collect();
        if options.iter().all(|o| o.contains(": ") || o.contains("=>")) {
            let mut new = vec![site.reader(cs)];
            new.extend(
                options
                    .iter()
                    .filter(|o| !o.contains("ENV"))
                    .map(|o| o.to_string()),
            );
            return Some(Rewrite::unsafe_(
                format!("Connect with {cs} (the libpq string Service Connector sets)"),
                vec![Edit::new(inside, new.join(", "))],
            ));
        }
    }
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

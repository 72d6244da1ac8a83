//! C# rewrites (Npgsql): a component read becomes the property of the Npgsql string
//! Service Connector sets, parsed by `NpgsqlConnectionStringBuilder`.

use super::{Edit, Rewrite, Site, Wiring};
use crate::catalogue::Field;
use crate::text::TextRange;

pub(crate) fn wrong_read(site: &Site<'_>, wiring: &Wiring) -> Option<Rewrite> {
    let cs = wiring.connection_string()?;
    let property = match site.field {
        Field::Host => "Host",
        Field::User | Field::Username => "Username",
        Field::Database | Field::Name => "Database",
        Field::Port => "Port.ToString()",
        // Service Connector's .NET string holds no password (service-connector.md §3, §4.1):
        // there is nothing to read it from.
        _ => return None,
    };
    Some(Rewrite::unsafe_(
        format!("Read {property} from {cs} with NpgsqlConnectionStringBuilder"),
        vec![Edit::new(
            site.expr,
            format!(
                "new Npgsql.NpgsqlConnectionStringBuilder({}).{property}",
                site.reader(cs)
            ),
        )],
    ))
}

pub(crate) fn hand_parse(_text: &str, _split: TextRange, _receiver: TextRange) -> Option<Rewrite> {
    None
}

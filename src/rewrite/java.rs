//! Java rewrites (JDBC): a component read becomes the part of the JDBC URL Service Connector
//! sets; the user and password travel inside that URL.

use super::{Edit, Rewrite, Site, Wiring};
use crate::catalogue::Field;

pub(crate) fn wrong_read(site: &Site<'_>, wiring: &Wiring) -> Option<Rewrite> {
    let cs = wiring.connection_string()?;
    let uri = format!("java.net.URI.create({}.substring(5))", site.reader(cs));
    let (expression, title) = match site.field {
        Field::Host => (
            format!("{uri}.getHost()"),
            format!("Read the host from the JDBC URL in {cs}"),
        ),
        Field::Port => (
            format!("String.valueOf({uri}.getPort())"),
            format!("Read the port from the JDBC URL in {cs}"),
        ),
        Field::Database | Field::Name => (
            format!("{uri}.getPath().substring(1)"),
            format!("Read the database from the JDBC URL in {cs}"),
        ),
        // DriverManager.getConnection(url, null, null) takes user and password from the URL.
        Field::User | Field::Username | Field::Password => (
            "null".to_owned(),
            format!(
                "Pass null: the JDBC URL in {cs} carries the user and password, and DriverManager.getConnection skips a null user/password"
            ),
        ),
        _ => return None,
    };
    Some(Rewrite::unsafe_(
        title,
        vec![Edit::new(site.expr, expression)],
    ))
}

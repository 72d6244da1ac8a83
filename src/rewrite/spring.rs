//! Spring Boot rewrites (`application.properties`): Service Connector sets the
//! `spring.datasource.*` properties themselves.

use super::{Edit, Rewrite, Site, Wiring};
use crate::catalogue::Field;
use crate::scan::Language;
use crate::text::TextRange;

pub(crate) fn wrong_read(site: &Site<'_>, wiring: &Wiring) -> Option<Rewrite> {
    if site.language != Language::Properties {
        return None;
    }
    let text = site.text;
    let start = text[..site.expr.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[site.expr.end..]
        .find('\n')
        .map_or(text.len(), |i| site.expr.end + i + 1);
    let line = &text[start..end];
    let key = line.split(['=', ':']).next()?.trim();
    if wiring.properties.iter().any(|p| p == key) {
        return Some(Rewrite::unsafe_(
            format!("Remove this line: Service Connector sets {key} itself"),
            vec![Edit::new(TextRange::new(start, end), "")],
        ));
    }
    let property = match site.field {
        Field::ConnectionString => "spring.datasource.url",
        Field::User | Field::Username => "spring.datasource.username",
        Field::Password => "spring.datasource.password",
        _ => return None,
    };
    if !wiring.properties.iter().any(|p| p == property) {
        return None;
    }
    Some(Rewrite::unsafe_(
        format!("Read {property}, which Service Connector sets"),
        vec![Edit::new(site.expr, format!("${{{property}}}"))],
    ))
}

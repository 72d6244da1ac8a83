//! Rendering shared by the formats: secrets shown or masked, each option's key in a format, and
//! what a conversion would lose or change.

use std::borrow::Cow;

use super::{
    ConnectionParams, Format, MASK,
    key_value::join_key_value,
    keywords::{
        JDBC_PROPERTIES, LIBPQ_KEYWORDS, NPGSQL_KEYWORDS, OPTION_SPELLINGS, is_libpq_keyword,
        is_secret_option, libpq_enum_to_npgsql,
    },
    shared::percent_encode,
};

/// Whether a rendering shows secrets or masks them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Secrets {
    Show,
    Mask,
}

impl ConnectionParams {
    /// Renders in `format`, in a form that format's driver parses back into these parameters.
    /// Options the format cannot express are left out; see [`ConnectionParams::options_lost_in`].
    pub fn render(&self, format: Format) -> String {
        self.render_with(format, Secrets::Show)
    }

    /// Like [`ConnectionParams::render`], with the password (and other secrets) shown as `****`.
    pub fn masked(&self, format: Format) -> String {
        self.render_with(format, Secrets::Mask)
    }

    /// Why rendering in `format` would make the driver connect somewhere else, if it would:
    /// then a conversion is not a safe fix. pgjdbc speaks TCP only, so a libpq host that is a
    /// Unix-domain socket directory (`host=/var/run/postgresql`) becomes a host name in a JDBC
    /// URL — a different, nonsensical server.
    pub fn conversion_hazard(&self, format: Format) -> Option<String> {
        let (socket, _) = self
            .hosts
            .iter()
            .find(|(host, _)| host.starts_with('/') || host.starts_with('@'))?;
        (format == Format::Jdbc).then(|| {
            format!(
                "host {socket} is a Unix-domain socket directory, which a JDBC URL cannot name \
                 (the PostgreSQL JDBC driver connects over TCP)"
            )
        })
    }

    /// Keys of options that `format` has no name for, which [`ConnectionParams::render`]
    /// therefore leaves out (e.g. `Pooling` in a URI, `sslsni` in Npgsql).
    pub fn options_lost_in(&self, format: Format) -> Vec<&str> {
        self.options
            .iter()
            .filter(|(key, _)| option_key_in(key, format).is_none())
            .map(|(key, _)| key.as_str())
            .collect()
    }

    fn render_with(&self, format: Format, secrets: Secrets) -> String {
        match format {
            Format::Uri => self.render_uri(secrets),
            Format::KeyValue => join_key_value(self.key_value_pairs(secrets)),
            Format::Npgsql => self.render_npgsql(secrets),
            Format::Jdbc => self.render_jdbc(secrets),
        }
    }

    pub(super) fn password_text(&self, secrets: Secrets) -> Option<(String, bool)> {
        self.password.as_ref().map(|password| match secrets {
            Secrets::Show => (password.expose().to_owned(), false),
            Secrets::Mask => (MASK.to_owned(), true),
        })
    }

    /// The options a format can express, with their keys in that format and their values
    /// (masked if secret and asked to).
    pub(super) fn rendered_options(
        &self,
        format: Format,
        secrets: Secrets,
    ) -> Vec<(Cow<'static, str>, String, bool)> {
        self.options
            .iter()
            .filter_map(|(key, value)| {
                let (rendered_key, enum_values) = option_key_in(key, format)?;
                if secrets == Secrets::Mask && is_secret_option(key) {
                    return Some((rendered_key, MASK.to_owned(), true));
                }
                let value = if enum_values {
                    libpq_enum_to_npgsql(value)
                } else {
                    value.clone()
                };
                Some((rendered_key, value, false))
            })
            .collect()
    }

    /// The options a URL (libpq URI, pgjdbc) carries, as `key=value` query parameters.
    pub(super) fn url_query_options(&self, format: Format, secrets: Secrets) -> Vec<String> {
        self.rendered_options(format, secrets)
            .into_iter()
            .map(|(key, value, masked)| format!("{key}={}", url_value(value, masked)))
            .collect()
    }
}

/// The key an option has in `format`, and whether its values switch to Npgsql enum spelling.
fn option_key_in(key: &str, format: Format) -> Option<(Cow<'static, str>, bool)> {
    let spelling = OPTION_SPELLINGS
        .iter()
        .find(|spelling| spelling.libpq == key);
    match format {
        Format::Uri | Format::KeyValue => LIBPQ_KEYWORDS
            .iter()
            .find(|keyword| **keyword == key)
            .map(|keyword| (Cow::Borrowed(*keyword), false)),
        Format::Npgsql => match spelling {
            Some(spelling) => spelling
                .npgsql
                .map(|name| (Cow::Borrowed(name), spelling.npgsql_enum_values)),
            None if is_libpq_keyword(key) => None,
            None => NPGSQL_KEYWORDS
                .iter()
                .find(|keyword| keyword.canonical == key)
                .map(|keyword| (Cow::Borrowed(keyword.canonical), false)),
        },
        Format::Jdbc => match spelling {
            Some(spelling) => spelling.jdbc.map(|name| (Cow::Borrowed(name), false)),
            None if is_libpq_keyword(key) => None,
            None => JDBC_PROPERTIES
                .iter()
                .find(|name| **name == key)
                .map(|name| (Cow::Borrowed(*name), false)),
        },
    }
}

/// A value written into a URL: percent-encoded, unless it is the mask, which stays readable.
pub(super) fn url_value(value: String, masked: bool) -> String {
    if masked {
        value
    } else {
        percent_encode(&value)
    }
}

/// Appends the query (`?a=b&c=d`), or nothing when there are no parameters.
pub(super) fn push_query(out: &mut String, query: &[String]) {
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query.join("&"));
    }
}

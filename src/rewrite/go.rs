//! Go rewrites (pgx, lib/pq): a key-value string assembled from component reads
//! (`fmt.Sprintf("host=%s …", os.Getenv(…), …)`) becomes the string Service Connector sets.

use super::text::enclosing_call;
use super::{Edit, Rewrite, Site, Wiring};
use crate::text::TextRange;

pub(crate) fn wrong_read(site: &Site<'_>, wiring: &Wiring) -> Option<Rewrite> {
    let cs = wiring.connection_string()?;
    let (call, _) = enclosing_call(site.text, site.expr, &["fmt.Sprintf"])?;
    Some(Rewrite::unsafe_(
        format!("Use {cs}: Service Connector sets the whole key-value string for Go"),
        vec![Edit::new(call, site.reader(cs))],
    ))
}

pub(crate) fn hand_parse(_text: &str, _split: TextRange, _receiver: TextRange) -> Option<Rewrite> {
    None
}

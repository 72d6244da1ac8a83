//! What a host of each target looks like: the one answer `invalid-neon-host`, the target
//! inference from a host (`tls-disabled`, `hardcoded-connection-string`), the connection
//! test's endpoint parsing and DNS hint, and the snippets' placeholders all ask.
//!
//! - Neon: the documented example host is `ep-still-mud-a12aa123.eastus2.azure.neon.tech`
//!   (N1, N1b, §3 of service-connector.md; N3 uses the same shape). The first label is the
//!   compute endpoint's id (`ep-…`, with `-pooler` for the pooled endpoint), which Neon routes
//!   on by SNI; then region, cloud and `neon.tech`.
//! - Azure Database for PostgreSQL: `<host>` = `<PostgreSQL-server-name>.postgres.database.azure.com`
//!   (P1, §4; P2 and P3 agree).

use super::Target;

/// The domain every Neon host ends with (N1).
const NEON_DOMAIN: &str = ".neon.tech";
/// The first label of a Neon compute endpoint's host (N1 example `ep-still-mud-a12aa123`).
const NEON_ENDPOINT_PREFIX: &str = "ep-";
/// The pooled endpoint's first label ends with this.
const NEON_POOLER_SUFFIX: &str = "-pooler";
/// The domain every Azure Database for PostgreSQL flexible server ends with (P1).
const AZURE_DOMAIN: &str = ".postgres.database.azure.com";

impl Target {
    /// What a host of this target looks like, for messages and notes ("Neon hosts look like …").
    pub fn host_shape(self) -> &'static str {
        match self {
            Target::Neon => "ep-<name>-<id>.<region>.<cloud>.neon.tech",
            Target::AzurePostgresql => "<server>.postgres.database.azure.com",
        }
    }

    /// The domain every host of this target ends with (`.neon.tech`).
    pub fn host_domain(self) -> &'static str {
        match self {
            Target::Neon => NEON_DOMAIN,
            Target::AzurePostgresql => AZURE_DOMAIN,
        }
    }

    /// The target whose domain `host` is in (ASCII case-insensitive), if any.
    pub fn of_host(host: &str) -> Option<Target> {
        let lower = host.to_ascii_lowercase();
        Target::ALL
            .into_iter()
            .find(|target| lower.ends_with(target.host_domain()))
    }
}

/// How a host fits its target's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFit {
    /// In the target's domain, and (Neon) names an endpoint.
    Fits,
    /// A Neon host whose first label is not an endpoint id (`ep-…`): Neon cannot route it.
    NoEndpointId,
    /// Not in the target's domain at all.
    OtherDomain,
}

/// How `host` fits `target`'s shape ([`Target::host_shape`]). Lenient on purpose: any host in
/// the domain whose endpoint label is right fits, however many labels it has.
pub fn host_fit(target: Target, host: &str) -> HostFit {
    let lower = host.to_ascii_lowercase();
    if !lower.ends_with(target.host_domain()) {
        return HostFit::OtherDomain;
    }
    if target == Target::Neon && !lower.starts_with(NEON_ENDPOINT_PREFIX) {
        return HostFit::NoEndpointId;
    }
    HostFit::Fits
}

/// Whether `host` is a complete host name of `target` (it fits, and has every label of the
/// shape: `ep-….<region>[.<cloud>].neon.tech`, `<server>.postgres.database.azure.com`); a
/// complete name that does not resolve points at DNS or a deleted server, not at a typo.
pub fn is_complete_host(target: Target, host: &str) -> bool {
    let labels = host.split('.').count();
    host_fit(target, host) == HostFit::Fits
        && match target {
            Target::Neon => labels >= 4,
            Target::AzurePostgresql => labels == 5,
        }
}

/// A Neon host's endpoint id and whether it is the pooled endpoint (`ep-x-pooler.…` →
/// `("ep-x", true)`); `None` for a host that does not fit Neon's shape.
pub fn neon_endpoint_id(host: &str) -> Option<(String, bool)> {
    if host_fit(Target::Neon, host) != HostFit::Fits {
        return None;
    }
    let first = host.split('.').next()?.to_ascii_lowercase();
    Some(match first.strip_suffix(NEON_POOLER_SUFFIX) {
        Some(id) => (id.to_owned(), true),
        None => (first, false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape shown to people, with each `<…>` slot filled.
    fn instance(target: Target) -> String {
        let mut out = String::new();
        let mut rest = target.host_shape();
        while let Some(open) = rest.find('<') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('>').map_or(rest.len(), |c| open + c + 1);
            out.push_str("x1");
            rest = &rest[close..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn documented_hosts_and_the_shown_shapes_fit_their_own_target_only() {
        // N1/N1b §3 and P1 §4: the documents' hosts.
        for target in Target::ALL {
            let other = match target {
                Target::Neon => Target::AzurePostgresql,
                Target::AzurePostgresql => Target::Neon,
            };
            for host in [target.example_host().to_owned(), instance(target)] {
                assert_eq!(host_fit(target, &host), HostFit::Fits, "{host}");
                assert!(is_complete_host(target, &host), "{host}");
                assert_eq!(host_fit(other, &host), HostFit::OtherDomain, "{host}");
                assert_eq!(Target::of_host(&host), Some(target), "{host}");
            }
        }
        assert_eq!(
            Target::example_host(Target::Neon),
            "ep-still-mud-a12aa123.eastus2.azure.neon.tech"
        );
        assert_eq!(
            instance(Target::AzurePostgresql),
            "x1.postgres.database.azure.com"
        );
    }

    #[test]
    fn neon_hosts_need_an_endpoint_id_and_azure_hosts_a_server() {
        assert_eq!(
            host_fit(Target::Neon, "cool-darkness.us-east-2.aws.neon.tech"),
            HostFit::NoEndpointId
        );
        assert_eq!(
            host_fit(Target::Neon, "EP-A.eastus2.azure.NEON.TECH"),
            HostFit::Fits
        );
        assert_eq!(
            host_fit(Target::Neon, "myserver.postgres.database.azure.com"),
            HostFit::OtherDomain
        );
        assert_eq!(
            host_fit(Target::AzurePostgresql, "myserver.postgres.azure.com"),
            HostFit::OtherDomain
        );
        assert!(!is_complete_host(Target::Neon, "ep-x.neon.tech"));
        assert!(!is_complete_host(
            Target::AzurePostgresql,
            "a.b.postgres.database.azure.com"
        ));
        assert_eq!(Target::of_host("db.internal.example"), None);
        assert_eq!(
            neon_endpoint_id("ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech"),
            Some(("ep-cool-darkness-123456".to_owned(), true))
        );
        assert_eq!(
            neon_endpoint_id("ep-still-mud-a12aa123.eastus2.azure.neon.tech"),
            Some(("ep-still-mud-a12aa123".to_owned(), false))
        );
        assert_eq!(neon_endpoint_id("cool.us-east-2.aws.neon.tech"), None);
    }
}

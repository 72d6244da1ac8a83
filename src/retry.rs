//! Retrying HTTP requests, once for every client (`neon::api`, `azure::arm`, IMDS in
//! `azure::credential`): how long to wait after a 5xx, a timeout or a connection error
//! (exponential backoff with jitter, an attempt cap), and after a 429 (`Retry-After`, bounded,
//! a cap on waits).
//!
//! [`Retries`] decides (pure, tested here); [`Retries::retry_later`] and
//! [`Retries::wait_for_rate_limit`] also say why on the caller's [`Notice`] and sleep. Only
//! requests that are safe to repeat (GETs, ARM's read-only POSTs) go through it.

use std::sync::Arc;
use std::time::Duration;

/// Where a client reports a wait or a retry ("GET /projects: Neon answered 503; retrying in
/// 0.4 s (1/3)"); the CLI prints it on stderr, the server logs it.
pub type Notice = Arc<dyn Fn(&str) + Send + Sync>;

/// How failed requests are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after a 5xx, a timeout or a connection error.
    pub max_retries: u32,
    /// Waits after a 429.
    pub max_rate_limit_waits: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is reported instead of waited for.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            max_rate_limit_waits: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with full jitter: a random wait up to base·2^(n-1), capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay);
        // Jitter needs no cryptographic randomness; RandomState is seeded per process.
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(attempt);
        let fraction = (hasher.finish() % 1000) as f64 / 1000.0;
        // Never less than a tenth of the ceiling, so a retry is not immediate.
        ceiling.mul_f64(0.1 + 0.9 * fraction)
    }
}

/// One request's retries so far, under a [`RetryPolicy`].
#[derive(Debug, Clone)]
pub struct Retries {
    policy: RetryPolicy,
    retries: u32,
    rate_limit_waits: u32,
}

impl Retries {
    pub fn new(policy: RetryPolicy) -> Retries {
        Retries {
            policy,
            retries: 0,
            rate_limit_waits: 0,
        }
    }

    /// Attempts made so far, counting the first (for "after 4 attempts").
    pub fn attempts(&self) -> u32 {
        self.retries + 1
    }

    /// After a 5xx, a timeout or a connection error: the wait before the next attempt, counted,
    /// or `None` when the retries are spent.
    pub fn after_failure(&mut self) -> Option<Duration> {
        if self.retries >= self.policy.max_retries {
            return None;
        }
        self.retries += 1;
        Some(self.policy.backoff(self.retries))
    }

    /// After a 429 with its `Retry-After` (backoff when it gave none): the wait, counted, or
    /// `None` when the waits are spent or the server asks for longer than the policy waits.
    pub fn after_rate_limit(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        let wait = retry_after.unwrap_or_else(|| self.policy.backoff(self.rate_limit_waits + 1));
        if self.rate_limit_waits >= self.policy.max_rate_limit_waits
            || wait > self.policy.max_retry_after
        {
            return None;
        }
        self.rate_limit_waits += 1;
        Some(wait)
    }

    /// [`Retries::after_failure`], then says why and how long on `notice` and waits: `false`
    /// when the retries are spent (nothing said, no wait).
    pub async fn retry_later(&mut self, why: &str, notice: Option<&Notice>) -> bool {
        let Some(wait) = self.after_failure() else {
            return false;
        };
        if let Some(notice) = notice {
            notice(&format!(
                "{why}; retrying in {:.1} s ({}/{})",
                wait.as_secs_f32(),
                self.retries,
                self.policy.max_retries
            ));
        }
        tokio::time::sleep(wait).await;
        true
    }

    /// [`Retries::after_rate_limit`], then says `why` and how long on `notice` and waits:
    /// `false` when the caller must give up instead.
    pub async fn wait_for_rate_limit(
        &mut self,
        retry_after: Option<Duration>,
        why: &str,
        notice: Option<&Notice>,
    ) -> bool {
        let Some(wait) = self.after_rate_limit(retry_after) else {
            return false;
        };
        if let Some(notice) = notice {
            notice(&format!(
                "{why}; waiting {:.1} s as it asks",
                wait.as_secs_f32()
            ));
        }
        tokio::time::sleep(wait).await;
        true
    }
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3); a date in the past is no wait.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 2,
            max_rate_limit_waits: 2,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            max_retry_after: Duration::from_secs(10),
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        headers.insert(
            reqwest::header::RETRY_AFTER,
            httpdate::fmt_http_date(later).parse().unwrap(),
        );
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        let earlier = std::time::SystemTime::now() - Duration::from_secs(120);
        headers.insert(
            reqwest::header::RETRY_AFTER,
            httpdate::fmt_http_date(earlier).parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
        assert_eq!(retry_after(&reqwest::header::HeaderMap::new()), None);
    }

    #[test]
    fn backoff_grows_is_capped_and_never_zero() {
        let policy = policy();
        for attempt in 1..12 {
            let wait = policy.backoff(attempt);
            let ceiling = (policy.base_delay * 2u32.pow(attempt.min(10) - 1)).min(policy.max_delay);
            assert!(wait <= ceiling, "{attempt}: {wait:?} > {ceiling:?}");
            assert!(wait >= ceiling / 10, "{attempt}: {wait:?}");
        }
        assert!(policy.backoff(u32::MAX) <= policy.max_delay);
    }

    #[test]
    fn failures_are_retried_up_to_the_cap_and_counted_as_attempts() {
        let mut retries = Retries::new(policy());
        assert_eq!(retries.attempts(), 1);
        assert!(retries.after_failure().is_some());
        assert!(retries.after_failure().is_some());
        assert_eq!(retries.after_failure(), None);
        assert_eq!(retries.after_failure(), None);
        assert_eq!(retries.attempts(), 3);
    }

    #[test]
    fn rate_limits_wait_as_asked_within_bounds_and_apart_from_failures() {
        let mut retries = Retries::new(policy());
        assert_eq!(
            retries.after_rate_limit(Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        // Longer than the policy waits: give up at once, and it does not count.
        assert_eq!(
            retries.after_rate_limit(Some(Duration::from_secs(3600))),
            None
        );
        // No Retry-After: the backoff.
        let wait = retries.after_rate_limit(None).unwrap();
        assert!(wait <= policy().max_delay, "{wait:?}");
        // Two waits spent.
        assert_eq!(retries.after_rate_limit(Some(Duration::ZERO)), None);
        // Waits do not spend the retries.
        assert!(retries.after_failure().is_some());
        assert_eq!(retries.attempts(), 2);
    }

    #[tokio::test]
    async fn retry_later_says_why_and_how_long_then_stops() {
        let said = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = said.clone();
        let notice: Notice = Arc::new(move |text: &str| {
            sink.lock().unwrap().push(text.to_owned());
        });
        // Millisecond waits, so the test sleeps for real but briefly.
        let mut retries = Retries::new(RetryPolicy {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..policy()
        });
        assert!(
            retries
                .retry_later("GET /x: answered 503", Some(&notice))
                .await
        );
        assert!(
            retries
                .retry_later("GET /x: answered 503", Some(&notice))
                .await
        );
        assert!(
            !retries
                .retry_later("GET /x: answered 503", Some(&notice))
                .await
        );
        assert!(
            retries
                .wait_for_rate_limit(
                    Some(Duration::from_millis(20)),
                    "GET /x: throttled",
                    Some(&notice)
                )
                .await
        );
        let said = said.lock().unwrap();
        assert_eq!(said.len(), 3, "{said:?}");
        assert!(
            said[0].starts_with("GET /x: answered 503; retrying in ")
                && said[0].ends_with(" s (1/2)"),
            "{said:?}"
        );
        assert!(said[1].ends_with(" s (2/2)"), "{said:?}");
        assert_eq!(said[2], "GET /x: throttled; waiting 0.0 s as it asks");
    }
}

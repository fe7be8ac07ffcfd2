//! Bounded retries with exponential backoff, honouring `Retry-After`.

use std::time::Duration;

/// Attempt counter and wait calculator for one request.
#[derive(Debug)]
pub struct Backoff {
    attempts: u32,
    done: u32,
    max: Duration,
}

impl Backoff {
    /// `attempts` is the total number of tries (1 = no retry).
    pub fn new(attempts: u32, max: Duration) -> Self {
        Self {
            attempts: attempts.max(1),
            done: 0,
            max,
        }
    }

    /// The wait before the next try, or `None` when the budget is spent. A server's
    /// `Retry-After` wins over our own schedule, capped at the maximum.
    pub fn next(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        self.done += 1;
        if self.done >= self.attempts {
            return None;
        }
        let own = Duration::from_millis(200u64.saturating_mul(1 << (self.done - 1).min(10)));
        Some(retry_after.unwrap_or(own).min(self.max))
    }
}

/// Statuses worth another try, as go-containerregistry (crane, ko) and the Docker client
/// treat them: request timeout, rate limit, and the server-side failures a load balancer or a
/// restarting registry gives. Every other status is the registry's final answer.
pub fn retryable(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After: <seconds>` or `Retry-After: <HTTP-date>`, as a wait from now.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = when.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn backoff_is_bounded_and_prefers_retry_after() {
        let mut b = Backoff::new(3, Duration::from_secs(5));
        assert_eq!(b.next(None), Some(Duration::from_millis(200)));
        assert_eq!(
            b.next(Some(Duration::from_secs(60))),
            Some(Duration::from_secs(5))
        );
        assert_eq!(b.next(None), None);
    }

    #[test]
    fn parses_retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}

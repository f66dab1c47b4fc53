//! Cross-origin requests from browsers: an explicit origin allow-list
//! (`CORS_ALLOWED_ORIGINS`, comma-separated, matched exactly; no wildcard,
//! no `null`), preflights answered for allowed origins only, and
//! `Access-Control-Allow-Origin` echoed only for them. The API authenticates
//! with a bearer header, never cookies, so credentials mode is never allowed.

/// Methods a preflight may ask for.
pub const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// Request headers a preflight may ask for.
pub const ALLOW_HEADERS: &str = "authorization, content-type, x-request-id, idempotency-key";
/// Response headers a page may read.
pub const EXPOSE_HEADERS: &str =
    "x-request-id, retry-after, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, x-next-cursor";
/// How long a browser may cache a preflight answer.
pub const MAX_AGE_SECS: u32 = 600;

/// The allow-list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsPolicy {
    origins: Vec<String>,
}

impl CorsPolicy {
    /// Parses `https://a.example, http://localhost:3000`. Entries are
    /// trimmed, a trailing `/` dropped; `*`, `null` and anything that is not
    /// an `http(s)://host[:port]` origin are ignored, never widening the list.
    pub fn from_csv(csv: &str) -> CorsPolicy {
        let origins = csv
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
            .filter(|o| is_origin(o))
            .collect();
        CorsPolicy { origins }
    }

    pub fn allows(&self, origin: &str) -> bool {
        let origin = origin.to_ascii_lowercase();
        self.origins.contains(&origin)
    }

    pub fn origins(&self) -> &[String] {
        &self.origins
    }
}

/// `scheme://host[:port]` with nothing after the authority.
fn is_origin(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(authority) => {
            !authority.is_empty()
                && authority.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        }
        None => false,
    }
}

/// A CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
pub fn is_preflight(method: &str, origin: Option<&str>, request_method: Option<&str>) -> bool {
    method == "OPTIONS" && origin.is_some() && request_method.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_origins_only() {
        let p = CorsPolicy::from_csv(" http://localhost:3000 , https://App.Example.com/ ,*,null,ftp://x, https://a.example/path");
        assert_eq!(
            p.origins(),
            ["http://localhost:3000", "https://app.example.com"]
        );
        assert!(p.allows("http://localhost:3000"));
        assert!(p.allows("https://app.example.com"));
        assert!(!p.allows("http://localhost:3001"));
        assert!(!p.allows("https://app.example.com.evil.test"));
        assert!(!p.allows("null"));
        assert!(!p.allows("*"));
        assert!(CorsPolicy::from_csv("").origins().is_empty());
    }

    #[test]
    fn preflights_need_origin_and_method() {
        assert!(is_preflight("OPTIONS", Some("http://a"), Some("POST")));
        assert!(!is_preflight("OPTIONS", None, Some("POST")));
        assert!(!is_preflight("OPTIONS", Some("http://a"), None));
        assert!(!is_preflight("GET", Some("http://a"), Some("POST")));
    }
}

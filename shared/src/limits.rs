//! Size limits on what the API accepts. A body over its limit is refused
//! before it is parsed, and nothing is written.

use crate::route::RouteClass;

/// The largest request body accepted for a route class, in bytes.
pub fn max_body_bytes(class: RouteClass) -> usize {
    match class {
        // Stream and WorkOS events are small, but a gzip-expanded Stream
        // body can reach a few hundred KiB with a large member list.
        RouteClass::Webhook => 1024 * 1024,
        RouteClass::TranscriptIngest => 256 * 1024,
        RouteClass::Default | RouteClass::MeetingCreate | RouteClass::WsTicket => 64 * 1024,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhooks_get_the_largest_limit() {
        assert!(max_body_bytes(RouteClass::Webhook) > max_body_bytes(RouteClass::Default));
        assert_eq!(max_body_bytes(RouteClass::Default), 65536);
    }
}

//! Webhook signatures (Stream, WorkOS) and HMAC helpers. (Being written.)

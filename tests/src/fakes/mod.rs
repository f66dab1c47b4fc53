//! Fakes of outside services, speaking their real wire formats
//! (docs/vendors.md). Each runs on its own loopback port inside the test
//! process; the backend is pointed at it with `--var`s.

pub mod analytics_engine;
pub mod embeddings;
pub mod http;
pub mod openai;
pub mod resend;
pub mod sdk;
pub mod slack;
pub mod stream;
pub mod vectorize;
pub mod workos;

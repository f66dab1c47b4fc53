//! Driving a future that never waits. The [`Embedder`](super::embedder::Embedder)
//! and [`VectorIndex`](super::vector_index::VectorIndex) traits are async so
//! that the worker's network- and D1-backed implementations fit them; the
//! in-memory ones here complete on their first poll, and [`now_or_never`]
//! reads their result without an executor (native tests, the contract suite).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Polls `future` once. `Some(output)` if it completed, `None` if it would
/// have had to wait (then it is dropped).
pub fn now_or_never<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_future_yields_its_value() {
        assert_eq!(now_or_never(async { 7 }), Some(7));
    }

    #[test]
    fn pending_future_yields_none() {
        assert_eq!(now_or_never(std::future::pending::<u8>()), None);
    }
}

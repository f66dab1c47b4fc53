//! The `VectorIndex` contract (rule M6, `shared/tests/vector_suite/`)
//! against the Vectorize index (M33): the worker's client, its requests
//! answered by the fake Vectorize's logic (`fakes::vectorize`, the same
//! the HTTP fake serves), in process. Runs natively, no backend.

#[path = "../../shared/tests/vector_suite/mod.rs"]
mod vector_suite;

use std::cell::RefCell;

use connvo_e2e::fakes::vectorize::VectorizeStore;
use connvo_shared::matching::vectorize::{VectorizeIndex, VectorizeOp, VectorizeTransport};

/// Requests go straight to the fake's store.
struct InProcess(RefCell<VectorizeStore>);

impl VectorizeTransport for InProcess {
    async fn send(&self, op: VectorizeOp, body: String) -> Result<(u16, Vec<u8>), String> {
        let (status, answer) = self.0.borrow_mut().handle(op.path(), body.as_bytes());
        Ok((status, answer.to_string().into_bytes()))
    }
}

#[test]
fn m6_m33_contract_vectorize_index_against_the_fake() {
    vector_suite::contract(|dim| {
        VectorizeIndex::new(
            InProcess(RefCell::new(VectorizeStore::new("contract", dim))),
            dim,
        )
    });
}

//! `GET /v1/openapi.json`: the OpenAPI 3.1 document that
//! `connvo_shared::openapi` builds from the route table and the wire types.
//! Built once per isolate (it never changes within a build) and served as
//! text; `/docs` (Swagger UI, the worker's static assets) reads it.

use std::cell::OnceCell;
use std::rc::Rc;

use worker::{Headers, Response};

thread_local! {
    static DOCUMENT: OnceCell<Rc<str>> = const { OnceCell::new() };
}

pub fn serve() -> Response {
    let text = DOCUMENT.with(|cell| {
        cell.get_or_init(|| Rc::from(connvo_shared::openapi::json()))
            .clone()
    });
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    let _ = headers.set("cache-control", "public, max-age=300");
    match Response::ok(text.to_string()) {
        Ok(r) => r.with_headers(headers),
        Err(_) => crate::respond::error(&connvo_shared::ApiError::internal(
            "the OpenAPI document could not be served",
        )),
    }
}

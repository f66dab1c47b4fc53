//! Prints the API's OpenAPI 3.1 document (`connvo_shared::openapi`), the same
//! JSON `GET /v1/openapi.json` serves: `scripts/openapi` validates it and
//! `clients/ts/scripts/gen-rest` generates the TypeScript REST types from it.

fn main() {
    println!("{}", connvo_shared::openapi::json());
}

//! `MeetingRoom`: one Durable Object per meeting, addressed by the meeting id.
//! It is the single writer of the meeting's live state.

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

#[durable_object]
pub struct MeetingRoom {
    state: State,
    #[allow(dead_code)]
    env: Env,
}

impl DurableObject for MeetingRoom {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match req.path().as_str() {
            "/health" => self.health(),
            _ => Response::error("not found", 404),
        }
    }
}

impl MeetingRoom {
    /// Proves the object's SQLite storage answers.
    fn health(&self) -> Result<Response> {
        let sql = self.state.storage().sql();
        let rows: Vec<serde_json::Value> = sql.exec("SELECT 1 AS ok", None)?.to_array()?;
        if rows.is_empty() {
            return Response::error("storage answered no row", 500);
        }
        Response::from_json(&serde_json::json!({ "ok": true }))
    }
}

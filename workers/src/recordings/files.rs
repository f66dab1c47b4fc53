//! The recordings of a meeting (`GET /v1/meetings/{id}/recordings`), one
//! recording (`GET /v1/recordings/{id}`, members only), each with a signed,
//! expiring download URL (F1–F6), and the route those URLs point at
//! (`GET /v1/files/{id}?purpose=&u=&exp=&sig=`): the signature is the
//! credential, checked before anything is read; a recording answers with a
//! redirect to the file Stream stored, never cached.

use connvo_rooms::d1::D1;
use connvo_shared::acl::Action;
use connvo_shared::recordings::signed_url::{issue, verify, Purpose, UrlParams};
use connvo_shared::sql::recordings::{
    RecordingGet, RecordingJobGet, RecordingJobList, RecordingListByJob, RecordingListByMeeting,
};
use connvo_shared::ApiError;
use serde_json::{json, Value};
use worker::{Env, Request, Response};

use crate::clock::now_ms;
use crate::config::var;
use crate::pipeline::{decide, Call};
use crate::request::RequestCtx;
use crate::respond;

/// How long a download URL lives by default, and at most when asked
/// (`?ttl_secs=`), in seconds (F5 bounds every URL at 30 days; recordings
/// stay far below).
const DEFAULT_TTL_SECS: i64 = 15 * 60;
const MAX_RECORDING_TTL_SECS: i64 = 24 * 60 * 60;
/// Files and jobs listed for one meeting.
const LIST_LIMIT: i64 = 100;

/// The file-URL secret: `FILE_URL_SECRET`, else `WS_TICKET_SECRET` (the
/// signed message carries its own domain, so the two never collide).
pub(crate) fn secret(env: &Env) -> Result<Vec<u8>, ApiError> {
    var(env, "FILE_URL_SECRET")
        .or_else(|| var(env, "WS_TICKET_SECRET"))
        .map(String::into_bytes)
        .ok_or_else(|| ApiError::internal("FILE_URL_SECRET is not configured"))
}

fn query(req: &Request) -> Vec<(String, String)> {
    req.url()
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// `?ttl_secs=` (1 to a day), else the default.
fn ttl_ms(req: &Request) -> Result<i64, ApiError> {
    let mut ttl = DEFAULT_TTL_SECS;
    for (key, value) in query(req) {
        match key.as_str() {
            "ttl_secs" => {
                ttl = value
                    .parse::<i64>()
                    .ok()
                    .filter(|t| (1..=MAX_RECORDING_TTL_SECS).contains(t))
                    .ok_or_else(|| {
                        ApiError::validation("ttl_secs must be between 1 and 86400")
                            .with_details(json!({ "field": "ttl_secs", "reason": "OUT_OF_RANGE" }))
                    })?
            }
            other => {
                return Err(ApiError::validation("unknown query parameter")
                    .with_details(json!({ "field": other, "reason": "UNKNOWN_PARAMETER" })))
            }
        }
    }
    Ok(ttl * 1000)
}

fn origin(req: &Request) -> String {
    req.url()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

/// A recording row for the API, with its download URL; Stream's own URL
/// never leaves the server.
fn with_url(
    mut row: Value,
    env: &Env,
    req: &Request,
    user_id: &str,
    ttl_ms: i64,
) -> Result<Value, ApiError> {
    let id = row["id"].as_str().unwrap_or_default().to_owned();
    let now = now_ms();
    let path = issue(&secret(env)?, &id, Purpose::Recording, user_id, now, ttl_ms)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if let Some(obj) = row.as_object_mut() {
        obj.remove("url");
        obj.insert(
            "download_url".into(),
            Value::String(format!("{}{path}", origin(req))),
        );
        obj.insert("download_expires_at".into(), json!(now + ttl_ms));
    }
    Ok(row)
}

/// Each job with its tracks (F23): the files whose `job_id` is the job's.
fn jobs_with_tracks(jobs: Vec<Value>, recordings: &[Value]) -> Vec<Value> {
    jobs.into_iter()
        .map(|mut job| {
            let tracks: Vec<Value> = recordings
                .iter()
                .filter(|r| r["job_id"] == job["id"])
                .cloned()
                .collect();
            if let Some(obj) = job.as_object_mut() {
                obj.insert("tracks".into(), Value::Array(tracks));
            }
            job
        })
        .collect()
}

/// `GET /v1/meetings/{id}/recordings`: the files, and the jobs with their
/// tracks, each with a signed download URL.
pub async fn list(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let access = call.meeting()?;
    let ttl = ttl_ms(req)?;
    let db = D1::from_env(env)?;
    let meeting_id = access.meeting.id.as_str();
    let rows: Vec<Value> = db
        .all(RecordingListByMeeting {
            meeting_id,
            limit: LIST_LIMIT,
        })
        .await?;
    let jobs: Vec<Value> = db
        .all(RecordingJobList {
            meeting_id,
            limit: LIST_LIMIT,
        })
        .await?;
    let recordings = rows
        .into_iter()
        .map(|r| with_url(r, env, req, &access.caller.user_id, ttl))
        .collect::<Result<Vec<_>, _>>()?;
    let jobs = jobs_with_tracks(jobs, &recordings);
    Ok(respond::json(
        200,
        &json!({ "recordings": recordings, "jobs": jobs }),
    ))
}

/// `GET /v1/recordings/{id}`: for the meeting's members (the ACL's
/// `ReadTranscript` on the recording's meeting); anyone else learns nothing.
/// With the job the file belongs to and all of that job's tracks, each
/// with its own signed URL (F23).
pub async fn get(
    ctx: &RequestCtx,
    call: &Call,
    req: &Request,
    env: &Env,
    recording_id: &str,
) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let ttl = ttl_ms(req)?;
    let db = D1::from_env(env)?;
    let row: Option<Value> = db.first(RecordingGet { id: recording_id }).await?;
    let not_found = || ApiError::not_found("no such recording");
    let row = row.ok_or_else(not_found)?;
    let meeting_id = row["meeting_id"].as_str().unwrap_or_default().to_owned();
    decide(
        ctx,
        env,
        authed.caller(),
        &meeting_id,
        Action::ReadTranscript,
        None,
    )
    .await
    .map_err(|_| not_found())?;
    let job_id = row["job_id"].as_str().map(str::to_owned);
    let recording = with_url(row, env, req, authed.user_id(), ttl)?;
    let (job, tracks) = match job_id.as_deref() {
        Some(job_id) => {
            let job: Option<Value> = db.first(RecordingJobGet { id: job_id }).await?;
            let files: Vec<Value> = db
                .all(RecordingListByJob {
                    job_id,
                    limit: LIST_LIMIT,
                })
                .await?;
            let tracks = files
                .into_iter()
                .map(|r| with_url(r, env, req, authed.user_id(), ttl))
                .collect::<Result<Vec<_>, _>>()?;
            (job, tracks)
        }
        None => (None, vec![recording.clone()]),
    };
    Ok(respond::json(
        200,
        &json!({ "recording": recording, "job": job, "tracks": tracks }),
    ))
}

/// `GET /v1/files/{id}`: a signed URL's target (F2–F4). Refused with 403
/// when tampered, forged, moved to another file or expired; 400 when
/// malformed.
pub async fn file(req: &Request, env: &Env, file_id: &str) -> Result<Response, ApiError> {
    let pairs = query(req);
    let get = |name: &str| {
        let mut values = pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        match (values.next(), values.next()) {
            (Some(v), None) => Some(v),
            _ => None,
        }
    };
    let params = UrlParams {
        purpose: get("purpose"),
        user: get("u"),
        exp: get("exp"),
        sig: get("sig"),
    };
    let refused = |e: connvo_shared::recordings::signed_url::UrlError| {
        let reason = match e.status() {
            400 => "MALFORMED_URL",
            403 => "URL_REFUSED",
            _ => "URL_UNAVAILABLE",
        };
        let err = match e.status() {
            400 => ApiError::validation(e.to_string()),
            403 => ApiError::forbidden(e.to_string()),
            _ => ApiError::internal(e.to_string()),
        };
        err.with_details(json!({ "reason": reason }))
    };
    // A privacy export is served by the privacy module, from R2 (P32).
    if params.purpose == Some(Purpose::PrivacyExport.as_str()) {
        let grant = verify(
            &secret(env)?,
            file_id,
            Purpose::PrivacyExport,
            params,
            now_ms(),
        )
        .map_err(refused)?;
        return crate::privacy::export::download(env, &grant).await;
    }
    // Otherwise only recordings are served here so far; another purpose is
    // refused like a bad signature.
    verify(&secret(env)?, file_id, Purpose::Recording, params, now_ms()).map_err(refused)?;
    let db = D1::from_env(env)?;
    let row: Option<Value> = db.first(RecordingGet { id: file_id }).await?;
    let url = row
        .as_ref()
        .and_then(|r| r["url"].as_str())
        .ok_or_else(|| ApiError::not_found("the file is gone"))?;
    // Built by hand: `Response.redirect` has immutable headers, and the
    // pipeline still adds its own (request id, CORS).
    let fail = |e: worker::Error| ApiError::internal(e.to_string());
    let mut resp = Response::empty().map_err(fail)?.with_status(302);
    let headers = resp.headers_mut();
    headers.set("location", url).map_err(fail)?;
    headers
        .set("cache-control", "private, no-store")
        .map_err(fail)?;
    Ok(resp)
}

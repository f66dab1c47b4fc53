//! Search routes (issue 13, docs/search.md, rules S1–S10): `GET
//! /v1/search` (every type, with counts and facets), `/v1/search/meetings`,
//! `/v1/search/transcripts`, `/v1/search/users`, `/v1/search/suggest`, and
//! the admin reindex. The user's text becomes an FTS5 query in the pure
//! core (never FTS5 syntax, S1), with one-typo rewrites against the
//! index's vocabulary (S4). Access control is in every statement (S10): a
//! join on the caller's memberships for meetings, transcripts and notes,
//! the caller's organisation for people; counts and facets use the same
//! joins, so nothing outside them is counted.

use connvo_rooms::d1::D1;
use connvo_shared::search::query::{fts_query, prefix_query, typo_tolerant_query};
use connvo_shared::search::request::{parse_params, query_error, vocab_ranges, SearchParams};
use connvo_shared::sql::search::{
    SearchIndexJobInsert, SearchMeetings, SearchMeetingsFacets, SearchMeetingsVocab,
    SearchNotesCount, SearchProfilesVocab, SearchRebuildMeetings, SearchRebuildNotes,
    SearchRebuildTranscripts, SearchRebuildUsers, SearchTranscriptVocab, SearchTranscripts,
    SearchTranscriptsCount, SearchUsers, SearchUsersCount,
};
use connvo_shared::sql::Statement;
use connvo_shared::validation::{expect_empty, invalid, reason};
use connvo_shared::ApiError;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use worker::{Env, Request, Response};

use crate::clock::now_ms;
use crate::pipeline::Call;
use crate::respond;

/// Which index a typo rewrite reads.
#[derive(Clone, Copy)]
enum Index {
    Transcripts,
    Meetings,
    Profiles,
}

#[derive(Deserialize)]
struct Term {
    term: String,
}
#[derive(Deserialize)]
struct Count {
    n: i64,
}
#[derive(Deserialize)]
struct Facet {
    state: String,
    n: i64,
}

/// The request's query string as pairs (the inbox routes use it too).
pub fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    let url = req
        .url()
        .map_err(|_| ApiError::validation("the request URL is malformed"))?;
    Ok(url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}

/// The MATCH string with one-typo rewrites from the index's vocabulary.
async fn match_query(db: &D1, q: &str, index: Index) -> Result<String, ApiError> {
    let lookups: Vec<Statement> = vocab_ranges(q)
        .iter()
        .map(|r| match index {
            Index::Transcripts => SearchTranscriptVocab {
                from: &r.from,
                to: &r.to,
                min_len: r.min_len,
                max_len: r.max_len,
            }
            .statement(),
            Index::Meetings => SearchMeetingsVocab {
                from: &r.from,
                to: &r.to,
                min_len: r.min_len,
                max_len: r.max_len,
            }
            .statement(),
            Index::Profiles => SearchProfilesVocab {
                from: &r.from,
                to: &r.to,
                min_len: r.min_len,
                max_len: r.max_len,
            }
            .statement(),
        })
        .collect();
    if lookups.is_empty() {
        return fts_query(q).map_err(|e| query_error(&e));
    }
    let found = db.batch(&lookups).await?;
    let terms: Vec<String> = found
        .iter()
        .flat_map(|o| o.decode::<Term>().unwrap_or_default())
        .map(|t| t.term)
        .collect();
    let vocabulary: Vec<&str> = terms.iter().map(String::as_str).collect();
    typo_tolerant_query(q, &vocabulary).map_err(|e| query_error(&e))
}

fn rows(found: Vec<Value>) -> Vec<Value> {
    found
        .into_iter()
        .map(|mut v| {
            if let Some(o) = v.as_object_mut() {
                o.remove("score");
            }
            v
        })
        .collect()
}

fn page(items: Vec<Value>, p: &SearchParams) -> Value {
    let more = i64::try_from(items.len()).unwrap_or(0) == p.limit;
    let next = (more && p.offset + p.limit <= connvo_shared::search::request::MAX_OFFSET)
        .then_some(p.offset + p.limit);
    json!({ "items": items, "next_offset": next })
}

async fn transcript_hits(
    db: &D1,
    user: &str,
    m: &str,
    p: &SearchParams,
) -> Result<Vec<Value>, ApiError> {
    let found = db
        .all::<Value>(SearchTranscripts {
            fts5_query: m,
            user_id: user,
            meeting_id: p.meeting_id.as_deref(),
            speaker_id: p.speaker_id.as_deref(),
            limit: p.limit,
            offset: p.offset,
        })
        .await?;
    Ok(rows(found)
        .into_iter()
        .map(|mut v| {
            // The moment to jump to in the recording (the transcript clock).
            v["offset_ms"] = v["start_ms"].clone();
            v["context"] = v["text"].take();
            if let Some(o) = v.as_object_mut() {
                o.remove("text");
            }
            v
        })
        .collect())
}

async fn meeting_hits(
    db: &D1,
    user: &str,
    m: &str,
    p: &SearchParams,
) -> Result<Vec<Value>, ApiError> {
    Ok(rows(
        db.all::<Value>(SearchMeetings {
            fts5_query: m,
            user_id: user,
            state: p.state.as_deref(),
            host_id: p.host_id.as_deref(),
            from_ms: p.from_ms,
            to_ms: p.to_ms,
            limit: p.limit,
            offset: p.offset,
        })
        .await?,
    ))
}

async fn user_hits(
    db: &D1,
    org: Option<&str>,
    m: &str,
    p: &SearchParams,
) -> Result<Vec<Value>, ApiError> {
    // A caller outside any organisation finds no one (S10).
    let Some(org) = org else {
        return Ok(Vec::new());
    };
    Ok(rows(
        db.all::<Value>(SearchUsers {
            fts5_query: m,
            org_id: org,
            limit: p.limit,
            offset: p.offset,
        })
        .await?,
    ))
}

/// `GET /v1/search/transcripts?q=&meeting_id=&speaker_id=&limit=&offset=`
pub async fn transcripts(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    let p = parse_params(&query_pairs(req)?, &["meeting_id", "speaker_id"])?;
    let db = D1::from_env(env)?;
    let m = match_query(&db, &p.q, Index::Transcripts).await?;
    let items = transcript_hits(&db, user, &m, &p).await?;
    Ok(respond::json(200, &page(items, &p)))
}

/// `GET /v1/search/meetings?q=&state=&host_id=&from=&to=&limit=&offset=`
pub async fn meetings(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let user = call.user()?.user_id();
    let p = parse_params(&query_pairs(req)?, &["state", "host_id", "from", "to"])?;
    let db = D1::from_env(env)?;
    let m = match_query(&db, &p.q, Index::Meetings).await?;
    let items = meeting_hits(&db, user, &m, &p).await?;
    Ok(respond::json(200, &page(items, &p)))
}

/// `GET /v1/search/users?q=&limit=&offset=`: the caller's organisation.
pub async fn users(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let p = parse_params(&query_pairs(req)?, &[])?;
    let db = D1::from_env(env)?;
    let m = match_query(&db, &p.q, Index::Profiles).await?;
    let items = user_hits(&db, authed.org_id.as_deref(), &m, &p).await?;
    Ok(respond::json(200, &page(items, &p)))
}

/// `GET /v1/search?q=&limit=`: the first page of each type, with counts per
/// type and the meetings' state facet.
pub async fn all(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let user = authed.user_id();
    let p = parse_params(&query_pairs(req)?, &[])?;
    let db = D1::from_env(env)?;
    let tq = match_query(&db, &p.q, Index::Transcripts).await?;
    let mq = match_query(&db, &p.q, Index::Meetings).await?;
    let uq = match_query(&db, &p.q, Index::Profiles).await?;
    // Notes have no vocabulary of their own: the plain query.
    let nq = fts_query(&p.q).map_err(|e| query_error(&e))?;
    let mut counts_batch = vec![
        SearchTranscriptsCount {
            fts5_query: &tq,
            user_id: user,
        }
        .statement(),
        SearchNotesCount {
            fts5_query: &nq,
            user_id: user,
        }
        .statement(),
        SearchMeetingsFacets {
            fts5_query: &mq,
            user_id: user,
        }
        .statement(),
    ];
    if let Some(org) = authed.org_id.as_deref() {
        counts_batch.push(
            SearchUsersCount {
                fts5_query: &uq,
                org_id: org,
            }
            .statement(),
        );
    }
    let counted = db.batch(&counts_batch).await?;
    let count = |i: usize| {
        counted
            .get(i)
            .and_then(|o| o.first::<Count>().ok().flatten())
            .map_or(0, |c| c.n)
    };
    let facets: Vec<Facet> = counted
        .get(2)
        .map(|o| o.decode::<Facet>().unwrap_or_default())
        .unwrap_or_default();
    let mut by_state = Map::new();
    for f in &facets {
        by_state.insert(f.state.clone(), json!(f.n));
    }
    let meetings_count: i64 = facets.iter().map(|f| f.n).sum();
    let body = json!({
        "meetings": meeting_hits(&db, user, &mq, &p).await?,
        "transcripts": transcript_hits(&db, user, &tq, &p).await?,
        "users": user_hits(&db, authed.org_id.as_deref(), &uq, &p).await?,
        "counts": {
            "meetings": meetings_count,
            "transcripts": count(0),
            "notes": count(1),
            "users": if authed.org_id.is_some() { count(3) } else { 0 },
        },
        "facets": { "meeting_state": by_state },
    });
    Ok(respond::json(200, &body))
}

/// `GET /v1/search/suggest?q=&type=meetings|users`: prefix autocomplete
/// (S3), the last word completed.
pub async fn suggest(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let mut p = parse_params(&query_pairs(req)?, &["type"])?;
    p.limit = p.limit.min(10);
    p.offset = 0;
    let m = prefix_query(&p.q).map_err(|e| query_error(&e))?;
    let db = D1::from_env(env)?;
    let want = |k: &str| p.kind.as_deref().is_none_or(|x| x == k);
    let meetings = if want("meetings") {
        meeting_hits(&db, authed.user_id(), &m, &p)
            .await?
            .into_iter()
            .map(|v| json!({"id": v["id"], "title": v["title"], "highlight": v["title_highlight"]}))
            .collect()
    } else {
        Vec::new()
    };
    let users = if want("users") {
        user_hits(&db, authed.org_id.as_deref(), &m, &p)
            .await?
            .into_iter()
            .map(|v| json!({"user_id": v["user_id"], "display_name": v["display_name"], "highlight": v["name_highlight"]}))
            .collect()
    } else {
        Vec::<Value>::new()
    };
    Ok(respond::json(
        200,
        &json!({ "meetings": meetings, "users": users }),
    ))
}

/// `POST /v1/admin/search/{entity}/reindex` (S9): rebuilds one index from
/// its table (`meetings`, `transcripts`, `notes`, `users`) and records the
/// run in `search_index_jobs`. The triggers keep indexes current; this is
/// the repair for an index that drifted (a restore, a bulk import).
pub async fn reindex(call: &Call, env: &Env, entity: &str) -> Result<Response, ApiError> {
    let authed = call.user()?;
    expect_empty(&call.body)?;
    let rebuild = match entity {
        "meetings" => SearchRebuildMeetings {}.statement(),
        "transcripts" => SearchRebuildTranscripts {}.statement(),
        "notes" => SearchRebuildNotes {}.statement(),
        "users" => SearchRebuildUsers {}.statement(),
        _ => {
            return Err(invalid(
                "entity",
                reason::INVALID_VALUE,
                "entity must be meetings, transcripts, notes or users",
            ))
        }
    };
    let now = now_ms();
    let id = connvo_shared::meeting::ids::new_id("six_", now, crate::entropy::random::<10>()?);
    D1::from_env(env)?
        .batch(&[
            rebuild,
            SearchIndexJobInsert {
                id: &id,
                entity,
                requested_by: authed.user_id(),
                now_ms: now,
            }
            .statement(),
        ])
        .await?;
    Ok(respond::json(
        200,
        &json!({ "id": id, "entity": entity, "status": "done", "finished_at": now }),
    ))
}

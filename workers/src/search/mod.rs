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
use connvo_shared::acl::OrgRole;
use connvo_shared::search::query::{fts_query, prefix_query, typo_tolerant_query};
use connvo_shared::search::request::{
    first_letter_candidates, parse_params, query_error, rowid_ranges, vocab_ranges, SearchParams,
};
use connvo_shared::sql::search::{
    SearchIndexJobInsert, SearchMeetings, SearchMeetingsFacets, SearchMeetingsMaxRowid,
    SearchMeetingsTerms, SearchMeetingsVocab, SearchNotesCount, SearchProfilesTerms,
    SearchProfilesVocab, SearchRebuildMeetingsClear, SearchRebuildMeetingsFill, SearchRebuildNotes,
    SearchRebuildTranscriptChunks, SearchRebuildTranscripts, SearchRebuildUsers,
    SearchTranscriptTerms, SearchTranscriptVocab, SearchTranscripts, SearchTranscriptsCount,
    SearchUsers, SearchUsersByEmail, SearchUsersCount,
};
use connvo_shared::sql::Statement;
use connvo_shared::validation::{expect_empty, invalid, reason};
use connvo_shared::ApiError;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use worker::{Env, Request, Response};

use crate::auth::Authed;
use crate::clock::now_ms;
use crate::pipeline::Call;
use crate::respond;

/// Meeting rowids per statement of the meetings reindex (S9, S11).
const REINDEX_RANGE: i64 = 1_000;
/// Ranges per D1 batch of the meetings reindex.
const REINDEX_RANGES_PER_BATCH: usize = 10;

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

/// The organisation whose every meeting the caller may search (S14):
/// `scope=org` from one of its admins; `scope=org` from anyone else is 403.
fn admin_org<'a>(authed: &'a Authed, p: &SearchParams) -> Result<Option<&'a str>, ApiError> {
    if !p.org_scope {
        return Ok(None);
    }
    match authed.org_id.as_deref() {
        Some(org) if authed.org_role == OrgRole::Admin => Ok(Some(org)),
        _ => Err(ApiError::forbidden(
            "scope=org is for organisation admins only",
        )),
    }
}

/// The MATCH string with one-typo rewrites from the index's vocabulary:
/// terms with the word's first letter (S4) and the exact terms a typo in
/// the first letter would be (S15), read in one batch.
async fn match_query(db: &D1, q: &str, index: Index) -> Result<String, ApiError> {
    let candidates = first_letter_candidates(q);
    let candidates_json = serde_json::to_string(&candidates).unwrap_or_default();
    let mut lookups: Vec<Statement> = vocab_ranges(q)
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
    if !candidates.is_empty() {
        lookups.push(match index {
            Index::Transcripts => SearchTranscriptTerms {
                terms_json: &candidates_json,
            }
            .statement(),
            Index::Meetings => SearchMeetingsTerms {
                terms_json: &candidates_json,
            }
            .statement(),
            Index::Profiles => SearchProfilesTerms {
                terms_json: &candidates_json,
            }
            .statement(),
        });
    }
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
    admin_org: Option<&str>,
    m: &str,
    p: &SearchParams,
) -> Result<Vec<Value>, ApiError> {
    let found = db
        .all::<Value>(SearchTranscripts {
            fts5_query: m,
            user_id: user,
            admin_org,
            meeting_id: p.meeting_id.as_deref(),
            speaker_id: p.speaker_id.as_deref(),
            language: p.language.as_deref(),
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
                o.remove("ord");
                // A live hit has a chunk `seq`; a segment hit its `id`.
                if o.get("seq").is_some_and(Value::is_null) {
                    o.remove("seq");
                }
                if o.get("id").is_some_and(Value::is_null) {
                    o.remove("id");
                }
            }
            v
        })
        .collect())
}

async fn meeting_hits(
    db: &D1,
    user: &str,
    admin_org: Option<&str>,
    m: &str,
    p: &SearchParams,
) -> Result<Vec<Value>, ApiError> {
    Ok(rows(
        db.all::<Value>(SearchMeetings {
            fts5_query: m,
            user_id: user,
            admin_org,
            state: p.state.as_deref(),
            host_id: p.host_id.as_deref(),
            language: p.language.as_deref(),
            from_ms: p.from_ms,
            to_ms: p.to_ms,
            limit: p.limit,
            offset: p.offset,
        })
        .await?,
    ))
}

/// People of the caller's organisation; an org admin also sees their
/// email, and on the first page the members whose email contains the
/// query (S14), before the profile matches.
async fn user_hits(
    db: &D1,
    authed: &Authed,
    m: &str,
    p: &SearchParams,
) -> Result<Vec<Value>, ApiError> {
    // A caller outside any organisation finds no one (S10).
    let Some(org) = authed.org_id.as_deref() else {
        return Ok(Vec::new());
    };
    let admin = authed.org_role == OrgRole::Admin;
    let mut found = rows(
        db.all::<Value>(SearchUsers {
            fts5_query: m,
            org_id: org,
            limit: p.limit,
            offset: p.offset,
            show_email: admin,
        })
        .await?,
    );
    if !admin {
        for v in &mut found {
            if let Some(o) = v.as_object_mut() {
                o.remove("email");
            }
        }
        return Ok(found);
    }
    let needle = p.q.trim().to_lowercase();
    if p.offset > 0 || needle.is_empty() {
        return Ok(found);
    }
    let by_email = db
        .all::<Value>(SearchUsersByEmail {
            org_id: org,
            text: &needle,
            limit: p.limit,
        })
        .await?;
    let mut out: Vec<Value> = by_email;
    for v in found {
        if !out.iter().any(|e| e["user_id"] == v["user_id"]) {
            out.push(v);
        }
    }
    out.truncate(usize::try_from(p.limit).unwrap_or(0));
    Ok(out)
}

/// `GET /v1/search/transcripts?q=&meeting_id=&speaker_id=&language=&scope=&limit=&offset=`
pub async fn transcripts(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let p = parse_params(
        &query_pairs(req)?,
        &["meeting_id", "speaker_id", "language", "scope"],
    )?;
    let org = admin_org(authed, &p)?;
    let db = D1::from_env(env)?;
    let m = match_query(&db, &p.q, Index::Transcripts).await?;
    let items = transcript_hits(&db, authed.user_id(), org, &m, &p).await?;
    Ok(respond::json(200, &page(items, &p)))
}

/// `GET /v1/search/meetings?q=&state=&host_id=&language=&from=&to=&scope=&limit=&offset=`
pub async fn meetings(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let p = parse_params(
        &query_pairs(req)?,
        &["state", "host_id", "language", "from", "to", "scope"],
    )?;
    let org = admin_org(authed, &p)?;
    let db = D1::from_env(env)?;
    let m = match_query(&db, &p.q, Index::Meetings).await?;
    let items = meeting_hits(&db, authed.user_id(), org, &m, &p).await?;
    Ok(respond::json(200, &page(items, &p)))
}

/// `GET /v1/search/users?q=&limit=&offset=`: the caller's organisation.
pub async fn users(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let p = parse_params(&query_pairs(req)?, &[])?;
    let db = D1::from_env(env)?;
    let m = match_query(&db, &p.q, Index::Profiles).await?;
    let items = user_hits(&db, authed, &m, &p).await?;
    Ok(respond::json(200, &page(items, &p)))
}

/// `GET /v1/search?q=&limit=`: the first page of each type, with counts per
/// type and the meetings' state facet.
pub async fn all(call: &Call, req: &Request, env: &Env) -> Result<Response, ApiError> {
    let authed = call.user()?;
    let user = authed.user_id();
    let p = parse_params(&query_pairs(req)?, &["language", "scope"])?;
    let org = admin_org(authed, &p)?;
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
            admin_org: org,
        }
        .statement(),
        SearchNotesCount {
            fts5_query: &nq,
            user_id: user,
            admin_org: org,
        }
        .statement(),
        SearchMeetingsFacets {
            fts5_query: &mq,
            user_id: user,
            admin_org: org,
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
        "meetings": meeting_hits(&db, user, org, &mq, &p).await?,
        "transcripts": transcript_hits(&db, user, org, &tq, &p).await?,
        "users": user_hits(&db, authed, &uq, &p).await?,
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
        meeting_hits(&db, authed.user_id(), None, &m, &p)
            .await?
            .into_iter()
            .map(|v| json!({"id": v["id"], "title": v["title"], "highlight": v["title_highlight"]}))
            .collect()
    } else {
        Vec::new()
    };
    let users = if want("users") {
        user_hits(&db, authed, &m, &p)
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
    let db = D1::from_env(env)?;
    // Each batch is atomic: a range of the meetings index is never seen empty.
    let mut batches: Vec<Vec<Statement>> = match entity {
        "meetings" => {
            let max = db
                .first::<Count>(SearchMeetingsMaxRowid {})
                .await?
                .map_or(0, |c| c.n);
            rowid_ranges(max, REINDEX_RANGE)
                .chunks(REINDEX_RANGES_PER_BATCH)
                .map(|chunk| {
                    chunk
                        .iter()
                        .flat_map(|&(after, last)| {
                            [
                                SearchRebuildMeetingsClear { after, last }.statement(),
                                SearchRebuildMeetingsFill { after, last }.statement(),
                            ]
                        })
                        .collect()
                })
                .collect()
        }
        "transcripts" => vec![vec![
            SearchRebuildTranscripts {}.statement(),
            SearchRebuildTranscriptChunks {}.statement(),
        ]],
        "notes" => vec![vec![SearchRebuildNotes {}.statement()]],
        "users" => vec![vec![SearchRebuildUsers {}.statement()]],
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
    let record = SearchIndexJobInsert {
        id: &id,
        entity,
        requested_by: authed.user_id(),
        now_ms: now,
    }
    .statement();
    match batches.last_mut() {
        Some(last) => last.push(record),
        None => batches.push(vec![record]),
    }
    for batch in &batches {
        db.batch(batch).await?;
    }
    Ok(respond::json(
        200,
        &json!({ "id": id, "entity": entity, "status": "done", "finished_at": now }),
    ))
}

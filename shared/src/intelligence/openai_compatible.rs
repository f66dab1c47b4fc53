//! The pure half of the `openai_compatible` provider (rules I19–I20): the
//! chat-completions request body, and parsing a response body into our
//! typed outputs. The Worker does the HTTP call (base URL, API key secret,
//! timeout) and maps its failures with [`status_error`]; everything that can
//! go wrong with a body is a typed [`GenerationError`], so the shell can fall
//! back (I18).
//!
//! - I19: the request is `POST {base_url}/chat/completions` with
//!   `{"model", "messages": [system, user], "response_format":
//!   {"type": "json_object"}, "temperature", "max_tokens", "n": 1, "seed"}`.
//!   The system message states the task and the exact JSON shape expected;
//!   the user message is the canonical JSON of the input. `seed` is the
//!   first 4 bytes of the request hash, for providers that honour it.
//! - I20: a response is `Refused` when the message carries a `refusal` or
//!   `finish_reason` is `content_filter`; `Empty` when there is no choice or
//!   the content is blank (or the output has no items); `Malformed` when the
//!   body or the content is not JSON of our shape (a Markdown code fence
//!   around it is tolerated), when it was cut off (`finish_reason: length`),
//!   or when it fails validation (I17).

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::generator::{
    canonical_json, GenerationError, GenerationParams, IncallInput, IncallOutput, InsightsInput,
    InsightsOutput, PrecallInput, PrecallOutput, Task,
};

/// The provider name in provenance and configuration.
pub const PROVIDER: &str = "openai_compatible";

/// `{base_url}/chat/completions`, whatever trailing slashes the base has.
pub fn chat_completions_url(base_url: &str) -> String {
    format!("{}/chat/completions", base_url.trim_end_matches('/'))
}

fn system_prompt(task: Task, max_items: u32) -> String {
    let prompt_shape = r#"{"kind": "agenda" | "question" | "starter", "content": string (at most 300 characters), "tags": [string] (at most 5, lowercase), "relevance": number between 0 and 1}"#;
    let body = match task {
        Task::Precall => format!(
            "You prepare a professional networking video call. From the participants' profiles \
             (interests, skills, goals, bios, languages, experience), write agenda items, \
             questions and conversation starters that use what they share and how they \
             complement each other. Address people by name. Answer with a JSON object \
             {{\"ideas\": [{prompt_shape}]}} holding at most {max_items} items."
        ),
        Task::Incall => format!(
            "You help a live professional networking video call. The trigger says whether the \
             talk stalled (lull) or moved to a new topic (topic_shift). Using the recent \
             transcript, the current topics and the participants' expertise, write prompts that \
             move the conversation forward; name the participant best placed to answer; never \
             repeat recent_prompts. Answer with a JSON object {{\"prompts\": [{prompt_shape}]}} \
             holding at most {max_items} items."
        ),
        Task::Insights => "You write private post-call insights, one per participant. Use only \
             the given transcript segments, notes and profiles. Answer with a JSON object \
             {\"participants\": [{\"user_id\": string, \"summary\": string, \"topics\": [string], \
             \"decisions\": [{\"text\": string, \"segment_ids\": [string]}], \"action_items\": \
             [{\"text\": string, \"owner_id\": string | null, \"due\": string | null, \
             \"segment_ids\": [string]}], \"follow_ups\": [{\"text\": string, \"with_user_id\": \
             string | null}], \"recommendations\": [{\"user_id\": string, \"rationale\": string, \
             \"confidence\": number between 0 and 1, \"basis\": [string]}], \"links\": \
             [{\"kind\": \"segment\" | \"profile\" | \"notes\", \"id\": string}]}]}. user_id, \
             owner_id and with_user_id are participants' user_id values; segment ids are the \
             given segments' id values; never recommend a participant to themselves."
            .to_owned(),
    };
    format!("{body} Output JSON only.")
}

/// The chat-completions request body of I19.
pub fn request_body<I: Serialize + ?Sized>(
    task: Task,
    input: &I,
    model: &str,
    params: &GenerationParams,
    request_hash: &str,
) -> Result<serde_json::Value, GenerationError> {
    let input =
        serde_json::to_value(input).map_err(|e| GenerationError::Malformed(e.to_string()))?;
    let user = canonical_json(&serde_json::json!({ "task": task.as_str(), "input": input }));
    let seed = u32::from_str_radix(request_hash.get(..8).unwrap_or("0"), 16).unwrap_or(0);
    Ok(serde_json::json!({
        "model": model,
        "messages": [
            {"role": "system", "content": system_prompt(task, params.max_items)},
            {"role": "user", "content": user},
        ],
        "response_format": {"type": "json_object"},
        "temperature": params.temperature,
        "max_tokens": params.max_tokens,
        "n": 1,
        "seed": seed,
    }))
}

/// The error for a non-2xx HTTP status (the shell's side of I18).
pub fn status_error(status: u16) -> GenerationError {
    match status {
        408 | 504 => GenerationError::Timeout,
        429 => GenerationError::RateLimited,
        _ => GenerationError::Upstream(status),
    }
}

/// The message content of a chat-completions body (I20).
pub fn message_content(body: &str) -> Result<String, GenerationError> {
    let v: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| GenerationError::Malformed(format!("body is not JSON: {e}")))?;
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        let msg = err
            .get("message")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("error object");
        return Err(GenerationError::Malformed(format!("error body: {msg}")));
    }
    let choices = v
        .get("choices")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| GenerationError::Malformed("no choices array".into()))?;
    let Some(choice) = choices.first() else {
        return Err(GenerationError::Empty);
    };
    let message = choice
        .get("message")
        .ok_or_else(|| GenerationError::Malformed("choice without message".into()))?;
    if let Some(r) = message
        .get("refusal")
        .and_then(serde_json::Value::as_str)
        .filter(|r| !r.trim().is_empty())
    {
        return Err(GenerationError::Refused(r.to_owned()));
    }
    match choice
        .get("finish_reason")
        .and_then(serde_json::Value::as_str)
    {
        Some("content_filter") => return Err(GenerationError::Refused("content_filter".into())),
        Some("length") => return Err(GenerationError::Malformed("output cut off".into())),
        _ => {}
    }
    let content = match message.get("content") {
        None | Some(serde_json::Value::Null) => return Err(GenerationError::Empty),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => return Err(GenerationError::Malformed("content is not a string".into())),
    };
    if content.trim().is_empty() {
        return Err(GenerationError::Empty);
    }
    Ok(content)
}

/// Strips a Markdown code fence (```json … ```) around the content.
fn unfence(content: &str) -> &str {
    let t = content.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

fn parse_content<T: DeserializeOwned>(body: &str) -> Result<T, GenerationError> {
    let content = message_content(body)?;
    serde_json::from_str(unfence(&content))
        .map_err(|e| GenerationError::Malformed(format!("content: {e}")))
}

/// Parses and validates a pre-call answer, keeping at most `max_items`.
pub fn parse_precall(
    body: &str,
    _input: &PrecallInput,
    params: &GenerationParams,
) -> Result<PrecallOutput, GenerationError> {
    let mut out: PrecallOutput = parse_content(body)?;
    out.ideas.truncate(params.max_items as usize);
    out.validate().map_err(GenerationError::Malformed)?;
    if out.ideas.is_empty() {
        return Err(GenerationError::Empty);
    }
    Ok(out)
}

/// Parses and validates an in-call answer, keeping at most `max_items`.
pub fn parse_incall(
    body: &str,
    _input: &IncallInput,
    params: &GenerationParams,
) -> Result<IncallOutput, GenerationError> {
    let mut out: IncallOutput = parse_content(body)?;
    out.prompts.truncate(params.max_items as usize);
    out.validate().map_err(GenerationError::Malformed)?;
    if out.prompts.is_empty() {
        return Err(GenerationError::Empty);
    }
    Ok(out)
}

/// Parses and validates an insights answer against its input.
pub fn parse_insights(
    body: &str,
    input: &InsightsInput,
) -> Result<InsightsOutput, GenerationError> {
    let out: InsightsOutput = parse_content(body)?;
    out.validate(input).map_err(GenerationError::Malformed)?;
    if out.participants.is_empty() {
        return Err(GenerationError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intelligence::generator::{IdeaKind, TranscriptLine};
    use crate::intelligence::profile::fixtures::{alice, bob};

    fn precall_input() -> PrecallInput {
        PrecallInput {
            meeting_id: "m1".into(),
            title: Some("Intro".into()),
            description: None,
            participants: vec![alice(), bob()],
            weights: Default::default(),
        }
    }

    fn body(content: serde_json::Value, finish: &str) -> String {
        serde_json::json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": content, "refusal": null}}],
        })
        .to_string()
    }

    #[test]
    fn i19_request_body_shape() {
        let p = GenerationParams::default();
        let b = request_body(Task::Precall, &precall_input(), "gpt-x", &p, "a1b2c3d4ffff").unwrap();
        assert_eq!(b["model"], "gpt-x");
        assert_eq!(b["response_format"]["type"], "json_object");
        assert_eq!(b["messages"][0]["role"], "system");
        assert!(b["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("\"ideas\""));
        let user = b["messages"][1]["content"].as_str().unwrap();
        assert!(user.contains("Alice Martin") && user.contains("\"task\":\"precall\""));
        assert_eq!(b["seed"], 0xa1b2_c3d4_u32);
        assert_eq!(b["max_tokens"], 1200);
        assert_eq!(
            chat_completions_url("https://api.example.com/v1/"),
            "https://api.example.com/v1/chat/completions"
        );
        // Same input, same body (the canonical user message).
        assert_eq!(
            b,
            request_body(Task::Precall, &precall_input(), "gpt-x", &p, "a1b2c3d4ffff").unwrap()
        );
    }

    #[test]
    fn i20_parses_a_valid_answer_and_tolerates_a_fence() {
        let ideas = serde_json::json!({"ideas": [
            {"kind": "question", "content": "Alice, what got you into climate tech?", "tags": ["climate-tech"], "relevance": 0.8},
            {"kind": "agenda", "content": "Bob on data engineering teams", "tags": [], "relevance": 0.6}
        ]});
        let p = GenerationParams::default();
        let out = parse_precall(
            &body(ideas.to_string().into(), "stop"),
            &precall_input(),
            &p,
        )
        .unwrap();
        assert_eq!(out.ideas.len(), 2);
        assert_eq!(out.ideas[0].kind, IdeaKind::Question);
        let fenced = format!("```json\n{ideas}\n```");
        assert_eq!(
            parse_precall(&body(fenced.into(), "stop"), &precall_input(), &p).unwrap(),
            out
        );
        let one = GenerationParams { max_items: 1, ..p };
        assert_eq!(
            parse_precall(
                &body(ideas.to_string().into(), "stop"),
                &precall_input(),
                &one
            )
            .unwrap()
            .ideas
            .len(),
            1
        );
    }

    #[test]
    fn i20_refused_empty_and_malformed_are_typed() {
        let p = GenerationParams::default();
        let input = precall_input();
        let parse = |b: &str| parse_precall(b, &input, &p);
        let refusal = serde_json::json!({"choices": [{"finish_reason": "stop",
            "message": {"role": "assistant", "content": null, "refusal": "I can't help with that."}}]});
        assert!(matches!(
            parse(&refusal.to_string()),
            Err(GenerationError::Refused(_))
        ));
        assert!(matches!(
            parse(&body("{}".into(), "content_filter")),
            Err(GenerationError::Refused(_))
        ));
        assert_eq!(
            parse(&body("  ".into(), "stop")),
            Err(GenerationError::Empty)
        );
        assert_eq!(
            parse(&body(serde_json::Value::Null, "stop")),
            Err(GenerationError::Empty)
        );
        assert_eq!(parse(r#"{"choices": []}"#), Err(GenerationError::Empty));
        assert_eq!(
            parse(&body(r#"{"ideas": []}"#.into(), "stop")),
            Err(GenerationError::Empty)
        );
        for bad in [
            "<html>502 Bad Gateway</html>".to_owned(),
            r#"{"error": {"message": "overloaded"}}"#.to_owned(),
            r#"{"object": "chat.completion"}"#.to_owned(),
            body("not json at all".into(), "stop"),
            body(r#"{"ideas": [{"kind": "poem"}]}"#.into(), "stop"),
            body(
                r#"{"ideas": [{"kind": "question", "content": "x", "tags": [], "relevance": 7}]}"#
                    .into(),
                "stop",
            ),
            body(
                r#"{"ideas": [{"kind": "question", "content": "x", "tags": [], "relevance": 0.5}"#
                    .into(),
                "length",
            ),
        ] {
            assert!(
                matches!(parse(&bad), Err(GenerationError::Malformed(_))),
                "{bad}"
            );
        }
        assert_eq!(status_error(429), GenerationError::RateLimited);
        assert_eq!(status_error(503), GenerationError::Upstream(503));
        assert_eq!(status_error(504), GenerationError::Timeout);
    }

    #[test]
    fn i20_insights_must_reference_known_users_and_segments() {
        let input = InsightsInput {
            meeting_id: "m1".into(),
            title: None,
            segments: vec![TranscriptLine {
                id: "seg_m1_1".into(),
                speaker_id: "u_alice".into(),
                text: "We decided to ship.".into(),
                start_ms: 0,
                end_ms: 1000,
            }],
            notes: String::new(),
            participants: vec![alice(), bob()],
        };
        let good = serde_json::json!({"participants": [{
            "user_id": "u_alice", "summary": "Shipped.", "topics": ["shipping"],
            "decisions": [{"text": "Ship it", "segment_ids": ["seg_m1_1"]}],
            "action_items": [], "follow_ups": [],
            "recommendations": [{"user_id": "u_bob", "rationale": "Data engineering", "confidence": 0.7, "basis": []}],
            "links": [{"kind": "segment", "id": "seg_m1_1"}]}]});
        assert!(parse_insights(&body(good.to_string().into(), "stop"), &input).is_ok());
        let mut bad = good.clone();
        bad["participants"][0]["decisions"][0]["segment_ids"][0] = "seg_other".into();
        assert!(matches!(
            parse_insights(&body(bad.to_string().into(), "stop"), &input),
            Err(GenerationError::Malformed(_))
        ));
        let mut bad = good.clone();
        bad["participants"][0]["recommendations"][0]["user_id"] = "u_alice".into();
        assert!(matches!(
            parse_insights(&body(bad.to_string().into(), "stop"), &input),
            Err(GenerationError::Malformed(_))
        ));
        let mut bad = good;
        bad["participants"][0]["user_id"] = "u_mallory".into();
        assert!(matches!(
            parse_insights(&body(bad.to_string().into(), "stop"), &input),
            Err(GenerationError::Malformed(_))
        ));
    }
}

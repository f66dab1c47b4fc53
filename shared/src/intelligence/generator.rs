//! The generation contract (rules I16–I18): the [`Generator`] trait that both
//! providers implement (`heuristic`, `openai_compatible`), the typed inputs
//! and outputs of its three tasks, output validation, request hashes and
//! provenance.
//!
//! - I16: the request hash is the lowercase hex sha256 of the canonical JSON
//!   (object keys sorted, no whitespace) of
//!   `{"input", "model", "parameters", "provider", "task", "v": 1}`. Same
//!   inputs, provider, model and parameters: same hash, so a retried job
//!   finds its earlier result (`idempotency_keys`, `prompts.request_hash`).
//! - I17: every output is validated before it is stored, whoever produced
//!   it (bounded text, relevance and confidence in [0, 1], known user and
//!   segment ids); an invalid provider output is a `Malformed` error.
//! - I18: a failed provider call falls back (to the heuristic, or for
//!   in-call to the best cached pre-call prompt); the provenance records
//!   the reason, and `source` is `fallback`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::feedback::RelevanceWeights;
use super::lull::LullKind;
use super::profile::ParticipantProfile;

/// The three generation tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Precall,
    Incall,
    Insights,
}

impl Task {
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Precall => "precall",
            Task::Incall => "incall",
            Task::Insights => "insights",
        }
    }
}

/// Generation parameters (part of the request hash).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GenerationParams {
    /// Most prompts / ideas returned.
    pub max_items: u32,
    pub temperature: f64,
    pub max_tokens: u32,
}

impl Default for GenerationParams {
    fn default() -> Self {
        GenerationParams {
            max_items: 8,
            temperature: 0.4,
            max_tokens: 1200,
        }
    }
}

/// Output bounds (I17).
pub const MAX_CONTENT_CHARS: usize = 500;
pub const MAX_TAGS: usize = 8;
pub const MAX_TAG_CHARS: usize = 64;
pub const MAX_ITEMS: usize = 50;

// ---------------------------------------------------------------- prompts

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum IdeaKind {
    Agenda,
    Question,
    Starter,
}

impl IdeaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdeaKind::Agenda => "agenda",
            IdeaKind::Question => "question",
            IdeaKind::Starter => "starter",
        }
    }
}

/// One generated prompt (a `prompts` row's content, tags and relevance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptIdea {
    pub kind: IdeaKind,
    pub content: String,
    pub tags: Vec<String>,
    pub relevance: f64,
}

impl PromptIdea {
    /// `prompts.dedupe_key`: the same text of the same kind is one row per
    /// meeting, however many jobs produce it.
    pub fn dedupe_key(&self) -> String {
        let norm = self
            .content
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let d = Sha256::digest(format!("{}\n{norm}", self.kind.as_str()).as_bytes());
        format!("{}:{}", self.kind.as_str(), &hex(&d)[..32])
    }

    fn validate(&self) -> Result<(), String> {
        let n = self.content.trim().chars().count();
        if n == 0 || n > MAX_CONTENT_CHARS {
            return Err(format!("content length {n}"));
        }
        if !(0.0..=1.0).contains(&self.relevance) {
            return Err("relevance out of [0, 1]".into());
        }
        validate_tags(&self.tags)
    }
}

fn validate_tags(tags: &[String]) -> Result<(), String> {
    if tags.len() > MAX_TAGS {
        return Err(format!("{} tags", tags.len()));
    }
    if tags
        .iter()
        .any(|t| t.trim().is_empty() || t.chars().count() > MAX_TAG_CHARS)
    {
        return Err("bad tag".into());
    }
    Ok(())
}

fn validate_text(what: &str, s: &str) -> Result<(), String> {
    let n = s.trim().chars().count();
    if n == 0 || n > MAX_CONTENT_CHARS {
        return Err(format!("{what} length {n}"));
    }
    Ok(())
}

fn validate_prompts(items: &[PromptIdea]) -> Result<(), String> {
    if items.len() > MAX_ITEMS {
        return Err(format!("{} items", items.len()));
    }
    items.iter().try_for_each(PromptIdea::validate)
}

// ---------------------------------------------------------------- pre-call

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrecallInput {
    pub meeting_id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub participants: Vec<ParticipantProfile>,
    #[serde(default)]
    pub weights: RelevanceWeights,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrecallOutput {
    pub ideas: Vec<PromptIdea>,
}

impl PrecallOutput {
    pub fn validate(&self) -> Result<(), String> {
        validate_prompts(&self.ideas)
    }
}

// ---------------------------------------------------------------- in-call

/// Why an in-call prompt is wanted (`prompts.trigger_reason`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Trigger {
    Lull { kind: LullKind },
    TopicShift { previous_topics: Vec<String> },
}

impl Trigger {
    pub fn reason(&self) -> &'static str {
        match self {
            Trigger::Lull { .. } => "lull",
            Trigger::TopicShift { .. } => "topic_shift",
        }
    }
}

/// A piece of transcript: a chunk (id = its seq) or a segment (id = its id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub id: String,
    pub speaker_id: String,
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncallInput {
    pub meeting_id: String,
    pub trigger: Trigger,
    /// The recent transcript, oldest first.
    pub recent: Vec<TranscriptLine>,
    pub current_topics: Vec<String>,
    pub participants: Vec<ParticipantProfile>,
    /// Speaking-time shares by user id (from engagement).
    #[serde(default)]
    pub speaking_ratios: BTreeMap<String, f64>,
    /// Prompts already shown in this meeting (not repeated).
    #[serde(default)]
    pub recent_prompts: Vec<String>,
    #[serde(default)]
    pub weights: RelevanceWeights,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncallOutput {
    pub prompts: Vec<PromptIdea>,
}

impl IncallOutput {
    pub fn validate(&self) -> Result<(), String> {
        validate_prompts(&self.prompts)
    }
}

// ---------------------------------------------------------------- insights

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightsInput {
    pub meeting_id: String,
    #[serde(default)]
    pub title: Option<String>,
    /// `transcript_segments`, in time order.
    pub segments: Vec<TranscriptLine>,
    /// The notes document's text.
    #[serde(default)]
    pub notes: String,
    pub participants: Vec<ParticipantProfile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub text: String,
    pub segment_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItem {
    pub text: String,
    /// The participant who owns it, when named (or when they said "I'll").
    pub owner_id: Option<String>,
    /// A due phrase as said ("by Friday"), not parsed.
    #[serde(default)]
    pub due: Option<String>,
    pub segment_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub text: String,
    pub with_user_id: Option<String>,
}

/// Someone worth connecting with, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub user_id: String,
    pub rationale: String,
    /// In [0, 1].
    pub confidence: f64,
    /// The shared or complementary features behind it.
    pub basis: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Segment,
    Profile,
    Notes,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Link {
    pub kind: LinkKind,
    pub id: String,
}

/// One participant's private insights (one `insights` row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantInsights {
    pub user_id: String,
    pub summary: String,
    pub topics: Vec<String>,
    pub decisions: Vec<Decision>,
    pub action_items: Vec<ActionItem>,
    pub follow_ups: Vec<FollowUp>,
    pub recommendations: Vec<Recommendation>,
    pub links: Vec<Link>,
}

/// The JSON columns of an `insights` row. `insights` has no follow-ups
/// column: they are stored in `recommendations` with `"kind": "follow_up"`,
/// beside `"kind": "connection"` items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightColumns {
    pub summary: String,
    pub topics: serde_json::Value,
    pub decisions: serde_json::Value,
    pub action_items: serde_json::Value,
    pub recommendations: serde_json::Value,
    pub links: serde_json::Value,
}

impl ParticipantInsights {
    pub fn columns(&self) -> InsightColumns {
        let to = |v: serde_json::Result<serde_json::Value>| v.unwrap_or(serde_json::json!([]));
        let mut recs: Vec<serde_json::Value> = Vec::new();
        for r in &self.recommendations {
            if let Ok(mut v) = serde_json::to_value(r) {
                if let Some(o) = v.as_object_mut() {
                    o.insert("kind".into(), "connection".into());
                }
                recs.push(v);
            }
        }
        for f in &self.follow_ups {
            if let Ok(mut v) = serde_json::to_value(f) {
                if let Some(o) = v.as_object_mut() {
                    o.insert("kind".into(), "follow_up".into());
                }
                recs.push(v);
            }
        }
        InsightColumns {
            summary: self.summary.clone(),
            topics: to(serde_json::to_value(&self.topics)),
            decisions: to(serde_json::to_value(&self.decisions)),
            action_items: to(serde_json::to_value(&self.action_items)),
            recommendations: serde_json::Value::Array(recs),
            links: to(serde_json::to_value(&self.links)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightsOutput {
    pub participants: Vec<ParticipantInsights>,
}

impl InsightsOutput {
    /// I17, against the input it answers: users are participants, segment
    /// ids exist, texts and confidences are bounded.
    pub fn validate(&self, input: &InsightsInput) -> Result<(), String> {
        let users: BTreeSet<&str> = input
            .participants
            .iter()
            .map(|p| p.user_id.as_str())
            .collect();
        let segs: BTreeSet<&str> = input.segments.iter().map(|s| s.id.as_str()).collect();
        let known_user = |u: &str| {
            if users.contains(u) {
                Ok(())
            } else {
                Err(format!("unknown user {u}"))
            }
        };
        let known_segs = |ids: &[String]| {
            ids.iter().try_for_each(|i| {
                if segs.contains(i.as_str()) {
                    Ok(())
                } else {
                    Err(format!("unknown segment {i}"))
                }
            })
        };
        if self.participants.len() > users.len() {
            return Err("more insights than participants".into());
        }
        for p in &self.participants {
            known_user(&p.user_id)?;
            validate_text("summary", &p.summary)?;
            validate_tags(&p.topics)?;
            if p.decisions.len() > MAX_ITEMS
                || p.action_items.len() > MAX_ITEMS
                || p.follow_ups.len() > MAX_ITEMS
                || p.recommendations.len() > MAX_ITEMS
                || p.links.len() > 4 * MAX_ITEMS
            {
                return Err("too many items".into());
            }
            for d in &p.decisions {
                validate_text("decision", &d.text)?;
                known_segs(&d.segment_ids)?;
            }
            for a in &p.action_items {
                validate_text("action item", &a.text)?;
                known_segs(&a.segment_ids)?;
                if let Some(o) = &a.owner_id {
                    known_user(o)?;
                }
            }
            for f in &p.follow_ups {
                validate_text("follow-up", &f.text)?;
                if let Some(u) = &f.with_user_id {
                    known_user(u)?;
                }
            }
            for r in &p.recommendations {
                known_user(&r.user_id)?;
                if r.user_id == p.user_id {
                    return Err("self recommendation".into());
                }
                validate_text("rationale", &r.rationale)?;
                if !(0.0..=1.0).contains(&r.confidence) {
                    return Err("confidence out of [0, 1]".into());
                }
            }
            for l in &p.links {
                match l.kind {
                    LinkKind::Segment => known_segs(std::slice::from_ref(&l.id))?,
                    LinkKind::Profile => known_user(&l.id)?,
                    LinkKind::Notes => {}
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- errors, provenance

/// Why a provider call gave nothing usable. The shell maps HTTP failures
/// with [`super::openai_compatible::status_error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerationError {
    #[error("malformed provider output: {0}")]
    Malformed(String),
    #[error("provider refused: {0}")]
    Refused(String),
    #[error("provider returned nothing")]
    Empty,
    #[error("provider timed out")]
    Timeout,
    #[error("provider rate-limited the request")]
    RateLimited,
    #[error("provider answered HTTP {0}")]
    Upstream(u16),
    #[error("transport error: {0}")]
    Transport(String),
}

/// The recorded reason of a fallback (I18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FallbackReason {
    Malformed,
    Refused,
    Empty,
    Timeout,
    RateLimited,
    Upstream,
    Transport,
}

impl GenerationError {
    pub fn fallback_reason(&self) -> FallbackReason {
        match self {
            GenerationError::Malformed(_) => FallbackReason::Malformed,
            GenerationError::Refused(_) => FallbackReason::Refused,
            GenerationError::Empty => FallbackReason::Empty,
            GenerationError::Timeout => FallbackReason::Timeout,
            GenerationError::RateLimited => FallbackReason::RateLimited,
            GenerationError::Upstream(_) => FallbackReason::Upstream,
            GenerationError::Transport(_) => FallbackReason::Transport,
        }
    }
}

/// `prompts.source` of what a generation produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A model provider answered.
    Ai,
    /// The heuristic is the configured provider.
    Heuristic,
    /// The configured provider failed; the heuristic (or a cached pre-call
    /// prompt) stood in.
    Fallback,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Ai => "ai",
            Source::Heuristic => "heuristic",
            Source::Fallback => "fallback",
        }
    }
}

/// Stored with every generated prompt and insight (`insights.provenance`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub request_hash: String,
    pub task: Task,
    /// The provider that produced the output (after any fallback).
    pub provider: String,
    pub model: String,
    pub parameters: GenerationParams,
    /// A small summary of what the input held (no transcript text).
    pub input_features: serde_json::Value,
    pub latency_ms: u64,
    pub source: Source,
    /// Set when the configured provider failed (I18).
    pub fallback: Option<FallbackReason>,
    /// The configured provider, when it is not the one that produced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_provider: Option<String>,
}

impl Provenance {
    /// A generation `g` answered.
    pub fn answered<G: Generator + ?Sized>(
        g: &G,
        task: Task,
        request_hash: &str,
        input_features: serde_json::Value,
        latency_ms: u64,
    ) -> Provenance {
        Provenance {
            request_hash: request_hash.to_owned(),
            task,
            provider: g.provider().to_owned(),
            model: g.model().to_owned(),
            parameters: g.params(),
            input_features,
            latency_ms,
            source: if g.provider() == super::heuristic::PROVIDER {
                Source::Heuristic
            } else {
                Source::Ai
            },
            fallback: None,
            failed_provider: None,
        }
    }

    /// `failed` errored with `error`; `stand_in` answered instead.
    pub fn fell_back<F: Generator + ?Sized, S: Generator + ?Sized>(
        failed: &F,
        error: &GenerationError,
        stand_in: &S,
        task: Task,
        request_hash: &str,
        input_features: serde_json::Value,
        latency_ms: u64,
    ) -> Provenance {
        Provenance {
            provider: stand_in.provider().to_owned(),
            model: stand_in.model().to_owned(),
            source: Source::Fallback,
            fallback: Some(error.fallback_reason()),
            failed_provider: Some(failed.provider().to_owned()),
            ..Provenance::answered(failed, task, request_hash, input_features, latency_ms)
        }
    }
}

// ---------------------------------------------------------------- hashing

pub(crate) fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

/// Canonical JSON: object keys sorted, no whitespace (I16).
pub fn canonical_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(x) = m.get(k) {
                    write_canonical(x, out);
                }
            }
            out.push('}');
        }
        serde_json::Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The request hash of I16.
pub fn request_hash<I: Serialize + ?Sized>(
    task: Task,
    input: &I,
    provider: &str,
    model: &str,
    params: &GenerationParams,
) -> Result<String, GenerationError> {
    let input =
        serde_json::to_value(input).map_err(|e| GenerationError::Malformed(e.to_string()))?;
    let params =
        serde_json::to_value(params).map_err(|e| GenerationError::Malformed(e.to_string()))?;
    let v = serde_json::json!({
        "input": input,
        "model": model,
        "parameters": params,
        "provider": provider,
        "task": task.as_str(),
        "v": 1,
    });
    Ok(hex(&Sha256::digest(canonical_json(&v).as_bytes())))
}

// ---------------------------------------------------------------- the trait

/// A generation provider. Callers pick one by configuration and never know
/// which: the heuristic answers at once, `openai_compatible` (in the
/// Worker) over HTTP. Futures are not `Send`: Workers are single-threaded.
#[allow(async_fn_in_trait)]
pub trait Generator {
    /// `heuristic`, `openai_compatible`, …
    fn provider(&self) -> &str;
    fn model(&self) -> &str;
    fn params(&self) -> GenerationParams;

    async fn precall(
        &self,
        input: &PrecallInput,
        request_hash: &str,
    ) -> Result<PrecallOutput, GenerationError>;

    async fn incall(
        &self,
        input: &IncallInput,
        request_hash: &str,
    ) -> Result<IncallOutput, GenerationError>;

    async fn insights(
        &self,
        input: &InsightsInput,
        request_hash: &str,
    ) -> Result<InsightsOutput, GenerationError>;

    /// The request hash of `input` for this provider (I16).
    fn request_hash<I: Serialize + ?Sized>(
        &self,
        task: Task,
        input: &I,
    ) -> Result<String, GenerationError> {
        request_hash(task, input, self.provider(), self.model(), &self.params())
    }
}

/// An output with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generated<T> {
    pub output: T,
    pub provenance: Provenance,
}

/// Runs `primary`, validates its output (I17), and on any error runs
/// `fallback` instead (I18), recording why. `clock` gives unix ms (the
/// caller's clock; the core never reads one) to measure latency. The request
/// hash is the primary's (I16), so a retried job finds the same row whoever
/// answered. Timeouts are the primary's own business (it returns
/// `GenerationError::Timeout`). Errors only if the fallback fails too.
pub async fn generate_precall<P: Generator + ?Sized, F: Generator + ?Sized>(
    primary: &P,
    fallback: &F,
    input: &PrecallInput,
    clock: &dyn Fn() -> u64,
) -> Result<Generated<PrecallOutput>, GenerationError> {
    let hash = primary.request_hash(Task::Precall, input)?;
    let run = Run {
        task: Task::Precall,
        primary,
        fallback,
        features: input.input_features(),
        hash: &hash,
        clock,
    };
    run.settle(
        primary.precall(input, &hash),
        PrecallOutput::validate,
        fallback.precall(input, &hash),
    )
    .await
}

/// [`generate_precall`] for in-call prompts. (When the fallback should be a
/// cached pre-call prompt instead, see `heuristic::incall::pick_cached`.)
pub async fn generate_incall<P: Generator + ?Sized, F: Generator + ?Sized>(
    primary: &P,
    fallback: &F,
    input: &IncallInput,
    clock: &dyn Fn() -> u64,
) -> Result<Generated<IncallOutput>, GenerationError> {
    let hash = primary.request_hash(Task::Incall, input)?;
    let run = Run {
        task: Task::Incall,
        primary,
        fallback,
        features: input.input_features(),
        hash: &hash,
        clock,
    };
    run.settle(
        primary.incall(input, &hash),
        IncallOutput::validate,
        fallback.incall(input, &hash),
    )
    .await
}

/// [`generate_precall`] for post-call insights.
pub async fn generate_insights<P: Generator + ?Sized, F: Generator + ?Sized>(
    primary: &P,
    fallback: &F,
    input: &InsightsInput,
    clock: &dyn Fn() -> u64,
) -> Result<Generated<InsightsOutput>, GenerationError> {
    let hash = primary.request_hash(Task::Insights, input)?;
    let run = Run {
        task: Task::Insights,
        primary,
        fallback,
        features: input.input_features(),
        hash: &hash,
        clock,
    };
    run.settle(
        primary.insights(input, &hash),
        |out: &InsightsOutput| out.validate(input),
        fallback.insights(input, &hash),
    )
    .await
}

/// One generation of the three above: which task, who answers, and what
/// the provenance records. Futures are lazy, so the fallback's runs only
/// when it is awaited.
struct Run<'a, P: ?Sized, F: ?Sized> {
    task: Task,
    primary: &'a P,
    fallback: &'a F,
    features: serde_json::Value,
    hash: &'a str,
    clock: &'a dyn Fn() -> u64,
}

impl<P: Generator + ?Sized, F: Generator + ?Sized> Run<'_, P, F> {
    /// The primary's answer if it validates, else the fallback's, with the
    /// provenance of whichever was used.
    async fn settle<O>(
        self,
        answer: impl std::future::Future<Output = Result<O, GenerationError>>,
        validate: impl FnOnce(&O) -> Result<(), String>,
        fallback_answer: impl std::future::Future<Output = Result<O, GenerationError>>,
    ) -> Result<Generated<O>, GenerationError> {
        let t0 = (self.clock)();
        let first = answer.await.and_then(|out| {
            validate(&out)
                .map(|()| out)
                .map_err(GenerationError::Malformed)
        });
        match first {
            Ok(output) => Ok(Generated {
                output,
                provenance: Provenance::answered(
                    self.primary,
                    self.task,
                    self.hash,
                    self.features,
                    (self.clock)().saturating_sub(t0),
                ),
            }),
            Err(e) => {
                let output = fallback_answer.await?;
                Ok(Generated {
                    output,
                    provenance: Provenance::fell_back(
                        self.primary,
                        &e,
                        self.fallback,
                        self.task,
                        self.hash,
                        self.features,
                        (self.clock)().saturating_sub(t0),
                    ),
                })
            }
        }
    }
}

/// What each input contributes to provenance (`input_features`).
pub trait InputFeatures {
    fn input_features(&self) -> serde_json::Value;
}

impl InputFeatures for PrecallInput {
    fn input_features(&self) -> serde_json::Value {
        let f = super::profile::features(&self.participants);
        serde_json::json!({
            "participants": self.participants.len(),
            "shared_interests": f.shared_interests.iter().map(|s| &s.key).collect::<Vec<_>>(),
            "shared_skills": f.shared_skills.iter().map(|s| &s.key).collect::<Vec<_>>(),
            "complements": f.complements.len(),
            "has_title": self.title.is_some(),
        })
    }
}

impl InputFeatures for IncallInput {
    fn input_features(&self) -> serde_json::Value {
        serde_json::json!({
            "trigger": self.trigger.reason(),
            "topics": self.current_topics,
            "lines": self.recent.len(),
            "participants": self.participants.len(),
        })
    }
}

impl InputFeatures for InsightsInput {
    fn input_features(&self) -> serde_json::Value {
        serde_json::json!({
            "segments": self.segments.len(),
            "notes_words": self.notes.split_whitespace().count(),
            "participants": self.participants.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i16_canonical_json_sorts_keys_at_every_depth() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[1,{"z":1,"y":2}],"c":"x"}}"#).unwrap();
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}"#
        );
    }

    #[test]
    fn i16_request_hash_is_stable_and_covers_every_part() {
        let input = serde_json::json!({"meeting_id": "m1", "x": [1, 2]});
        let p = GenerationParams::default();
        let h = request_hash(Task::Precall, &input, "heuristic", "v1", &p).unwrap();
        assert_eq!(h.len(), 64);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        let reordered: serde_json::Value =
            serde_json::from_str(r#"{"x":[1,2],"meeting_id":"m1"}"#).unwrap();
        assert_eq!(
            request_hash(Task::Precall, &reordered, "heuristic", "v1", &p).unwrap(),
            h
        );
        let other_input = serde_json::json!({"meeting_id": "m2", "x": [1, 2]});
        let p2 = GenerationParams { max_items: 3, ..p };
        for other in [
            request_hash(Task::Incall, &input, "heuristic", "v1", &p).unwrap(),
            request_hash(Task::Precall, &other_input, "heuristic", "v1", &p).unwrap(),
            request_hash(Task::Precall, &input, "openai_compatible", "v1", &p).unwrap(),
            request_hash(Task::Precall, &input, "heuristic", "v2", &p).unwrap(),
            request_hash(Task::Precall, &input, "heuristic", "v1", &p2).unwrap(),
        ] {
            assert_ne!(other, h);
        }
    }

    /// A provider that always fails the same way.
    struct Failing(GenerationError);

    impl Generator for Failing {
        fn provider(&self) -> &str {
            "openai_compatible"
        }
        fn model(&self) -> &str {
            "gpt-test"
        }
        fn params(&self) -> GenerationParams {
            GenerationParams::default()
        }
        async fn precall(
            &self,
            _: &PrecallInput,
            _: &str,
        ) -> Result<PrecallOutput, GenerationError> {
            Err(self.0.clone())
        }
        async fn incall(&self, _: &IncallInput, _: &str) -> Result<IncallOutput, GenerationError> {
            Err(self.0.clone())
        }
        async fn insights(
            &self,
            _: &InsightsInput,
            _: &str,
        ) -> Result<InsightsOutput, GenerationError> {
            // A provider answer that fails validation: unknown user.
            Ok(InsightsOutput {
                participants: vec![ParticipantInsights {
                    user_id: "u_nobody".into(),
                    summary: "x".into(),
                    topics: vec![],
                    decisions: vec![],
                    action_items: vec![],
                    follow_ups: vec![],
                    recommendations: vec![],
                    links: vec![],
                }],
            })
        }
    }

    #[test]
    fn i18_fallback_records_the_reason_and_keeps_the_primary_hash() {
        use crate::intelligence::heuristic::{Heuristic, MODEL, PROVIDER};
        use crate::intelligence::now_or_never;
        use crate::intelligence::profile::fixtures::{alice, bob};
        let h = Heuristic::new(GenerationParams::default());
        let input = PrecallInput {
            meeting_id: "m1".into(),
            title: None,
            description: None,
            participants: vec![alice(), bob()],
            weights: RelevanceWeights::new(),
        };
        let ticks = std::cell::Cell::new(1_000u64);
        let clock = || {
            ticks.set(ticks.get() + 7);
            ticks.get()
        };
        let primary = Failing(GenerationError::Upstream(503));
        let g = now_or_never(generate_precall(&primary, &h, &input, &clock))
            .unwrap()
            .unwrap();
        assert!(!g.output.ideas.is_empty());
        let p = &g.provenance;
        assert_eq!(p.source, Source::Fallback);
        assert_eq!(p.fallback, Some(FallbackReason::Upstream));
        assert_eq!((p.provider.as_str(), p.model.as_str()), (PROVIDER, MODEL));
        assert_eq!(p.failed_provider.as_deref(), Some("openai_compatible"));
        assert_eq!(
            p.request_hash,
            primary.request_hash(Task::Precall, &input).unwrap()
        );
        assert_eq!(p.latency_ms, 7);
        assert_eq!(p.input_features["shared_interests"][0], "climate-tech");
        // The heuristic as the primary: answered, no fallback.
        let g = now_or_never(generate_precall(&h, &h, &input, &clock))
            .unwrap()
            .unwrap();
        assert_eq!(g.provenance.source, Source::Heuristic);
        assert_eq!(g.provenance.fallback, None);
        let j = serde_json::to_value(&g.provenance).unwrap();
        assert!(j.get("failed_provider").is_none());
        assert_eq!(j["task"], "precall");
        // An invalid answer is Malformed, and falls back.
        let ins = InsightsInput {
            meeting_id: "m1".into(),
            title: None,
            segments: vec![],
            notes: String::new(),
            participants: vec![alice(), bob()],
        };
        let g = now_or_never(generate_insights(&primary, &h, &ins, &clock))
            .unwrap()
            .unwrap();
        assert_eq!(g.provenance.fallback, Some(FallbackReason::Malformed));
        assert_eq!(g.output.participants.len(), 2);
    }

    #[test]
    fn i17_prompt_validation_bounds() {
        let ok = PromptIdea {
            kind: IdeaKind::Question,
            content: "What got you into climate tech?".into(),
            tags: vec!["climate-tech".into()],
            relevance: 0.7,
        };
        assert!(PrecallOutput {
            ideas: vec![ok.clone()]
        }
        .validate()
        .is_ok());
        for bad in [
            PromptIdea {
                content: " ".into(),
                ..ok.clone()
            },
            PromptIdea {
                content: "x".repeat(501),
                ..ok.clone()
            },
            PromptIdea {
                relevance: 1.5,
                ..ok.clone()
            },
            PromptIdea {
                relevance: f64::NAN,
                ..ok.clone()
            },
            PromptIdea {
                tags: vec!["".into()],
                ..ok.clone()
            },
            PromptIdea {
                tags: vec!["t".into(); 9],
                ..ok.clone()
            },
        ] {
            assert!(PrecallOutput { ideas: vec![bad] }.validate().is_err());
        }
        // The dedupe key ignores case and spacing, not kind.
        let same = PromptIdea {
            content: "what got  you into Climate tech?".into(),
            ..ok.clone()
        };
        assert_eq!(same.dedupe_key(), ok.dedupe_key());
        let starter = PromptIdea {
            kind: IdeaKind::Starter,
            ..ok.clone()
        };
        assert_ne!(starter.dedupe_key(), ok.dedupe_key());
    }
}

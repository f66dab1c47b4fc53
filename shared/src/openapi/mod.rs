//! The API's OpenAPI 3.1 document, built with utoipa from the route table
//! (`crate::route::table`: paths, methods, path parameters, access, class)
//! and [`operations::operations`] (per route: summary, query, bodies, extra
//! error codes), with the bodies' schemas derived from the Rust types in
//! [`schemas`]. The worker serves it at `GET /v1/openapi.json`; `/docs` is
//! Swagger UI over it.
//!
//! What each route answers on error is derived, not listed by hand: every
//! route can be rate limited (429) or fail (500); its access adds 401, 403,
//! 404 or 503 (an unreachable key set); a body or a query adds 400; a body
//! adds 413; a route gated by a legacy read switch adds 409
//! `READS_ON_LEGACY`. Each error status documents its codes, each with an
//! example of the one error body.

#[cfg(test)]
mod conformance;
pub mod operations;
pub mod schemas;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::info::InfoBuilder;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem, Paths,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder, Responses};
use utoipa::openapi::schema::{ComponentsBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{OpenApi, OpenApiBuilder};
use utoipa::openapi::{Ref, RefOr, Required};
use utoipa::ToSchema;

use crate::error::ErrorCode;
use crate::migration_reads::ReadModule;
use crate::route::{table, ActionRule, RouteAccess, RouteClass, RouteSpec};
use operations::{operations, Kind, Op, Payload};

/// The security schemes' names in `components.securitySchemes`.
pub const BEARER: &str = "bearer";
pub const TICKET: &str = "ticket";
pub const STREAM_SIGNATURE: &str = "streamSignature";
pub const WORKOS_SIGNATURE: &str = "workosSignature";

/// The document, as `GET /v1/openapi.json` serves it.
pub fn document() -> OpenApi {
    let ops: BTreeMap<&str, Op> = operations().into_iter().map(|o| (o.route, o)).collect();
    let mut components = ComponentsBuilder::new()
        .schema_from::<schemas::ErrorBody>()
        .security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A WorkOS access token (RS256). Locally, a development token from \
                         `POST /v1/dev/token` (dev auth on).",
                    ))
                    .build(),
            ),
        )
        .security_scheme(
            TICKET,
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "ticket",
                "A single-use WebSocket ticket (30 s) from the matching `…/ws-ticket` route.",
            ))),
        )
        .security_scheme(
            STREAM_SIGNATURE,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Signature",
                "GetStream's HMAC-SHA256 of the raw body (with `X-Api-Key` and `X-Webhook-Id`).",
            ))),
        )
        .security_scheme(
            WORKOS_SIGNATURE,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "WorkOS-Signature",
                "`t=<ms>, v1=<hex>`: WorkOS's HMAC-SHA256 of the timestamp and the raw body.",
            ))),
        );
    let mut paths = Paths::new();
    let mut tags = BTreeSet::new();
    for spec in table() {
        let Some(op) = ops.get(spec.name) else {
            continue;
        };
        tags.insert(op.tag);
        for payload in op
            .body
            .iter()
            .chain(op.ok.iter().filter_map(|(_, p)| p.as_ref()))
        {
            if let Some(name) = &payload.name {
                components = components.schema(name.to_string(), payload.schema.clone());
            }
            for (name, schema) in &payload.refs {
                components = components.schema(name.clone(), schema.clone());
            }
        }
        let item = PathItem::new(method(spec.method), operation(spec, op));
        match paths.paths.get_mut(spec.path) {
            Some(existing) => existing.merge_operations(item),
            None => {
                paths.paths.insert(spec.path.to_owned(), item);
            }
        }
    }
    let mut schema_refs = Vec::new();
    schemas::ErrorBody::schemas(&mut schema_refs);
    for (name, schema) in schema_refs {
        components = components.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Connvo Edge API")
                .version(crate::VERSION)
                .description(Some(
                    "Connvo's backend on Cloudflare Workers. Every route is JSON under `/v1/`; \
                     every error is `{\"error\": {code, message, details}}` with a stable code; \
                     every response carries `x-request-id` and, once a limit applied, \
                     `X-RateLimit-Limit/Remaining/Reset`. The meeting room's WebSocket protocol \
                     is in docs/protocol.md; the developer guide is docs/guide.md.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components.build()))
        .tags(Some(
            tags.into_iter().map(|t| TagBuilder::new().name(t).build()),
        ))
        .build()
}

/// The document as JSON text.
pub fn json() -> String {
    serde_json::to_string(&document()).unwrap_or_default()
}

fn method(m: &str) -> HttpMethod {
    match m {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

fn takes_body(spec: &RouteSpec) -> bool {
    matches!(spec.method, "POST" | "PUT" | "PATCH")
}

/// Who may call the route, in words, for its description.
fn access_words(access: RouteAccess) -> String {
    match access {
        RouteAccess::Public => "Access: public.".to_owned(),
        RouteAccess::Signed => "Access: a signed vendor webhook.".to_owned(),
        RouteAccess::Dev => {
            "Access: local development only (`DEV_AUTH=on`); 404 elsewhere.".to_owned()
        }
        RouteAccess::User => "Access: any signed-in user, acting on their own data.".to_owned(),
        RouteAccess::Meeting(ActionRule::Always(a)) => {
            format!(
                "Access: a signed-in user allowed `{}` on the meeting.",
                a.as_str()
            )
        }
        RouteAccess::Meeting(ActionRule::OwnOrOther { own, other }) => format!(
            "Access: `{}` on yourself, `{}` on another member.",
            own.as_str(),
            other.as_str()
        ),
        RouteAccess::Org(a) => format!("Access: an organisation member allowed `{}`.", a.as_str()),
        RouteAccess::Ticket(a) => format!(
            "Access: a WebSocket ticket whose holder is allowed `{}` on the meeting.",
            a.as_str()
        ),
    }
}

fn security(access: RouteAccess, path: &str) -> Option<Vec<SecurityRequirement>> {
    let scheme = match access {
        RouteAccess::Public | RouteAccess::Dev => {
            return Some(vec![SecurityRequirement::default()])
        }
        RouteAccess::Signed if path.ends_with("/stream") => STREAM_SIGNATURE,
        RouteAccess::Signed => WORKOS_SIGNATURE,
        RouteAccess::Ticket(_) => TICKET,
        RouteAccess::User | RouteAccess::Meeting(_) | RouteAccess::Org(_) => BEARER,
    };
    Some(vec![SecurityRequirement::new::<_, [&str; 0], &str>(
        scheme,
        [],
    )])
}

/// The error codes a route can answer, from its row and its operation.
pub fn error_codes(spec: &RouteSpec, op: &Op) -> BTreeSet<ErrorCodeKey> {
    let mut codes = BTreeSet::new();
    let mut add = |c: ErrorCode| {
        codes.insert(ErrorCodeKey(c));
    };
    add(ErrorCode::Internal);
    add(ErrorCode::RateLimited);
    match spec.access {
        RouteAccess::Public => {}
        RouteAccess::Signed => {
            add(ErrorCode::Unauthorized);
            add(ErrorCode::ValidationError);
        }
        RouteAccess::Dev => add(ErrorCode::NotFound),
        RouteAccess::User => {
            add(ErrorCode::Unauthorized);
            add(ErrorCode::ProviderError);
            add(ErrorCode::ValidationError);
        }
        RouteAccess::Org(_) => {
            add(ErrorCode::Unauthorized);
            add(ErrorCode::ProviderError);
            add(ErrorCode::Forbidden);
            add(ErrorCode::ValidationError);
        }
        RouteAccess::Meeting(_) | RouteAccess::Ticket(_) => {
            add(ErrorCode::Unauthorized);
            add(ErrorCode::ProviderError);
            add(ErrorCode::Forbidden);
            add(ErrorCode::NotFound);
            add(ErrorCode::ValidationError);
        }
    }
    if spec.path.contains('{') {
        add(ErrorCode::NotFound);
    }
    if takes_body(spec) {
        add(ErrorCode::ValidationError);
        add(ErrorCode::PayloadTooLarge);
    }
    if !op.query.is_empty() {
        add(ErrorCode::ValidationError);
    }
    if spec.class == RouteClass::Webhook {
        add(ErrorCode::PayloadTooLarge);
    }
    let ids = vec!["id_1".to_owned(); spec.path.matches('{').count()];
    if ReadModule::of_route(&(spec.build)(&ids)).is_some() {
        add(ErrorCode::ReadsOnLegacy);
    }
    for code in &op.errors {
        add(*code);
    }
    codes
}

/// `ErrorCode` ordered by status then name, for a stable document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCodeKey(pub ErrorCode);

impl Ord for ErrorCodeKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0.http_status(), self.0.as_str()).cmp(&(other.0.http_status(), other.0.as_str()))
    }
}
impl PartialOrd for ErrorCodeKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The statuses an error code is answered with (a provider's failure is
/// 502, or 503 when it is unavailable and a retry may help).
fn statuses(code: ErrorCode) -> &'static [u16] {
    match code {
        ErrorCode::ProviderError => &[502, 503],
        ErrorCode::Unauthorized => &[401],
        ErrorCode::Forbidden => &[403],
        ErrorCode::NotFound => &[404],
        ErrorCode::MethodNotAllowed => &[405],
        ErrorCode::ValidationError => &[400],
        ErrorCode::PayloadTooLarge => &[413],
        ErrorCode::Conflict | ErrorCode::MeetingNotActive | ErrorCode::ReadsOnLegacy => &[409],
        ErrorCode::RateLimited => &[429],
        ErrorCode::Internal => &[500],
    }
}

fn header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(Some(Schema::Object(
            ObjectBuilder::new().schema_type(Type::String).build(),
        )))
        .description(Some(description))
        .build()
}

/// Adds the headers every response carries.
fn with_common_headers(mut r: ResponseBuilder) -> ResponseBuilder {
    r = r.header(
        "x-request-id",
        header("The request's id (yours, echoed, when valid)."),
    );
    r = r.header(
        "X-RateLimit-Limit",
        header("The tightest rate limit that applied to this request."),
    );
    r = r.header(
        "X-RateLimit-Remaining",
        header("Requests left in the window."),
    );
    r.header(
        "X-RateLimit-Reset",
        header("Seconds until the window resets."),
    )
}

fn error_response(status: u16, codes: &[ErrorCode]) -> Response {
    let names: Vec<String> = codes.iter().map(|c| format!("`{}`", c.as_str())).collect();
    let examples = codes.iter().map(|c| {
        (
            c.as_str(),
            utoipa::openapi::example::ExampleBuilder::new()
                .value(Some(json!({
                    "error": {"code": c.as_str(), "message": example_message(*c), "details": null}
                })))
                .build(),
        )
    });
    let mut r = ResponseBuilder::new()
        .description(format!("Error: {}.", names.join(", ")))
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .examples_from_iter(examples)
                .build(),
        );
    r = with_common_headers(r);
    if status == 429 {
        r = r.header("Retry-After", header("Seconds to wait before retrying."));
    }
    r.build()
}

fn example_message(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Unauthorized => "missing or invalid token",
        ErrorCode::Forbidden => "not allowed",
        ErrorCode::NotFound => "not found",
        ErrorCode::MethodNotAllowed => "method not allowed",
        ErrorCode::ValidationError => "title must be 1 to 200 characters",
        ErrorCode::PayloadTooLarge => "the body is too large",
        ErrorCode::Conflict => "the meeting changed meanwhile",
        ErrorCode::MeetingNotActive => "the meeting is not active",
        ErrorCode::RateLimited => "too many requests",
        ErrorCode::ProviderError => "the provider is unavailable",
        ErrorCode::ReadsOnLegacy => "this module's reads are still on the old backend",
        ErrorCode::Internal => "internal error",
    }
}

fn content(payload: &Payload) -> utoipa::openapi::content::Content {
    let schema: RefOr<Schema> = match &payload.name {
        Some(name) => RefOr::Ref(Ref::from_schema_name(name.to_string())),
        None => payload.schema.clone(),
    };
    ContentBuilder::new().schema(Some(schema)).build()
}

fn operation(spec: &RouteSpec, op: &Op) -> utoipa::openapi::path::Operation {
    let mut description = access_words(spec.access);
    if !op.notes.is_empty() {
        description.push(' ');
        description.push_str(op.notes);
    }
    description.push_str(&format!(
        " Rate-limit class `{}`.",
        crate::rate_limit::class_name(spec.class)
    ));
    let mut b = OperationBuilder::new()
        .operation_id(Some(spec.name.replace('.', "_")))
        .summary(Some(op.summary))
        .description(Some(description))
        .tag(op.tag)
        .securities(security(spec.access, spec.path));
    for segment in spec.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            b = b.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .description(Some("An id: 1–64 of `[A-Za-z0-9_-]`."))
                    .schema(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some("^[A-Za-z0-9_-]{1,64}$"))
                            .build(),
                    )),
            );
        }
    }
    for q in &op.query {
        let mut schema = ObjectBuilder::new().schema_type(match q.kind {
            Kind::Str | Kind::OneOf(_) => Type::String,
            Kind::Int => Type::Integer,
            Kind::Bool => Type::Boolean,
        });
        if let Kind::OneOf(values) = q.kind {
            schema = schema.enum_values(Some(values.iter().copied()));
        }
        b = b.parameter(
            ParameterBuilder::new()
                .name(q.name)
                .parameter_in(ParameterIn::Query)
                .required(if q.required {
                    Required::True
                } else {
                    Required::False
                })
                .description(Some(q.description))
                .schema(Some(schema.build())),
        );
    }
    if let Some(body) = &op.body {
        b = b.request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(body.media, content(body))
                .build(),
        ));
    }
    let mut responses = Responses::new();
    for (status, payload) in &op.ok {
        let mut r = ResponseBuilder::new().description(match status {
            101 => "Switching protocols: the WebSocket is open.",
            204 => "Done; no body.",
            302 => "Found: the file's location.",
            _ => "Success.",
        });
        if let Some(payload) = payload {
            r = r.content(payload.media, content(payload));
        }
        if *status != 101 {
            r = with_common_headers(r);
        }
        if *status == 302 {
            r = r.header("Location", header("Where the file is."));
        }
        responses
            .responses
            .insert(status.to_string(), RefOr::T(r.build()));
    }
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for ErrorCodeKey(code) in error_codes(spec, op) {
        for status in statuses(code) {
            by_status.entry(*status).or_default().push(code);
        }
    }
    for (status, codes) in by_status {
        responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(error_response(status, &codes)));
    }
    b.responses(responses).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_one_operation_and_every_operation_a_route() {
        let names: Vec<&str> = table().map(|s| s.name).collect();
        let ops = operations();
        for name in &names {
            assert_eq!(
                ops.iter().filter(|o| o.route == *name).count(),
                1,
                "route `{name}` needs exactly one entry in openapi::operations::operations()"
            );
        }
        for o in &ops {
            assert!(
                names.contains(&o.route),
                "operation `{}` names no route in the route table",
                o.route
            );
            assert!(
                !o.ok.is_empty(),
                "operation `{}` has no success answer",
                o.route
            );
        }
    }

    #[test]
    fn the_document_covers_every_route_with_its_method() {
        let doc = serde_json::to_value(document()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        let mut count = 0;
        for spec in table() {
            let op = &paths[spec.path][spec.method.to_lowercase()];
            assert_eq!(
                op["operationId"],
                spec.name.replace('.', "_"),
                "{} {}",
                spec.method,
                spec.path
            );
            count += 1;
        }
        let in_doc: usize = paths
            .values()
            .map(|item| item.as_object().unwrap().len())
            .sum();
        assert_eq!(in_doc, count, "the document names only routes of the table");
    }

    #[test]
    fn errors_follow_access_and_every_error_is_the_one_body() {
        let doc = serde_json::to_value(document()).unwrap();
        let me = &doc["paths"]["/v1/me"]["get"];
        assert!(me["responses"]["401"].is_object());
        assert_eq!(me["security"][0]["bearer"], json!([]));
        let health = &doc["paths"]["/v1/health"]["get"];
        assert!(
            health["responses"]["401"].is_null(),
            "public routes need no token"
        );
        let get = &doc["paths"]["/v1/meetings/{meeting_id}"]["get"];
        for status in ["401", "403", "404", "429", "500"] {
            let r = &get["responses"][status];
            assert_eq!(
                r["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{status}"
            );
        }
        let create = &doc["paths"]["/v1/meetings"]["post"];
        assert!(create["responses"]["413"].is_object());
        assert!(
            create["responses"]["409"]["content"]["application/json"]["examples"]["CONFLICT"]
                .is_object()
        );
        assert_eq!(
            create["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/CreateMeetingRequest"
        );
        let ws = &doc["paths"]["/v1/meetings/{meeting_id}/ws"]["get"];
        assert_eq!(ws["security"][0]["ticket"], json!([]));
        // Every $ref resolves.
        let text = serde_json::to_string(&doc).unwrap();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "dangling $ref {name}");
        }
    }
}

//! The typed bodies against what the plans really put on the wire: each test
//! builds a body with the same function the handler answers with
//! (`profiles::ProfileRow::to_json`, `connection_plan::list_json`, …) and
//! checks it against its component in [`super::document`], so a field
//! renamed, dropped or retyped on either side fails here before
//! schemathesis sees it. The checker covers what the document uses: `$ref`,
//! `allOf`, `type` (with `null`), `required`, `properties`, `items` and
//! `additionalProperties`.

use serde_json::{json, Value};

/// Checks `value` against the component `name`; the errors, with paths.
pub fn check(doc: &Value, name: &str, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
    walk(doc, &schema, value, name, &mut errors);
    errors
}

fn walk(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            errors.push(format!("{at}: dangling $ref {r}"));
        } else {
            walk(doc, target, value, at, errors);
        }
        return;
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        walk(doc, part, value, at, errors);
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let fits = options.iter().any(|o| {
            let mut e = Vec::new();
            walk(doc, o, value, at, &mut e);
            e.is_empty()
        });
        if !fits {
            errors.push(format!("{at}: matches none of oneOf"));
        }
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| has_type(value, t)) {
        errors.push(format!("{at}: {value} is not {}", types.join(" or ")));
        return;
    }
    if let Value::Object(map) = value {
        for key in schema["required"].as_array().into_iter().flatten() {
            let key = key.as_str().unwrap_or_default();
            if !map.contains_key(key) {
                errors.push(format!("{at}: `{key}` is required but absent"));
            }
        }
        let props = schema["properties"].as_object();
        for (key, v) in map {
            match props.and_then(|p| p.get(key)) {
                Some(s) => walk(doc, s, v, &format!("{at}.{key}"), errors),
                None => {
                    if let Some(extra) = schema.get("additionalProperties") {
                        if extra.is_object() {
                            walk(doc, extra, v, &format!("{at}.{key}"), errors);
                        }
                    }
                }
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            walk(doc, s, v, &format!("{at}[{i}]"), errors);
        }
    }
}

fn has_type(value: &Value, t: &str) -> bool {
    match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flag_admin::StoredFlag;
    use crate::insights::{InsightListRow, InsightRow};
    use crate::matching::connection_plan::{list_json, StoredConnection};
    use crate::matching::proposal_plan::ProposalRow;
    use crate::matching::queue_plan::{status_json, QueueRow};
    use crate::notifications::wire::NotificationRow;
    use crate::privacy::requests::{deletion_view, export_view, DeletionRow, ExportRow};
    use crate::profiles::{catalogue_json, empty_json, InterestRow, ProfileRow};
    use crate::prompts::PromptRow;
    use serde::de::DeserializeOwned;

    const NOW: i64 = 1_767_225_600_000;

    fn doc() -> Value {
        serde_json::to_value(super::super::document()).unwrap()
    }

    fn row<T: DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    #[track_caller]
    fn conforms(doc: &Value, name: &str, value: &Value) {
        let errors = check(doc, name, value);
        assert!(
            errors.is_empty(),
            "{name} does not describe {value}:\n{}",
            errors.join("\n")
        );
    }

    #[test]
    fn the_checker_refuses_what_the_schema_does_not_allow() {
        let doc = doc();
        let good = json!({"unread": 3});
        conforms(&doc, "UnreadCount", &good);
        assert!(!check(&doc, "UnreadCount", &json!({})).is_empty());
        assert!(!check(&doc, "UnreadCount", &json!({"unread": "3"})).is_empty());
        assert!(!check(&doc, "InsightPage", &json!({"items": []})).is_empty());
        assert!(!check(
            &doc,
            "InsightPage",
            &json!({"items": [{}], "next_cursor": null})
        )
        .is_empty());
    }

    fn interest() -> InterestRow {
        row(json!({"key": "rust", "label": "Rust", "category": "technology"}))
    }

    #[test]
    fn profiles_bodies_match_their_schemas() {
        let doc = doc();
        let stored: ProfileRow = row(json!({
            "user_id": "u1", "display_name": "Ada", "headline": null, "bio": "b",
            "goals": null, "experience": null, "languages": "[\"en\"]", "skills": "[]",
            "roles": "[]", "updated_at": NOW,
        }));
        conforms(&doc, "Profile", &stored.to_json(&[interest()]));
        conforms(&doc, "Profile", &empty_json("u1", None));
        conforms(&doc, "InterestCatalogue", &catalogue_json(&[interest()]));
    }

    fn connection(status: &str) -> StoredConnection {
        row(json!({
            "id": "con_1", "requester_id": "ann", "addressee_id": "bob", "status": status,
            "message": null, "blocked_by": null, "responded_at": null,
            "created_at": NOW, "updated_at": NOW,
        }))
    }

    #[test]
    fn connections_and_matching_bodies_match_their_schemas() {
        let doc = doc();
        let c = connection("pending");
        conforms(&doc, "Connection", &c.to_json("bob").unwrap());
        let q =
            crate::matching::connection_plan::parse_list(&[("limit".into(), "1".into())]).unwrap();
        let page = list_json("ann", &[c.clone(), connection("accepted")], &q);
        assert!(page["next_cursor"].is_string());
        conforms(&doc, "ConnectionPage", &page);

        let entry: QueueRow = row(json!({
            "id": "mq_1", "user_id": "ann", "org_id": null, "shard": 0,
            "available_from": NOW, "available_to": NOW + 3_600_000,
            "constraints": "{\"interests\":[\"rust\"]}", "status": "proposed",
            "matched_with_user_id": "bob", "match_id": "mp_1", "version": 1,
            "created_at": NOW, "updated_at": NOW,
        }));
        conforms(&doc, "QueueEntry", &entry.to_json());
        conforms(&doc, "QueueStatus", &status_json(Some(&entry)));
        conforms(&doc, "QueueStatus", &status_json(None));

        let proposal: ProposalRow = row(json!({
            "id": "mp_1", "a_entry_id": "mq_1", "a_user_id": "ann", "b_entry_id": "mq_2",
            "b_user_id": "bob", "score": 0.7, "detail": "{\"factors\":[]}",
            "starts_at": NOW, "respond_by": NOW, "status": "proposed", "meeting_id": null,
            "created_at": NOW, "updated_at": NOW,
        }));
        conforms(
            &doc,
            "Proposal",
            &proposal.to_json("ann", Some(&entry)).unwrap(),
        );
    }

    #[test]
    fn intelligence_bodies_match_their_schemas() {
        let doc = doc();
        let item: InsightListRow = row(json!({
            "id": "ins_1", "meeting_id": "m1", "summary": "s", "topics": "[]",
            "action_items": "[]", "visibility": "private", "created_at": NOW,
        }));
        let q = crate::insights::parse_list(&[]).unwrap();
        conforms(
            &doc,
            "InsightPage",
            &crate::insights::list_json(&[item], &q),
        );
        let insight: InsightRow = row(json!({
            "id": "ins_1", "user_id": "u1", "meeting_id": "m1", "summary": "s",
            "topics": "[]", "decisions": "[]", "action_items": "[]",
            "recommendations": "[{\"kind\":\"follow_up\"},{\"kind\":\"connect\"}]",
            "links": "[]", "visibility": "private", "provenance": "{}",
            "created_at": NOW, "updated_at": NOW,
        }));
        conforms(&doc, "Insight", &insight.to_json());
        let prompt: PromptRow = row(json!({
            "id": "p1", "type": "precall", "content": "c", "tags": "[\"rust\"]",
            "relevance": 0.5, "source": "heuristic", "trigger_reason": null,
            "source_prompt_id": null, "used_at": null, "feedback": null,
            "feedback_at": null, "created_at": NOW,
        }));
        let q = crate::prompts::parse_query(&[]).unwrap();
        conforms(
            &doc,
            "PromptPage",
            &crate::prompts::page_json(&[prompt], &q),
        );
        let flag: StoredFlag = row(json!({
            "key": "matching", "env": "local", "enabled": 1,
            "value": "{\"orgs\":{\"org_a\":true}}", "rollout_percentage": 50,
            "description": null, "updated_by": "u1", "reason": "r", "updated_at": NOW,
        }));
        conforms(
            &doc,
            "FlagList",
            &crate::flag_admin::list_json("local", &[flag], Some("org_a")),
        );
    }

    #[test]
    fn notifications_and_privacy_bodies_match_their_schemas() {
        let doc = doc();
        let n: NotificationRow = row(json!({
            "id": "n1", "kind": "connection.requested", "category": "social",
            "priority": "medium", "meeting_id": null, "title": "t", "body": null,
            "data": "{\"count\":2}", "read_at": null, "expires_at": null,
            "created_at": NOW, "updated_at": NOW,
        }));
        let q = crate::notifications::wire::parse_list(&[]).unwrap();
        conforms(
            &doc,
            "NotificationPage",
            &crate::notifications::wire::list_json(&[n], &q, 1),
        );
        let prefs = crate::notifications::wire::parse_put(
            br#"{"channels": {"default": {"in_app": true, "email": false}},
                 "quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Europe/Paris"},
                 "max_per_hour": 5}"#,
        )
        .unwrap();
        conforms(
            &doc,
            "NotificationPreferences",
            &crate::notifications::wire::to_json(&prefs),
        );
        conforms(
            &doc,
            "Consents",
            &crate::privacy::consent_routes::view(&[row(json!({
                "consent_type": "recording", "version": "1", "consented": 1, "created_at": NOW,
            }))]),
        );
        let export: ExportRow = row(json!({
            "id": "exp_1", "user_id": "u1", "status": "ready", "object_key": "k",
            "error": null, "requested_at": NOW, "completed_at": NOW, "expires_at": NOW + 1,
            "progress": null, "rows_exported": 3, "parts": 1, "sets_done": 2,
        }));
        conforms(
            &doc,
            "ExportBody",
            &export_view(&export, NOW, Some("https://x/v1/files/exp_1")),
        );
        let deletion: DeletionRow = row(json!({
            "id": "del_1", "user_id": "u1", "pseudonym": "p", "status": "pending",
            "error": null, "waiting_for": null, "steps_done": 0, "steps_total": 9,
            "rows_changed": 0, "requested_at": NOW, "processed_at": null, "updated_at": NOW,
        }));
        conforms(&doc, "DeletionBody", &deletion_view(&deletion));
    }

    #[test]
    fn metrics_bodies_match_their_schemas() {
        use crate::metrics::report::admin_body;
        use crate::metrics::window::Minutes;
        use crate::metrics::Event;
        let doc = doc();
        let mut m = Minutes::default();
        let events = [
            Event::Latency {
                name: "room.fanout_ms".into(),
                ms: 4.0,
            },
            Event::Latency {
                name: "meetings.get".into(),
                ms: 12.0,
            },
        ];
        m.apply(NOW, &events, NOW);
        let body = serde_json::to_value(admin_body(&m, 15, NOW, "local")).unwrap();
        assert_eq!(body["points"].as_array().map(Vec::len), Some(1));
        conforms(&doc, "AdminMetrics", &body);
        let tick = crate::metrics::slo::AlertTick {
            fired: vec!["p95:meetings.get".into()],
            ..Default::default()
        };
        conforms(&doc, "AlertTick", &serde_json::to_value(tick).unwrap());
    }
}

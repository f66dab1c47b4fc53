//! Issue 14, the privacy export against the real local runtime
//! (docs/privacy.md P11, P12, P30–P33): Ada's export holds her rows and
//! none of Bob's, although they shared a meeting; it is written over
//! several job runs (pages of 2 rows, 6 pages a run), one export is open
//! at a time, only Ada can read its status, and its signed URL downloads
//! the JSON while a tampered one is refused.

mod privacy_common;

use std::time::Duration;

use connvo_e2e::meet::World;
use privacy_common::{poll, ready_export, seed, ADA, BOB};
use serde_json::Value;

fn texts(rows: &Value, field: &str) -> Vec<String> {
    let mut out: Vec<String> = rows
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {rows}"))
        .iter()
        .map(|r| r[field].as_str().unwrap_or_default().to_owned())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn p30_p33_an_export_holds_the_users_data_and_nobody_elses() {
    let w = World::start_with(&[ADA, BOB], seed()).await;

    // Bad input writes nothing.
    let a = w
        .call(
            "POST",
            "/v1/privacy/export",
            Some(ADA),
            Some(&serde_json::json!({"format": "xml"})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(w.d1("SELECT id FROM data_export_requests").is_empty());

    let a = w.call("POST", "/v1/privacy/export", Some(ADA), None).await;
    assert_eq!(a.status, 202, "{}", a.body);
    let id = a.body["export"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/privacy/export/{id}");

    // P12: one open export at a time.
    let again = w.call("POST", "/v1/privacy/export", Some(ADA), None).await;
    if again.status == 409 {
        assert_eq!(
            again.body["error"]["details"]["reason"],
            "EXPORT_IN_PROGRESS"
        );
        assert_eq!(again.body["error"]["details"]["export_id"], id.as_str());
    } else {
        panic!(
            "a second export while one is open: {} {}",
            again.status, again.body
        );
    }
    // Only the owner sees it.
    let other = w.call("GET", &path, Some(BOB), None).await;
    assert_eq!(other.status, 404, "{}", other.body);

    let view = poll(&w, ADA, &path, |b| b["export"]["status"] == "ready").await;
    let export = &view["export"];
    assert_eq!(export["progress"]["sets_done"], 14, "{view}");
    assert!(
        export["progress"]["parts"].as_i64().unwrap() > 1,
        "pages of 2 rows, 6 pages a run: several runs and parts, {view}"
    );
    let expires = export["expires_at"].as_i64().unwrap();
    let completed = export["completed_at"].as_i64().unwrap();
    assert_eq!(expires - completed, 30 * 24 * 60 * 60 * 1000);
    let url = export["download_url"].as_str().unwrap().to_owned();
    assert!(url.contains("purpose=privacy_export"), "{url}");

    // The signed URL downloads the document, without any other credential.
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()["cache-control"].to_str().unwrap(),
        "private, no-store"
    );
    let raw = resp.text().await.unwrap();
    let doc: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(doc["format"], "connvo.privacy_export.v1");
    assert_eq!(doc["user_id"], ADA);
    let data = &doc["data"];
    assert_eq!(data["account"][0]["id"], ADA);
    assert_eq!(data["profile"][0]["display_name"], "Ada Lovelace");
    assert_eq!(
        texts(&data["messages"], "content"),
        ["ada-msg-0", "ada-msg-2", "ada-msg-3"],
        "her messages, over two pages"
    );
    assert_eq!(
        texts(&data["transcript_lines"], "text"),
        ["ada-line-0", "ada-line-2", "ada-line-3"]
    );
    assert_eq!(texts(&data["insights"], "summary"), ["ada-insight"]);
    assert_eq!(data["note_ops"].as_array().unwrap().len(), 1);
    assert_eq!(texts(&data["memberships"], "meeting_id"), ["mtg_shared"]);
    assert!(data["audit_rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["action"] == "privacy.export.request"));
    assert!(
        !raw.contains("bob-secret") && !raw.contains("Bob alone"),
        "nothing of Bob's: {raw}"
    );
    assert!(!raw.contains("\"cursor\""), "internal cursors stay out");

    // Tampered, moved to another purpose, or stretched: refused.
    let last = url.chars().last().unwrap();
    let flipped = if last == '0' { '1' } else { '0' };
    let tampered = format!("{}{flipped}", &url[..url.len() - 1]);
    assert_eq!(
        reqwest::get(&tampered).await.unwrap().status().as_u16(),
        403
    );
    let moved = url.replace("purpose=privacy_export", "purpose=recording");
    assert_eq!(reqwest::get(&moved).await.unwrap().status().as_u16(), 403);
    let exp = url.split("exp=").nth(1).unwrap().split('&').next().unwrap();
    let later = (exp.parse::<i64>().unwrap() + 1).to_string();
    let stretched = url.replace(&format!("exp={exp}"), &format!("exp={later}"));
    assert_eq!(
        reqwest::get(&stretched).await.unwrap().status().as_u16(),
        403
    );

    // The user was told once, with a signed path.
    let n = w
        .wait_row(
            &format!(
                "SELECT data, dedupe_key FROM notifications WHERE user_id = '{ADA}' AND kind = 'export_ready'"
            ),
            Duration::from_secs(30),
        )
        .await;
    assert_eq!(n["dedupe_key"], format!("export_ready:{id}"));
    let data: Value = serde_json::from_str(n["data"].as_str().unwrap()).unwrap();
    assert!(data["download_url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("/v1/files/{id}?purpose=privacy_export")));
    // The request records the document's key.
    assert_eq!(
        w.d1(&format!(
            "SELECT object_key FROM data_export_requests WHERE id = '{id}'"
        ))[0]["object_key"],
        format!("privacy-exports/{id}.json")
    );

    // Finished: a new export may start.
    let next = ready_export(&w, ADA).await;
    assert_ne!(next["export"]["id"], id.as_str());
}

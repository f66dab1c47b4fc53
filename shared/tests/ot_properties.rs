//! Property tests for the OT core: the transform property TP1, compose
//! against sequential application, normalisation against a naive model, and
//! "no input panics", all over text full of non-BMP and combining chars.

use connvo_shared::ot::{apply, compose, transform, transform_position, Component, Op, Side};
use proptest::prelude::*;

const PIECES: &[&str] = &[
    "a",
    "b",
    "z",
    " ",
    "\n",
    "é",
    "e\u{301}",
    "😀",
    "𝄞",
    "👍🏽",
    "👨‍👩‍👧",
    "漢",
    "\u{10FFFF}",
];

fn text(max_pieces: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..=max_pieces).prop_map(|v| v.concat())
}

fn nonempty_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 1..=3).prop_map(|v| v.concat())
}

/// A raw component list, lengths unconstrained.
fn raw_components() -> impl Strategy<Value = Vec<Component>> {
    let component = prop_oneof![
        (0usize..8).prop_map(Component::Retain),
        text(3).prop_map(Component::Insert),
        (0usize..8).prop_map(Component::Delete),
        Just(Component::Retain(usize::MAX)),
        Just(Component::Delete(usize::MAX / 2)),
    ];
    prop::collection::vec(component, 0..8)
}

/// Steps of an op, later clamped to a document length.
#[derive(Debug, Clone)]
enum Step {
    Retain(usize),
    Insert(String),
    Delete(usize),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        (1usize..6).prop_map(Step::Retain),
        nonempty_text().prop_map(Step::Insert),
        (1usize..6).prop_map(Step::Delete),
    ];
    prop::collection::vec(step, 0..6)
}

/// An op built from `steps` that fits a document of `len` chars.
fn fit(steps: &[Step], len: usize) -> Op {
    let mut builder = Op::builder();
    let mut pos = 0;
    for step in steps {
        match step {
            Step::Retain(n) => {
                let n = (*n).min(len - pos);
                builder = builder.retain(n);
                pos += n;
            }
            Step::Delete(n) => {
                let n = (*n).min(len - pos);
                builder = builder.delete(n);
                pos += n;
            }
            Step::Insert(text) => builder = builder.insert(text),
        }
    }
    builder.build()
}

fn len(s: &str) -> usize {
    s.chars().count()
}

/// Applies raw components one by one on a char vector: the obviously
/// correct model that normalisation and `apply` must agree with.
/// A trailing retain says nothing (the normal form drops it, as
/// `ot-text-unicode` does), so the model ignores it too, even past the end.
fn naive_apply(doc: &str, components: &[Component]) -> Option<String> {
    let end = components
        .iter()
        .rposition(|c| !matches!(c, Component::Retain(_)) && c.char_len() > 0)
        .map_or(0, |i| i + 1);
    let components = &components[..end];
    let chars: Vec<char> = doc.chars().collect();
    let mut out = String::new();
    let mut pos = 0usize;
    for c in components {
        match c {
            Component::Retain(n) => {
                let end = pos.checked_add(*n)?;
                out.extend(chars.get(pos..end)?);
                pos = end;
            }
            Component::Delete(n) => {
                let end = pos.checked_add(*n)?;
                chars.get(pos..end)?;
                pos = end;
            }
            Component::Insert(text) => out.push_str(text),
        }
    }
    out.extend(chars.get(pos..)?);
    Some(out)
}

proptest! {
    #[test]
    fn tp1_concurrent_ops_converge(doc in text(10), a in steps(), b in steps()) {
        let (a, b) = (fit(&a, len(&doc)), fit(&b, len(&doc)));
        let after_a = apply(&doc, &a).unwrap();
        let after_b = apply(&doc, &b).unwrap();
        let left = apply(&after_a, &transform(&b, &a, Side::Right)).unwrap();
        let right = apply(&after_b, &transform(&a, &b, Side::Left)).unwrap();
        prop_assert_eq!(left, right, "a={} b={}", a, b);
    }

    #[test]
    fn compose_equals_applying_in_sequence(doc in text(10), a in steps(), b in steps()) {
        let a = fit(&a, len(&doc));
        let mid = apply(&doc, &a).unwrap();
        let b = fit(&b, len(&mid));
        let composed = compose(&a, &b);
        prop_assert_eq!(apply(&doc, &composed).unwrap(), apply(&mid, &b).unwrap());
        // Composing yields normal form, as if built directly.
        prop_assert_eq!(Op::from_components(composed.clone().into_components()).unwrap(), composed);
    }

    #[test]
    fn normal_form_applies_like_the_raw_components(doc in text(8), raw in raw_components()) {
        let expected = naive_apply(&doc, &raw);
        match Op::from_components(raw.clone()) {
            Ok(op) => {
                let got = apply(&doc, &op).ok();
                prop_assert_eq!(&got, &expected, "op={}", op);
                prop_assert_eq!(got.is_some(), op.base_len() <= len(&doc));
                if let Some(out) = got {
                    prop_assert_eq!(op.target_len(len(&doc)), Some(len(&out)));
                }
                // Normal form: nothing empty, no same-kind neighbours, no trailing retain.
                let cs = op.components();
                prop_assert!(cs.iter().all(|c| c.char_len() > 0));
                prop_assert!(cs.windows(2).all(|w| std::mem::discriminant(&w[0]) != std::mem::discriminant(&w[1])));
                prop_assert!(!matches!(cs.last(), Some(Component::Retain(_))));
                prop_assert_eq!(Op::from_components(cs.to_vec()).unwrap(), op.clone());
            }
            Err(err) => prop_assert_eq!(err.code(), "OT_INVALID_OP"),
        }
    }

    #[test]
    fn nothing_panics_on_ops_that_do_not_fit(doc in text(6), a in raw_components(), b in raw_components()) {
        let (Ok(a), Ok(b)) = (Op::from_components(a), Op::from_components(b)) else {
            return Ok(());
        };
        for op in [
            a.clone(),
            b.clone(),
            compose(&a, &b),
            transform(&a, &b, Side::Left),
            transform(&b, &a, Side::Right),
        ] {
            if let Err(err) = apply(&doc, &op) {
                prop_assert_eq!(err.code(), "OT_BASE_LENGTH_MISMATCH");
            }
            let _ = transform_position(len(&doc), &op);
        }
    }

    #[test]
    fn wire_form_round_trips(doc in text(8), a in steps()) {
        let op = fit(&a, len(&doc));
        let json = serde_json::to_string(&op).unwrap();
        prop_assert_eq!(Op::from_json(&json).unwrap(), op);
    }

    #[test]
    fn arbitrary_json_never_panics(json in any_json()) {
        let _ = Op::from_json_value(&json);
    }

    #[test]
    fn cursors_stay_inside_the_document(doc in text(8), a in steps(), cursor in 0usize..40) {
        let op = fit(&a, len(&doc));
        let out = apply(&doc, &op).unwrap();
        let cursor = cursor.min(len(&doc));
        prop_assert!(transform_position(cursor, &op) <= len(&out));
    }
}

fn any_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        text(2).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            inner.clone().prop_map(|v| json!({ "d": v })),
            (text(1), inner).prop_map(|(k, v)| json!({ k: v })),
        ]
    })
}

#[test]
fn non_bmp_positions_are_scalar_counts() {
    // "😀" is one position here, two UTF-16 units in JS, four UTF-8 bytes.
    let doc = "😀👍🏽𝄞";
    let op = Op::from_json(r#"[1, {"d": 2}, "é"]"#).unwrap();
    assert_eq!(apply(doc, &op).unwrap(), "😀é𝄞");
    let theirs = Op::insert_at(3, "!");
    let mine = transform(&op, &theirs, Side::Left);
    assert_eq!(apply("😀👍🏽𝄞!", &mine).unwrap(), "😀é𝄞!");
}

/// Transforming over `compose(a, b)` is *not* always the same as
/// transforming over `a` then `b`: the order of an insert and a delete at
/// one position decides tie-breaks, and composition can change it. That is
/// why neither side ever transforms over a composition: the server folds
/// over committed ops one by one, and the client's composed pending op is
/// sent as it is, so both transform the same op over the same sequence.
#[test]
fn transforming_over_a_composition_can_differ_from_step_by_step() {
    let a = Op::delete_at(0, 1);
    let b = Op::insert_at(0, "a");
    let c = Op::builder().delete(1).insert("b").build();
    let end = apply(&apply("a", &a).unwrap(), &b).unwrap();
    let at_once = apply(&end, &transform(&c, &compose(&a, &b), Side::Left)).unwrap();
    let stepwise = apply(
        &end,
        &transform(&transform(&c, &a, Side::Left), &b, Side::Left),
    )
    .unwrap();
    assert_eq!((at_once.as_str(), stepwise.as_str()), ("ab", "ba"));
}

//! The feedback loop (rules M10 and M11): outcomes move
//! the scoring weights, and a declined pair rests for a while.
//!
//! **Weight update (M10).** Each proposal stores the features and weights
//! it was scored with (`matching_analytics.features`, `.weights`). When its
//! outcome is known, with target `y` (accepted 1, declined 0, completed the
//! rating mapped to `[0, 1]` or 1 without one; an expiry teaches nothing)
//! and prediction `p` (the score those weights gave), every present feature
//! `i` is updated multiplicatively (exponentiated gradient):
//!
//! ```text
//! wᵢ ← wᵢ · exp(η · (y − p) · (fᵢ − p))
//! ```
//!
//! then the weights are renormalised to sum 1 and projected into
//! `[floor, cap]` (surplus redistributed proportionally). So an
//! acceptance the score underrated (`y > p`) strengthens the features that
//! spoke for the pair (`fᵢ > p`), and a decline the score overrated
//! weakens them. Bounded: one step changes any weight by a factor of at
//! most `e^η` before normalisation, no weight ever leaves `[floor, cap]`,
//! and the sum stays 1. An absent feature (no vector) keeps its weight.
//!
//! **Decline cooldown (M11).** A pair declined at `t` (either way) is not
//! proposed again before `t + window` ([`on_cooldown`]); the window is
//! [`ScoringConfig::decline_cooldown_ms`](super::scoring::ScoringConfig).

use serde::{Deserialize, Serialize};

use super::scoring::{Features, Weights};

/// How a proposal ended for one user (`matching_analytics.outcome`, plus
/// `expired`, which is not stored there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    Declined,
    /// The proposal timed out unanswered: no signal about fit.
    Expired,
    /// The meeting happened; `rating` 1–5 if the user gave one.
    Completed {
        rating: Option<u8>,
    },
}

impl Outcome {
    /// The training target in `[0, 1]`, or `None` for no signal.
    pub fn target(self) -> Option<f32> {
        match self {
            Outcome::Accepted => Some(1.0),
            Outcome::Declined => Some(0.0),
            Outcome::Expired => None,
            Outcome::Completed { rating: None } => Some(1.0),
            Outcome::Completed { rating: Some(r) } => {
                Some(((f32::from(r.clamp(1, 5)) - 1.0) / 4.0).clamp(0.0, 1.0))
            }
        }
    }
}

/// The learning rate and bounds of the update rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearningConfig {
    /// `η`: the largest log-change of one weight in one step.
    pub rate: f32,
    /// No weight goes below this share of the total.
    pub floor: f32,
    /// No weight goes above this share of the total.
    pub cap: f32,
}

impl Default for LearningConfig {
    fn default() -> Self {
        LearningConfig {
            rate: 0.05,
            floor: 0.02,
            cap: 0.6,
        }
    }
}

/// Rule M10: the weights after learning from one outcome of a proposal
/// scored with `weights` on `features`. Returns the (normalised, projected)
/// weights unchanged when the outcome carries no signal.
pub fn update_weights(
    weights: &Weights,
    features: &Features,
    outcome: Outcome,
    config: &LearningConfig,
) -> Weights {
    let mut w = weights.sanitised().to_array();
    if let Some(y) = outcome.target() {
        let p = features.combine(weights);
        let rate = if config.rate.is_finite() {
            config.rate.clamp(0.0, 1.0)
        } else {
            0.0
        };
        for (wi, fi) in w.iter_mut().zip(features.to_array()) {
            if let Some(fi) = fi {
                let step = rate * (y - p) * (fi.clamp(0.0, 1.0) - p);
                *wi *= step.exp();
            }
        }
    }
    Weights::from_array(project(w, config.floor, config.cap))
}

/// Normalises `w` to sum 1 with every entry in `[floor, cap]`, keeping the
/// ratios of the entries that are not clamped: it finds the scale `λ` with
/// `Σ clamp(λ·wᵢ, floor, cap) = 1` by bisection (the sum only grows with
/// `λ`). Bounds that cannot hold together (`n·floor > 1` or `n·cap < 1`)
/// are moved to `1/n`; a zero or negative entry counts as a tiny positive one.
fn project(w: [f32; 5], floor: f32, cap: f32) -> [f32; 5] {
    let n = w.len() as f64;
    let floor = if floor.is_finite() {
        f64::from(floor).clamp(0.0, 1.0 / n)
    } else {
        0.0
    };
    let cap = if cap.is_finite() {
        f64::from(cap).clamp(1.0 / n, 1.0)
    } else {
        1.0
    };
    let max = w.iter().copied().fold(0.0_f32, f32::max);
    let w: Vec<f64> = if max > 0.0 && max.is_finite() {
        let tiny = f64::from(max) * 1e-9;
        w.iter().map(|x| f64::from(*x).max(tiny)).collect()
    } else {
        vec![1.0; w.len()]
    };
    let total = |lambda: f64| -> f64 { w.iter().map(|x| (lambda * x).clamp(floor, cap)).sum() };
    // total(0) = n·floor ≤ 1; grow `hi` until total(hi) ≥ 1 (n·cap ≥ 1, and
    // every entry is at least 1e-9 of the largest, so this ends).
    let mut lo = 0.0_f64;
    let mut hi = 1.0 / w.iter().sum::<f64>();
    for _ in 0..64 {
        if total(hi) >= 1.0 {
            break;
        }
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if total(mid) < 1.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut out = [0.0_f32; 5];
    for (o, x) in out.iter_mut().zip(&w) {
        *o = (hi * x).clamp(floor, cap) as f32;
    }
    out
}

/// Rule M11: whether a pair last declined at `last_declined_at` is still
/// resting at `now_ms` (`now < declined + window`).
pub fn on_cooldown(last_declined_at: Option<i64>, now_ms: i64, window_ms: i64) -> bool {
    match last_declined_at {
        Some(at) => now_ms < at.saturating_add(window_ms.max(0)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::scoring::{score_pair, MatchCandidate, PairSignals, ScoringConfig};

    fn features(interests: f32, skills: f32, vector: Option<f32>) -> Features {
        Features {
            interests,
            skills,
            org: 0.5,
            history: 0.5,
            vector,
        }
    }

    fn sum(w: &Weights) -> f32 {
        w.to_array().iter().sum()
    }

    #[test]
    fn m10_acceptance_strengthens_the_features_that_spoke_for_the_pair() {
        let w = Weights::default();
        let f = features(1.0, 0.0, Some(0.2));
        let after = update_weights(&w, &f, Outcome::Accepted, &LearningConfig::default());
        assert!(after.interests > w.interests);
        assert!(after.skills < w.skills);
        assert!((sum(&after) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn m10_decline_weakens_the_features_that_spoke_for_the_pair() {
        let w = Weights::default();
        let f = features(1.0, 0.0, Some(0.2));
        let after = update_weights(&w, &f, Outcome::Declined, &LearningConfig::default());
        assert!(after.interests < w.interests);
        assert!(after.skills > w.skills);
    }

    #[test]
    fn m10_expiry_teaches_nothing_and_absent_features_keep_their_weight() {
        let w = Weights::default();
        let f = features(1.0, 0.0, None);
        let cfg = LearningConfig::default();
        assert_eq!(update_weights(&w, &f, Outcome::Expired, &cfg), w);
        // Interests (1.0 > p) grow and skills (0.0 < p) shrink; the absent
        // vector feature is not multiplied, only renormalised, so its
        // ratio lies strictly between theirs.
        let after = update_weights(&w, &f, Outcome::Accepted, &cfg);
        let ratio = |a: f32, b: f32| a / b;
        let rv = ratio(after.vector, w.vector);
        assert!(ratio(after.skills, w.skills) < rv && rv < ratio(after.interests, w.interests));
    }

    #[test]
    fn m10_one_step_is_bounded_by_the_learning_rate() {
        let cfg = LearningConfig {
            rate: 0.05,
            floor: 0.0,
            cap: 1.0,
        };
        let w = Weights::default();
        for outcome in [Outcome::Accepted, Outcome::Declined] {
            for f in [features(1.0, 0.0, Some(1.0)), features(0.0, 1.0, Some(0.0))] {
                let after = update_weights(&w, &f, outcome, &cfg);
                // Each weight moves by a factor of at most e^η, and the
                // normalisation by at most e^η more.
                let bound = (2.0 * cfg.rate).exp() + 1e-5;
                for (a, b) in after.to_array().iter().zip(w.to_array()) {
                    let r = a / b;
                    assert!(r <= bound && r >= 1.0 / bound, "ratio {r}");
                }
            }
        }
    }

    #[test]
    fn m10_weights_stay_inside_floor_and_cap_under_long_feedback() {
        let cfg = LearningConfig {
            rate: 0.5,
            ..LearningConfig::default()
        };
        let mut w = Weights::default();
        // A long adversarial run: always accept interest-only pairs.
        for i in 0..2_000 {
            let f = features(1.0, 0.0, if i % 3 == 0 { None } else { Some(0.0) });
            let outcome = if i % 5 == 0 {
                Outcome::Completed { rating: Some(5) }
            } else {
                Outcome::Accepted
            };
            w = update_weights(&w, &f, outcome, &cfg);
            assert!((sum(&w) - 1.0).abs() < 1e-4, "sum {}", sum(&w));
            for x in w.to_array() {
                assert!(
                    (cfg.floor - 1e-6..=cfg.cap + 1e-6).contains(&x),
                    "{x} at {i}"
                );
            }
        }
        assert!((w.interests - cfg.cap).abs() < 1e-4);
        assert!((w.skills - cfg.floor).abs() < 1e-4);
    }

    #[test]
    fn m10_learned_weights_change_the_ranking() {
        // Users keep accepting interest matches and declining skill matches.
        let mut w = Weights::default();
        for _ in 0..200 {
            w = update_weights(
                &w,
                &features(1.0, 0.0, None),
                Outcome::Accepted,
                &LearningConfig::default(),
            );
            w = update_weights(
                &w,
                &features(0.0, 1.0, None),
                Outcome::Declined,
                &LearningConfig::default(),
            );
        }
        assert!(w.interests > w.skills * 2.0);
        let cfg = ScoringConfig {
            weights: w,
            ..ScoringConfig::default()
        };
        let me = MatchCandidate {
            user_id: "me".into(),
            interests: vec!["rust".into()],
            goals: "learn sales".into(),
            ..MatchCandidate::default()
        };
        let shares = MatchCandidate {
            user_id: "a".into(),
            interests: vec!["rust".into()],
            ..MatchCandidate::default()
        };
        let helps = MatchCandidate {
            user_id: "b".into(),
            skills: vec!["sales".into()],
            ..MatchCandidate::default()
        };
        let s = |other: &MatchCandidate| {
            score_pair(&me, other, &PairSignals::default(), &cfg, 0)
                .unwrap()
                .score
        };
        assert!(s(&shares) > s(&helps));
    }

    #[test]
    fn m10_ratings_map_to_targets() {
        assert_eq!(Outcome::Completed { rating: Some(1) }.target(), Some(0.0));
        assert_eq!(Outcome::Completed { rating: Some(5) }.target(), Some(1.0));
        assert_eq!(Outcome::Completed { rating: Some(9) }.target(), Some(1.0));
        assert_eq!(Outcome::Completed { rating: None }.target(), Some(1.0));
        assert_eq!(Outcome::Expired.target(), None);
    }

    #[test]
    fn m10_projection_handles_degenerate_weights() {
        let zero = Weights::from_array([0.0; 5]);
        let out = update_weights(
            &zero,
            &features(0.5, 0.5, None),
            Outcome::Accepted,
            &LearningConfig::default(),
        );
        for x in out.to_array() {
            assert!((x - 0.2).abs() < 1e-6);
        }
        // One dominant weight: capped, the rest share what is left equally.
        let p = project([1.0, 0.0, 0.0, 0.0, 0.0], 0.02, 0.6);
        for (x, e) in p.iter().zip([0.6, 0.1, 0.1, 0.1, 0.1]) {
            assert!((x - e).abs() < 1e-5, "{p:?}");
        }
        // Free entries keep their ratios.
        let p = project([0.9, 0.4, 0.2, 0.0001, 0.1], 0.02, 0.6);
        assert!(
            (p[1] / p[2] - 2.0).abs() < 1e-4 && (p[2] / p[4] - 2.0).abs() < 1e-4,
            "{p:?}"
        );
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn m11_declined_pair_not_reproposed_inside_window() {
        let day = 86_400_000;
        assert!(on_cooldown(Some(0), day, 14 * day));
        assert!(on_cooldown(Some(0), 14 * day - 1, 14 * day));
        assert!(!on_cooldown(Some(0), 14 * day, 14 * day));
        assert!(!on_cooldown(None, 0, 14 * day));
        // No overflow near the end of time; a negative window is no window.
        assert!(on_cooldown(Some(i64::MAX - 1), 0, 10));
        assert!(!on_cooldown(Some(5), 5, -10));

        let a = MatchCandidate {
            user_id: "a".into(),
            ..MatchCandidate::default()
        };
        let b = MatchCandidate {
            user_id: "b".into(),
            ..MatchCandidate::default()
        };
        let cfg = ScoringConfig::default();
        let declined = PairSignals {
            last_declined_at: Some(0),
            ..PairSignals::default()
        };
        let err = score_pair(&a, &b, &declined, &cfg, cfg.decline_cooldown_ms - 1).unwrap_err();
        assert_eq!(err.code(), "DECLINE_COOLDOWN");
        assert!(score_pair(&a, &b, &declined, &cfg, cfg.decline_cooldown_ms).is_ok());
    }
}

//! The heuristic's only source of variation: a 32-byte seed hashed from the
//! meeting id and the request hash (I21). Each choice hashes the seed with
//! its own salt, so choices are independent of one another and of the order
//! they are made in.

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed([u8; 32]);

impl Seed {
    pub fn new(meeting_id: &str, request_hash: &str) -> Seed {
        let d =
            Sha256::digest(format!("connvo.heuristic.v1\0{meeting_id}\0{request_hash}").as_bytes());
        Seed(d.into())
    }

    fn draw(&self, salt: &str) -> u64 {
        let mut h = Sha256::new();
        h.update(self.0);
        h.update(salt.as_bytes());
        let d = h.finalize();
        u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }

    /// An index in `0..n` (0 when `n` is 0).
    pub fn pick(&self, salt: &str, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.draw(salt) % n as u64) as usize
    }

    /// A number in [0, 1).
    pub fn unit(&self, salt: &str) -> f64 {
        (self.draw(salt) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i21_seed_is_deterministic_and_salted() {
        let a = Seed::new("m1", "h");
        assert_eq!(a, Seed::new("m1", "h"));
        assert_ne!(a, Seed::new("m2", "h"));
        assert_ne!(a, Seed::new("m1", "h2"));
        assert_eq!(a.pick("x", 7), a.pick("x", 7));
        assert!(a.pick("x", 7) < 7);
        assert_eq!(a.pick("x", 0), 0);
        let u = a.unit("y");
        assert!((0.0..1.0).contains(&u));
        let distinct: std::collections::BTreeSet<usize> =
            (0..50).map(|i| a.pick(&format!("s{i}"), 5)).collect();
        assert_eq!(distinct.len(), 5);
    }
}

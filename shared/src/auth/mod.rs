//! WorkOS AuthKit access tokens: JWKS, RS256 verification and claim rules. (Being written.)

//! Organisation and meeting roles, and what each may do. (Being written.)

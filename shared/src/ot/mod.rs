//! Collaborative notes: operational transform over retain/insert/delete ops. (Being written.)

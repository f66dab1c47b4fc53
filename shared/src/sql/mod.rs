//! Every SQL statement the code issues, in one registry. (Being written.)

//! Snapshot tests of every rewrite: the file before, the fix's title and the file after.

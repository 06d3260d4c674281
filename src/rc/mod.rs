//! The rc runner: LSB headers, the dependency graph, selection and the parallel scheduler (SPEC §8).

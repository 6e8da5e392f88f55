/**
 * Hostile input must fail fast, never hang. Tests assert a generous bound so a loaded 2-core CI machine
 * does not flake; the real read times are measured by the benchmarks (bench/readers).
 */
export const HANG_GUARD_MS = 5000;

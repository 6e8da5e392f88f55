/**
 * The one error type front ends print as a single line. Anything thrown as a VramfitError is a user
 * problem (bad input, unknown model, impossible option); anything else is a bug.
 */
export class VramfitError extends Error {
  readonly suggestion?: string;
  constructor(message: string, suggestion?: string) {
    super(message);
    this.name = "VramfitError";
    this.suggestion = suggestion;
  }
}

/** Closest candidates by edit distance, for "did you mean ...?" hints. */
export function closest(input: string, candidates: readonly string[], max = 3): string[] {
  const q = input.toLowerCase();
  const scored = candidates.map((c) => {
    const lc = c.toLowerCase();
    let d = editDistance(q, lc);
    if (lc.includes(q) || q.includes(lc)) d = Math.min(d, Math.abs(lc.length - q.length) / 4);
    return { c, d };
  });
  const limit = Math.max(2, Math.floor(q.length / 3));
  return scored
    .filter((s) => s.d <= limit)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, max)
    .map((s) => s.c);
}

function editDistance(a: string, b: string): number {
  const prev = new Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

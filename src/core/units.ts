/** Byte units. vramfit keeps every quantity in bytes internally; these are used only at the edges. */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const GB = 1e9;

/** Human label in binary units (GiB, MiB), always with the unit. */
export function formatBytes(bytes: number, digits = 2): string {
  const abs = Math.abs(bytes);
  if (abs >= GiB) return `${(bytes / GiB).toFixed(digits)} GiB`;
  if (abs >= MiB) return `${(bytes / MiB).toFixed(digits === 2 ? 1 : digits)} MiB`;
  if (abs >= KiB) return `${(bytes / KiB).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** Parameter counts as people say them: 8.03B, 494M. */
export function formatCount(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)}T`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

/** Round up to a multiple of `m`. */
export function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

/** Throws if a byte count has left the range where doubles are exact integers. */
export function assertSafeBytes(n: number, what: string): number {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${what}: not a valid byte count (${n})`);
  if (n > Number.MAX_SAFE_INTEGER) throw new RangeError(`${what}: ${n} bytes is beyond exact integer range`);
  return n;
}

/** Byte formatting at the page's edge (bytes stay integers everywhere else). GiB = 2^30 bytes. */
export const GIB = 2 ** 30;

export function gib(bytes: number, digits = 2): string {
  return `${(bytes / GIB).toFixed(digits)} GiB`;
}

/** Short form for tight places: GiB above 1 GiB, MiB below. */
export function short(bytes: number): string {
  const a = Math.abs(bytes);
  if (a >= GIB) return `${(bytes / GIB).toFixed(a >= 100 * GIB ? 0 : 1)} GiB`;
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

export function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e11 ? 0 : 2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  return String(n);
}

/** Tokens the way people write them: 4096 → "4k", 131072 → "128k". */
export function tokens(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024}k` : String(n);
}

/** GiB with two decimals from 1 GiB up, MiB with one decimal below (component rows). */
export function precise(bytes: number): string {
  return Math.abs(bytes) >= GIB ? gib(bytes) : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** A GPU's size as sold ("24 GB"), from the catalog's marketing line, else its memory in GiB. */
export function soldAs(g: { marketing?: string; memory_bytes: number }): string {
  const m = g.marketing ? /^(\d+(?:\.\d+)?\s*GB)/.exec(g.marketing) : null;
  return m ? m[1] : short(g.memory_bytes);
}

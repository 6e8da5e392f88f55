/**
 * Look a key up in a plain-object table without reaching the prototype: a file that names a dtype,
 * module or architecture "constructor" or "valueOf" must get "unknown", not a function.
 */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/** Typed, validated access to the keys of a config.json: a missing or nonsensical value is a clear error. */
import { VramfitError } from "../core/errors.js";

export class ConfigReader {
  constructor(
    readonly raw: Record<string, unknown>,
    readonly where: string,
  ) {}

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  /** A positive integer under one of `keys` (first present wins), else the fallback, else an error. */
  int(keys: string | string[], fallback?: number): number {
    for (const k of Array.isArray(keys) ? keys : [keys]) {
      const v = this.raw[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 2 ** 40) {
        throw new VramfitError("invalid_file", `${this.where}: "${k}" must be a non-negative integer, got ${JSON.stringify(v)}`);
      }
      return v;
    }
    if (fallback !== undefined) return fallback;
    const name = Array.isArray(keys) ? keys.join(" / ") : keys;
    throw new VramfitError("invalid_file", `${this.where}: missing "${name}"`);
  }

  num(key: string, fallback: number): number {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new VramfitError("invalid_file", `${this.where}: "${key}" must be a number`);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "boolean") throw new VramfitError("invalid_file", `${this.where}: "${key}" must be true or false`);
    return v;
  }

  str(key: string, fallback: string): string {
    const v = this.raw[key];
    return typeof v === "string" ? v : fallback;
  }

  /** A nested object (text_config, quantization_config), or undefined. */
  obj(key: string): Record<string, unknown> | undefined {
    const v = this.raw[key];
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  }

  array(key: string): unknown[] | undefined {
    const v = this.raw[key];
    return Array.isArray(v) ? v : undefined;
  }
}

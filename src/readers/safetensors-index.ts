/**
 * `model.safetensors.index.json` (written by transformers' `save_pretrained` for sharded checkpoints,
 * huggingface_hub `split_torch_state_dict_into_shards`): `{"metadata": {"total_size": bytes,
 * "total_parameters"?: n}, "weight_map": {tensor: shard file}}`. Gives the shard list to read headers
 * from, and the byte total to check them against.
 */
import { VramfitError } from "../core/errors.js";

/** Real indexes reach tens of MB only for the largest MoEs (Kimi-K2: ~60 MB). */
export const MAX_INDEX_BYTES = 200 * 1024 * 1024;
export const MAX_SHARDS = 100_000;

export interface SafetensorsIndex {
  /** Distinct shard files, in the order they first appear in weight_map. */
  shards: string[];
  /** Tensor name → shard file. */
  weightMap: Map<string, string>;
  /** metadata.total_size: bytes of all tensor data, when present. */
  totalSize?: number;
  /** metadata.total_parameters, when present (newer transformers; packed elements for quantized saves). */
  totalParameters?: number;
  metadata: Record<string, unknown>;
}

export function parseSafetensorsIndex(bytes: Uint8Array | string, name = "model.safetensors.index.json"): SafetensorsIndex {
  const fail = (msg: string): never => {
    throw new VramfitError("invalid_file", `${name}: not a valid safetensors index: ${msg}`);
  };
  if (typeof bytes !== "string" && bytes.length > MAX_INDEX_BYTES) fail(`${bytes.length} bytes exceeds the ${MAX_INDEX_BYTES}-byte limit`);
  let text: string;
  try {
    text = typeof bytes === "string" ? bytes : new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail("not valid UTF-8");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) return fail("not a JSON object");
  const { metadata = {}, weight_map } = json as Record<string, unknown>;
  if (!metadata || typeof metadata !== "object" || Array.isArray(metadata)) fail("metadata is not an object");
  if (!weight_map || typeof weight_map !== "object" || Array.isArray(weight_map)) return fail("weight_map is missing or not an object");

  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  const seen = new Set<string>();
  for (const [tensor, file] of Object.entries(weight_map as Record<string, unknown>)) {
    if (typeof file !== "string") fail(`weight_map["${tensor}"] is not a file name`);
    const f = file as string;
    if (!seen.has(f)) {
      assertSafeShardName(f, fail);
      seen.add(f);
      shards.push(f);
      if (shards.length > MAX_SHARDS) fail(`more than ${MAX_SHARDS} shard files`);
    }
    weightMap.set(tensor, f);
  }
  const md = metadata as Record<string, unknown>;
  return {
    shards,
    weightMap,
    totalSize: optionalCount(md.total_size, "metadata.total_size", fail),
    totalParameters: optionalCount(md.total_parameters, "metadata.total_parameters", fail),
    metadata: md,
  };
}

function optionalCount(v: unknown, what: string, fail: (m: string) => never): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) fail(`${what} is not a non-negative integer: ${JSON.stringify(v)}`);
  return n as number;
}

/**
 * Shard names come from a file and become paths and URLs: they must stay plain relative paths inside
 * the model folder (no "..", no absolute path, no scheme, no control characters).
 */
export function assertSafeShardName(f: string, fail: (m: string) => never = (m) => { throw new VramfitError("invalid_file", m); }) {
  const bad = (why: string) => fail(`unsafe shard file name ${JSON.stringify(f.slice(0, 200))} (${why})`);
  if (!f || f.length > 1024) bad("empty or too long");
  if (/[\u0000-\u001f\u007f\\]/.test(f)) bad("control character or backslash");
  if (f.startsWith("/")) bad("absolute path");
  const segments = f.split("/");
  if (segments[0].includes(":")) bad("scheme or drive letter");
  if (segments.some((s) => s === "" || s === "." || s === "..")) bad("empty or dot segment");
  let decoded = f;
  try {
    decoded = decodeURIComponent(f);
  } catch {
    bad("malformed percent-encoding");
  }
  if (decoded !== f && decoded.split("/").some((s) => s === "." || s === "..")) bad("encoded dot segment");
}

/**
 * Safetensors header reader. Format (huggingface/safetensors README, "Format"): 8 bytes little-endian
 * u64 N, then N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
 * {str: str}}`, then the data buffer. Only the header is read; every length, offset and shape is
 * checked against the file before use, because a file can claim anything.
 */
import { VramfitError } from "../core/errors.js";
import { SAFETENSORS_DTYPES } from "../core/dtypes.js";
import type { ByteSource } from "./byte-source.js";
import { lookup } from "../core/lookup.js";

/** Largest header we accept. Real headers are KBs to a few MB (8k-tensor MoE shards: ~1 MB). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100 * 1024 * 1024;
/** ggml and PyTorch use at most 8 dimensions in practice; a 64-dim tensor is hostile. */
const MAX_RANK = 16;

export interface SafetensorsTensor {
  name: string;
  /** vramfit dtype name: bf16, fp16, fp32, fp8_e4m3, int8, uint8, fp4 ... */
  dtype: string;
  /** The dtype exactly as written in the file (BF16, F8_E4M3 ...). */
  fileDtype: string;
  shape: number[];
  numel: number;
  byteLength: number;
  /** Offset of the tensor's data from the start of the file. */
  dataOffset: number;
}

export interface SafetensorsHeader {
  tensors: SafetensorsTensor[];
  metadata: Record<string, string>;
  /** 8 + N: where the data buffer starts. */
  headerBytes: number;
  /** File size when known. */
  size: number | undefined;
}

export type ReadFn = (offset: number, length: number) => Promise<Uint8Array>;

/**
 * Read and validate a safetensors header through `read`. `size` is the file size when known (a local
 * file always, a remote one from Content-Range); without it, offsets cannot be checked against the end.
 */
export async function readSafetensorsHeader(read: ReadFn, size?: number, name = "safetensors file"): Promise<SafetensorsHeader> {
  const fail = (msg: string): never => {
    throw new VramfitError("invalid_file", `${name}: not a valid safetensors file: ${msg}`);
  };
  if (size !== undefined && size < 8) fail(`the file is ${size} bytes, shorter than the 8-byte header length`);
  const lenBytes = await read(0, 8);
  if (lenBytes.length < 8) fail("the file is truncated before the 8-byte header length");
  const n64 = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 < 2n) fail(`header length ${n64} is too small for a JSON object`);
  if (n64 > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    fail(`header length ${n64} bytes exceeds the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit`);
  }
  const n = Number(n64);
  if (size !== undefined && 8 + n > size) fail(`header length ${n} is larger than the file (${size} bytes)`);
  const headerBytes = await read(8, n);
  if (headerBytes.length < n) fail(`the file is truncated inside the ${n}-byte header`);
  return parseSafetensorsHeaderJson(headerBytes, size, name);
}

/** Convenience: read the header of a ByteSource (local file or HTTP). */
export function readSafetensorsSource(src: ByteSource): Promise<SafetensorsHeader> {
  return readSafetensorsHeader((o, l) => src.read(o, l), src.size, src.name);
}

/** Validate the JSON header bytes (without the 8-byte length prefix). */
export function parseSafetensorsHeaderJson(bytes: Uint8Array, size: number | undefined, name: string): SafetensorsHeader {
  const fail = (msg: string): never => {
    throw new VramfitError("invalid_file", `${name}: not a valid safetensors file: ${msg}`);
  };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail("the header is not valid UTF-8");
  }
  // The spec allows trailing spaces as padding; the header must be a JSON object.
  if (!text.startsWith("{")) fail("the header does not start with '{'");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) return fail("the header is not a JSON object");

  const headerBytes = 8 + bytes.length;
  const dataSize = size === undefined ? undefined : size - headerBytes;
  const metadata: Record<string, string> = {};
  const tensors: SafetensorsTensor[] = [];
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (key === "__metadata__") {
      if (!value || typeof value !== "object" || Array.isArray(value)) fail("__metadata__ is not an object");
      for (const [mk, mv] of Object.entries(value as Record<string, unknown>)) {
        if (typeof mv !== "string") fail(`__metadata__["${mk}"] is not a string`);
        metadata[mk] = mv as string;
      }
      continue;
    }
    tensors.push(validateTensor(key, value, dataSize, headerBytes, fail));
  }
  checkNoOverlap(tensors, headerBytes, fail);
  return { tensors, metadata, headerBytes, size };
}

function validateTensor(
  key: string,
  value: unknown,
  dataSize: number | undefined,
  headerBytes: number,
  fail: (m: string) => never,
): SafetensorsTensor {
  const t = `tensor "${key.length > 200 ? key.slice(0, 200) + "…" : key}"`;
  if (!value || typeof value !== "object" || Array.isArray(value)) fail(`${t} is not an object`);
  const { dtype, shape, data_offsets } = value as Record<string, unknown>;
  const known = typeof dtype === "string" ? lookup(SAFETENSORS_DTYPES, dtype) : undefined;
  if (!known) return fail(`${t} has unknown dtype ${JSON.stringify(dtype)}`);
  const [vdtype, bits] = known;
  if (!Array.isArray(shape)) return fail(`${t} has no shape array`);
  if (shape.length > MAX_RANK) fail(`${t} has ${shape.length} dimensions`);
  let numel = 1;
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) fail(`${t} has an invalid dimension ${JSON.stringify(d)}`);
    numel *= d as number;
    if (!Number.isSafeInteger(numel)) fail(`${t} has a shape whose element count overflows`);
  }
  if (!Array.isArray(data_offsets) || data_offsets.length !== 2) fail(`${t} has no [begin, end] data_offsets`);
  const [begin, end] = data_offsets as unknown[];
  if (typeof begin !== "number" || typeof end !== "number" || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < begin) {
    fail(`${t} has invalid data_offsets ${JSON.stringify(data_offsets)}`);
  }
  const b = begin as number;
  const e = end as number;
  if (dataSize !== undefined && e > dataSize) fail(`${t} data ends at ${e}, past the end of the data (${dataSize} bytes)`);
  const expected = (numel * bits) / 8;
  if (e - b !== expected) fail(`${t} is ${dtype} ${JSON.stringify(shape)} (${expected} bytes) but its data_offsets span ${e - b} bytes`);
  return { name: key, dtype: vdtype, fileDtype: dtype as string, shape: shape as number[], numel, byteLength: e - b, dataOffset: headerBytes + b };
}

function checkNoOverlap(tensors: SafetensorsTensor[], headerBytes: number, fail: (m: string) => never) {
  const spans = tensors.filter((t) => t.byteLength > 0).sort((a, b) => a.dataOffset - b.dataOffset);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1];
    if (spans[i].dataOffset < prev.dataOffset + prev.byteLength) {
      fail(`tensors "${prev.name}" and "${spans[i].name}" overlap at byte ${spans[i].dataOffset - headerBytes} of the data`);
    }
  }
}

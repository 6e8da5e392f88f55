/**
 * ggml's and llama.cpp's enums (type ids in a GGUF tensor table, `general.file_type`) from
 * @huggingface/gguf, the reader's library. Kept apart from the tables (types.ts, file-types.ts) so the web
 * page's first load does not carry the library; types.spec.ts checks the tables against these enums.
 */
import { GGMLFileQuantizationType, GGMLQuantizationType } from "@huggingface/gguf";

/** The ggml name of a type id read from a GGUF tensor table, or undefined for an id ggml does not define. */
export function ggmlTypeName(id: number): string | undefined {
  const name = (GGMLQuantizationType as unknown as Record<number, string | undefined>)[id];
  return typeof name === "string" ? name.toLowerCase() : undefined;
}

/** Every ggml type name the enum defines (lower case). */
export function ggmlTypeNames(): string[] {
  return Object.values(GGMLQuantizationType)
    .filter((v): v is string => typeof v === "string")
    .map((v) => v.toLowerCase());
}

/** The name of a `general.file_type` id, lower case (q4_k_m, mxfp4_moe, ...), or undefined. */
export function ggufFileTypeName(id: number): string | undefined {
  const name = (GGMLFileQuantizationType as unknown as Record<number, string | undefined>)[id];
  return typeof name === "string" ? name.toLowerCase() : undefined;
}

/** Every file type name the enum defines (lower case). */
export function ggufFileTypeNames(): string[] {
  return Object.values(GGMLFileQuantizationType)
    .filter((v): v is string => typeof v === "string")
    .map((v) => v.toLowerCase());
}

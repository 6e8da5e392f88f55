/**
 * An ONNX graph → a ModelDescription for the vision engine: parameters by dtype from the initializers
 * (exact), tensors as groups with their stored dtype. The graph itself travels beside it (ReadModel.onnx)
 * for shape inference.
 */
import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import { VramfitError } from "../core/errors.js";
import type { ModelDescription, ModelSource, TensorGroup } from "../core/model.js";
import type { ReadModel } from "./checkpoint.js";
import { isWeightDataType, MAX_ONNX_BYTES, onnxParameters, readOnnxGraph } from "./onnx.js";
import { ONNX_DATA_TYPES, type OnnxGraph } from "./onnx-types.js";

/** ONNX element type names → vramfit dtype names. */
const ONNX_TO_DTYPE: Record<string, string> = {
  float32: "fp32",
  float16: "fp16",
  bfloat16: "bf16",
  float64: "fp64",
  int8: "int8",
  uint8: "uint8",
  int16: "int16",
  uint16: "uint16",
  int32: "int32",
  uint32: "uint32",
  int64: "int64",
  uint64: "uint64",
  bool: "bool",
  float8e4m3fn: "fp8_e4m3",
  float8e5m2: "fp8_e5m2",
  float8e4m3fnuz: "fp8_e4m3fnuz",
  float8e5m2fnuz: "fp8_e5m2fnuz",
  float4e2m1: "fp4",
};

export function modelFromOnnx(graph: OnnxGraph, source: ModelSource, id: string): ReadModel & { onnx: OnnxGraph } {
  const p = onnxParameters(graph);
  const groups = new Map<string, TensorGroup>();
  for (const init of graph.initializers) {
    // Parameters only: int64/int32/bool initializers are shape constants and indices.
    if (init.numel === 0 || !isWeightDataType(init.dataType)) continue;
    const tname = ONNX_DATA_TYPES[init.dataType]?.name ?? `type${init.dataType}`;
    const dtype = ONNX_TO_DTYPE[tname] ?? tname;
    const kind: TensorGroup["kind"] = init.dims.length === 2 && init.dataType !== 7 ? "linear" : "other";
    const key = `${init.name}|${dtype}`;
    if (!groups.has(key)) groups.set(key, { name: init.name, module: init.name, kind, shape: init.dims.length ? init.dims : [1], count: 1, dtype });
  }
  const warnings: string[] = [];
  if (graph.initializers.some((i) => i.external)) warnings.push("some weights live in external data files; their sizes come from the declared shapes");
  const model: ModelDescription = {
    id,
    family: "generic",
    architecture: "onnx",
    parameters: p.total,
    activeParameters: p.total,
    storedDtype: p.byDtype.float32 && p.byDtype.float32.parameters >= p.total / 2 ? "fp32" : p.byDtype.float16 ? "fp16" : undefined,
    tensors: [...groups.values()],
    source,
    warnings,
  };
  const storedBytesByDtype: Record<string, number> = {};
  for (const [k, v] of Object.entries(p.byDtype)) storedBytesByDtype[ONNX_TO_DTYPE[k] ?? k] = v.bytes;
  return {
    model,
    onnx: graph,
    facts: {
      storedBytesByDtype,
      storedBytesTotal: Object.values(p.byDtype).reduce((a, v) => a + v.bytes, 0),
      tensorCount: graph.initializers.length,
      provenance: { headers: `ONNX graph (opset ${graph.opset}, ${graph.nodes.length} nodes) in ${source.ref}` },
    },
  };
}

export async function readOnnxFile(path: string): Promise<ReadModel & { onnx: OnnxGraph }> {
  const s = await stat(path).catch(() => null);
  if (!s?.isFile()) throw new VramfitError("not_found", `${path}: no such file`);
  if (s.size > MAX_ONNX_BYTES) throw new VramfitError("invalid_file", `${path}: ${s.size} bytes exceeds the 2 GB protobuf limit (large models keep weights in external data files)`);
  const graph = readOnnxGraph(new Uint8Array(await readFile(path)), { name: path });
  return modelFromOnnx(graph, { kind: "onnx", ref: path }, basename(path).replace(/\.onnx$/, ""));
}

/**
 * The ONNX graph as vramfit reads it: structure and shapes only, never weight data. Produced by
 * `readOnnxGraph` (onnx.ts) and consumed by the vision engine's shape inference.
 * Field meanings follow onnx/onnx.proto (ModelProto, GraphProto, NodeProto, ValueInfoProto).
 */

/** ONNX TensorProto.DataType codes (onnx.proto, enum TensorProto.DataType). */
export const ONNX_DATA_TYPES: Record<number, { name: string; bits: number }> = {
  1: { name: "float32", bits: 32 },
  2: { name: "uint8", bits: 8 },
  3: { name: "int8", bits: 8 },
  4: { name: "uint16", bits: 16 },
  5: { name: "int16", bits: 16 },
  6: { name: "int32", bits: 32 },
  7: { name: "int64", bits: 64 },
  8: { name: "string", bits: 0 },
  9: { name: "bool", bits: 8 },
  10: { name: "float16", bits: 16 },
  11: { name: "float64", bits: 64 },
  12: { name: "uint32", bits: 32 },
  13: { name: "uint64", bits: 64 },
  14: { name: "complex64", bits: 64 },
  15: { name: "complex128", bits: 128 },
  16: { name: "bfloat16", bits: 16 },
  17: { name: "float8e4m3fn", bits: 8 },
  18: { name: "float8e4m3fnuz", bits: 8 },
  19: { name: "float8e5m2", bits: 8 },
  20: { name: "float8e5m2fnuz", bits: 8 },
  21: { name: "uint4", bits: 4 },
  22: { name: "int4", bits: 4 },
  23: { name: "float4e2m1", bits: 4 },
};

/** A dimension: a fixed size, a symbolic name (`"batch"`, `"height"`), or "?" when unknown. */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  name: string;
  /** TensorProto.DataType code (0 when the value is not a tensor or the type is absent). */
  elemType: number;
  /** Shape as declared; empty when the rank is unknown or the value is a scalar. */
  dims: OnnxDim[];
  /** False when the graph declares no shape at all (rank unknown). */
  hasShape: boolean;
}

export interface OnnxInitializer {
  name: string;
  /** TensorProto.DataType code. */
  dataType: number;
  dims: number[];
  /** Elements (product of dims; 1 for a scalar). */
  numel: number;
  /** True when the weight bytes live in an external file (TensorProto.data_location = EXTERNAL). */
  external: boolean;
  /** Values of small int32/int64 tensors (Reshape targets, Slice bounds): at most 64 elements. */
  values?: number[];
}

/** Attribute values as decoded from AttributeProto; tensors and graphs are summarized, not copied. */
export type OnnxAttributeValue =
  | number
  | string
  | number[]
  | string[]
  | { tensor: { dataType: number; dims: number[]; values?: number[] } }
  | { graph: string };

export interface OnnxNode {
  opType: string;
  /** Operator domain ("" = ai.onnx). */
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttributeValue>;
}

export interface OnnxGraph {
  irVersion: number;
  /** ai.onnx opset version (0 when the model declares none). */
  opset: number;
  producer: string;
  graphName: string;
  /** Graph inputs that are not initializers: the tensors the user feeds. */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Shapes declared for intermediate values (value_info), when the exporter wrote them. */
  valueInfo: OnnxValueInfo[];
  initializers: OnnxInitializer[];
  /** Nodes in the order the file lists them (ONNX requires topological order). */
  nodes: OnnxNode[];
}

/** Parameters by data type name (float32, float16, ...) and their bytes, from the initializers. */
export interface OnnxParameterCount {
  total: number;
  bytes: number;
  byDtype: Record<string, { parameters: number; bytes: number }>;
}

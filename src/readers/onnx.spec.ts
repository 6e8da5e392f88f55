import { readFileSync } from "node:fs";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { onnxParameters, readOnnxGraph } from "./onnx.js";
import { fixture } from "./fixtures.test.js";
import { HANG_GUARD_MS } from "../test-support/timing.js";

// An independent decoder: protobufjs's full reflection decoder over the onnx.proto subset (field
// numbers copied from onnx/onnx.proto), to cross-check the hand-written walker on real files.
const ONNX_PROTO = `
syntax = "proto2";
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message TensorProto { repeated int64 dims = 1; optional int32 data_type = 2; optional string name = 8; optional bytes raw_data = 9;
  repeated float float_data = 4 [packed = true]; repeated int64 int64_data = 7 [packed = true]; }
message Dimension { optional int64 dim_value = 1; optional string dim_param = 2; }
message TensorShapeProto { repeated Dimension dim = 1; }
message TensorTypeProto { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
message TypeProto { optional TensorTypeProto tensor_type = 1; }
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message AttributeProto { optional string name = 1; optional float f = 2; optional int64 i = 3; optional bytes s = 4;
  repeated int64 ints = 8; optional int32 type = 20; }
message NodeProto { repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4;
  repeated AttributeProto attribute = 5; }
message GraphProto { repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; }
message ModelProto { optional int64 ir_version = 1; optional string producer_name = 2; optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8; }
`;
const ModelProto = protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType("ModelProto");

const FILES = ["mnist-8.onnx", "squeezenet_cifar10.onnx", "har-cnn.onnx"];

describe("readOnnxGraph on real files", () => {
  it("mnist-8: opset 8, CNTK graph, 5994 fp32 parameters", () => {
    const g = readOnnxGraph(readFileSync(fixture("onnx", "mnist-8.onnx")));
    // fixtures/SOURCES.md: ir_version 3, opset 8.
    expect(g.irVersion).toBe(3);
    expect(g.opset).toBe(8);
    expect(g.producer).toBe("CNTK");
    expect(g.inputs.map((i) => [i.name, i.dims])).toEqual([["Input3", [1, 1, 28, 28]]]);
    expect(g.outputs.map((o) => [o.name, o.dims])).toEqual([["Plus214_Output_0", [1, 10]]]);
    const ops = g.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === "Conv")).toHaveLength(2);
    expect(ops.filter((o) => o === "MaxPool")).toHaveLength(2);
    // Hand count of the ONNX-zoo MNIST CNN: conv 5x5 1→8 (200 + 8 bias), conv 5x5 8→16 (3200 + 16 bias),
    // dense 256→10 (2560 + 10 bias) = 5994; plus two int64 reshape targets of 2 elements.
    const p = onnxParameters(g);
    expect(p.byDtype.float32).toEqual({ parameters: 5994, bytes: 5994 * 4 });
    expect(p.total).toBe(5994);
    expect(p.byDtype.int64.parameters).toBe(4);
    const conv = g.nodes.find((n) => n.opType === "Conv")!;
    expect(conv.attributes.kernel_shape).toEqual([5, 5]);
    const reshapeTargets = g.initializers.filter((i) => i.dataType === 7);
    expect(reshapeTargets.every((t) => t.values?.length === 2)).toBe(true);
  });

  it.each(FILES)("%s agrees with protobufjs's reflection decoder", (file) => {
    const bytes = readFileSync(fixture("onnx", file));
    const g = readOnnxGraph(bytes);
    const ref = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: true }) as any;
    expect(g.irVersion).toBe(ref.ir_version);
    expect(g.opset).toBe(ref.opset_import.find((o: any) => o.domain === "" || o.domain === "ai.onnx").version);
    expect(g.nodes.map((n) => [n.opType, n.inputs, n.outputs])).toEqual(ref.graph.node.map((n: any) => [n.op_type, n.input, n.output]));
    expect(g.initializers.map((i) => [i.name, i.dataType, i.dims])).toEqual(
      ref.graph.initializer.map((t: any) => [t.name, t.data_type, t.dims]),
    );
    for (const init of ref.graph.initializer) {
      // Stored weight bytes agree with the element count the walker computed.
      const mine = g.initializers.find((i) => i.name === init.name)!;
      const stored = init.raw_data.length || init.float_data.length * 4 || init.int64_data.length * 8;
      if (init.data_type === 1) expect(stored).toBe(mine.numel * 4);
    }
  });

  // fixtures/SOURCES.md gives these counts rounded ("about 73.5k", "about 13.9k" params, fp32).
  it.each([
    ["squeezenet_cifar10.onnx", 73_500],
    ["har-cnn.onnx", 13_900],
  ])("%s: fp32 parameters match the published rounded count", (file, about) => {
    const p = onnxParameters(readOnnxGraph(readFileSync(fixture("onnx", file))));
    expect(p.total).toBe(p.byDtype.float32.parameters);
    expect(Math.abs(p.total - about) / about).toBeLessThan(0.005);
  });
});

describe("readOnnxGraph rejects malformed input", () => {
  const reject = (bytes: Uint8Array, msg: RegExp) => {
    const t0 = performance.now();
    let err: unknown;
    try {
      readOnnxGraph(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VramfitError);
    expect((err as Error).message).toMatch(msg);
    expect(performance.now() - t0).toBeLessThan(HANG_GUARD_MS);
  };

  it("truncated file", () => {
    const b = readFileSync(fixture("onnx", "mnist-8.onnx"));
    reject(b.subarray(0, b.length - 100), /runs past|malformed|no graph/);
  });
  it("random bytes", () => reject(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /not a valid ONNX/));
  it("empty file", () => reject(new Uint8Array(0), /no graph/));
  it("deep nesting (graph → node → attribute → graph ...)", () => {
    // Build 200 levels of GraphProto{node: NodeProto{attribute: AttributeProto{g: GraphProto{...}}}}.
    let inner: Uint8Array = new Uint8Array(0);
    const wrap = (field: number, payload: Uint8Array) => {
      const w = protobuf.Writer.create();
      w.uint32((field << 3) | 2).bytes(payload);
      return w.finish();
    };
    for (let i = 0; i < 200; i++) inner = wrap(1, wrap(5, wrap(6, inner)));
    reject(wrap(7, inner), /nested more than/);
  });
  it("non-UTF-8 names", () => {
    const w = protobuf.Writer.create();
    const node = protobuf.Writer.create().uint32((4 << 3) | 2).bytes(new Uint8Array([0xc3, 0x28])).finish();
    const graph = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(node).finish();
    w.uint32((7 << 3) | 2).bytes(graph);
    reject(w.finish(), /UTF-8/);
  });
  it("negative and overflowing dims", () => {
    const mk = (dims: number[]) => {
      const t = protobuf.Writer.create();
      for (const d of dims) t.uint32(1 << 3).int64(d);
      const graph = protobuf.Writer.create().uint32((5 << 3) | 2).bytes(t.finish()).finish();
      return protobuf.Writer.create().uint32((7 << 3) | 2).bytes(graph).finish();
    };
    reject(mk([3, -1]), /negative dimension/);
    reject(mk([2 ** 30, 2 ** 30, 2 ** 30]), /overflows/);
  });
  it("groups (wire type 3) are refused instead of recursed into", () => {
    const b = new Uint8Array(100_000).fill((1 << 3) | 3);
    reject(b, /wire type|malformed/);
  });
});

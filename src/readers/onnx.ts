/**
 * ONNX graph reader. Walks the protobuf with protobufjs's low-level Reader over the subset of
 * onnx/onnx.proto that shape inference needs (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto, TypeProto.Tensor, TensorShapeProto). Weight bytes (raw_data, float_data,
 * ...) are skipped by advancing the read position, never copied; only small integer tensors (Reshape
 * targets, Slice bounds) keep their values. Nesting depth, string lengths, counts and every length
 * prefix are checked, so a hostile file fails fast with a VramfitError.
 */
import protobuf from "protobufjs/minimal.js";
import { VramfitError } from "../core/errors.js";
import type {
  OnnxAttributeValue,
  OnnxDim,
  OnnxGraph,
  OnnxInitializer,
  OnnxNode,
  OnnxParameterCount,
  OnnxValueInfo,
} from "./onnx-types.js";
import { ONNX_DATA_TYPES } from "./onnx-types.js";

type Reader = protobuf.Reader;

/** Largest .onnx file read into memory (graphs with external data are small; 2 GB is protobuf's own cap). */
export const MAX_ONNX_BYTES = 2 ** 31 - 1;
/** Messages nested deeper than this are hostile (real models: graph → node → attribute → graph, a few levels). */
const MAX_DEPTH = 64;
const MAX_STRING_BYTES = 1 << 20;
/** Integer tensors up to this many elements keep their values (shape constants). */
const SMALL_TENSOR_VALUES = 64;
/** TensorProto data types that are weights (parameters); int32/int64/bool/string are shapes and indices. */
const WEIGHT_TYPES = new Set([1, 2, 3, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23]);

/** Does this TensorProto data type hold weights (rather than shapes, indices or flags)? */
export function isWeightDataType(dataType: number): boolean {
  return WEIGHT_TYPES.has(dataType);
}

export interface OnnxReadOptions {
  name?: string;
}

export function readOnnxGraph(bytes: Uint8Array, opts: OnnxReadOptions = {}): OnnxGraph {
  const name = opts.name ?? "ONNX file";
  if (bytes.length > MAX_ONNX_BYTES) throw new VramfitError("invalid_file", `${name}: ${bytes.length} bytes exceeds the 2 GB protobuf limit`);
  const r = protobuf.Reader.create(bytes);
  try {
    return new OnnxWalker(r, name).model(bytes.length);
  } catch (e) {
    if (e instanceof VramfitError) throw e;
    throw new VramfitError("invalid_file", `${name}: not a valid ONNX model: malformed protobuf (${(e as Error).message})`);
  }
}

/** Parameters by dtype from a graph's initializers (bytes as stored, sub-byte types packed). */
export function onnxParameters(graph: OnnxGraph): OnnxParameterCount {
  const out: OnnxParameterCount = { total: 0, bytes: 0, byDtype: {} };
  for (const init of graph.initializers) {
    const info = ONNX_DATA_TYPES[init.dataType];
    const dtype = info?.name ?? `type${init.dataType}`;
    const bytes = Math.ceil((init.numel * (info?.bits ?? 0)) / 8);
    const slot = (out.byDtype[dtype] ??= { parameters: 0, bytes: 0 });
    slot.parameters += init.numel;
    slot.bytes += bytes;
    if (WEIGHT_TYPES.has(init.dataType)) {
      out.total += init.numel;
      out.bytes += bytes;
    }
  }
  return out;
}

class OnnxWalker {
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true });
  constructor(
    private readonly r: Reader,
    private readonly name: string,
  ) {}

  private fail(msg: string): never {
    throw new VramfitError("invalid_file", `${this.name}: not a valid ONNX model: ${msg}`);
  }

  /** Iterate the fields of a message ending at `end`; `on` returns false for fields it did not consume. */
  private fields(end: number, depth: number, on: (field: number, wire: number) => boolean) {
    if (depth > MAX_DEPTH) this.fail(`messages nested more than ${MAX_DEPTH} deep`);
    const r = this.r;
    while (r.pos < end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 0) this.fail(`field number 0 at byte ${r.pos}`);
      if (!on(field, wire)) this.skip(wire, end);
    }
    if (r.pos !== end) this.fail(`a field runs past the end of its message at byte ${end}`);
  }

  private skip(wire: number, end: number) {
    const r = this.r;
    switch (wire) {
      case 0:
        r.uint64();
        break;
      case 1:
        this.advance(8, end);
        break;
      case 2:
        this.advance(r.uint32(), end);
        break;
      case 5:
        this.advance(4, end);
        break;
      default:
        // Groups (3/4) are not used by onnx.proto; protobufjs would recurse into them without bound.
        this.fail(`unsupported wire type ${wire}`);
    }
  }

  private advance(n: number, end: number) {
    if (this.r.pos + n > end) this.fail(`a length of ${n} bytes at byte ${this.r.pos} runs past its message`);
    this.r.pos += n;
  }

  /** Start of an embedded message: returns its end after checking it fits in the parent. */
  private sub(end: number): number {
    const len = this.r.uint32();
    const subEnd = this.r.pos + len;
    if (subEnd > end) this.fail(`an embedded message of ${len} bytes at byte ${this.r.pos} runs past its parent`);
    return subEnd;
  }

  private expect(wire: number, want: number, what: string) {
    if (wire !== want) this.fail(`${what} has wire type ${wire}, expected ${want}`);
  }

  private string(end: number): string {
    const len = this.r.uint32();
    if (len > MAX_STRING_BYTES) this.fail(`a string of ${len} bytes exceeds the ${MAX_STRING_BYTES}-byte limit`);
    const start = this.r.pos;
    this.advance(len, end);
    try {
      return this.utf8.decode(this.r.buf.subarray(start, start + len));
    } catch {
      return this.fail(`a name at byte ${start} is not valid UTF-8`);
    }
  }

  private int64(): number {
    const v = this.r.int64() as unknown as { toNumber(): number } | number;
    const n = typeof v === "number" ? v : v.toNumber();
    if (!Number.isSafeInteger(n)) this.fail(`integer ${n} out of range`);
    return n;
  }

  /** Repeated int64, packed (wire 2) or not (wire 0). */
  private int64s(wire: number, end: number, into: number[]) {
    if (wire === 0) {
      into.push(this.int64());
      return;
    }
    this.expect(wire, 2, "repeated int64");
    const subEnd = this.sub(end);
    while (this.r.pos < subEnd) into.push(this.int64());
    if (this.r.pos !== subEnd) this.fail("packed integers run past their field");
  }

  private float(end: number): number {
    this.advance(0, end);
    return this.r.float();
  }

  model(end: number): OnnxGraph {
    const g: OnnxGraph = {
      irVersion: 0,
      opset: 0,
      producer: "",
      graphName: "",
      inputs: [],
      outputs: [],
      valueInfo: [],
      initializers: [],
      nodes: [],
    };
    let sawGraph = false;
    this.fields(end, 0, (field, wire) => {
      switch (field) {
        case 1:
          this.expect(wire, 0, "ir_version");
          g.irVersion = this.int64();
          return true;
        case 2:
          this.expect(wire, 2, "producer_name");
          g.producer = this.string(end);
          return true;
        case 7: {
          this.expect(wire, 2, "graph");
          sawGraph = true;
          this.graph(this.sub(end), 1, g, 0);
          return true;
        }
        case 8: {
          this.expect(wire, 2, "opset_import");
          const subEnd = this.sub(end);
          let domain = "";
          let version = 0;
          this.fields(subEnd, 1, (f, w) => {
            if (f === 1 && w === 2) return (domain = this.string(subEnd)), true;
            if (f === 2 && w === 0) return (version = this.int64()), true;
            return false;
          });
          if (domain === "" || domain === "ai.onnx") g.opset = version;
          return true;
        }
        default:
          return false;
      }
    });
    if (!sawGraph) this.fail("no graph (is this an ONNX file?)");
    // Graph inputs that are initializers are weights with defaults, not user inputs (IR < 4 lists them).
    const initNames = new Set(g.initializers.map((i) => i.name));
    g.inputs = g.inputs.filter((i) => !initNames.has(i.name));
    return g;
  }

  /** GraphProto. `into` is filled for the main graph; subgraphs (If/Loop bodies) are walked and summarized. */
  private graph(end: number, depth: number, into: OnnxGraph | null, subgraphDepth: number): string {
    let name = "";
    this.fields(end, depth, (field, wire) => {
      if (wire !== 2) return false;
      switch (field) {
        case 1: {
          const node = this.node(this.sub(end), depth + 1, subgraphDepth);
          into?.nodes.push(node);
          return true;
        }
        case 2:
          name = this.string(end);
          if (into) into.graphName = name;
          return true;
        case 5: {
          const t = this.tensor(this.sub(end), depth + 1);
          into?.initializers.push(t);
          return true;
        }
        case 11:
        case 12:
        case 13: {
          const v = this.valueInfo(this.sub(end), depth + 1);
          if (into) (field === 11 ? into.inputs : field === 12 ? into.outputs : into.valueInfo).push(v);
          return true;
        }
        default:
          return false;
      }
    });
    return name;
  }

  private node(end: number, depth: number, subgraphDepth: number): OnnxNode {
    const n: OnnxNode = { opType: "", domain: "", name: "", inputs: [], outputs: [], attributes: {} };
    this.fields(end, depth, (field, wire) => {
      if (wire !== 2) return false;
      switch (field) {
        case 1:
          n.inputs.push(this.string(end));
          return true;
        case 2:
          n.outputs.push(this.string(end));
          return true;
        case 3:
          n.name = this.string(end);
          return true;
        case 4:
          n.opType = this.string(end);
          return true;
        case 7:
          n.domain = this.string(end);
          return true;
        case 5: {
          const [k, v] = this.attribute(this.sub(end), depth + 1, subgraphDepth);
          if (v !== undefined) n.attributes[k] = v;
          return true;
        }
        default:
          return false;
      }
    });
    return n;
  }

  private attribute(end: number, depth: number, subgraphDepth: number): [string, OnnxAttributeValue | undefined] {
    let name = "";
    let type = 0;
    let f: number | undefined;
    let i: number | undefined;
    let s: string | undefined;
    let t: OnnxAttributeValue | undefined;
    let g: OnnxAttributeValue | undefined;
    const floats: number[] = [];
    const ints: number[] = [];
    const strings: string[] = [];
    const graphs: string[] = [];
    this.fields(end, depth, (field, wire) => {
      switch (field) {
        case 1:
          this.expect(wire, 2, "attribute name");
          name = this.string(end);
          return true;
        case 20:
          this.expect(wire, 0, "attribute type");
          type = this.r.uint32();
          return true;
        case 2:
          this.expect(wire, 5, "attribute f");
          f = this.float(end);
          return true;
        case 3:
          this.expect(wire, 0, "attribute i");
          i = this.int64();
          return true;
        case 4:
          this.expect(wire, 2, "attribute s");
          s = this.bytesAsString(end);
          return true;
        case 5: {
          this.expect(wire, 2, "attribute t");
          const tensor = this.tensor(this.sub(end), depth + 1);
          t = { tensor: { dataType: tensor.dataType, dims: tensor.dims, ...(tensor.values ? { values: tensor.values } : {}) } };
          return true;
        }
        case 6:
        case 11: {
          this.expect(wire, 2, "attribute graph");
          if (subgraphDepth >= 16) this.fail("subgraphs nested more than 16 deep");
          const gname = this.graph(this.sub(end), depth + 1, null, subgraphDepth + 1);
          if (field === 6) g = { graph: gname };
          else graphs.push(gname);
          return true;
        }
        case 7:
          if (wire === 5) floats.push(this.float(end));
          else {
            this.expect(wire, 2, "attribute floats");
            const subEnd = this.sub(end);
            if ((subEnd - this.r.pos) % 4 !== 0) this.fail("packed floats are not a multiple of 4 bytes");
            while (this.r.pos < subEnd) floats.push(this.r.float());
          }
          return true;
        case 8:
          this.int64s(wire, end, ints);
          return true;
        case 9:
          this.expect(wire, 2, "attribute strings");
          strings.push(this.bytesAsString(end));
          return true;
        default:
          return false;
      }
    });
    // AttributeProto.AttributeType: FLOAT=1 INT=2 STRING=3 TENSOR=4 GRAPH=5 FLOATS=6 INTS=7 STRINGS=8 GRAPHS=10.
    // Old exporters omit `type`; then the one field present decides.
    const byType: Record<number, OnnxAttributeValue | undefined> = {
      1: f,
      2: i,
      3: s,
      4: t,
      5: g,
      6: floats,
      7: ints,
      8: strings,
      10: graphs as unknown as string[],
    };
    if (type in byType) return [name, byType[type]];
    const v = f ?? i ?? s ?? t ?? g ?? (floats.length ? floats : ints.length ? ints : strings.length ? strings : undefined);
    return [name, v];
  }

  /** Attribute `s` is bytes; decode as UTF-8 when valid (mode names, auto_pad), else hex-free placeholder. */
  private bytesAsString(end: number): string {
    const len = this.r.uint32();
    if (len > MAX_STRING_BYTES) this.fail(`a string attribute of ${len} bytes exceeds the limit`);
    const start = this.r.pos;
    this.advance(len, end);
    try {
      return this.utf8.decode(this.r.buf.subarray(start, start + len));
    } catch {
      return `<${len} bytes>`;
    }
  }

  private tensor(end: number, depth: number): OnnxInitializer & { values?: number[] } {
    const dims: number[] = [];
    let dataType = 0;
    let name = "";
    let external = false;
    let rawStart = -1;
    let rawLen = 0;
    const int64s: number[] = [];
    const int32s: number[] = [];
    this.fields(end, depth, (field, wire) => {
      switch (field) {
        case 1:
          this.int64s(wire, end, dims);
          return true;
        case 2:
          this.expect(wire, 0, "data_type");
          dataType = this.r.uint32();
          return true;
        case 8:
          this.expect(wire, 2, "tensor name");
          name = this.string(end);
          return true;
        case 14:
          this.expect(wire, 0, "data_location");
          external = this.r.uint32() === 1;
          return true;
        case 9: {
          // raw_data: remember where it is, do not copy it.
          this.expect(wire, 2, "raw_data");
          rawLen = this.r.uint32();
          rawStart = this.r.pos;
          this.advance(rawLen, end);
          return true;
        }
        case 7:
          if (int64s.length < SMALL_TENSOR_VALUES || wire === 2) {
            if (wire === 2 && this.peekLength() > SMALL_TENSOR_VALUES * 10) return false;
            this.int64s(wire, end, int64s);
            return true;
          }
          return false;
        case 5:
          if (int32s.length < SMALL_TENSOR_VALUES || wire === 2) {
            if (wire === 2 && this.peekLength() > SMALL_TENSOR_VALUES * 10) return false;
            this.int64s(wire, end, int32s);
            return true;
          }
          return false;
        default:
          return false;
      }
    });
    let numel = 1;
    for (const d of dims) {
      if (d < 0) this.fail(`tensor "${name}" has a negative dimension ${d}`);
      numel *= d;
      if (!Number.isSafeInteger(numel)) this.fail(`tensor "${name}" has a shape whose element count overflows`);
    }
    const out: OnnxInitializer & { values?: number[] } = { name, dataType, dims, numel, external };
    if ((dataType === 7 || dataType === 6) && numel <= SMALL_TENSOR_VALUES) {
      const fromFields = dataType === 7 ? int64s : int32s;
      if (fromFields.length === numel) out.values = fromFields;
      else if (rawStart >= 0 && rawLen === numel * (dataType === 7 ? 8 : 4)) {
        const view = new DataView(this.r.buf.buffer, this.r.buf.byteOffset + rawStart, rawLen);
        const vals: number[] = [];
        for (let k = 0; k < numel; k++) vals.push(dataType === 7 ? Number(view.getBigInt64(k * 8, true)) : view.getInt32(k * 4, true));
        out.values = vals;
      }
    }
    return out;
  }

  private valueInfo(end: number, depth: number): OnnxValueInfo {
    const v: OnnxValueInfo = { name: "", elemType: 0, dims: [], hasShape: false };
    this.fields(end, depth, (field, wire) => {
      if (wire !== 2) return false;
      if (field === 1) return (v.name = this.string(end)), true;
      if (field !== 2) return false;
      // TypeProto: tensor_type = 1 (other kinds: sequences, maps; not tensors we can size).
      const typeEnd = this.sub(end);
      this.fields(typeEnd, depth + 1, (tf, tw) => {
        if (tf !== 1 || tw !== 2) return false;
        const tensorEnd = this.sub(typeEnd);
        this.fields(tensorEnd, depth + 2, (f, w) => {
          if (f === 1 && w === 0) return (v.elemType = this.r.uint32()), true;
          if (f !== 2 || w !== 2) return false;
          v.hasShape = true;
          const shapeEnd = this.sub(tensorEnd);
          this.fields(shapeEnd, depth + 3, (sf, sw) => {
            if (sf !== 1 || sw !== 2) return false;
            const dimEnd = this.sub(shapeEnd);
            let dim: OnnxDim = "?";
            this.fields(dimEnd, depth + 4, (df, dw) => {
              if (df === 1 && dw === 0) return (dim = this.int64()), true;
              if (df === 2 && dw === 2) return (dim = this.string(dimEnd) || "?"), true;
              return false;
            });
            v.dims.push(dim);
            return true;
          });
          return true;
        });
        return true;
      });
      return true;
    });
    return v;
  }

  /** Length prefix of the next length-delimited value, without consuming it. */
  private peekLength(): number {
    const pos = this.r.pos;
    const len = this.r.uint32();
    this.r.pos = pos;
    return len;
  }
}

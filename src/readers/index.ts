/** vramfit/readers: every model source the CLI accepts, one reader per format. Headers only, never weights. */
export { resolveModel, resolveModelWithFacts, type ResolvedModel, type ResolveOptions } from "./resolve.js";
export { readHubModel, readHubGguf, type HubOptions } from "./hub.js";
export { readLocalFolder, readLocalSafetensors, readLocalIndex, readLocalConfig } from "./local.js";
export { readGguf, modelFromGguf, type GgufFile } from "./gguf.js";
export { readOnnxGraph, onnxParameters } from "./onnx.js";
export { readOnnxFile } from "./onnx-model.js";
export type { OnnxGraph } from "./onnx-types.js";
export { readSafetensorsHeader } from "./safetensors.js";
export { parseSafetensorsIndex } from "./safetensors-index.js";
export { inspectModel, formatInspect } from "./inspect.js";
export type { ReadModel, CheckpointFacts } from "./checkpoint.js";
export { modelFromHfConfig } from "../models/hf-config.js";
export { modelFromParameterCount } from "../models/param-count.js";
export { catalogModel, catalogModelEntries, findCatalogModel } from "../catalog/models.js";

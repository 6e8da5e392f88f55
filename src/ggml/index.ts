/** ggml and GGUF facts: tensor types and sizes, file types, llama.cpp's quantizer and converter names, GGUF metadata → shape. Pure. */
export { GGML_BLOCKS, ggmlBytes, ggmlRowBytes } from "./types.js";
export { GGUF_FILE_TYPES, isGgufQuant } from "./file-types.js";
export { ggmlTypeName, ggufFileTypeName } from "./enums.js";
export { ggufTensorTypes, ggufTensorBytes, ggufDataBytes, type GgufTensor, type GgufTypedTensor, type GgufQuantModelInfo } from "./quantizer.js";
export { ggufTensorsFromGroups } from "./tensor-names.js";
export { transformerShapeFromGguf, type GgufMetadata } from "./shape.js";
export { llamaCppSlidingLayers, LLAMA_CPP_SWA_PATTERN } from "./sliding-window.js";

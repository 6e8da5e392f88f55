/**
 * The default training profile: one step of PyTorch training with transformers' modules and PEFT adapters
 * (engine.ts). It is built like every framework profile (src/frameworks/kit.ts); this module keeps its old name.
 */
export { transformersTraining } from "../frameworks/transformers/profile.js";

/** Registers the training engine with the core's estimate(). Imported once from src/engines.ts. */
import { registerTrainingEngine } from "../estimate.js";
import { trainingEstimate } from "./engine.js";

registerTrainingEngine(trainingEstimate);

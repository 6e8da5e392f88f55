/**
 * A name the user typed → a model description, without I/O: a family's built-in architecture
 * (resnet50, yolov8s), a catalog id or Hugging Face id in the catalog, or a parameter count (7b, 350m).
 * Files and Hub ids are read by src/readers/resolve.ts.
 */
import { catalogModel, findCatalogModel } from "../catalog/models.js";
import type { ModelDescription } from "../core/model.js";
import type { ModelFamily } from "../core/profile.js";
import { modelFromParameterCount, parseParameterCount } from "./param-count.js";

export function resolveModelName(spec: string, families: readonly Pick<ModelFamily<any>, "resolveName">[] = []): ModelDescription {
  for (const f of families) {
    const m = f.resolveName?.(spec);
    if (m) return m;
  }
  if (findCatalogModel(spec)) return catalogModel(spec);
  if (parseParameterCount(spec) != null) return modelFromParameterCount(spec);
  return catalogModel(spec); // throws "unknown model" with suggestions
}

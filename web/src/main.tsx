/**
 * Entry: read the URL (never failing: bad links fall back to defaults with notes), then render. A link
 * that trains, or names a vision or diffusion model (or a setting the first load lacks), first loads the
 * training stacks and families; one naming
 * another catalog model than the default starts loading the catalog's configs.
 */
import { render } from "preact";
import { App } from "./app.js";
import { ensureCatalogConfigs, ensureFull, isKnownGpu, isKnownModel, needsFamilies } from "./engine.js";
import { catalogConfigLoaded } from "../../src/catalog/models.js";
import "./styles.css";
import { decodeState, defaultState, linkNeedsMore } from "./url-state.js";

const root = document.getElementById("app")!;

function start() {
  try {
    const { state, notes } = decodeState(location.search, { isModel: isKnownModel, isGpu: isKnownGpu });
    render(<App initial={state} notes={notes} />, root);
  } catch (e) {
    // Last resort: the defaults, with the reason shown, rather than a blank page.
    render(<App initial={defaultState()} notes={[`This link could not be used (${e instanceof Error ? e.message : String(e)}); showing the defaults.`]} />, root);
  }
}

// Another catalog model than the default one: its config.json starts loading now (the page shows "reading…" until then).
if ([...new URLSearchParams(location.search)].some(([k, v]) => /^([23]\.)?model$/.test(k) && !catalogConfigLoaded(v))) void ensureCatalogConfigs().catch(() => {});
const trains = [...new URLSearchParams(location.search)].some(([k, v]) => /^([23]\.)?mode$/.test(k) && v === "train");
if (trains || linkNeedsMore(location.search, needsFamilies)) ensureFull().then(start, start);
else start();

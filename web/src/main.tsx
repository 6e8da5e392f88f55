/**
 * Entry: read the URL (never failing: bad links fall back to defaults with notes), then render. A link
 * naming a vision or diffusion model (or one of their settings) first loads those families.
 */
import { render } from "preact";
import { App } from "./app.js";
import { ensureFamilies, isKnownGpu, isKnownModel, needsFamilies } from "./engine.js";
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

if (linkNeedsMore(location.search, needsFamilies)) ensureFamilies().then(start, start);
else start();

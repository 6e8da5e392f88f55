/** Entry: read the URL (never failing: bad links fall back to defaults with notes), then render. */
import { render } from "preact";
import { App } from "./app.js";
import { isKnownGpu, isKnownModel } from "./engine.js";
import "./styles.css";
import { decodeState, defaultState } from "./url-state.js";

const root = document.getElementById("app")!;
try {
  const { state, notes } = decodeState(location.search, { isModel: isKnownModel, isGpu: isKnownGpu });
  render(<App initial={state} notes={notes} />, root);
} catch (e) {
  // Last resort: the defaults, with the reason shown, rather than a blank page.
  render(<App initial={defaultState()} notes={[`This link could not be used (${e instanceof Error ? e.message : String(e)}); showing the defaults.`]} />, root);
}

/**
 * Model picker: a combobox (WAI-ARIA 1.2 pattern) with search-as-you-type over the catalog and the vision
 * built-ins. Enter on free text takes it as a Hugging Face id in the catalog or a parameter count ("7b").
 * The vision and diffusion built-ins join the list when the search is first used (they load on demand,
 * with the catalog's config.json files).
 */
import { useMemo, useRef, useState } from "preact/hooks";
import { ensureCatalogConfigs, ensureFull, searchModels } from "./engine.js";
import { fullLoaded } from "./estimator.js";

export interface ModelPickerProps {
  value: string;
  onPick(spec: string): void;
}

export function ModelPicker({ value, onPick }: ModelPickerProps) {
  const [text, setText] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const query = text ?? "";
  const [withFamilies, setWithFamilies] = useState(fullLoaded());
  const wantFamilies = () => {
    if (withFamilies) return;
    ensureFull().then(() => setWithFamilies(true), () => {});
    void ensureCatalogConfigs().catch(() => {}); // the model about to be picked will need its config
  };
  const hits = useMemo(() => searchModels(query, 12), [query, withFamilies]);
  const shown = text === null ? value.replace(/^(file|hf):/, "") : text;

  const choose = (spec: string) => {
    setText(null);
    setOpen(false);
    onPick(spec);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(hits.length - 1, open ? a + 1 : 0));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(0, a - 1));
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (open && hits[active]) choose(hits[active].id);
      else if (text && text.trim()) choose(text.trim());
    } else if (e.key === "Escape") {
      setOpen(false);
      setText(null);
    }
  };
  return (
    <div class="combo">
      <label for="model-input">Model</label>
      <input
        id="model-input"
        ref={input}
        type="text"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls="model-list"
        aria-activedescendant={open && hits[active] ? `model-opt-${active}` : undefined}
        aria-describedby="model-help"
        autocomplete="off"
        spellcheck={false}
        value={shown}
        placeholder="search: llama 8b, qwen, resnet…"
        onFocus={(e) => {
          (e.currentTarget as HTMLInputElement).select();
          wantFamilies();
        }}
        onInput={(e) => {
          wantFamilies();
          setText((e.currentTarget as HTMLInputElement).value);
          setOpen(true);
          setActive(0);
        }}
        onKeyDown={onKey}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      <small id="model-help" class="help">
        Catalog name, Hugging Face id, or a parameter count such as <code>7b</code>. Enter to use typed text.
      </small>
      {open && hits.length > 0 && (
        <ul id="model-list" role="listbox" aria-label="Models">
          {hits.map((h, i) => (
            <li
              id={`model-opt-${i}`}
              key={h.id}
              role="option"
              aria-selected={i === active}
              class={i === active ? "active" : ""}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(h.id);
              }}
            >
              <strong>{h.id}</strong> <span>{h.label}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The option groups, rendered from fields.ts: one labelled control per CLI option that applies. */
import { GROUPS, visibleFields, formatFieldValue, parseFieldValue, type Field, type FieldContext, type Value } from "./fields.js";

export interface OptionsFormProps {
  ctx: FieldContext;
  onChange(key: string, value: Value | undefined): void;
}

export function OptionsForm({ ctx, onChange }: OptionsFormProps) {
  const fields = visibleFields(ctx);
  return (
    <>
      {GROUPS.map((g) => {
        const fs = fields.filter((f) => f.group === g.id);
        if (fs.length === 0) return null;
        return (
          <fieldset key={g.id} class={`group group-${g.id}`}>
            <legend>{g.label}</legend>
            {fs.map((f) => (
              <FieldControl key={f.key} field={f} ctx={ctx} value={ctx.opts[f.key]} onChange={(v) => onChange(f.key, v)} />
            ))}
          </fieldset>
        );
      })}
    </>
  );
}

function FieldControl({ field: f, ctx, value, onChange }: { field: Field; ctx: FieldContext; value: Value | undefined; onChange(v: Value | undefined): void }) {
  const id = `opt-${f.key}`;
  const help = f.help ? <small class="help" id={`${id}-help`}>{f.help}</small> : null;
  const described = f.help ? `${id}-help` : undefined;
  if (f.kind === "bool") {
    return (
      <div class="field field-bool">
        <input id={id} type="checkbox" checked={value === undefined ? f.def : Boolean(value)} aria-describedby={described} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
        <label for={id}>{f.label}</label>
        {help}
      </div>
    );
  }
  if (f.kind === "select") {
    const current = value === undefined ? (f.def ?? "") : formatFieldValue(f, value);
    return (
      <div class="field">
        <label for={id}>{f.label}</label>
        <select id={id} value={current} aria-describedby={described} onChange={(e) => {
          const raw = (e.currentTarget as HTMLSelectElement).value;
          onChange(raw === "" ? undefined : parseFieldValue(f, raw));
        }}>
          {f.auto !== undefined && <option value="">{f.auto}</option>}
          {(f.choicesFor?.(ctx) ?? f.choices).map((c) => (
            <option key={c} value={c}>{c}</option>
          ))}
        </select>
        {help}
      </div>
    );
  }
  // int and text: commit valid values as typed; an invalid entry is marked and not applied.
  const shown = value === undefined ? (f.kind === "int" && f.def !== undefined ? String(f.def) : "") : String(value);
  return (
    <div class="field">
      <label for={id}>{f.label}</label>
      <input
        id={id}
        type="text"
        inputMode={f.kind === "int" ? "numeric" : "text"}
        value={shown}
        placeholder={f.kind === "text" ? `${f.auto ?? ""}${f.example ? ` (e.g. ${f.example})` : ""}` : f.auto}
        aria-describedby={described}
        onInput={(e) => {
          const el = e.currentTarget as HTMLInputElement;
          const raw = el.value.trim();
          if (raw === "") {
            el.removeAttribute("aria-invalid");
            onChange(undefined);
            return;
          }
          const v = parseFieldValue(f, raw);
          if (v === undefined) el.setAttribute("aria-invalid", "true");
          else {
            el.removeAttribute("aria-invalid");
            onChange(v);
          }
        }}
      />
      {help}
    </div>
  );
}

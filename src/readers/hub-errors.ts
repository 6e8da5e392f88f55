/**
 * Hub HTTP failures → one-line VramfitErrors. Status codes and X-Error-Code values as the Hub sends
 * them (huggingface_hub utils/_http.py, hf_raise_for_status): RepoNotFound, RevisionNotFound,
 * EntryNotFound, GatedRepo; anonymous requests for private or missing repos get 401.
 */
import { VramfitError } from "../core/errors.js";

export function hubHttpError(status: number, headers: Headers, endpoint: string, repo: string, what: string): VramfitError {
  const code = headers.get("x-error-code") ?? "";
  const details = { status, hub_code: code || undefined, repo, endpoint };
  const page = `${endpoint.replace(/\/+$/, "")}/${repo}`;
  if (status === 401) {
    if (code === "GatedRepo") {
      return new VramfitError("hub_http", `Hugging Face Hub: ${repo} is gated (HTTP 401): it needs a token of an account that accepted its license`, { details, suggestion: `accept the license on ${page}, then set HF_TOKEN (https://huggingface.co/settings/tokens)` });
    }
    if (code === "RepoNotFound") {
      return new VramfitError("hub_http", `Hugging Face Hub: no model ${repo} on ${endpoint} (HTTP 401: it does not exist, or it is private)`, { details, suggestion: "check the id (org/name); for a private model set HF_TOKEN" });
    }
    return new VramfitError("hub_http", `Hugging Face Hub: ${repo} needs authentication (HTTP 401): it is private or gated, or it does not exist`, { details, suggestion: `check the id, or set HF_TOKEN to a token with access (https://huggingface.co/settings/tokens)` });
  }
  if (code === "GatedRepo" || status === 403) {
    return new VramfitError("hub_http", `Hugging Face Hub: ${repo} is gated and this token has no access (HTTP ${status})`, { details, suggestion: `accept the license on ${page}, then set HF_TOKEN to a token of that account` });
  }
  if (status === 404) {
    if (code === "RevisionNotFound") return new VramfitError("hub_http", `Hugging Face Hub: ${repo} has no revision "${what}" (HTTP 404)`, { details });
    if (code === "EntryNotFound") return new VramfitError("hub_http", `Hugging Face Hub: ${repo} has no file ${what} (HTTP 404)`, { details });
    return new VramfitError("hub_http", `Hugging Face Hub: no model ${repo} on ${endpoint} (HTTP 404)`, { details, suggestion: "check the id (org/name), or use a catalog id or a local path" });
  }
  if (status === 429) {
    const retry = headers.get("retry-after");
    return new VramfitError("hub_http", `Hugging Face Hub: rate limited by ${endpoint} (HTTP 429)${retry ? `; retry after ${retry} s` : ""}`, { details, suggestion: "wait and retry; authenticated requests (HF_TOKEN) get higher limits; models read once are cached" });
  }
  if (status >= 500) return new VramfitError("hub_http", `Hugging Face Hub: ${endpoint} failed with HTTP ${status} while reading ${what}`, { details, suggestion: "try again later, or set HF_ENDPOINT to a mirror" });
  return new VramfitError("hub_http", `Hugging Face Hub: HTTP ${status} while reading ${what} of ${repo}`, { details });
}

export function hubNetworkError(e: unknown, endpoint: string, timeoutMs: number): VramfitError {
  if (e instanceof VramfitError) return e;
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === "TimeoutError" || err?.name === "AbortError") {
    return new VramfitError("network", `Hugging Face Hub: ${endpoint} did not answer within ${Math.round(timeoutMs / 1000)} s`, { cause: e, suggestion: "check the network, or set HF_ENDPOINT to a mirror" });
  }
  const code = err?.cause?.code ?? err?.message ?? String(e);
  return new VramfitError("network", `Hugging Face Hub: cannot reach ${endpoint} (${code})`, {
    cause: e, suggestion: "check the network or set HF_ENDPOINT to a mirror; models read once before are served from the cache (~/.cache/vramfit)" });
}

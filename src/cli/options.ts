/**
 * The CLI's workload flags, derived from the estimator's option list (every profile's OptionSpecs): one
 * flag per option, grouped in --help as their owners group them. Aliases (--ctx-size for --seq) and
 * inverted flags (--keep-grads) come from the same specs.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import type { Estimator } from "../core/estimator.js";
import { defaultFlag, type MergedOption, type OptionArg, type OptionCli } from "../core/options.js";
import { VramfitError } from "../core/errors.js";
import type { EstimateInput } from "../core/profile.js";

export function intArg(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`${name} must be a positive whole number, got '${v}'`);
    const n = Number(v);
    if (n < 1 || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be at least 1`);
    return n;
  };
}

/** Sizes like 4096, 8k, 128k for sequence lengths. */
export function tokensArg(name: string) {
  return (v: string): number => {
    const m = /^(\d+)(k?)$/i.exec(v.trim());
    if (!m) throw new InvalidArgumentError(`${name} must be a token count like 4096 or 8k, got '${v}'`);
    const n = Number(m[1]) * (m[2] ? 1024 : 1);
    if (n < 1) throw new InvalidArgumentError(`${name} must be at least 1`);
    return n;
  };
}

function onOff(name: string) {
  return (v: string): boolean => {
    const x = v.trim().toLowerCase();
    if (["on", "true", "1", "yes", "auto"].includes(x)) return true;
    if (["off", "false", "0", "no"].includes(x)) return false;
    throw new InvalidArgumentError(`${name} takes on or off, got '${v}'`);
  };
}

function layersArg(name: string) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${name} must be a layer count (or -1 for all), got '${v}'`);
    const n = Number(v);
    if (n < -1) throw new InvalidArgumentError(`${name} must be -1 (all) or a layer count`);
    return n;
  };
}

function numberArg(name: string) {
  return (v: string): number => {
    const n = Number(v.trim());
    if (v.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got '${v}'`);
    return n;
  };
}

const PARSERS: Record<OptionArg, ((name: string) => (v: string) => unknown) | undefined> = {
  int: intArg,
  tokens: tokensArg,
  number: numberArg,
  onoff: onOff,
  layers: layersArg,
  string: undefined,
  flag: undefined,
};

/** Commander attribute name of an option (what `opts()` holds it under). */
const attr = (o: MergedOption) => `opt_${o.key}`;

/** Adds every option the estimator's profiles declare, grouped as they declare them. */
export function addWorkloadOptions(cmd: Command, est: Estimator): Command {
  const groups = new Map<string, MergedOption[]>();
  for (const o of est.options) {
    if (!o.cli) continue;
    const list = groups.get(o.group) ?? [];
    list.push(o);
    groups.set(o.group, list);
  }
  const last = "Device and output";
  const ordered = [...groups].sort(([a], [b]) => Number(a === last) - Number(b === last));
  for (const [group, list] of ordered) {
    cmd.optionsGroup(`${group}:`);
    for (const o of list) {
      const cli = o.cli as OptionCli;
      const flags = cli.flags ?? defaultFlag(o.key, cli.arg);
      const opt = new Option(flags, o.help);
      opt.attributeName = () => attr(o);
      const parse = PARSERS[cli.arg];
      const long = flags.split(/[ ,]+/).find((f) => f.startsWith("--")) ?? flags;
      if (parse) opt.argParser(parse(long) as (v: string, prev: unknown) => unknown);
      cmd.addOption(opt);
    }
  }
  return cmd.optionsGroup("Device and output:").option("--gpu <id>", "GPU from `vramfit gpus`, or a size such as 24gb").option("--json", "print the estimate as one JSON object");
}

/** Commander's values → the library's option keys (aliases folded into the option they spell). */
export function toEstimateOptions(o: Record<string, unknown>, est: Estimator): EstimateInput {
  const r: Record<string, unknown> = {};
  const flagOf = (x: MergedOption) => (x.cli ? (x.cli.flags ?? defaultFlag(x.key, x.cli.arg)).split(/[ ,<]+/).filter((f) => f.startsWith("--")).pop() : undefined) ?? `--${x.key}`;
  for (const opt of est.options) {
    if (!opt.cli) continue;
    let v = o[attr(opt)];
    if (v === undefined) continue;
    if (opt.cli.invert) v = !v;
    if (opt.aliasOf) {
      if (opt.unset?.includes(v)) continue;
      const target = est.options.find((x) => x.key === opt.aliasOf)!;
      const given = o[attr(target)];
      if (given !== undefined && given !== v) throw new VramfitError("invalid_option", `${flagOf(opt)} ${String(v)} and ${flagOf(target)} ${String(given)} are the same setting with different values; give one`, { details: { key: opt.aliasOf } });
      r[opt.aliasOf] = v;
      continue;
    }
    if (r[opt.key] !== undefined && r[opt.key] !== v) throw new VramfitError("invalid_option", `${flagOf(opt)} is given twice with different values`, { details: { key: opt.key } });
    r[opt.key] = v;
  }
  if (o.gpu !== undefined) r.gpu = o.gpu;
  if (typeof r.quant === "string") r.quant = r.quant.toLowerCase();
  return r as EstimateInput;
}

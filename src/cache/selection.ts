/**
 * The selection of List and Watch (namespace and label selector), validated
 * and compiled once per request, before any lock is taken.
 *
 * @module
 */
import type { Gpu } from "../api/mod.ts";
import { type LabelMatcher, MATCH_ALL, parseLabelSelector } from "./label_selector.ts";
import type { ListSelection } from "./store_types.ts";
import { normalizeNamespaceFilter } from "./validation.ts";

/** A compiled selection. */
export interface CompiledSelection {
  /** One namespace, or "" for every namespace. */
  namespace: string;
  /** The compiled label selector. */
  matches: LabelMatcher;
  /** Whether an object is selected. */
  select: (gpu: Readonly<Gpu>) => boolean;
}

/**
 * Validates and compiles a selection.
 *
 * @throws {InvalidArgumentError} naming `opts.namespace` or `opts.label_selector`
 */
export function compileSelection(selection: ListSelection): CompiledSelection {
  const namespace = normalizeNamespaceFilter("opts.namespace", selection.namespace);
  const matches = selection.labelSelector ? parseLabelSelector(selection.labelSelector) : MATCH_ALL;
  return {
    namespace,
    matches,
    select: (gpu) =>
      (namespace === "" || gpu.metadata.namespace === namespace) && matches(gpu.metadata.labels),
  };
}

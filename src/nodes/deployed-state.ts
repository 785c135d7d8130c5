// Whether a node Node-RED closes with `removed` was deleted or only disabled: Node-RED closes a
// disabled node, or every node of a disabled tab, exactly as a deleted one (removed = true). The
// sink keeps its disk backlog and rule-sql its window state for a disabled node (DESIGN.md 6, 7).
import type { NodeAPI } from 'node-red';

export interface FlowDef {
  id: string;
  type: string;
  z?: string;
  d?: boolean;
  disabled?: boolean;
  name?: string;
  bufferMode?: string;
}

/** The deployed flow configuration (during a deploy: the new one, already in place at close). */
function deployedDefs(RED: NodeAPI): Map<string, FlowDef> {
  const defs = new Map<string, FlowDef>();
  RED.nodes.eachNode((n) => {
    defs.set(n.id, n as unknown as FlowDef);
  });
  return defs;
}

/** deployedDefs, or undefined before any flow configuration is loaded (eachNode throws then). */
function tryDeployedDefs(RED: NodeAPI): Map<string, FlowDef> | undefined {
  try {
    return deployedDefs(RED);
  } catch {
    return undefined;
  }
}

export type DeployedState = 'enabled' | 'disabled' | 'deleted';

/**
 * What became of node `id` in the deployed configuration: `disabled` when the node has `d: true`
 * or sits on a tab with `disabled: true` (Node-RED stops both with removed = true, as if deleted),
 * `deleted` when no node has that id any more.
 */
export function deployedState(RED: NodeAPI, id: string, alias?: string): { state: DeployedState; def?: FlowDef } {
  const defs = tryDeployedDefs(RED);
  // No configuration to look at: never take that for a deletion.
  if (!defs) return { state: 'enabled' };
  let def = defs.get(id);
  if (!def && alias && id.endsWith(`-${alias}`)) {
    // A node inside a subflow instance: Node-RED names it "<instance id>-<template node id>"
    // (_alias). It lives as long as its template node and its instance do.
    const instance = defs.get(id.slice(0, -alias.length - 1));
    const template = defs.get(alias);
    if (!instance || !template) return { state: 'deleted' };
    if (instance.d === true || template.d === true) return { state: 'disabled', def: template };
    const tab = instance.z ? defs.get(instance.z) : undefined;
    if (tab && tab.type === 'tab' && tab.disabled === true) return { state: 'disabled', def: template };
    return { state: 'enabled', def: template };
  }
  if (!def) return { state: 'deleted' };
  if (def.d === true) return { state: 'disabled', def };
  const tab = def.z ? defs.get(def.z) : undefined;
  if (tab && tab.type === 'tab' && tab.disabled === true) return { state: 'disabled', def };
  return { state: 'enabled', def };
}

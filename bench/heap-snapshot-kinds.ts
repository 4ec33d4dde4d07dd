import { readFileSync } from 'node:fs';

// A V8 heap snapshot of the workflow thread, split by what the cached workflows keep. Every cached workflow has one
// Activator (the SDK's per-run state inside the V8 context); its fields lead to each kind:
// - module copies: its moduleCache, the modules evaluated for this workflow alone (not preloaded);
// - promise-hook stacks: its promiseStackStore, a stack trace per pending promise;
// - the workflow's own state: what its pending timers, activities and handlers hold (their closures keep the
//   workflow function's variables alive);
// - the rest of the SDK's per-run state: the Activator minus the three above.
// Each kind's size is what it retains: the bytes that would be freed if that kind's roots (over all workflows) were
// gone. Bytes that two kinds hold together, and no other path, belong to neither alone: they are shown apart.

const WORKFLOW_STATE_FIELDS = ['completions', 'signalHandlers', 'updateHandlers', 'queryHandlers', 'blockedConditions', 'inProgressSignals', 'inProgressUpdates', 'bufferedSignals', 'bufferedUpdates'];
const KIND_FIELDS = { moduleCopies: ['moduleCache'], promiseStacks: ['promiseStackStore'], workflowState: WORKFLOW_STATE_FIELDS } as const;

export type Kind = keyof typeof KIND_FIELDS;

export interface HeapByKind {
  /** Activators in the snapshot: the workflows cached in this thread. */
  workflows: number;
  /** All of the thread's heap. */
  total: number;
  /** Retained by all Activators together. */
  activators: number;
  retained: Record<Kind, number>;
  /** Held only by two or more kinds together. */
  sharedByKinds: number;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export function heapByKind(file: string): HeapByKind {
  const heap = new HeapGraph(JSON.parse(readFileSync(file, 'utf8')) as Snapshot);
  const activators = heap.nodesNamed('object', 'Activator');
  const rootsOf = (fields: readonly string[]) => activators.flatMap((activator) => fields.map((field) => heap.property(activator, field)).filter((node) => node !== undefined));
  const retained = Object.fromEntries(Object.entries(KIND_FIELDS).map(([kind, fields]) => [kind, heap.retainedSize(rootsOf(fields))])) as Record<Kind, number>;
  const allKinds = heap.retainedSize(rootsOf(Object.values(KIND_FIELDS).flat()));
  return {
    workflows: activators.length,
    total: heap.totalSize(),
    activators: heap.retainedSize(activators),
    retained,
    sharedByKinds: allKinds - Object.values(retained).reduce((a, b) => a + b, 0),
  };
}

/** The snapshot's nodes and edges in flat arrays, as V8 writes them, with each node's first edge indexed. */
class HeapGraph {
  readonly #nodeFields: number;
  readonly #edgeFields: number;
  readonly #nodes: number[];
  readonly #edges: number[];
  readonly #strings: string[];
  readonly #firstEdge: Uint32Array;
  readonly #nodeTypes: string[];
  readonly #weakEdge: number;
  readonly #propertyEdge: number;
  readonly #offsets: { type: number; name: number; selfSize: number; edgeCount: number; edgeType: number; edgeName: number; toNode: number };

  constructor({ snapshot: { meta }, nodes, edges, strings }: Snapshot) {
    this.#nodeFields = meta.node_fields.length;
    this.#edgeFields = meta.edge_fields.length;
    this.#nodes = nodes;
    this.#edges = edges;
    this.#strings = strings;
    this.#nodeTypes = meta.node_types[0];
    this.#weakEdge = meta.edge_types[0].indexOf('weak');
    this.#propertyEdge = meta.edge_types[0].indexOf('property');
    this.#offsets = {
      type: meta.node_fields.indexOf('type'),
      name: meta.node_fields.indexOf('name'),
      selfSize: meta.node_fields.indexOf('self_size'),
      edgeCount: meta.node_fields.indexOf('edge_count'),
      edgeType: meta.edge_fields.indexOf('type'),
      edgeName: meta.edge_fields.indexOf('name_or_index'),
      toNode: meta.edge_fields.indexOf('to_node'),
    };
    const count = nodes.length / this.#nodeFields;
    this.#firstEdge = new Uint32Array(count + 1);
    for (let node = 0; node < count; node++) this.#firstEdge[node + 1] = this.#firstEdge[node] + nodes[node * this.#nodeFields + this.#offsets.edgeCount];
  }

  get nodeCount(): number {
    return this.#firstEdge.length - 1;
  }

  nodesNamed(type: string, name: string): number[] {
    const found: number[] = [];
    for (let node = 0; node < this.nodeCount; node++) {
      const base = node * this.#nodeFields;
      if (this.#nodeTypes[this.#nodes[base + this.#offsets.type]] === type && this.#strings[this.#nodes[base + this.#offsets.name]] === name) found.push(node);
    }
    return found;
  }

  /** The node a named property of `node` points at. */
  property(node: number, name: string): number | undefined {
    for (let edge = this.#firstEdge[node]; edge < this.#firstEdge[node + 1]; edge++) {
      const base = edge * this.#edgeFields;
      if (this.#edges[base + this.#offsets.edgeType] === this.#propertyEdge && this.#strings[this.#edges[base + this.#offsets.edgeName]] === name) return this.#edges[base + this.#offsets.toNode] / this.#nodeFields;
    }
    return undefined;
  }

  totalSize(): number {
    let size = 0;
    for (let node = 0; node < this.nodeCount; node++) size += this.#nodes[node * this.#nodeFields + this.#offsets.selfSize];
    return size;
  }

  /** The bytes reachable from the root only through `roots`: what the heap would free without them. */
  retainedSize(roots: number[]): number {
    const all = this.#reachable(new Uint8Array(this.nodeCount));
    const blocked = new Uint8Array(this.nodeCount);
    for (const root of roots) blocked[root] = 1;
    const withoutRoots = this.#reachable(blocked);
    let size = 0;
    for (let node = 0; node < this.nodeCount; node++) if (all[node] && !withoutRoots[node]) size += this.#nodes[node * this.#nodeFields + this.#offsets.selfSize];
    return size;
  }

  /** Marks what the snapshot's root (node 0) reaches over strong edges, never entering a node already marked. */
  #reachable(marked: Uint8Array): Uint8Array {
    const reached = new Uint8Array(this.nodeCount);
    const stack = new Uint32Array(this.nodeCount);
    let top = 0;
    stack[top++] = 0;
    reached[0] = 1;
    while (top > 0) {
      const node = stack[--top];
      for (let edge = this.#firstEdge[node]; edge < this.#firstEdge[node + 1]; edge++) {
        const base = edge * this.#edgeFields;
        if (this.#edges[base + this.#offsets.edgeType] === this.#weakEdge) continue;
        const to = this.#edges[base + this.#offsets.toNode] / this.#nodeFields;
        if (reached[to] || marked[to]) continue;
        reached[to] = 1;
        stack[top++] = to;
      }
    }
    return reached;
  }
}

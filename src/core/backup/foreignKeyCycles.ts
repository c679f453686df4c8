/**
 * The foreign-key cycles pg_dump warns about in a data-only dump: groups of
 * tables that reference each other in a ring (users ↔ messages), and tables
 * that reference themselves. Data in such tables cannot be loaded in any
 * table order with the constraints active.
 */
import type { ForeignKeyCycle } from '../sets/manifest';
import { compareText } from '../format';

export interface ForeignKeyEdge {
  /** Qualified name of the referencing table. */
  from: string;
  /** Qualified name of the referenced table. */
  to: string;
}

export function findForeignKeyCycles(edges: readonly ForeignKeyEdge[]): ForeignKeyCycle[] {
  const graph = new Map<string, Set<string>>();
  const selfReferencing = new Set<string>();
  for (const { from, to } of edges) {
    if (!graph.has(from)) graph.set(from, new Set());
    if (!graph.has(to)) graph.set(to, new Set());
    if (from === to) selfReferencing.add(from);
    else graph.get(from)!.add(to);
  }

  const cycles: ForeignKeyCycle[] = [];
  for (const component of stronglyConnectedComponents(graph)) {
    if (component.length > 1) cycles.push({ tables: component.sort() });
  }
  for (const table of selfReferencing) cycles.push({ tables: [table] });
  return cycles.sort((a, b) => compareText(a.tables.join(','), b.tables.join(',')));
}

/** Tarjan's algorithm, iterative so a deep chain of references cannot overflow the stack. */
function stronglyConnectedComponents(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: { node: string; neighbours: Iterator<string> }[] = [];
    const visit = (node: string) => {
      index.set(node, counter);
      lowLink.set(node, counter);
      counter += 1;
      stack.push(node);
      onStack.add(node);
      work.push({ node, neighbours: graph.get(node)!.values() });
    };
    visit(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const next = frame.neighbours.next();
      if (!next.done) {
        const neighbour = next.value;
        if (!index.has(neighbour)) visit(neighbour);
        else if (onStack.has(neighbour)) {
          lowLink.set(frame.node, Math.min(lowLink.get(frame.node)!, index.get(neighbour)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) lowLink.set(parent.node, Math.min(lowLink.get(parent.node)!, lowLink.get(frame.node)!));
      if (lowLink.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}

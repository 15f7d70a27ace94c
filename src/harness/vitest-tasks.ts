/**
 * Vitest marks the tests that `-t`, `.only` or `.skip` leave out before any
 * hook runs; reading those marks lets the BatchManager batch only the tests
 * that will run (seed 001 never submits a job nobody waits for).
 */
interface TaskLike {
  type: string;
  name: string;
  mode: string;
  tasks?: TaskLike[];
}

export function selectedTestNames(suite: unknown): Set<string> | undefined {
  if (suite === null || typeof suite !== 'object' || !('tasks' in suite)) return undefined;
  const out = new Set<string>();
  const walk = (tasks: TaskLike[]) => {
    for (const t of tasks) {
      if (t.type === 'suite' && t.tasks !== undefined) walk(t.tasks);
      else if (t.type === 'test' && (t.mode === 'run' || t.mode === 'only')) out.add(t.name);
    }
  };
  walk((suite as { tasks: TaskLike[] }).tasks);
  return out;
}

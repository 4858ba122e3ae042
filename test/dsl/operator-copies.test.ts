// `rill worker` runs a pipeline module that may import another copy of the DSL
// than the one running it (the CLI bundle vs. the package or the sources): an
// operator from one copy must bind to a task set up by the other.
import { of, lastValueFrom, toArray } from 'rxjs';

type OperatorModule = typeof import('../../dsl/operator');

function loadCopy(): OperatorModule {
  let copy: OperatorModule | undefined;
  jest.isolateModules(() => {
    copy = require('../../dsl/operator') as OperatorModule;
  });
  return copy!;
}

test('an operator of one DSL copy runs in a task set up by another copy', async () => {
  const pipelineCopy = loadCopy();
  const runtimeCopy = loadCopy();
  expect(pipelineCopy).not.toBe(runtimeCopy);
  const seen: string[] = [];
  const op = pipelineCopy.rillOperator<number, number>({ kind: 'probe' } as Parameters<OperatorModule['rillOperator']>[0], (source, task) => {
    seen.push((task as unknown as { name: string }).name);
    return source;
  });
  const task = { name: 'task-0' } as unknown as Parameters<OperatorModule['withTask']>[0];
  const out = runtimeCopy.withTask(task, () => of(1, 2).pipe(op));
  expect(await lastValueFrom(out.pipe(toArray()))).toEqual([1, 2]);
  expect(seen).toEqual(['task-0']);
  expect(runtimeCopy.specOf(op)).toEqual({ kind: 'probe' });
  // Outside any task the operator still refuses, naming itself.
  expect(() => of(1).pipe(op)).toThrow('probe() is a Rill operator');
});

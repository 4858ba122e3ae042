import { Rill } from '../../../core/client';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('client-registry');
afterAll(() => dirs.removeAll());

const ORDER = { type: 'record', name: 'Order', fields: [{ name: 'id', type: 'string' }] };
const ORDER_V2 = { ...ORDER, fields: [...ORDER.fields, { name: 'qty', type: 'int', default: 1 }] };

test('the registry lives in the compacted _schemas topic and survives a restart', async () => {
  const dir = dirs.make();
  let rill = Rill.open({ dir, groupTickIntervalMs: 0 });
  const first = rill.schemaRegistry.register('orders-value', ORDER);
  const second = rill.schemaRegistry.register('orders-value', ORDER_V2);
  if (first._tag === 'Left' || second._tag === 'Left') throw new Error('registration refused');
  expect(rill.broker.listTopics({ includeInternal: true })).toContain('_schemas');
  const described = rill.broker.describeTopic('_schemas');
  if (described._tag === 'Left') throw new Error(described.left.message);
  expect(JSON.stringify(described.right)).toMatch(/compact/);
  await rill.close();

  rill = Rill.open({ dir, groupTickIntervalMs: 0 });
  const again = rill.schemaRegistry.register('orders-value', ORDER);
  if (again._tag === 'Left') throw new Error('registration refused');
  expect(again.right).toEqual(first.right);
  expect(rill.schemaRegistry.versions('orders-value')).toEqual({ _tag: 'Right', right: [1, 2] });
  await rill.close();
});

// The User schema in two compatible versions (V2 adds a field with a default), shared by the schema tests.
import { defineAvroSchema } from '../../../core/schema';

export const UserV1 = defineAvroSchema({
  type: 'record',
  name: 'User',
  namespace: 'rill.test',
  fields: [
    { name: 'user', type: 'string' },
    { name: 'ts', type: 'long' },
  ],
});

export const UserV2 = defineAvroSchema({
  type: 'record',
  name: 'User',
  namespace: 'rill.test',
  fields: [
    { name: 'user', type: 'string' },
    { name: 'ts', type: 'long' },
    { name: 'country', type: 'string', default: 'unknown' },
  ],
});

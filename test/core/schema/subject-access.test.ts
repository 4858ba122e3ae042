// Which Kafka ACL each schema registry request needs (subject-access.ts):
// TopicNameStrategy subjects map to their topic, any other subject and the
// global config to the cluster; lists and ids are decided after the fact.
import { requestAccess, subjectAccess } from '../../../core/schema/subject-access';

const topic = (name: string, operation: string) => ({ kind: 'access', access: { resource: 'Topic', name, operation } });
const cluster = (name: string, operation: string) => ({ kind: 'access', access: { resource: 'Cluster', name, operation } });

test('a <topic>-key or <topic>-value subject is its topic; any other subject is the cluster', () => {
  expect(subjectAccess('orders-value', 'WRITE')).toEqual({ resource: 'Topic', name: 'orders', operation: 'WRITE' });
  expect(subjectAccess('my-orders-key', 'DESCRIBE')).toEqual({ resource: 'Topic', name: 'my-orders', operation: 'DESCRIBE' });
  expect(subjectAccess('com.acme.Order', 'WRITE')).toEqual({ resource: 'Cluster', name: 'com.acme.Order', operation: 'ALTER' });
  expect(subjectAccess('orders-com.acme.Order', 'DELETE')).toEqual({ resource: 'Cluster', name: 'orders-com.acme.Order', operation: 'ALTER' });
  expect(subjectAccess('-value', 'DESCRIBE')).toEqual({ resource: 'Cluster', name: '-value', operation: 'DESCRIBE' });
});

test('each route needs its operation', () => {
  expect(requestAccess('GET', '/subjects/orders-value/versions')).toEqual(topic('orders', 'DESCRIBE'));
  expect(requestAccess('GET', '/subjects/orders-value/versions/latest/schema')).toEqual(topic('orders', 'DESCRIBE'));
  expect(requestAccess('POST', '/subjects/orders-value/versions')).toEqual(topic('orders', 'WRITE'));
  expect(requestAccess('POST', '/subjects/orders-value')).toEqual(topic('orders', 'DESCRIBE'));
  expect(requestAccess('DELETE', '/subjects/orders-value')).toEqual(topic('orders', 'DELETE'));
  expect(requestAccess('DELETE', '/subjects/orders-value/versions/2')).toEqual(topic('orders', 'DELETE'));
  expect(requestAccess('POST', '/compatibility/subjects/orders-value/versions/latest')).toEqual(topic('orders', 'DESCRIBE'));
  expect(requestAccess('GET', '/config/orders-value')).toEqual(topic('orders', 'DESCRIBE_CONFIGS'));
  expect(requestAccess('PUT', '/config/orders-value')).toEqual(topic('orders', 'ALTER_CONFIGS'));
  expect(requestAccess('PUT', '/config')).toEqual(cluster('kafka-cluster', 'ALTER_CONFIGS'));
  expect(requestAccess('GET', '/subjects/com%2Eacme.Order/versions')).toEqual(cluster('com.acme.Order', 'DESCRIBE'));
  expect(requestAccess('GET', '/subjects')).toEqual({ kind: 'subject-list' });
  expect(requestAccess('GET', '/schemas/ids/7/versions')).toEqual({ kind: 'schema-id', id: 7 });
  expect(requestAccess('GET', '/schemas/types')).toEqual({ kind: 'open' });
  // Bad percent-encoding is left to the API's own 400.
  expect(requestAccess('GET', '/subjects/%E0%A4%A/versions')).toEqual({ kind: 'open' });
});

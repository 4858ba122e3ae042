// IncrementalAlterConfigs (44): per-key operations on a topic's overrides
// (SET, DELETE back to the default, APPEND to / SUBTRACT from a list such as
// cleanup.policy); keys not named keep their values. What Kafka's own tools
// (kafka-configs.sh) send.
import { defineApi } from '../api';
import { ApiKey, array, field, message } from '../../wire';
import { alterConfigsResponseFields, alterTopicConfigs, type AlterConfigsResponse } from './alter-configs';

export interface IncrementalAlterConfigsRequest {
  resources: { resourceType: number; resourceName: string; configs: { name: string; configOperation: number; value: string | null }[] }[];
  validateOnly: boolean;
}

export type IncrementalAlterConfigsResponse = AlterConfigsResponse;

const request = message('1+', [
  field(
    'resources',
    array([
      field('resourceType', 'int8', '0+'),
      field('resourceName', 'string', '0+'),
      field(
        'configs',
        array([field('name', 'string', '0+'), field('configOperation', 'int8', '0+'), field('value', 'string', '0+', { nullable: '0+' })]),
        '0+',
      ),
    ]),
    '0+',
  ),
  field('validateOnly', 'bool', '0+'),
]);

const response = message('1+', alterConfigsResponseFields);

/** A request's operations in the form the ports take. */
const operationsOf = (configs: IncrementalAlterConfigsRequest['resources'][number]['configs']) =>
  configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value }));

export const incrementalAlterConfigsApi = defineApi<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  key: ApiKey.IncrementalAlterConfigs,
  name: 'IncrementalAlterConfigs',
  versions: '0-1',
  request,
  response,
  handle(req, ctx) {
    return alterTopicConfigs(ctx, req.resources, req.validateOnly, (r) => ({ ops: operationsOf(r.configs) }));
  },
});

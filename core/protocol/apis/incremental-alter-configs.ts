// IncrementalAlterConfigs (44): per-key operations on a topic's overrides
// (SET, DELETE back to the default, APPEND to / SUBTRACT from a list such as
// cleanup.policy); keys not named keep their values. What Kafka's own tools
// (kafka-configs.sh) send.
import { applyConfigOps, ErrorCode } from '../../broker';
import { defineApi } from '../api';
import { array, field, message } from '../schema';
import { ResourceType } from './configs';

export interface IncrementalAlterConfigsRequest {
  resources: { resourceType: number; resourceName: string; configs: { name: string; configOperation: number; value: string | null }[] }[];
  validateOnly: boolean;
}

export interface IncrementalAlterConfigsResponse {
  throttleTimeMs: number;
  responses: { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }[];
}

const request = message('1+', [
  field(
    'resources',
    array([
      field('resourceType', 'int8', '0+'),
      field('resourceName', 'string', '0+'),
      field('configs', array([field('name', 'string', '0+'), field('configOperation', 'int8', '0+'), field('value', 'string', '0+', { nullable: '0+' })]), '0+'),
    ]),
    '0+',
  ),
  field('validateOnly', 'bool', '0+'),
]);

const response = message('1+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('responses', array([field('errorCode', 'int16', '0+'), field('errorMessage', 'string', '0+', { nullable: '0+', default: null }), field('resourceType', 'int8', '0+'), field('resourceName', 'string', '0+')]), '0+'),
]);

/** The refusal of a resource that is not a topic (the only kind whose configs can change). */
export function notATopic(resourceType: number): { errorCode: number; errorMessage: string } | undefined {
  return resourceType === ResourceType.TOPIC ? undefined : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Only topic configs (resource type 2) can be altered, not type ${resourceType}.` };
}

/** A request's operations in the form applyConfigOps takes. */
export const operationsOf = (configs: IncrementalAlterConfigsRequest['resources'][number]['configs']) => configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value }));

export const incrementalAlterConfigsApi = defineApi<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  key: 44,
  name: 'IncrementalAlterConfigs',
  versions: '0-1',
  request,
  response,
  handle(req, ctx) {
    return {
      throttleTimeMs: 0,
      responses: req.resources.map((r) => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        const wrongType = notATopic(r.resourceType);
        if (wrongType) return { ...base, ...wrongType };
        const current = ctx.broker.describeTopic(r.resourceName);
        if (current._tag === 'Left') return { ...base, errorCode: current.left.code, errorMessage: current.left.message };
        const next = applyConfigOps(current.right.configOverrides, operationsOf(r.configs));
        if (next._tag === 'Left') return { ...base, errorCode: next.left.code, errorMessage: next.left.message };
        const remove = Object.keys(current.right.configOverrides).filter((k) => !(k in next.right));
        const altered = ctx.broker.alterTopicConfig(r.resourceName, { set: next.right, delete: remove }, { validateOnly: req.validateOnly });
        return altered._tag === 'Left' ? { ...base, errorCode: altered.left.code, errorMessage: altered.left.message } : { ...base, errorCode: 0, errorMessage: null };
      }),
    };
  },
});

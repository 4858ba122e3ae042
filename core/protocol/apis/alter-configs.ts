// AlterConfigs (33): replaces a topic's overrides with the given set (keys not
// named go back to their defaults), as Kafka's non-incremental AlterConfigs does.
import { ErrorCode } from '../../broker';
import { defineApi } from '../api';
import { array, field, message } from '../schema';
import { ResourceType } from './configs';

export interface AlterConfigsRequest {
  resources: { resourceType: number; resourceName: string; configs: { name: string; value: string | null }[] }[];
  validateOnly: boolean;
}

export interface AlterConfigsResponse {
  throttleTimeMs: number;
  responses: { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }[];
}

const request = message('2+', [
  field('resources', array([field('resourceType', 'int8', '0+'), field('resourceName', 'string', '0+'), field('configs', array([field('name', 'string', '0+'), field('value', 'string', '0+', { nullable: '0+' })]), '0+')]), '0+'),
  field('validateOnly', 'bool', '0+'),
]);

const response = message('2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('responses', array([field('errorCode', 'int16', '0+'), field('errorMessage', 'string', '0+', { nullable: '0+', default: null }), field('resourceType', 'int8', '0+'), field('resourceName', 'string', '0+')]), '0+'),
]);

export const alterConfigsApi = defineApi<AlterConfigsRequest, AlterConfigsResponse>({
  key: 33,
  name: 'AlterConfigs',
  versions: '0-2',
  request,
  response,
  handle(req, ctx) {
    return {
      throttleTimeMs: 0,
      responses: req.resources.map((r) => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        if (r.resourceType !== ResourceType.TOPIC) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Only topic configs (resource type 2) can be altered, not type ${r.resourceType}.` };
        const current = ctx.broker.describeTopic(r.resourceName);
        if (current._tag === 'Left') return { ...base, errorCode: current.left.code, errorMessage: current.left.message };
        const set: Record<string, string> = {};
        for (const c of r.configs) if (c.value !== null) set[c.name] = c.value;
        const remove = Object.keys(current.right.configOverrides).filter((k) => !(k in set));
        const altered = ctx.broker.alterTopicConfig(r.resourceName, { set, delete: remove }, { validateOnly: req.validateOnly });
        return altered._tag === 'Left' ? { ...base, errorCode: altered.left.code, errorMessage: altered.left.message } : { ...base, errorCode: 0, errorMessage: null };
      }),
    };
  },
});

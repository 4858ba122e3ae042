// AlterConfigs (33): replaces a topic's overrides with the given set (keys not
// named go back to their defaults), as Kafka's non-incremental AlterConfigs does.
import * as E from 'fp-ts/Either';
import { ErrorCode, type BrokerError } from '../../broker';
import { defineApi, type RequestContext } from '../api';
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

/** The response's fields, the same in IncrementalAlterConfigs (which is flexible from another version). */
export const alterConfigsResponseFields = [
  field('throttleTimeMs', 'int32', '0+'),
  field('responses', array([field('errorCode', 'int16', '0+'), field('errorMessage', 'string', '0+', { nullable: '0+', default: null }), field('resourceType', 'int8', '0+'), field('resourceName', 'string', '0+')]), '0+'),
];

const response = message('2+', alterConfigsResponseFields);

/** The refusal of a resource that is not a topic (the only kind whose configs can change). */
export function notATopic(resourceType: number): { errorCode: number; errorMessage: string } | undefined {
  return resourceType === ResourceType.TOPIC ? undefined : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Only topic configs (resource type 2) can be altered, not type ${resourceType}.` };
}

/**
 * AlterConfigs and IncrementalAlterConfigs on the embedded broker: per topic,
 * `next` turns its current overrides into the new ones, which replace them
 * (keys no longer there go back to their defaults).
 */
export function replaceTopicOverrides<R extends { resourceType: number; resourceName: string }>(
  ctx: RequestContext,
  resources: readonly R[],
  validateOnly: boolean,
  next: (r: R, current: Readonly<Record<string, string>>) => E.Either<BrokerError, Record<string, string>>,
): AlterConfigsResponse {
  return {
    throttleTimeMs: 0,
    responses: resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const wrongType = notATopic(r.resourceType);
      if (wrongType) return { ...base, ...wrongType };
      const current = ctx.broker.describeTopic(r.resourceName);
      if (E.isLeft(current)) return { ...base, errorCode: current.left.code, errorMessage: current.left.message };
      const set = next(r, current.right.configOverrides);
      if (E.isLeft(set)) return { ...base, errorCode: set.left.code, errorMessage: set.left.message };
      const remove = Object.keys(current.right.configOverrides).filter((k) => !(k in set.right));
      const altered = ctx.broker.alterTopicConfig(r.resourceName, { set: set.right, delete: remove }, { validateOnly });
      return E.isLeft(altered) ? { ...base, errorCode: altered.left.code, errorMessage: altered.left.message } : { ...base, errorCode: 0, errorMessage: null };
    }),
  };
}

export const alterConfigsApi = defineApi<AlterConfigsRequest, AlterConfigsResponse>({
  key: 33,
  name: 'AlterConfigs',
  versions: '0-2',
  request,
  response,
  handle(req, ctx) {
    return replaceTopicOverrides(ctx, req.resources, req.validateOnly, (r) => {
      const set: Record<string, string> = {};
      for (const c of r.configs) if (c.value !== null) set[c.name] = c.value;
      return E.right(set);
    });
  },
});

// AlterConfigs (33): replaces a topic's overrides with the given set (keys not
// named go back to their defaults), as Kafka's non-incremental AlterConfigs does.
import * as E from 'fp-ts/Either';
import { defineApi, type RequestContext } from '../api';
import { ifAuthorized } from '../auth';
import { ApiKey, ErrorCode } from '../../wire';
import type { TopicConfigChange } from '../ports';
import { adminDeadline, MAX_ADMIN_WAIT_MS } from './admin-deadline';
import { array, field, message } from '../../wire';
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
  field(
    'resources',
    array([
      field('resourceType', 'int8', '0+'),
      field('resourceName', 'string', '0+'),
      field('configs', array([field('name', 'string', '0+'), field('value', 'string', '0+', { nullable: '0+' })]), '0+'),
    ]),
    '0+',
  ),
  field('validateOnly', 'bool', '0+'),
]);

/** The response's fields, the same in IncrementalAlterConfigs (which is flexible from another version). */
export const alterConfigsResponseFields = [
  field('throttleTimeMs', 'int32', '0+'),
  field(
    'responses',
    array([
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
      field('resourceType', 'int8', '0+'),
      field('resourceName', 'string', '0+'),
    ]),
    '0+',
  ),
];

const response = message('2+', alterConfigsResponseFields);

/** The refusal of a resource that is not a topic (the only kind whose configs can change). */
export function notATopic(resourceType: number): { errorCode: number; errorMessage: string } | undefined {
  return resourceType === ResourceType.TOPIC
    ? undefined
    : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Only topic configs (resource type 2) can be altered, not type ${resourceType}.` };
}

/**
 * AlterConfigs and IncrementalAlterConfigs: per topic resource, the change
 * `changeOf` gives is made to its overrides (decided once, by the broker that
 * holds them, so concurrent changes do not undo each other).
 */
export async function alterTopicConfigs<R extends { resourceType: number; resourceName: string }>(
  ctx: RequestContext,
  resources: readonly R[],
  validateOnly: boolean,
  changeOf: (r: R) => TopicConfigChange,
): Promise<AlterConfigsResponse> {
  // The request carries no timeout: the longest an admin request waits.
  const deadline = adminDeadline(MAX_ADMIN_WAIT_MS);
  const responses = await Promise.all(
    resources.map(async (r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const wrongType = notATopic(r.resourceType);
      if (wrongType) return { ...base, ...wrongType };
      const altered = await ifAuthorized(ctx, 'Topic', r.resourceName, 'ALTER_CONFIGS', () =>
        ctx.admin.alterTopicConfig(r.resourceName, changeOf(r), { validateOnly, deadline }),
      );
      return E.isLeft(altered) ? { ...base, errorCode: altered.left.code, errorMessage: altered.left.message } : { ...base, errorCode: 0, errorMessage: null };
    }),
  );
  return { throttleTimeMs: 0, responses };
}

export const alterConfigsApi = defineApi<AlterConfigsRequest, AlterConfigsResponse>({
  key: ApiKey.AlterConfigs,
  name: 'AlterConfigs',
  versions: '0-2',
  request,
  response,
  handle(req, ctx) {
    return alterTopicConfigs(ctx, req.resources, req.validateOnly, (r) => {
      const config: Record<string, string> = {};
      for (const c of r.configs) if (c.value !== null) config[c.name] = c.value;
      return { config };
    });
  },
});

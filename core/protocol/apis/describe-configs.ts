// DescribeConfigs (32): a topic's effective config, marking which keys are
// overrides. Broker resources are answered with an empty list (kafkajs and
// Kafka's tools ask for them anyway).
import { defineApi } from '../api';
import { clusterAuthorized, deniedCode, deniedMessage, ifAuthorized } from '../auth';
import { ApiKey, ErrorCode } from '../../wire';
import { array, field, message } from '../../wire';
import { ConfigSource, kafkaValue, ResourceType } from './configs';

export interface DescribeConfigsRequest {
  resources: { resourceType: number; resourceName: string; configurationKeys: string[] | null }[];
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: { name: string; value: string | null; source: number }[];
  configType: number;
  documentation: string | null;
}

interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: ConfigEntry[];
}

export interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: DescribeConfigsResult[];
}

const request = message('4+', [
  field(
    'resources',
    array([field('resourceType', 'int8', '0+'), field('resourceName', 'string', '0+'), field('configurationKeys', array('string'), '0+', { nullable: '0+' })]),
    '0+',
  ),
  field('includeSynonyms', 'bool', '1+'),
  field('includeDocumentation', 'bool', '3+'),
]);

const response = message('4+', [
  field('throttleTimeMs', 'int32', '0+'),
  field(
    'results',
    array([
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
      field('resourceType', 'int8', '0+'),
      field('resourceName', 'string', '0+'),
      field(
        'configs',
        array([
          field('name', 'string', '0+'),
          field('value', 'string', '0+', { nullable: '0+' }),
          field('readOnly', 'bool', '0+'),
          field('isDefault', 'bool', '0'),
          field('configSource', 'int8', '1+', { default: -1 }),
          field('isSensitive', 'bool', '0+'),
          field('synonyms', array([field('name', 'string', '1+'), field('value', 'string', '1+', { nullable: '1+' }), field('source', 'int8', '1+')]), '1+'),
          field('configType', 'int8', '3+'),
          field('documentation', 'string', '3+', { nullable: '3+', default: null }),
        ]),
        '0+',
      ),
    ]),
    '0+',
  ),
]);

/**
 * A topic's config entries: every setting with its effective value, those in
 * `overrides` marked as the topic's own; `keys` (null or empty: all) selects.
 */
function topicConfigEntries(
  effective: Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, unknown>>,
  keys: readonly string[] | null,
  includeSynonyms: boolean,
): ConfigEntry[] {
  return Object.entries(effective)
    .filter(([name]) => keys === null || keys.length === 0 || keys.includes(name))
    .map(([name, value]): ConfigEntry => {
      const override = name in overrides;
      const source = override ? ConfigSource.TOPIC : ConfigSource.DEFAULT;
      return {
        name,
        value: kafkaValue(value),
        readOnly: false,
        isDefault: !override,
        configSource: source,
        isSensitive: false,
        synonyms: includeSynonyms ? [{ name, value: kafkaValue(value), source }] : [],
        configType: 0,
        documentation: null,
      };
    });
}

export const describeConfigsApi = defineApi<DescribeConfigsRequest, DescribeConfigsResponse>({
  key: ApiKey.DescribeConfigs,
  name: 'DescribeConfigs',
  versions: '0-4',
  request,
  response,
  handle(req, ctx) {
    return {
      throttleTimeMs: 0,
      results: req.resources.map((r): DescribeConfigsResult => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        if (r.resourceType === ResourceType.BROKER)
          return clusterAuthorized(ctx, 'DESCRIBE_CONFIGS')
            ? { ...base, errorCode: 0, errorMessage: null, configs: [] }
            : { ...base, errorCode: deniedCode.Cluster, errorMessage: deniedMessage(ctx, 'Cluster', '', 'DESCRIBE_CONFIGS'), configs: [] };
        if (r.resourceType !== ResourceType.TOPIC)
          return {
            ...base,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: `Resource type ${r.resourceType} is not supported; describe a topic (2).`,
            configs: [],
          };
        const d = ifAuthorized(ctx, 'Topic', r.resourceName, 'DESCRIBE_CONFIGS', () => ctx.admin.topicConfigs(r.resourceName));
        if (d._tag === 'Left') return { ...base, errorCode: d.left.code, errorMessage: d.left.message, configs: [] };
        return {
          ...base,
          errorCode: 0,
          errorMessage: null,
          configs: topicConfigEntries(d.right.effective, d.right.overrides, r.configurationKeys, req.includeSynonyms),
        };
      }),
    };
  },
});

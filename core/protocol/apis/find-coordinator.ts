// FindCoordinator (10): this node coordinates every group (and would every
// transaction). v4+ asks for several keys at once.
import { defineApi } from '../api';
import { array, field, message } from '../schema';

export interface FindCoordinatorRequest {
  key: string;
  keyType: number;
  coordinatorKeys: string[];
}

interface Coordinator {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
  coordinators: Coordinator[];
}

const request = message('3+', [field('key', 'string', '0-3'), field('keyType', 'int8', '1+'), field('coordinatorKeys', array('string'), '4+')]);

const response = message('3+', [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16', '0-3'),
  field('errorMessage', 'string', '1-3', { nullable: '1-3', default: null }),
  field('nodeId', 'int32', '0-3'),
  field('host', 'string', '0-3'),
  field('port', 'int32', '0-3'),
  field(
    'coordinators',
    array([
      field('key', 'string', '4+'),
      field('nodeId', 'int32', '4+'),
      field('host', 'string', '4+'),
      field('port', 'int32', '4+'),
      field('errorCode', 'int16', '4+'),
      field('errorMessage', 'string', '4+', { nullable: '4+', default: null }),
    ]),
    '4+',
  ),
]);

export const findCoordinatorApi = defineApi<FindCoordinatorRequest, FindCoordinatorResponse>({
  key: 10,
  name: 'FindCoordinator',
  versions: '0-4',
  request,
  response,
  handle(req, ctx) {
    const self = { nodeId: ctx.broker.nodeId, host: ctx.advertised.host, port: ctx.advertised.port };
    const keys = ctx.apiVersion >= 4 ? req.coordinatorKeys : [req.key];
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      ...self,
      coordinators: keys.map((key) => ({ key, ...self, errorCode: 0, errorMessage: null })),
    };
  },
});

// FindCoordinator (10): the broker that coordinates a group (a single node
// coordinates them all). v4+ asks for several keys at once.
import * as E from 'fp-ts/Either';
import { defineApi } from '../api';
import { ifAuthorized } from '../auth';
import { ApiKey, ErrorCode } from '../../wire';
import { array, field, message } from '../../wire';

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
  key: ApiKey.FindCoordinator,
  name: 'FindCoordinator',
  versions: '0-4',
  request,
  response,
  async handle(req, ctx) {
    const keys = ctx.apiVersion >= 4 ? req.coordinatorKeys : [req.key];
    const coordinators = await Promise.all(
      keys.map(async (key): Promise<Coordinator> => {
        const c = await ifAuthorized(ctx, req.keyType === 1 ? 'TransactionalId' : 'Group', key, 'DESCRIBE', () =>
          ctx.groups.findCoordinator(key, req.keyType, ctx.advertised),
        );
        return E.isLeft(c)
          ? { key, nodeId: -1, host: '', port: -1, errorCode: c.left.code, errorMessage: c.left.message }
          : { key, ...c.right, errorCode: 0, errorMessage: null };
      }),
    );
    // Before v4 the one key's answer is the response's own.
    const first = coordinators[0] ?? { nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'No coordinator key given.' };
    return {
      throttleTimeMs: 0,
      errorCode: first.errorCode,
      errorMessage: first.errorMessage,
      nodeId: first.nodeId,
      host: first.host,
      port: first.port,
      coordinators,
    };
  },
});

// WriteTxnMarkers (27): a transaction coordinator asks the leader of each
// partition of a transaction to append its COMMIT or ABORT marker. Served to a
// broker or tool that sends it; Rill's own coordinators call the partitions port
// directly (on a cluster, over the inter-broker link). With an authorizer, the
// principal needs ClusterAction on the cluster, as in Kafka: a marker commits or
// aborts anyone's transaction.
import { defineApi } from '../api';
import { clusterAuthorized } from '../auth';
import { ApiKey, array, ErrorCode, field, message } from '../../wire';
import { fencingCode } from './txn-common';

interface Marker {
  producerId: number;
  producerEpoch: number;
  transactionResult: boolean;
  topics: { name: string; partitionIndexes: number[] }[];
  coordinatorEpoch: number;
}

export interface WriteTxnMarkersRequest {
  markers: Marker[];
}

export interface WriteTxnMarkersResponse {
  markers: { producerId: number; topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] }[];
}

const request = message('1+', [
  field(
    'markers',
    array([
      field('producerId', 'int64', '0+'),
      field('producerEpoch', 'int16', '0+'),
      field('transactionResult', 'bool', '0+'),
      field('topics', array([field('name', 'string', '0+'), field('partitionIndexes', array('int32'), '0+')]), '0+'),
      field('coordinatorEpoch', 'int32', '0+'),
    ]),
    '0+',
  ),
]);

const response = message('1+', [
  field(
    'markers',
    array([
      field('producerId', 'int64', '0+'),
      field(
        'topics',
        array([field('name', 'string', '0+'), field('partitions', array([field('partitionIndex', 'int32', '0+'), field('errorCode', 'int16', '0+')]), '0+')]),
        '0+',
      ),
    ]),
    '0+',
  ),
]);

export const writeTxnMarkersApi = defineApi<WriteTxnMarkersRequest, WriteTxnMarkersResponse>({
  key: ApiKey.WriteTxnMarkers,
  name: 'WriteTxnMarkers',
  versions: '0-1',
  request,
  response,
  async handle(req, ctx) {
    if (!clusterAuthorized(ctx, 'CLUSTER_ACTION')) {
      ctx.log(`refused WriteTxnMarkers: ${ctx.principal} may not CLUSTER_ACTION the cluster`);
      return {
        markers: req.markers.map((m) => ({
          producerId: m.producerId,
          topics: m.topics.map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })),
          })),
        })),
      };
    }
    const markers = await Promise.all(
      req.markers.map(async (m) => {
        const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, commit: m.transactionResult };
        const topics = await Promise.all(
          m.topics.map(async (t) => ({
            name: t.name,
            partitions: await Promise.all(
              t.partitionIndexes.map(async (partitionIndex) => {
                const written = await ctx.partitions.writeTxnMarker(t.name, partitionIndex, marker);
                if (written._tag === 'Right') return { partitionIndex, errorCode: 0 };
                ctx.log(`refused WriteTxnMarkers on ${t.name}-${partitionIndex}: ${written.left.message}`);
                return { partitionIndex, errorCode: fencingCode(written.left.code, ctx.apiVersion, 0) };
              }),
            ),
          })),
        );
        return { producerId: m.producerId, topics };
      }),
    );
    return { markers };
  },
});

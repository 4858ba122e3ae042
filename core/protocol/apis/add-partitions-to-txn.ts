// AddPartitionsToTxn (24): partitions join a producer's transaction before it
// writes to them. Versions 0-3 (a client's: one transaction per request); v4+
// is the brokers' verification form (KIP-890), not served.
import * as E from 'fp-ts/Either';
import { defineApi } from '../api';
import { ApiKey, array, ErrorCode, field, message } from '../../wire';
import { answerCode, transactionsOf } from './txn-common';
import { authorizer, deniedCode } from '../auth';

type Topics = { name: string; partitions: number[] }[];

export interface AddPartitionsToTxnRequest {
  v3AndBelowTransactionalId: string;
  v3AndBelowProducerId: number;
  v3AndBelowProducerEpoch: number;
  v3AndBelowTopics: Topics;
}

export interface AddPartitionsToTxnResponse {
  throttleTimeMs: number;
  resultsByTopicV3AndBelow: { name: string; resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[] }[];
}

const request = message('3+', [
  field('v3AndBelowTransactionalId', 'string', '0-3'),
  field('v3AndBelowProducerId', 'int64', '0-3'),
  field('v3AndBelowProducerEpoch', 'int16', '0-3'),
  field('v3AndBelowTopics', array([field('name', 'string', '0+'), field('partitions', array('int32'), '0+')]), '0-3'),
]);

const response = message('3+', [
  field('throttleTimeMs', 'int32', '0+'),
  field(
    'resultsByTopicV3AndBelow',
    array([
      field('name', 'string', '0+'),
      field('resultsByPartition', array([field('partitionIndex', 'int32', '0+'), field('partitionErrorCode', 'int16', '0+')]), '0+'),
    ]),
    '0-3',
  ),
]);

export const addPartitionsToTxnApi = defineApi<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  key: ApiKey.AddPartitionsToTxn,
  name: 'AddPartitionsToTxn',
  versions: '0-3',
  request,
  response,
  async handle(req, ctx) {
    const txn = { transactionalId: req.v3AndBelowTransactionalId, producerId: req.v3AndBelowProducerId, producerEpoch: req.v3AndBelowProducerEpoch };
    const partitions = req.v3AndBelowTopics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
    // WRITE on every topic, as Kafka: if one is refused, none is added (the others are OPERATION_NOT_ATTEMPTED).
    const writable = authorizer(ctx, 'Topic', 'WRITE');
    const refusedTopic = req.v3AndBelowTopics.some((t) => !writable(t.name));
    const port = transactionsOf(ctx, txn.transactionalId);
    const added = E.isLeft(port) || refusedTopic ? port : await port.right.addPartitions(txn, partitions);
    // One decision for the whole request: every partition carries its answer.
    const errorCode = answerCode(ctx, 'AddPartitionsToTxn', added, 2);
    const codeOf = (topic: string): number =>
      errorCode !== 0 || !refusedTopic ? errorCode : writable(topic) ? ErrorCode.OPERATION_NOT_ATTEMPTED : deniedCode.Topic;
    return {
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: codeOf(t.name) })),
      })),
    };
  },
});

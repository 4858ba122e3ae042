// Every API Rill serves, by key. ApiVersions advertises exactly this table.
import { ApiDefinition } from '../api';
import { addOffsetsToTxnApi } from './add-offsets-to-txn';
import { addPartitionsToTxnApi } from './add-partitions-to-txn';
import { alterConfigsApi } from './alter-configs';
import { ApiVersionRange, apiVersionsApi } from './api-versions';
import { createAclsApi } from './create-acls';
import { createPartitionsApi } from './create-partitions';
import { createTopicsApi } from './create-topics';
import { deleteAclsApi } from './delete-acls';
import { deleteGroupsApi } from './delete-groups';
import { deleteRecordsApi } from './delete-records';
import { deleteTopicsApi } from './delete-topics';
import { describeAclsApi } from './describe-acls';
import { describeConfigsApi } from './describe-configs';
import { describeGroupsApi } from './describe-groups';
import { endTxnApi } from './end-txn';
import { fetchApi } from './fetch';
import { findCoordinatorApi } from './find-coordinator';
import { heartbeatApi } from './heartbeat';
import { incrementalAlterConfigsApi } from './incremental-alter-configs';
import { initProducerIdApi } from './init-producer-id';
import { joinGroupApi } from './join-group';
import { leaveGroupApi } from './leave-group';
import { listGroupsApi } from './list-groups';
import { listOffsetsApi } from './list-offsets';
import { metadataApi } from './metadata';
import { offsetCommitApi } from './offset-commit';
import { offsetDeleteApi } from './offset-delete';
import { offsetFetchApi } from './offset-fetch';
import { offsetsForLeaderEpochApi } from './offsets-for-leader-epoch';
import { produceApi } from './produce';
import { syncGroupApi } from './sync-group';
import { txnOffsetCommitApi } from './txn-offset-commit';
import { writeTxnMarkersApi } from './write-txn-markers';
import { saslHandshakeApi } from './sasl-handshake';
import { saslAuthenticateApi } from './sasl-authenticate';
import { describeUserScramCredentialsApi } from './describe-user-scram-credentials';
import { alterUserScramCredentialsApi } from './alter-user-scram-credentials';

export const apiVersions = apiVersionsApi(servedApiVersions);

export const APIS: readonly ApiDefinition[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  apiVersions,
  createTopicsApi,
  deleteTopicsApi,
  deleteRecordsApi,
  initProducerIdApi,
  offsetsForLeaderEpochApi,
  addPartitionsToTxnApi,
  addOffsetsToTxnApi,
  endTxnApi,
  writeTxnMarkersApi,
  txnOffsetCommitApi,
  describeConfigsApi,
  alterConfigsApi,
  incrementalAlterConfigsApi,
  createPartitionsApi,
  deleteGroupsApi,
  offsetDeleteApi,
  describeAclsApi,
  createAclsApi,
  deleteAclsApi,
  saslHandshakeApi,
  saslAuthenticateApi,
  describeUserScramCredentialsApi,
  alterUserScramCredentialsApi,
];

const BY_KEY = new Map<number, ApiDefinition>(APIS.map((a) => [a.key, a]));

export function apiByKey(key: number): ApiDefinition | undefined {
  return BY_KEY.get(key);
}

export function servedApiVersions(): ApiVersionRange[] {
  return APIS.map((a) => ({ apiKey: a.key, minVersion: a.versions.min, maxVersion: a.versions.max }));
}

export type { ApiVersionRange };
export { saslHandshakeApi, saslAuthenticateApi };
export type { SaslAuthenticateResponse } from './sasl-authenticate';
export type { SaslHandshakeResponse } from './sasl-handshake';

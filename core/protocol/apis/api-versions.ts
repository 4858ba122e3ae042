// ApiVersions (18): the first request of every client. Answered at any version:
// an unsupported one gets UNSUPPORTED_VERSION with a v0-shaped body (see server.ts),
// which is how librdkafka's v3 probe falls back.
import { ErrorCode } from '../../broker';
import { defineApi } from '../api';
import { array, field, message } from '../../wire';

export interface ApiVersionsRequest {
  clientSoftwareName: string;
  clientSoftwareVersion: string;
}

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersionRange[];
  throttleTimeMs: number;
}

const request = message('3+', [field('clientSoftwareName', 'string', '3+'), field('clientSoftwareVersion', 'string', '3+')]);

const response = message('3+', [
  field('errorCode', 'int16', '0+'),
  field('apiKeys', array([field('apiKey', 'int16', '0+'), field('minVersion', 'int16', '0+'), field('maxVersion', 'int16', '0+')]), '0+'),
  field('throttleTimeMs', 'int32', '1+'),
]);

/** Built with the table of served APIs (the registry passes it in). */
export function apiVersionsApi(served: () => ApiVersionRange[]) {
  return defineApi<ApiVersionsRequest, ApiVersionsResponse>({
    key: 18,
    name: 'ApiVersions',
    versions: '0-3',
    request,
    response,
    handle: () => ({ errorCode: ErrorCode.NONE, apiKeys: served(), throttleTimeMs: 0 }),
  });
}

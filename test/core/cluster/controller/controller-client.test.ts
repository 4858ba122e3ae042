// A broker's ControllerClient reaches controllers added after the quorum was
// founded: it learns their addresses from the metadata log (learn), so one
// that becomes the active controller is found though --controllers never named it.
import { ErrorCode, RpcServer } from '../../../../core/cluster';
import { ControllerClient } from '../../../../core/cluster/controller/controller-client';

describe('ControllerClient', () => {
  it('moves on to a controller it learnt of when the listed ones send it there', async () => {
    const gone = await RpcServer.listen(
      0,
      '127.0.0.1',
      () => ({ body: null }),
      () => {},
    );
    const deadPort = gone.port;
    await gone.close();
    // Controller 1 (listed) answers NOT_CONTROLLER naming 4, which only the metadata log knows.
    const listed = await RpcServer.listen(
      0,
      '127.0.0.1',
      () => ({ body: { errorCode: ErrorCode.NOT_CONTROLLER, leaderHint: 4 } }),
      () => {},
    );
    const added = await RpcServer.listen(
      0,
      '127.0.0.1',
      () => ({ body: { errorCode: 0, leaderHint: 4, response: 'from 4' } }),
      () => {},
    );
    const client = new ControllerClient([
      { id: 1, host: '127.0.0.1', port: listed.port, raftPort: listed.port + 1 },
      { id: 2, host: '127.0.0.1', port: deadPort, raftPort: deadPort + 1 },
    ]);
    try {
      expect(await client.call('x', {}, 2000)).toMatchObject({ errorCode: ErrorCode.NOT_CONTROLLER, leaderHint: 4 });
      // Not known yet: the hint is ignored and the next listed one (down) is tried.
      expect(await client.call('x', {}, 2000)).toMatchObject({ errorCode: ErrorCode.NOT_CONTROLLER, leaderHint: 0 });
      client.learn([{ controllerId: 4, host: '127.0.0.1', port: added.port }]);
      expect(await client.call('x', {}, 2000)).toMatchObject({ errorCode: ErrorCode.NOT_CONTROLLER, leaderHint: 4 });
      expect(await client.call('x', {}, 2000)).toMatchObject({ errorCode: 0, response: 'from 4' });
    } finally {
      client.close();
      await listed.close();
      await added.close();
    }
  });
});

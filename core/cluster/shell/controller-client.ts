// A broker's way to the active controller: it asks the controller it last
// heard from; NOT_CONTROLLER with a leader hint, or silence, moves it on.
import { ClusterErrorCode } from '../errors';
import type { ControllerAddress } from './addresses';
import type { ControllerAnswer } from './controller-protocol';
import { RpcClient, type LinkFilter, type RpcResult } from './rpc';

export class ControllerClient {
  private readonly clients: Map<number, RpcClient>;
  private guess: number;

  constructor(private readonly controllers: readonly ControllerAddress[], seed = 0, linkFilter?: LinkFilter) {
    this.clients = new Map(controllers.map((c) => [c.id, new RpcClient(c.host, c.port, undefined, linkFilter)]));
    this.guess = controllers[seed % controllers.length].id;
  }

  /** Sends to the controller believed active. A transport failure or NOT_CONTROLLER moves the guess on. */
  async call<R>(method: string, body: unknown, timeoutMs: number): Promise<ControllerAnswer<R>> {
    const target = this.guess;
    const r = await this.clients.get(target)!.call(method, body, timeoutMs);
    if (!r.ok) {
      this.moveOn(target, 0);
      return { errorCode: ClusterErrorCode.NOT_CONTROLLER, message: r.error, leaderHint: 0 };
    }
    const answer = r.body as ControllerAnswer<R>;
    if (answer.errorCode === ClusterErrorCode.NOT_CONTROLLER) this.moveOn(target, answer.leaderHint);
    return answer;
  }

  /** Any controller serves the committed metadata log; ask the one believed active (it is up). */
  fetch(method: string, body: unknown, timeoutMs: number): Promise<RpcResult> {
    const target = this.guess;
    return this.clients
      .get(target)!
      .call(method, body, timeoutMs)
      .then((r) => {
        if (!r.ok) this.moveOn(target, 0);
        return r;
      });
  }

  private moveOn(from: number, hint: number): void {
    if (this.guess !== from) return;
    const ids = this.controllers.map((c) => c.id);
    this.guess = ids.includes(hint) && hint !== from ? hint : ids[(ids.indexOf(from) + 1) % ids.length];
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}

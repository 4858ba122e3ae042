// A broker's way to the active controller: it asks the controller it last
// heard from; NOT_CONTROLLER with a leader hint, or silence, moves it on.
import { ErrorCode } from '../errors';
import type { ControllerAddress } from '../net/addresses';
import type { ControllerAnswer } from './controller-protocol';
import { RpcClient, type LinkFilter, type RpcResult } from '../net/rpc';
import type { LinkSockets } from '../net/rpc';

export class ControllerClient {
  private readonly clients: Map<number, RpcClient>;
  private readonly controllers: ControllerAddress[];
  private guess: number;

  constructor(
    controllers: readonly ControllerAddress[],
    seed = 0,
    private readonly linkFilter?: LinkFilter,
    /** How connections are made: plain TCP, or the node's internal TLS. */
    private readonly sockets?: LinkSockets,
  ) {
    this.controllers = [...controllers];
    this.clients = new Map(controllers.map((c) => [c.id, new RpcClient(c.host, c.port, undefined, linkFilter, sockets)]));
    this.guess = controllers[seed % controllers.length].id;
  }

  /** The controller believed active (the last one that answered as such, or was hinted). */
  get believedActive(): number {
    return this.guess;
  }

  /** Controllers added to the quorum since (from the metadata log): any of them may become the active one. */
  learn(added: Iterable<{ readonly controllerId: number; readonly host: string; readonly port: number }>): void {
    for (const c of added) {
      const known = this.controllers.findIndex((k) => k.id === c.controllerId);
      if (known >= 0 && this.controllers[known].host === c.host && this.controllers[known].port === c.port) continue;
      const address = { id: c.controllerId, host: c.host, port: c.port, raftPort: c.port + 1 };
      if (known >= 0) this.controllers[known] = address;
      else this.controllers.push(address);
      this.clients.get(c.controllerId)?.close();
      this.clients.set(c.controllerId, new RpcClient(c.host, c.port, undefined, this.linkFilter, this.sockets));
    }
  }

  /** Sends to the controller believed active. A transport failure or NOT_CONTROLLER moves the guess on. */
  async call<R>(method: string, body: unknown, timeoutMs: number): Promise<ControllerAnswer<R>> {
    const target = this.guess;
    const r = await this.clients.get(target)!.call(method, body, timeoutMs);
    if (!r.ok) {
      this.moveOn(target, 0);
      return { errorCode: ErrorCode.NOT_CONTROLLER, message: r.error, leaderHint: 0 };
    }
    const answer = r.body as ControllerAnswer<R>;
    if (answer.errorCode === ErrorCode.NOT_CONTROLLER) this.moveOn(target, answer.leaderHint);
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

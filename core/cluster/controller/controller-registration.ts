// Decisions about the controllers' own addresses in the metadata log. Who votes
// is core/raft's business (its configuration entries); the metadata log says
// where an added controller listens, so every controller, restarted ones
// included, and every broker following the log can reach it.
import { accept, type Decision } from './decision';
import type { MetadataImage } from '../metadata/image';

export interface RegisterControllerRequest {
  readonly controllerId: number;
  readonly host: string;
  /** Its controller RPC port; Raft is on port + 1. */
  readonly port: number;
}

/** Records the address of a controller being added; nothing when it is already registered there. */
export function registerController(image: MetadataImage, req: RegisterControllerRequest): Decision<void> {
  const old = image.controllers.get(req.controllerId);
  if (old !== undefined && old.host === req.host && old.port === req.port) return accept([], undefined);
  return accept([{ type: 'RegisterController', controllerId: req.controllerId, host: req.host, port: req.port }], undefined);
}

/** Forgets a removed controller's address (nothing to do for a founding controller, which has none in the log). */
export function unregisterController(image: MetadataImage, controllerId: number): Decision<void> {
  return accept(image.controllers.has(controllerId) ? [{ type: 'UnregisterController', controllerId }] : [], undefined);
}

// Reads the committed metadata image from a controller over its metadata feed
// (the same feed brokers follow): a snapshot, then entries, until the feed is dry.
import * as E from 'fp-ts/Either';
import { decodeMetadataBatch } from '../metadata/codec';
import { MetadataImage } from '../metadata/image';
import type { ControllerAddress } from '../net/addresses';
import { callOnce } from '../net/rpc';
import type { LinkSockets } from '../net/rpc';
import { ControllerMethod, decodeFeed } from './controller-protocol';

/** The committed metadata image, read from controller `c` the way a broker follows it (bounded). */
export async function readMetadataImage(
  c: ControllerAddress,
  timeoutMs: number,
  sockets?: LinkSockets,
): Promise<E.Either<string, { image: MetadataImage; index: number }>> {
  const deadline = Date.now() + timeoutMs;
  let image = new MetadataImage();
  let index = 0;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return E.left(`reading the metadata log from controller ${c.id} did not finish within ${timeoutMs} ms`);
    const r = await callOnce(c.host, c.port, ControllerMethod.fetchMetadata, { fromIndex: index }, left, sockets);
    if (!r.ok) return E.left(`controller ${c.id} at ${c.host}:${c.port} did not serve the metadata log: ${r.error}`);
    const feed = decodeFeed(r.body, r.blob);
    if (typeof feed === 'string') return E.left(`controller ${c.id} sent a bad metadata feed: ${feed}`);
    if (feed.snapshot !== undefined && feed.snapshot.index > index) {
      const decoded = MetadataImage.decode(feed.snapshot.data);
      if (E.isLeft(decoded)) return E.left(`controller ${c.id} sent a bad metadata snapshot: ${decoded.left}`);
      image = decoded.right;
      index = feed.snapshot.index;
    }
    for (const e of feed.entries) {
      if (e.index <= index) continue;
      const records = decodeMetadataBatch(e.data);
      if (E.isRight(records)) image.applyAll(records.right);
      index = e.index;
    }
    if (feed.entries.length === 0 && feed.snapshot === undefined) return E.right({ image, index });
  }
}

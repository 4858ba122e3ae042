// kafkajs is an optional peer dependency: only the kafkajs LogClient needs
// it, so an application on the embedded log or the Rill protocol client
// installs nothing of it. Its modules import kafkajs's types only (erased at
// build) and load the package here, on first use (with Rill's codecs for
// what kafkajs cannot compress itself).
import type * as Kafkajs from 'kafkajs';
import { optionalPackage } from '../optional-package';
import { registerRillCodecs } from './kafkajs-codecs';

let loaded: typeof Kafkajs | undefined;

/** The kafkajs package, or an error saying to install it. */
export function kafkajs(): typeof Kafkajs {
  if (loaded === undefined) {
    loaded = optionalPackage<typeof Kafkajs>('kafkajs', 'the kafkajs LogClient (kafkaLogClient)', () => require('kafkajs'));
    registerRillCodecs(loaded);
  }
  return loaded;
}

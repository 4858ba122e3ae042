// A child process driving @platformatic/kafka (an ESM-only package, so it runs
// outside jest's module system). Usage:
//   (<bootstrap>: one address, or several separated by commas)
//   node platformatic-client.mjs produce <bootstrap> <topic> <json [{key,value,headers}]>
//   node platformatic-client.mjs consume <bootstrap> <topic> <groupId> <count>
//   node platformatic-client.mjs configs <bootstrap> <topic> <json [{name,configOperation,value}]>
//     (IncrementalAlterConfigs of the topic, then DescribeConfigs: prints the topic's overrides)
// Prints one JSON line per result on stdout; exits non-zero on failure.
// RILL_TLS_CA=FILE: connect over TLS trusting that CA (security.protocol=SSL).
// RILL_SASL=MECHANISM:USER:PASSWORD: authenticate with SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512).
import { readFileSync } from 'node:fs';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';

const [mode, bootstrap, topic, ...rest] = process.argv.slice(2);
const bootstrapBrokers = bootstrap.split(',');
const [saslMechanism, saslUser, ...saslPassword] = (process.env.RILL_SASL ?? '').split(':');
const tls = {
  ...(process.env.RILL_TLS_CA ? { tls: { ca: readFileSync(process.env.RILL_TLS_CA, 'utf8') } } : {}),
  ...(process.env.RILL_SASL ? { sasl: { mechanism: saslMechanism, username: saslUser, password: saslPassword.join(':') } } : {}),
};

async function produce(messages) {
  const producer = new Producer({ ...tls, clientId: 'platformatic-producer', bootstrapBrokers, serializers: stringSerializers, autocreateTopics: true });
  const result = await producer.send({ messages: messages.map((m) => ({ topic, key: m.key, value: m.value, headers: m.headers })) });
  console.log(JSON.stringify({ produced: messages.length, offsets: (result.offsets ?? []).map((o) => ({ ...o, offset: String(o.offset) })) }));
  await producer.close();
}

async function consume(groupId, count) {
  const consumer = new Consumer({ ...tls, groupId, clientId: 'platformatic-consumer', bootstrapBrokers, deserializers: stringDeserializers, maxWaitTime: 200 });
  // Commits are explicit and awaited: autocommit sends its last commit as the stream
  // closes, racing consumer.close() ("Client is closed"), so a test could not rely on it.
  const stream = await consumer.consume({ autocommit: false, topics: [topic], mode: 'earliest', sessionTimeout: 10000, heartbeatInterval: 500 });
  // Pulled by hand: breaking out of `for await` would destroy the stream before the commit.
  const messages = stream[Symbol.asyncIterator]();
  for (let seen = 0; seen < count; ) {
    const { value: message, done } = await messages.next();
    if (done) throw new Error(`the stream ended after ${seen} of ${count} records`);
    const headers = {};
    for (const [k, v] of message.headers ?? []) headers[String(k)] = String(v);
    console.log(JSON.stringify({ key: message.key, value: message.value, headers, partition: message.partition, offset: String(message.offset) }));
    if (++seen === count) await message.commit();
  }
  await stream.close();
  await consumer.close(true);
}

async function configs(operations) {
  const admin = new Admin({ ...tls, clientId: 'platformatic-admin', bootstrapBrokers });
  await admin.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName: topic, configs: operations }] });
  const [described] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: topic, configurationKeys: null }] });
  const overrides = {};
  // Config source 1: an override on the topic (the rest are defaults).
  for (const c of described.configs) if (c.configSource === 1) overrides[c.name] = c.value;
  console.log(JSON.stringify(overrides));
  await admin.close();
}

const run = mode === 'produce' ? produce(JSON.parse(rest[0])) : mode === 'configs' ? configs(JSON.parse(rest[0])) : consume(rest[0], Number(rest[1]));
run.then(
  () => process.exit(0),
  (e) => {
    console.error(e && e.stack ? e.stack : String(e));
    if (e && e.errors) console.error(JSON.stringify(e.errors, null, 1));
    process.exit(1);
  },
);

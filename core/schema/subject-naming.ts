// Subject name strategies, as in Confluent's serializers: which registry
// subject a topic's key or value schema is registered under.

export interface SubjectNameInput {
  readonly topic: string;
  readonly isKey: boolean;
  /** Full name of the record schema (namespace.name); undefined for unnamed schemas. */
  readonly recordName: string | undefined;
}

/** Returns the subject, or undefined when the strategy does not apply to this schema. */
export type SubjectNameStrategy = (input: SubjectNameInput) => string | undefined;

/** The default: `<topic>-key` / `<topic>-value`. One schema lineage per topic. */
export const topicNameStrategy: SubjectNameStrategy = ({ topic, isKey }) => `${topic}-${isKey ? 'key' : 'value'}`;

/** `<record full name>`: one lineage per record type, shared by every topic that carries it. */
export const recordNameStrategy: SubjectNameStrategy = ({ recordName }) => recordName;

/** `<topic>-<record full name>`: several record types per topic, each with its own lineage. */
export const topicRecordNameStrategy: SubjectNameStrategy = ({ topic, recordName }) => (recordName === undefined ? undefined : `${topic}-${recordName}`);

/// <reference lib="dom" />
// Schemas: the registry's subjects, their versions, the latest schema and the compatibility levels.
import type { SchemasView } from '../model';
import { cards, h, table } from './dom';
import type { Page } from './page';

export function schemasPage(): Page {
  return {
    title: 'Schemas',
    sources: ['/api/schemas'],
    draw([answer]) {
      const s = answer as SchemasView;
      return h(
        'div',
        {},
        cards([
          { label: 'Subjects', value: s.subjects.length, name: 'subjects' },
          { label: 'Global compatibility', value: s.compatibility, name: 'compatibility' },
        ]),
        table(
          [
            { title: 'Subject', cell: (x) => x.subject },
            { title: 'Versions', cell: (x) => x.versions.join(', '), field: 'versions' },
            { title: 'Latest id', cell: (x) => x.latest.id, numeric: true, field: 'id' },
            { title: 'Type', cell: (x) => x.latest.schemaType },
            { title: 'Compatibility', cell: (x) => x.compatibility ?? h('span', { class: 'muted' }, `${s.compatibility} (global)`), field: 'compatibility' },
            { title: 'Latest schema', cell: (x) => h('pre', { class: 'schema' }, pretty(x.latest.schema)) },
          ],
          s.subjects,
          (x) => ({ 'data-subject': x.subject }),
        ),
      );
    },
  };
}

function pretty(schema: string): string {
  try {
    return JSON.stringify(JSON.parse(schema), null, 2);
  } catch {
    return schema;
  }
}

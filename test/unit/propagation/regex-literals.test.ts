/**
 * The parsers' regexes are literals (njs re-runs a module's top level for
 * every request, and `new RegExp(string)` is costly there), but their
 * definition is the composition of the named grammar parts each module
 * exports. Every literal must be exactly `new RegExp(<composition>)`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as b3 from '../../../src/njs/propagation/b3';
import * as jaeger from '../../../src/njs/propagation/jaeger';
import * as tracestate from '../../../src/njs/propagation/tracestate';
import { ALL_ZEROS_RE, END } from '../../../src/njs/propagation/types';
import * as w3c from '../../../src/njs/propagation/w3c';
import * as grammar from '../../../src/njs/propagation/w3c-grammar';

const PROPAGATION_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/njs/propagation');

const TABLE: Array<[name: string, literal: RegExp, composed: RegExp]> = [
  ['types ALL_ZEROS_RE', ALL_ZEROS_RE, new RegExp(`^0+${END}`)],
  [
    'b3 B3_SINGLE_RE',
    b3.B3_SINGLE_RE,
    new RegExp(`^(${b3.TRACE_ID})-(${b3.SPAN_ID})(?:-(${b3.SAMPLING_STATE})(?:-(${b3.SPAN_ID}))?)?${END}`),
  ],
  ['b3 B3_DECISION_RE', b3.B3_DECISION_RE, new RegExp(`^${b3.SAMPLING_STATE}${END}`)],
  ['b3 TRACE_ID_RE', b3.TRACE_ID_RE, new RegExp(`^(?:${b3.TRACE_ID})${END}`)],
  ['b3 SPAN_ID_RE', b3.SPAN_ID_RE, new RegExp(`^${b3.SPAN_ID}${END}`)],
  [
    'jaeger UBER_TRACE_ID_RE',
    jaeger.UBER_TRACE_ID_RE,
    new RegExp(`^(${jaeger.TRACE_ID}):(${jaeger.SPAN_ID}):${jaeger.PARENT_SPAN_ID}:(${jaeger.FLAGS})${END}`),
  ],
  // The W3C literals spell out whole sources of w3c-grammar.ts, themselves compositions of its parts.
  ['tracestate LIST_MEMBER_RE', tracestate.LIST_MEMBER_RE, new RegExp(grammar.LIST_MEMBER)],
  ['w3c TRACEPARENT_RE', w3c.TRACEPARENT_RE, new RegExp(grammar.TRACEPARENT)],
];

/** Whole-header sources of w3c-grammar.ts that no njs literal spells out (nginx maps use them). */
const GRAMMAR_ONLY = ['TRACEPARENT_00', 'LIST', 'NORMAL_LIST'] as const;

describe('propagation regex literals match their named composition', () => {
  it.each(TABLE)('%s', (_name, literal, composed) => {
    expect(literal.source).toBe(composed.source);
    expect(literal.flags).toBe(composed.flags);
  });

  it('covers every exported regex of the propagation modules', () => {
    const exported = [b3, jaeger, tracestate, w3c, { ALL_ZEROS_RE }].flatMap((m) =>
      Object.values(m).filter((v): v is RegExp => v instanceof RegExp),
    );
    expect(new Set(exported)).toEqual(new Set(TABLE.map(([, literal]) => literal)));
  });

  it('builds no regex from a string at run time', () => {
    for (const file of readdirSync(PROPAGATION_DIR).filter((f) => f.endsWith('.ts'))) {
      const code = readFileSync(join(PROPAGATION_DIR, file), 'utf8').replace(/^\s*(\/\/|\*).*$/gm, '');
      expect(code, file).not.toMatch(/\bRegExp\s*\(/);
    }
  });

  it.each(GRAMMAR_ONLY)('w3c-grammar %s compiles as a JavaScript regex anchored on END', (name) => {
    const source = grammar[name];
    expect(() => new RegExp(source)).not.toThrow();
    expect(source.startsWith('^')).toBe(true);
    expect(source.endsWith(END)).toBe(true);
    expect(source).not.toMatch(/\$/);
  });

  it('anchors on END, never on $ (PCRE lets $ match before a final newline)', () => {
    for (const [, literal] of TABLE) {
      expect(literal.source.endsWith(END)).toBe(true);
      expect(literal.source).not.toMatch(/\$/);
    }
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage, encodeMessage, isProtocolError, TOPIC_KINDS, type TopicKind } from '@ccus-gate/protocol';
import { describe, expect, it } from 'vitest';

const goldenDir = join(import.meta.dirname, 'golden');

function examples(kind: TopicKind, validity: 'valid' | 'invalid'): [string, string][] {
  const dir = join(goldenDir, kind, validity);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => [name, readFileSync(join(dir, name), 'utf8')]);
}

interface InvalidExample {
  expect: { code: string; field: string };
  payload?: unknown;
  raw?: string;
}

describe.each(TOPIC_KINDS)('golden %s messages', (kind) => {
  const valid = examples(kind, 'valid');
  const invalid = examples(kind, 'invalid');

  it('has valid and invalid examples', () => {
    expect(valid.length).toBeGreaterThan(0);
    expect(invalid.length).toBeGreaterThan(0);
  });

  it.each(valid)('accepts %s and round-trips it', (_name, text) => {
    const decoded = decodeMessage(kind, text);
    expect(decoded).toEqual(JSON.parse(text));
    expect(decodeMessage(kind, encodeMessage(kind, decoded))).toEqual(decoded);
  });

  it.each(invalid)('refuses %s, naming the field', (_name, text) => {
    const example = JSON.parse(text) as InvalidExample;
    const payload = example.raw ?? JSON.stringify(example.payload);
    let caught: unknown;
    try {
      decodeMessage(kind, payload);
    } catch (error) {
      caught = error;
    }
    expect(isProtocolError(caught), 'should throw a ProtocolError').toBe(true);
    if (!isProtocolError(caught)) return;
    expect(caught.code).toBe(example.expect.code);
    expect(caught.field).toBe(example.expect.field);
    if (example.expect.field !== '') expect(caught.message).toContain(example.expect.field);
    // The encoder refuses what the decoder refuses: nobody can send it.
    if (example.payload !== undefined) expect(() => encodeMessage(kind, example.payload as never)).toThrow();
  });
});

describe('messages from before a field was added', () => {
  it('read a config without a language as Japanese, the display language before there was a choice', () => {
    const text = readFileSync(join(goldenDir, 'config', 'valid', 'toggle.json'), 'utf8');
    const { language: _language, ...older } = JSON.parse(text) as Record<string, unknown>;
    expect(decodeMessage('config', JSON.stringify(older))).toMatchObject({ language: 'ja' });
  });
});

import { describe, expect, it } from 'vitest';
import { CATALOGUE, LOCALES, translate, type MessageKey } from './i18n';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the interface catalogue', () => {
  it('has a non-empty text for every key in Italian and in English', () => {
    const keys = Object.keys(CATALOGUE.it) as MessageKey[];
    for (const locale of LOCALES) {
      expect(Object.keys(CATALOGUE[locale]).sort()).toEqual([...keys].sort());
      for (const key of keys) expect(CATALOGUE[locale][key].trim(), `${locale}:${key}`).not.toBe('');
    }
  });

  it('uses the same placeholders in both languages', () => {
    for (const key of Object.keys(CATALOGUE.it) as MessageKey[]) {
      expect(placeholders(CATALOGUE.en[key]), key).toEqual(placeholders(CATALOGUE.it[key]));
    }
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('it', 'error.generic', { message: 'timeout' })).toBe(
      'Si è verificato un errore: timeout',
    );
    expect(translate('en', 'error.generic')).toBe('Something went wrong: {message}');
  });

  it('names the leave action as the users know it ("Esci dallo streaming")', () => {
    expect(translate('it', 'stage.leave')).toBe('Esci dallo streaming');
  });
});

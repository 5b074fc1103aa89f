import { describe, expect, it } from 'vitest';
import { MAX_PARTICIPANT_NAME, operatorDisplayName } from './admin-api';

describe('operatorDisplayName', () => {
  it('joins name and company as the server names the operator (test/integration/operator-links), trimmed', () => {
    expect(operatorDisplayName(' Mario Rossi ', ' Edilizia Rossi S.r.l. ')).toBe(
      'Mario Rossi – Edilizia Rossi S.r.l.',
    );
    expect(operatorDisplayName('Mario Rossi', '  ')).toBe('Mario Rossi');
  });

  it('lets the console tell a name too long for a participant before asking the server', () => {
    const company = 'Consorzio Stabile Imprese Riunite per le Costruzioni Edili, Stradali e Idrauliche';
    expect(operatorDisplayName('Mario Rossi', company).length).toBeGreaterThan(MAX_PARTICIPANT_NAME);
    expect(operatorDisplayName('Mario Rossi', 'Edilizia Rossi S.r.l.').length).toBeLessThanOrEqual(
      MAX_PARTICIPANT_NAME,
    );
  });
});

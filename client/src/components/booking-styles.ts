import { css } from 'lit';

/** Form fields, definition lists and tables of the booking pages (inside their shadow roots). */
export const bookingStyles = css`
  main {
    display: grid;
    gap: 1.25rem;
    align-content: start;
  }
  h1 {
    margin: 0;
    font-size: 1.35rem;
  }
  h2 {
    margin: 0 0 0.5rem;
    font-size: 1.1rem;
  }
  .field {
    display: grid;
    gap: 0.3rem;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.6rem;
    align-items: center;
  }
  .muted {
    color: var(--sd-color-muted);
  }
  input:not([type='checkbox']):not([type='radio']):not([type='file']),
  select,
  textarea {
    width: 100%;
    min-height: 2.75rem;
    padding: 0.5rem 0.75rem;
    border: 1px solid var(--sd-color-border);
    border-radius: var(--sd-radius-small);
    font: inherit;
    color: inherit;
    background: var(--sd-color-surface);
  }
  textarea {
    resize: vertical;
  }
  input:focus-visible,
  select:focus-visible,
  textarea:focus-visible {
    outline: none;
    border-color: var(--sd-color-primary);
    box-shadow: var(--sd-focus-ring);
  }
  [aria-invalid='true'] {
    border-color: var(--sd-color-danger) !important;
  }
  .field-error {
    margin: 0;
    color: var(--sd-color-danger);
    font-size: 0.9rem;
    font-weight: 600;
  }
  fieldset {
    border: 1px solid var(--sd-color-border);
    border-radius: var(--sd-radius-small);
    padding: 0.5rem 0.9rem 0.75rem;
    margin: 0;
  }
  legend {
    font-weight: 600;
    padding: 0 0.3rem;
  }
  .choice {
    display: flex;
    gap: 0.5rem;
    align-items: center;
    padding: 0.2rem 0;
    font-weight: 400;
  }
  dl {
    display: grid;
    grid-template-columns: minmax(9rem, max-content) 1fr;
    gap: 0.4rem 1rem;
    margin: 0;
  }
  dt {
    font-weight: 600;
    color: var(--sd-color-muted);
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .table-wrap {
    overflow-x: auto;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.95rem;
  }
  caption {
    text-align: left;
    padding-bottom: 0.5rem;
    color: var(--sd-color-muted);
  }
  th,
  td {
    text-align: left;
    vertical-align: top;
    padding: 0.5rem;
    border-bottom: 1px solid var(--sd-color-border);
  }
  th {
    white-space: nowrap;
  }
  .flag {
    display: inline-block;
    padding: 0.1rem 0.5rem;
    border-radius: 999px;
    font-size: 0.8rem;
    font-weight: 700;
    color: var(--sd-color-danger);
    background: var(--sd-color-danger-soft);
    border: 1px solid #efc0bd;
    white-space: nowrap;
  }
  .count {
    display: inline-block;
    min-width: 1.5rem;
    padding: 0.1rem 0.45rem;
    border-radius: 999px;
    font-size: 0.8rem;
    font-weight: 700;
    text-align: center;
    color: #fff;
    background: var(--sd-color-primary);
  }
  @media (max-width: 640px) {
    dl {
      grid-template-columns: 1fr;
    }
  }
`;

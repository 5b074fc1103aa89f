import { css } from 'lit';

/**
 * No animation for people who ask their system for less motion (WCAG 2.3.3): the page's own rule
 * in global.css does not reach into shadow roots, so every component with an animation carries
 * this (through {@link sharedStyles} or on its own).
 */
export const reducedMotionStyles = css`
  @media (prefers-reduced-motion: reduce) {
    *,
    *::before,
    *::after {
      animation: none !important;
      transition: none !important;
    }
  }
`;

/** Buttons, cards, alerts and form fields shared by the components (inside their shadow roots). */
export const sharedStyles = css`
  ${reducedMotionStyles}

  /* The page's box-sizing rule does not reach into shadow roots. */
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }

  :host {
    font-family: var(--sd-font);
    color: var(--sd-color-text);
  }

  /* Keyboard focus is always visible (WCAG 2.4.7); the page's rule does not reach in here. */
  :focus-visible {
    outline: 3px solid var(--sd-color-focus, #0b5cad);
    outline-offset: 2px;
  }

  .btn {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 0.5rem;
    min-height: 2.5rem;
    padding: 0.5rem 1.1rem;
    border: 1px solid transparent;
    border-radius: var(--sd-radius-small);
    font: inherit;
    font-weight: 600;
    font-size: 0.95rem;
    line-height: 1.2;
    cursor: pointer;
    transition:
      background-color 120ms ease,
      border-color 120ms ease,
      color 120ms ease;
    white-space: nowrap;
  }
  .btn:focus-visible {
    box-shadow: var(--sd-focus-ring);
  }
  .btn:disabled,
  .btn[aria-disabled='true'] {
    cursor: not-allowed;
    opacity: 0.5;
  }
  .btn-primary {
    background: var(--sd-color-primary);
    color: #fff;
  }
  .btn-primary:hover:not(:disabled, [aria-disabled='true']) {
    background: var(--sd-color-primary-hover);
  }
  .btn-secondary {
    background: var(--sd-color-surface);
    color: var(--sd-color-text);
    border-color: var(--sd-color-border);
  }
  .btn-secondary:hover:not(:disabled, [aria-disabled='true']) {
    border-color: var(--sd-color-muted);
  }
  .btn-secondary[aria-pressed='true'] {
    background: var(--sd-color-primary-soft);
    border-color: var(--sd-color-primary);
    color: var(--sd-color-primary-hover);
  }
  .btn-danger {
    background: var(--sd-color-danger);
    color: #fff;
  }
  .btn-danger:hover:not(:disabled) {
    background: var(--sd-color-danger-hover);
  }
  .btn-large {
    min-height: 3rem;
    padding: 0.75rem 1.5rem;
    font-size: 1.05rem;
  }

  .card {
    background: var(--sd-color-surface);
    border: 1px solid var(--sd-color-border);
    border-radius: var(--sd-radius);
    box-shadow: var(--sd-shadow);
    padding: 1.25rem 1.5rem;
  }
  .card h2 {
    margin: 0 0 0.75rem;
    font-size: 1rem;
    font-weight: 650;
  }

  .alert {
    display: flex;
    align-items: flex-start;
    gap: 0.75rem;
    padding: 0.75rem 1rem;
    border-radius: var(--sd-radius-small);
    border: 1px solid;
    font-size: 0.95rem;
  }
  .alert p {
    margin: 0;
    flex: 1;
  }
  .alert-info {
    background: var(--sd-color-primary-soft);
    border-color: #b9d3ee;
    color: var(--sd-color-primary-hover);
  }
  .alert-success {
    background: var(--sd-color-success-soft);
    border-color: #b5dcc1;
    color: var(--sd-color-success);
  }
  .alert-warning {
    background: var(--sd-color-warning-soft);
    border-color: #ecd49c;
    color: var(--sd-color-warning);
  }
  .alert-error {
    background: var(--sd-color-danger-soft);
    border-color: #efc0bd;
    color: var(--sd-color-danger);
  }
  .alert .btn {
    min-height: 2rem;
    padding: 0.25rem 0.75rem;
  }

  label {
    font-weight: 600;
    font-size: 0.95rem;
  }
  /* Every text-like field and select of the forms (staff pages included) looks the same. */
  input[type='text'],
  input[type='email'],
  input[type='password'],
  input[type='date'],
  input[type='datetime-local'],
  input:not([type]),
  select {
    width: 100%;
    min-height: 2.75rem;
    padding: 0.5rem 0.75rem;
    border: 1px solid var(--sd-color-border);
    border-radius: var(--sd-radius-small);
    font: inherit;
    color: inherit;
    background: var(--sd-color-surface);
  }
  input[type='text']:focus-visible,
  input[type='email']:focus-visible,
  input[type='password']:focus-visible,
  input[type='date']:focus-visible,
  input[type='datetime-local']:focus-visible,
  input:not([type]):focus-visible,
  select:focus-visible {
    border-color: var(--sd-color-primary);
    box-shadow: var(--sd-focus-ring);
  }
  .hint {
    margin: 0.25rem 0 0;
    color: var(--sd-color-muted);
    font-size: 0.875rem;
  }

  .visually-hidden {
    position: absolute !important;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;

/** A page's frame: full-height host, `main` centred at most `--sd-page-width` wide (wider while watching). */
export const pageStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    min-height: 100vh;
  }
  main {
    flex: 1;
    width: 100%;
    max-width: var(--sd-page-width, 760px);
    margin: 0 auto;
    padding: 2rem 1.25rem 3rem;
  }
  main.watching {
    max-width: 1280px;
    padding-top: 1.25rem;
  }
`;

import { css, html, nothing, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { staffSession } from '../admin-api';
import { errorText } from '../error-text';
import { t, type MessageKey } from '../i18n';

/**
 * The administrators' tables (audit log, webhook deliveries, staff accounts) share one shape:
 * who may see the page, a filter form, a table with a caption and column headers, an empty
 * state that says what to do, and "show more". These are its pieces: styles, the access check,
 * the table, the pager.
 */

/** The styles of {@link dataTable}, {@link filterGrid} forms and {@link showMore}. */
export const dataTableStyles = css`
  .table-wrap {
    overflow-x: auto;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.92rem;
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
    padding: 0.45rem 0.5rem;
    border-bottom: 1px solid var(--sd-color-border);
  }
  th {
    white-space: nowrap;
  }
  /* Fields line up by their labels (some have a hint below); a row of buttons sits at the bottom. */
  .filters {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr));
    gap: 0.75rem;
    align-items: start;
  }
  .filters > .row {
    align-self: end;
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
  .pager {
    margin-top: 0.75rem;
  }
`;

/** Who is looking at an administrators' page. */
export type AdminAccess = 'checking' | 'signed-out' | 'forbidden' | 'admin';

/**
 * Who the signed-in staff member is for an administrators' page; a failure to ask (server down)
 * lets the page try and show the error where its content would be.
 */
export async function adminAccess(): Promise<{ access: AdminAccess; error: string }> {
  try {
    const user = await staffSession();
    return {
      access: user === undefined ? 'signed-out' : user.role === 'admin' ? 'admin' : 'forbidden',
      error: '',
    };
  } catch (error) {
    return { access: 'admin', error: errorText(error) };
  }
}

/** The page's state for anyone but an administrator (checking, sign in first, not allowed), or undefined. */
export function accessNotice(
  access: AdminAccess,
  testid: string,
  texts: { signIn: MessageKey; forbidden: MessageKey },
): TemplateResult | undefined {
  switch (access) {
    case 'checking':
      return html`<p role="status" class="muted">${t('entry.checking')}</p>`;
    case 'signed-out':
      return html`<div class="alert alert-error" role="alert" data-testid=${testid}>
        <p>${t(texts.signIn)}</p>
        <a class="btn btn-secondary" href="/host">${t('host.signInLink')}</a>
      </div>`;
    case 'forbidden':
      return html`<div class="alert alert-error" role="alert" data-testid=${testid}>
        <p>${t(texts.forbidden)}</p>
      </div>`;
    case 'admin':
      return undefined;
  }
}

/** A table of rows: `row` renders each `<tr>` (its own test ids and marks); `empty` when none. */
export function dataTable<T>(options: {
  testid: string;
  caption?: string;
  headers: readonly string[];
  rows: readonly T[];
  key: (row: T) => unknown;
  row: (row: T) => TemplateResult;
  empty: TemplateResult;
}): TemplateResult {
  const { rows } = options;
  if (rows.length === 0) return options.empty;
  return html`<div class="table-wrap">
    <table data-testid=${options.testid}>
      ${
        options.caption
          ? html`<caption>
              ${options.caption}
            </caption>`
          : nothing
      }
      <thead>
        <tr>
          ${options.headers.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${repeat(rows, options.key, options.row)}
      </tbody>
    </table>
  </div>`;
}

/** "Show more" under a table while the server holds more rows (busy while a page loads). */
export function showMore(options: {
  testid: string;
  more: boolean;
  loading: boolean;
  label: string;
  loadingLabel: string;
  onMore: () => void;
}): TemplateResult | typeof nothing {
  if (!options.more) return nothing;
  return html`<div class="row pager">
    <button
      class="btn btn-secondary"
      type="button"
      data-testid=${options.testid}
      ?disabled=${options.loading}
      @click=${options.onMore}
    >
      ${options.loading ? options.loadingLabel : options.label}
    </button>
  </div>`;
}

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { RuleSet } from '../api/filters';
import { tokenStore } from '../api/client';
import { FilterBuilderPage } from './FilterBuilderPage';
import { renderAt, stubApi } from '../test/render';

const webhook = {
  id: 'w1',
  tenantId: 't',
  name: 'GitHub',
  path: 'github',
  url: 'http://x/api/v1/webhooks/github',
  authType: 'signature',
  signatureScheme: 'github',
  methods: ['POST'],
  enabled: true,
};

const saved: RuleSet = {
  logic: 'or',
  rules: [{ id: 'r1', field: '$.action', operator: 'equals', value: 'opened', enabled: false }],
  groups: [{ logic: 'and', rules: [{ field: 'headers.X-GitHub-Event', operator: 'in', value: ['push'], enabled: true }] }],
};

const jsonArea = () => screen.getByLabelText<HTMLTextAreaElement>('Rule set JSON');

describe('FilterBuilderPage', () => {
  beforeEach(() => tokenStore.set('t'));
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    sessionStorage.clear();
  });

  it('shows the saved rule set in both editors and saves it back unchanged', async () => {
    const calls = stubApi({
      'GET /api/v1/me': () => ({ tenantId: 't', tokenId: 'k', role: 'admin' }),
      'GET /api/v1/webhooks/w1': () => webhook,
      'GET /api/v1/webhooks/w1/filters': () => ({ ...saved, webhookId: 'w1', updatedAt: '2026-01-01T00:00:00Z' }),
      'PUT /api/v1/webhooks/w1/filters': (b) => b,
    });
    renderAt('/webhooks/w1/filters', '/webhooks/:id/filters', <FilterBuilderPage />);
    await screen.findByRole('heading', { name: 'Filters: GitHub' });
    expect(JSON.parse(jsonArea().value)).toEqual(saved);
    expect(screen.getByLabelText<HTMLInputElement>('Rule 1 Field').value).toBe('$.action');
    expect(screen.getByLabelText<HTMLInputElement>('Rule 1 Enabled').checked).toBe(false);
    expect(screen.getByLabelText<HTMLInputElement>('Group 1 rule 1 Value').value).toBe('["push"]');

    await userEvent.click(await screen.findByRole('button', { name: 'Save filters' }));
    await screen.findByText('Filters saved.');
    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.body).toEqual(saved);
  });

  it('builds an equals rule visually and shows it as JSON; JSON edits update the builder', async () => {
    stubApi({
      'GET /api/v1/me': () => ({ tenantId: 't', tokenId: 'k', role: 'admin' }),
      'GET /api/v1/webhooks/w1': () => webhook,
      // As the server answers when nothing is saved: no groups member.
      'GET /api/v1/webhooks/w1/filters': () => ({ logic: 'and', rules: [], webhookId: 'w1', updatedAt: null }),
    });
    const user = userEvent.setup();
    renderAt('/webhooks/w1/filters', '/webhooks/:id/filters', <FilterBuilderPage />);
    await screen.findByRole('heading', { name: 'Filters: GitHub' });
    await user.click(screen.getByRole('button', { name: 'Add rule' }));
    const field = screen.getByLabelText<HTMLInputElement>('Rule 1 Field');
    await user.clear(field);
    await user.type(field, '$.action');
    await user.selectOptions(screen.getByLabelText('Rule 1 Operator'), 'equals');
    await user.type(screen.getByLabelText('Rule 1 Value'), 'opened');
    expect(JSON.parse(jsonArea().value)).toEqual({
      logic: 'and',
      rules: [{ field: '$.action', operator: 'equals', value: 'opened', enabled: true }],
      groups: [],
    });

    const edited: RuleSet = {
      logic: 'and',
      rules: [{ field: '$.count', operator: 'greater_than', value: 3, enabled: true }],
      groups: [],
    };
    fireEvent.change(jsonArea(), { target: { value: JSON.stringify(edited) } });
    await waitFor(() => expect(screen.getByLabelText<HTMLInputElement>('Rule 1 Field').value).toBe('$.count'));
    expect(screen.getByLabelText<HTMLSelectElement>('Rule 1 Value type').value).toBe('number');
  });

  it('shows per-rule results of "test against the last 20 events"', async () => {
    const calls = stubApi({
      'GET /api/v1/me': () => ({ tenantId: 't', tokenId: 'k', role: 'admin' }),
      'GET /api/v1/webhooks/w1': () => webhook,
      'GET /api/v1/webhooks/w1/filters': () => saved,
      'POST /api/v1/webhooks/w1/filters/test': () => ({
        results: [
          {
            eventId: 'ev-1',
            matched: false,
            reason: 'rule 0 ($.action equals "opened") did not match',
            rules: [
              {
                index: 0,
                groupIndex: -1,
                rule: { field: '$.action', operator: 'equals', value: 'opened', enabled: true },
                matched: false,
                values: ['closed'],
              },
            ],
            groups: [],
          },
        ],
      }),
    });
    renderAt('/webhooks/w1/filters', '/webhooks/:id/filters', <FilterBuilderPage />);
    await userEvent.click(await screen.findByRole('button', { name: 'Test against the last 20 events' }));
    await screen.findByText('0 of 1 event passes the rule set.');
    expect(screen.getByText('got ["closed"]', { exact: false })).toBeTruthy();
    expect(calls.find((c) => c.url.endsWith('/filters/test'))?.body).toEqual({ ruleSet: saved, lastN: 20 });
  });
});

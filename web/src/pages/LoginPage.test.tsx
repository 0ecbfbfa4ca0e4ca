import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { tokenStore } from '../api/client';
import { LoginPage } from './LoginPage';
import { renderAt, stubApi } from '../test/render';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('LoginPage', () => {
  it('verifies the token with GET /api/v1/webhooks?limit=1 before keeping it', async () => {
    const calls = stubApi({ 'GET /api/v1/webhooks': () => ({ webhooks: [], total: 0, nextCursor: null }) });
    renderAt('/login', '/login', <LoginPage />);
    await userEvent.type(screen.getByLabelText('API token'), 'good-token');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await vi.waitFor(() => expect(tokenStore.get()).toBe('good-token'));
    expect(calls[0]?.url).toBe('/api/v1/webhooks?limit=1');
  });

  it('says so when the token is refused and keeps nothing', async () => {
    vi.stubGlobal('fetch', () =>
      Promise.resolve(new Response('{"title":"Unauthorized","status":401}', { status: 401, headers: { 'Content-Type': 'application/problem+json' } })),
    );
    renderAt('/login', '/login', <LoginPage />);
    await userEvent.type(screen.getByLabelText('API token'), 'bad');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/not accepted/);
    expect(tokenStore.get()).toBeNull();
  });
});


import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router';
import { vi } from 'vitest';
import { AuthProvider } from '../lib/auth';

export interface Recorded {
  method: string;
  url: string;
  body: unknown;
}

/** Stubs global fetch with a router of `"METHOD /path" → JSON` handlers; records every call. */
export function stubApi(routes: Record<string, (body: unknown) => unknown>): Recorded[] {
  const calls: Recorded[] = [];
  vi.stubGlobal('fetch', (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const path = url.split('?')[0] ?? url;
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    calls.push({ method, url, body });
    const handler = routes[`${method} ${path}`];
    if (!handler) {
      return Promise.resolve(
        new Response(JSON.stringify({ title: 'Not Found', status: 404 }), { status: 404, headers: { 'Content-Type': 'application/problem+json' } }),
      );
    }
    return Promise.resolve(new Response(JSON.stringify(handler(body)), { status: 200, headers: { 'Content-Type': 'application/json' } }));
  });
  return calls;
}

export function renderAt(path: string, routePattern: string, element: ReactElement) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <AuthProvider>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path={routePattern} element={element} />
          </Routes>
        </MemoryRouter>
      </AuthProvider>
    </QueryClientProvider>,
  );
}

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import type { ReactNode } from 'react';
import { ApiError } from './api/client';
import { AuthProvider, useAuth } from './lib/auth';
import { Layout } from './components/Layout';
import { LoginPage } from './pages/LoginPage';
import { WebhooksPage } from './pages/WebhooksPage';
import { WebhookEditPage } from './pages/WebhookEditPage';
import { FilterBuilderPage } from './pages/FilterBuilderPage';
import { TestConsolePage } from './pages/TestConsolePage';
import { EventsPage } from './pages/EventsPage';
import { EventDetailPage } from './pages/EventDetailPage';
import { EventTypesPage } from './pages/EventTypesPage';
import { EventTypeDetailPage } from './pages/EventTypeDetailPage';
import { WorkflowsPage } from './pages/WorkflowsPage';
import { ExecutionPage } from './pages/ExecutionPage';
import { SettingsPage } from './pages/SettingsPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { JobsPage } from './pages/JobsPage';

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        refetchOnWindowFocus: false,
        // 4xx answers are final; retry other failures once.
        retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 1,
      },
    },
  });
}

const queryClient = makeQueryClient();

function RequireAuth({ children }: { children: ReactNode }) {
  const { token } = useAuth();
  const location = useLocation();
  if (!token) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<Navigate to="/webhooks" replace />} />
        <Route path="/webhooks" element={<WebhooksPage />} />
        <Route path="/webhooks/new" element={<WebhookEditPage />} />
        <Route path="/webhooks/:id" element={<WebhookEditPage />} />
        <Route path="/webhooks/:id/filters" element={<FilterBuilderPage />} />
        <Route path="/webhooks/:id/test" element={<TestConsolePage />} />
        <Route path="/events" element={<EventsPage />} />
        <Route path="/events/:id" element={<EventDetailPage />} />
        <Route path="/jobs" element={<JobsPage />} />
        <Route path="/event-types" element={<EventTypesPage />} />
        <Route path="/event-types/:name" element={<EventTypeDetailPage />} />
        <Route path="/workflows" element={<WorkflowsPage />} />
        <Route path="/executions/:id" element={<ExecutionPage />} />
        <Route path="/settings" element={<SettingsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <AuthProvider>
        <BrowserRouter>
          <AppRoutes />
        </BrowserRouter>
      </AuthProvider>
    </QueryClientProvider>
  );
}

import { NavLink, Outlet } from 'react-router';
import { useAuth } from '../lib/auth';
import { useMe } from '../lib/role';
import { FeedIndicator, FeedProvider } from '../lib/feed';

const links: [string, string][] = [
  ['/webhooks', 'Webhooks'],
  ['/events', 'Events'],
  ['/jobs', 'Jobs'],
  ['/event-types', 'Event types'],
  ['/workflows', 'Workflows'],
  ['/settings', 'Settings'],
];

export function Layout() {
  const { logout } = useAuth();
  const me = useMe();
  return (
    <FeedProvider>
    <div className="shell">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to main content
      </a>
      <header className="topbar">
        <span className="brand">hookstream</span>
        <nav aria-label="Main">
          <ul>
            {links.map(([to, label]) => (
              <li key={to}>
                <NavLink to={to}>{label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <span className="topbar-end">
          <FeedIndicator />
          {me.data && (
            <span className="role-badge" title="The role of your token decides what you can change">
              {me.data.role}
            </span>
          )}
          <button type="button" className="small" onClick={logout}>
            Log out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
    </FeedProvider>
  );
}

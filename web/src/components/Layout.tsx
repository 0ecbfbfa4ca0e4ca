import { NavLink, Outlet } from 'react-router';
import { useAuth } from '../lib/auth';

const links: [string, string][] = [
  ['/webhooks', 'Webhooks'],
  ['/events', 'Events'],
  ['/event-types', 'Event types'],
  ['/workflows', 'Workflows'],
  ['/settings', 'Settings'],
];

export function Layout() {
  const { logout } = useAuth();
  return (
    <div className="shell">
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
        <button type="button" className="small" onClick={logout}>
          Log out
        </button>
      </header>
      <main>
        <Outlet />
      </main>
    </div>
  );
}

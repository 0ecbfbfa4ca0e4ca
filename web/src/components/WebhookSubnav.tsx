import { NavLink } from 'react-router';

export function WebhookSubnav({ id, name }: { id: string; name: string }) {
  return (
    <nav aria-label={`Webhook ${name}`} className="subnav">
      <NavLink end to={`/webhooks/${id}`}>
        Settings
      </NavLink>
      <NavLink to={`/webhooks/${id}/filters`}>Filters</NavLink>
      <NavLink to={`/webhooks/${id}/test`}>Test console</NavLink>
      <NavLink to={`/events?webhookId=${encodeURIComponent(id)}`}>Events</NavLink>
    </nav>
  );
}

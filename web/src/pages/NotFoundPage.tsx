import { Link } from 'react-router';
import { usePageTitle } from '../lib/title';

export function NotFoundPage() {
  usePageTitle('Not found');
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <Link to="/webhooks">Back to webhooks</Link>
      </p>
    </section>
  );
}

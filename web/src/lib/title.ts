import { useEffect } from 'react';

/** Sets the document title to "<title> · hookstream" while the page is shown. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · hookstream` : 'hookstream';
  }, [title]);
}

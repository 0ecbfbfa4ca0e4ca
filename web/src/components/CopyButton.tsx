import { useState } from 'react';

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // fall back below (no permission, insecure context)
    }
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  document.execCommand('copy');
  ta.remove();
}

interface Props {
  text: string;
  /** Accessible name, e.g. "Copy URL of orders". */
  label: string;
  children?: string;
}

/** Copies `text` and says so in a status region (which also shows what was copied). */
export function CopyButton({ text, label, children = 'Copy' }: Props) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <span className="copy">
      <button
        type="button"
        className="small"
        aria-label={label}
        onClick={() => {
          void copyText(text).then(() => {
            setCopied(text);
            window.setTimeout(() => setCopied(null), 4000);
          });
        }}
      >
        {children}
      </button>
      <span role="status" className="copied">
        {copied !== null ? `Copied ${copied.length > 80 ? 'to clipboard' : copied}` : ''}
      </span>
    </span>
  );
}

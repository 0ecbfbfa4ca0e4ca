import { createContext, useContext, type ReactNode } from 'react';

/** Field name (the API's, e.g. "hmac.header") → message. */
export type FieldErrors = Record<string, string>;

const Ctx = createContext<FieldErrors>({});

export function FieldErrorsProvider({ errors, children }: { errors: FieldErrors; children: ReactNode }) {
  return <Ctx.Provider value={errors}>{children}</Ctx.Provider>;
}

const idFor = (field: string) => `err-${field.replace(/[^a-zA-Z0-9_-]/g, '-')}`;

/** Props that tie an input to its error message (aria-invalid, aria-describedby). */
export function useFieldProps(field: string): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  const errors = useContext(Ctx);
  return errors[field] ? { 'aria-invalid': true, 'aria-describedby': idFor(field) } : {};
}

/** The error of one field, shown beside it. */
export function FieldError({ field }: { field: string }) {
  const errors = useContext(Ctx);
  const msg = errors[field];
  if (!msg) return null;
  return (
    <span className="field-error" id={idFor(field)}>
      {msg}
    </span>
  );
}

import { describe, expect, it } from 'vitest';
import { roleAllows } from './role';

describe('roleAllows', () => {
  it('ranks viewer < analyst < admin', () => {
    expect(roleAllows('viewer', 'viewer')).toBe(true);
    expect(roleAllows('viewer', 'analyst')).toBe(false);
    expect(roleAllows('analyst', 'analyst')).toBe(true);
    expect(roleAllows('analyst', 'admin')).toBe(false);
    expect(roleAllows('admin', 'analyst')).toBe(true);
  });
  it('allows nothing while the role is unknown', () => {
    expect(roleAllows(undefined, 'viewer')).toBe(false);
  });
});

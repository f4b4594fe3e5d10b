import type { ReactNode } from 'react';
import { Alert, Group, Title } from '@mantine/core';
import { describe } from './api.ts';

export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <Group justify="space-between" mb="md" wrap="wrap">
      <Title order={2}>{children}</Title>
      {actions && <Group gap="xs">{actions}</Group>}
    </Group>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <Alert color="red" role="alert" mb="md">
      {describe(error)}
    </Alert>
  );
}

export const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

import { lazy, Suspense } from 'react';
import { Paper, SimpleGrid, Skeleton, Table, Text, Title } from '@mantine/core';
import { get } from '../api.ts';
import { useLoad } from '../load.ts';
import { useCan, useTenantId } from '../session.tsx';
import type { AuditEvent, Dashboard as Data, Page } from '../types.ts';
import { ErrorNote, PageTitle, when } from '../ui.tsx';

const DailyChart = lazy(() => import('./DailyChart.tsx'));

function Stat({ label, value }: { label: string; value: number | undefined }) {
  return (
    <Paper withBorder p="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text fz={28} fw={700}>
        {value === undefined ? '…' : value.toLocaleString()}
      </Text>
    </Paper>
  );
}

export default function Dashboard() {
  const tenantId = useTenantId();
  const can = useCan();
  const data = useLoad(() => get<Data>(`/tenants/${tenantId}/dashboard`), [tenantId]);
  const audit = useLoad(
    () =>
      can('admin')
        ? get<Page<AuditEvent>>(`/tenants/${tenantId}/audit`, { limit: 8 })
        : Promise.resolve({ items: [], nextCursor: null }),
    [tenantId],
  );
  const u = data.data?.users;
  return (
    <>
      <PageTitle>Dashboard</PageTitle>
      <ErrorNote error={data.error ?? audit.error} />
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }} mb="md">
        <Stat label="Users" value={u?.total} />
        <Stat label="Active" value={u?.active} />
        <Stat label="Verified" value={u?.verified} />
        <Stat label="New in 7 days" value={u?.createdLast7Days} />
        <Stat label="New in 30 days" value={u?.createdLast30Days} />
      </SimpleGrid>
      <Paper withBorder p="md" mb="md">
        <Title order={3} size="h4" mb="sm">
          Sign-ups and logins per day, last 30 days
        </Title>
        <Suspense fallback={<Skeleton h={260} />}>
          {data.data ? <DailyChart days={data.data.days} /> : <Skeleton h={260} />}
        </Suspense>
      </Paper>
      {can('admin') && (
        <Paper withBorder p="md">
          <Title order={3} size="h4" mb="sm">
            Recent changes
          </Title>
          <Table aria-label="Recent changes">
            <Table.Tbody>
              {audit.data?.items.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{when(e.at)}</Table.Td>
                  <Table.Td>{e.action}</Table.Td>
                  <Table.Td>{e.target}</Table.Td>
                  <Table.Td>{e.actor}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
    </>
  );
}

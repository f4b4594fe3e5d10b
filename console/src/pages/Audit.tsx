import { useEffect, useMemo, useRef, useState } from 'react';
import { Button, Code, Group, Paper, ScrollArea, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { get } from '../api.ts';
import { useTenantId } from '../session.tsx';
import type { AuditEvent, Page } from '../types.ts';
import { ErrorNote, PageTitle, when } from '../ui.tsx';

const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

export default function Audit() {
  const tenantId = useTenantId();
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [target, setTarget] = useState('');
  const [fromDay, setFromDay] = useState('');
  const [toDay, setToDay] = useState('');
  // Days in the browser's time zone: from the start of the first to the end of the last.
  const from = fromDay ? new Date(`${fromDay}T00:00`).toISOString() : undefined;
  const to = toDay ? new Date(new Date(`${toDay}T00:00`).getTime() + 86_400_000).toISOString() : undefined;
  // Debounced as a string: a new object every render would never settle.
  const [filterKey] = useDebouncedValue(JSON.stringify({ actor, action, target, from, to }), 300);
  const filters = useMemo(() => JSON.parse(filterKey) as Record<string, string>, [filterKey]);
  const [items, setItems] = useState<AuditEvent[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [open, setOpen] = useState<number | null>(null);
  const end = useRef<HTMLDivElement>(null);

  async function fetchPage(cursor: string | undefined, reset: boolean) {
    setLoading(true);
    try {
      const p = await get<Page<AuditEvent>>(`/tenants/${tenantId}/audit`, { limit: 50, cursor, ...filters });
      setItems((old) => (reset ? p.items : [...old, ...p.items]));
      setNext(p.nextCursor);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => {
    fetchPage(undefined, true);
  }, [tenantId, filters]);

  // Infinite scroll: the next page loads when the end of the list comes into view.
  useEffect(() => {
    const el = end.current;
    if (!el || !next) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !loading) fetchPage(next, false);
    });
    io.observe(el);
    return () => io.disconnect();
  }, [next, loading]);

  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <Group mb="md" align="end">
        <TextInput
          label="Actor"
          placeholder="manager:3, root"
          value={actor}
          onChange={(e) => setActor(e.currentTarget.value)}
        />
        <TextInput
          label="Action"
          placeholder="user.update"
          value={action}
          onChange={(e) => setAction(e.currentTarget.value)}
        />
        <TextInput
          label="Target"
          placeholder="user:12"
          value={target}
          onChange={(e) => setTarget(e.currentTarget.value)}
        />
        <TextInput type="date" label="From" value={fromDay} onChange={(e) => setFromDay(e.currentTarget.value)} />
        <TextInput type="date" label="To" value={toDay} onChange={(e) => setToDay(e.currentTarget.value)} />
      </Group>
      <ErrorNote error={error} />
      <Paper withBorder>
        <ScrollArea>
          <Table aria-label="Audit log" miw={700}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Actor</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Target</Table.Th>
                <Table.Th>Changes</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{when(e.at)}</Table.Td>
                  <Table.Td>{e.actor}</Table.Td>
                  <Table.Td>{e.action}</Table.Td>
                  <Table.Td>{e.target}</Table.Td>
                  <Table.Td>
                    {open === e.id ? (
                      <Table withRowBorders={false} fz="xs">
                        <Table.Tbody>
                          {Object.entries(e.changes).map(([field, c]) => (
                            <Table.Tr key={field}>
                              <Table.Td fw={600}>{field}</Table.Td>
                              <Table.Td>
                                <Code>{show(c.before)}</Code> → <Code>{show(c.after)}</Code>
                              </Table.Td>
                            </Table.Tr>
                          ))}
                        </Table.Tbody>
                      </Table>
                    ) : (
                      <Button size="compact-xs" variant="subtle" onClick={() => setOpen(e.id)}>
                        {Object.keys(e.changes).join(', ') || 'details'}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      </Paper>
      <div ref={end} />
      <Text size="sm" c="dimmed" mt="sm">
        {loading ? 'Loading…' : next ? '' : `${items.length} events`}
      </Text>
    </>
  );
}

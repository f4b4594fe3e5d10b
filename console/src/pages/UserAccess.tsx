import { useState } from 'react';
import { Alert, Anchor, Button, Code, Group, Paper, ScrollArea, SimpleGrid, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import type { components } from '@roster/client';
import { call, get } from '../api.ts';
import { useLoad } from '../load.ts';
import { useCan } from '../session.tsx';
import { ErrorNote, when } from '../ui.tsx';

type Schemas = components['schemas'];
const EVENTS_PAGE = 20;

/** A user's login lockout, groups, application keys and recorded events (under the user's form). */
export function UserAccess({ tenantId, userId }: { tenantId: number; userId: number }) {
  const can = useCan();
  const base = `/tenants/${tenantId}/users/${userId}`;
  const lock = useLoad(() => get<Schemas['UserLoginLock']>(`${base}/login-lock`), [base]);
  const groups = useLoad(() => get<Schemas['UserGroupList']>(`${base}/groups`), [base]);
  const keys = useLoad(() => get<Schemas['UserAppKeyList']>(`${base}/app-keys`), [base]);
  const [shown, setShown] = useState(EVENTS_PAGE);
  const events = useLoad(() => get<Schemas['UserEventList']>(`${base}/events`, { limit: shown }), [base, shown]);
  const [error, setError] = useState<unknown>(null);

  async function act(fn: () => Promise<unknown>, after: () => void) {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e);
    }
    after();
  }

  return (
    <>
      <ErrorNote error={error ?? lock.error ?? groups.error ?? keys.error ?? events.error} />
      {lock.data?.locked && (
        <Alert color="orange" title="Password logins are locked" mt="md">
          <Group justify="space-between">
            <Text size="sm">Too many wrong passwords: logins are refused until {when(lock.data.lockedUntil)}.</Text>
            {can('editor') && (
              <Button size="xs" onClick={() => act(() => call('DELETE', `${base}/login-lock`), lock.reload)}>
                Unlock account
              </Button>
            )}
          </Group>
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }} mt="md">
        <Paper withBorder p="md">
          <Title order={3} size="h4" mb="sm">
            Groups
          </Title>
          <Group
            component="ul"
            gap="md"
            aria-label="Groups of this user"
            style={{ listStyle: 'none', padding: 0, margin: 0 }}
          >
            {groups.data?.items.map((g) => (
              <li key={g.id}>
                <Anchor component={Link} to={`/groups/${g.id}`}>
                  {g.displayName}
                </Anchor>
              </li>
            ))}
          </Group>
          {groups.data?.items.length === 0 && <Text c="dimmed">In no group.</Text>}
        </Paper>
        <Paper withBorder p="md">
          <Title order={3} size="h4" mb="sm">
            Application keys
          </Title>
          {keys.data?.items.length === 0 ? (
            <Text c="dimmed">No application keys.</Text>
          ) : (
            <ScrollArea>
              <Table aria-label="Application keys" miw={420}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Uses</Table.Th>
                    <Table.Th>Last used</Table.Th>
                    {can('editor') && <Table.Th>Actions</Table.Th>}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {keys.data?.items.map((k) => (
                    <Table.Tr key={k.id}>
                      <Table.Td>{k.name}</Table.Td>
                      <Table.Td>{k.usage}</Table.Td>
                      <Table.Td>{when(k.lastUsedAt)}</Table.Td>
                      {can('editor') && (
                        <Table.Td>
                          <Button
                            size="xs"
                            variant="light"
                            color="red"
                            aria-label={`Revoke key ${k.name}`}
                            onClick={() => act(() => call('DELETE', `${base}/app-keys/${k.id}`), keys.reload)}
                          >
                            Revoke
                          </Button>
                        </Table.Td>
                      )}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollArea>
          )}
        </Paper>
      </SimpleGrid>
      <Paper withBorder p="md" mt="md">
        <Title order={3} size="h4" mb="sm">
          Events
        </Title>
        {events.data?.total === 0 ? (
          <Text c="dimmed">No events recorded for this user.</Text>
        ) : (
          <ScrollArea>
            <Table aria-label="Events of this user" miw={480}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>Details</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {events.data?.items.map((e) => (
                  <Table.Tr key={e.id}>
                    <Table.Td>{when(e.eventTime)}</Table.Td>
                    <Table.Td>{e.eventName}</Table.Td>
                    <Table.Td>{Object.keys(e.params).length ? <Code>{JSON.stringify(e.params)}</Code> : '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea>
        )}
        {events.data && events.data.total > events.data.items.length && (
          <Button mt="sm" variant="default" onClick={() => setShown((n) => n + EVENTS_PAGE)} loading={events.loading}>
            Show more ({events.data.total - events.data.items.length} older)
          </Button>
        )}
      </Paper>
    </>
  );
}

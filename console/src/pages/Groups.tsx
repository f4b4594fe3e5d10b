import { useEffect, useState, type FormEvent } from 'react';
import { Anchor, Button, Group, Modal, Paper, ScrollArea, Stack, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { Link, useNavigate } from 'react-router';
import type { components } from '@roster/client';
import { ApiError, call, describe, get } from '../api.ts';
import { usePages } from '../load.ts';
import { useCan, useTenantId } from '../session.tsx';
import { ErrorNote, PageTitle, when } from '../ui.tsx';

export type GroupRow = components['schemas']['Group'];

/** One name field and Save: creating a group and renaming one ask the same thing. */
export function GroupNameModal({
  title,
  opened,
  initial,
  onClose,
  onSave,
}: {
  title: string;
  opened: boolean;
  initial: string;
  onClose(): void;
  onSave(name: string): Promise<unknown>;
}) {
  const [name, setName] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (opened) {
      setName(initial);
      setError(null);
    }
  }, [opened, initial]);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await onSave(name.trim());
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <form onSubmit={submit}>
        <Stack>
          <TextInput
            label="Group name"
            required
            maxLength={256}
            data-autofocus
            value={name}
            error={error}
            onChange={(e) => setName(e.currentTarget.value)}
          />
          <Group justify="end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export default function Groups() {
  const tenantId = useTenantId();
  const can = useCan();
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 250);
  const list = usePages(
    (cursor) =>
      get<{ items: GroupRow[]; nextCursor: string | null }>(`/tenants/${tenantId}/groups`, { limit: 50, cursor, q }),
    [tenantId, q],
  );
  const [creating, setCreating] = useState(false);

  return (
    <>
      <PageTitle actions={can('editor') && <Button onClick={() => setCreating(true)}>New group</Button>}>
        Groups
      </PageTitle>
      <Group mb="md">
        <TextInput
          type="search"
          label="Search groups"
          placeholder="Part of a name"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={320}
          maw="100%"
        />
      </Group>
      <ErrorNote error={list.error} />
      <Paper withBorder>
        <ScrollArea>
          <Table aria-label="Groups" miw={520} verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Members</Table.Th>
                <Table.Th>Last change</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.items.map((g) => (
                <Table.Tr key={g.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/groups/${g.id}`}>
                      {g.displayName}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{g.memberCount}</Table.Td>
                  <Table.Td>{when(g.updatedAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
        {!list.loading && list.items.length === 0 && (
          <Text p="md" c="dimmed">
            {q ? 'No group has a name containing that.' : 'No groups yet.'}
          </Text>
        )}
      </Paper>
      <Group mt="sm">
        {list.more && (
          <Button variant="default" onClick={list.loadMore} loading={list.loading}>
            Load more
          </Button>
        )}
      </Group>
      <GroupNameModal
        title="New group"
        opened={creating}
        initial=""
        onClose={() => setCreating(false)}
        onSave={async (displayName) => {
          try {
            const r = await call<GroupRow>('POST', `/tenants/${tenantId}/groups`, { body: { displayName } });
            setCreating(false);
            navigate(`/groups/${r.body.id}`);
          } catch (e) {
            if (e instanceof ApiError && e.status === 409) throw new Error('A group with this name already exists.');
            throw e;
          }
        }}
      />
    </>
  );
}

import { useEffect, useState } from 'react';
import { Anchor, Button, Group, Modal, Paper, ScrollArea, Select, Stack, Table, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { Link, useNavigate, useParams } from 'react-router';
import type { components } from '@roster/client';
import { call, get } from '../api.ts';
import { useLoad, usePages } from '../load.ts';
import { useCan, useTenantId } from '../session.tsx';
import type { Page, User } from '../types.ts';
import { ErrorNote, PageTitle, when } from '../ui.tsx';
import { GroupNameModal, type GroupRow } from './Groups.tsx';

type Member = components['schemas']['GroupMember'];

const nameOf = (u: { displayName: string | null; username: string | null; email: string | null }) =>
  u.displayName || u.username || u.email || '(no name)';

/** Search-as-you-type over the tenant's users (the users list's q); picking one adds them. */
function AddMember({ tenantId, onAdd }: { tenantId: number; onAdd(userId: number): Promise<void> }) {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 200);
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const [searching, setSearching] = useState(false);
  useEffect(() => {
    if (!q) return setOptions([]);
    let live = true;
    setSearching(true);
    get<Page<User>>(`/tenants/${tenantId}/users`, { q, limit: 8 })
      .then((p) => {
        if (!live) return;
        setOptions(
          p.items.map((u) => ({ value: String(u.id), label: `${nameOf(u)}${u.email ? ` · ${u.email}` : ''}` })),
        );
      })
      .catch(() => live && setOptions([]))
      .finally(() => live && setSearching(false));
    return () => {
      live = false;
    };
  }, [tenantId, q]);
  return (
    <Select
      label="Add member"
      placeholder="Type a name, username or email"
      searchable
      searchValue={search}
      onSearchChange={setSearch}
      data={options}
      filter={({ options: all }) => all}
      value={null}
      onChange={(v) => {
        if (!v) return;
        void onAdd(Number(v)).then(() => setSearch(''));
      }}
      nothingFoundMessage={q && !searching ? 'No user matches' : undefined}
      w={420}
      maw="100%"
    />
  );
}

export default function GroupDetail() {
  const tenantId = useTenantId();
  const can = useCan();
  const navigate = useNavigate();
  const groupId = Number(useParams().groupId);
  const base = `/tenants/${tenantId}/groups/${groupId}`;
  const group = useLoad(() => get<GroupRow>(base), [base]);
  const members = usePages(
    (cursor) => get<{ items: Member[]; nextCursor: string | null }>(`${base}/members`, { limit: 50, cursor }),
    [base],
  );
  const [error, setError] = useState<unknown>(null);
  const [renaming, setRenaming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const g = group.data;

  async function change(fn: () => Promise<{ body: GroupRow }>) {
    setError(null);
    try {
      group.setData((await fn()).body);
      members.reload();
    } catch (e) {
      setError(e);
    }
  }

  if (group.error) return <ErrorNote error={group.error} />;
  if (!g) return null;
  return (
    <>
      <Anchor component={Link} to="/groups" size="sm">
        ← Groups
      </Anchor>
      <PageTitle
        actions={
          <>
            {can('editor') && (
              <Button variant="default" onClick={() => setRenaming(true)}>
                Rename
              </Button>
            )}
            {can('admin') && (
              <Button variant="light" color="red" onClick={() => setDeleting(true)}>
                Delete group
              </Button>
            )}
          </>
        }
      >
        {g.displayName}
      </PageTitle>
      <Text size="sm" c="dimmed" mb="md">
        {g.memberCount === 1 ? '1 member' : `${g.memberCount} members`} · last change {when(g.updatedAt)}
      </Text>
      <ErrorNote error={error ?? members.error} />
      {can('editor') && (
        <Group mb="md">
          <AddMember
            tenantId={tenantId}
            onAdd={(userId) => change(() => call<GroupRow>('POST', `${base}/members`, { body: { userIds: [userId] } }))}
          />
        </Group>
      )}
      <Paper withBorder>
        <ScrollArea>
          <Table aria-label="Members" miw={560} verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Username</Table.Th>
                <Table.Th>Email</Table.Th>
                {can('editor') && <Table.Th>Actions</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {members.items.map((m) => (
                <Table.Tr key={m.userId}>
                  <Table.Td>
                    <Anchor component={Link} to={`/users/${m.userId}`}>
                      {nameOf(m)}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{m.username ?? '—'}</Table.Td>
                  <Table.Td>{m.email ?? '—'}</Table.Td>
                  {can('editor') && (
                    <Table.Td>
                      <Button
                        size="xs"
                        variant="light"
                        color="red"
                        aria-label={`Remove ${nameOf(m)}`}
                        onClick={() => change(() => call<GroupRow>('DELETE', `${base}/members/${m.userId}`))}
                      >
                        Remove
                      </Button>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
        {!members.loading && members.items.length === 0 && (
          <Text p="md" c="dimmed">
            No members yet.
          </Text>
        )}
      </Paper>
      {members.more && (
        <Button mt="sm" variant="default" onClick={members.loadMore} loading={members.loading}>
          Load more
        </Button>
      )}
      <GroupNameModal
        title="Rename group"
        opened={renaming}
        initial={g.displayName}
        onClose={() => setRenaming(false)}
        onSave={async (displayName) => {
          const r = await call<GroupRow>('PATCH', base, { body: { displayName }, ifMatch: `W/"${g.version}"` });
          group.setData(r.body);
          setRenaming(false);
        }}
      />
      <Modal opened={deleting} onClose={() => setDeleting(false)} title="Delete group">
        <Stack>
          <Text>
            Delete the group {g.displayName}? Its {g.memberCount} members stay users; only the group goes.
          </Text>
          <Group justify="end">
            <Button variant="default" onClick={() => setDeleting(false)}>
              Cancel
            </Button>
            <Button
              color="red"
              onClick={async () => {
                try {
                  await call('DELETE', base);
                  navigate('/groups');
                } catch (e) {
                  setDeleting(false);
                  setError(e);
                }
              }}
            >
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

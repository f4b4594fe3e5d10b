import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import {
  Anchor,
  Button,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  Paper,
  ScrollArea,
  Select,
  Table,
  Text,
  TextInput,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { call, get } from '../api.ts';
import { useLoad } from '../load.ts';
import { useCan, useTenantId } from '../session.tsx';
import type { Page, User } from '../types.ts';
import { ErrorNote, PageTitle, when } from '../ui.tsx';

const COLUMNS: { key: keyof User; label: string }[] = [
  { key: 'username', label: 'Username' },
  { key: 'email', label: 'Email' },
  { key: 'firstName', label: 'First name' },
  { key: 'lastName', label: 'Last name' },
  { key: 'displayName', label: 'Display name' },
  { key: 'company', label: 'Company' },
  { key: 'department', label: 'Department' },
  { key: 'title', label: 'Title' },
  { key: 'plan', label: 'Plan' },
  { key: 'active', label: 'Active' },
  { key: 'verified', label: 'Verified' },
  { key: 'createdAt', label: 'Created' },
  { key: 'lastLoginAt', label: 'Last login' },
];
const DEFAULT_COLUMNS = ['username', 'email', 'lastName', 'company', 'active', 'verified', 'createdAt'];
const yesNo = [
  { value: '', label: 'Any' },
  { value: 'true', label: 'Yes' },
  { value: 'false', label: 'No' },
];

function cell(u: User, key: keyof User) {
  const v = u[key];
  if (key === 'active' || key === 'verified')
    return (
      <Text span size="sm" fw={v ? 600 : 400}>
        {v ? 'Yes' : 'No'}
      </Text>
    );
  if (key === 'createdAt' || key === 'lastLoginAt') return when(v as string | null);
  return v === null || v === '' ? '—' : String(v);
}

export default function Users() {
  const tenantId = useTenantId();
  const can = useCan();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 250);
  const [active, setActive] = useState('');
  const [verified, setVerified] = useState('');
  const [company, setCompany] = useState('');
  const [attrName, setAttrName] = useState('');
  const [attrValue, setAttrValue] = useState('');
  const [sort, setSort] = useState('');
  const [limit, setLimit] = useState('25');
  const [columns, setColumns] = useState<string[]>(DEFAULT_COLUMNS);
  // Cursor pages: the cursors of the pages before this one, and this one's.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [withTotal, setWithTotal] = useState(false);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [bulkError, setBulkError] = useState<unknown>(null);
  const [bulkBusy, setBulkBusy] = useState(false);

  const [dq] = useDebouncedValue(`${company}\u0000${attrName}\u0000${attrValue}`, 250);
  const filterKey = [tenantId, q, active, verified, dq, sort, limit].join('|');
  useEffect(() => {
    setCursors([undefined]);
    setSelected(new Set());
    setWithTotal(false);
  }, [filterKey]);
  const cursor = cursors[cursors.length - 1];

  const page = useLoad(() => {
    const [c, an, av] = dq.split('\u0000');
    const query: Record<string, string | number | undefined> = { limit, sort, q, cursor, company: c || undefined };
    if (active) query.active = active;
    if (verified) query.verified = verified;
    if (an && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(an) && av) query[`attr.${an}`] = av;
    if (withTotal) query.total = 'exact';
    return get<Page<User>>(`/tenants/${tenantId}/users`, query);
  }, [filterKey, cursor, withTotal]);

  const items = page.data?.items ?? [];
  const allSelected = items.length > 0 && items.every((u) => selected.has(u.id));
  const toggle = (id: number) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  function sortBy(key: string) {
    setSort((s) => (s === key ? `-${key}` : key));
  }

  async function bulk(kind: 'enable' | 'disable' | 'delete') {
    setBulkBusy(true);
    setBulkError(null);
    try {
      for (const id of selected) {
        if (kind === 'delete') await call('DELETE', `/tenants/${tenantId}/users/${id}`);
        else await call('PATCH', `/tenants/${tenantId}/users/${id}`, { body: { active: kind === 'enable' } });
      }
      setSelected(new Set());
    } catch (e) {
      setBulkError(e);
    } finally {
      setBulkBusy(false);
      setConfirmDelete(false);
      page.reload();
    }
  }

  const shown = COLUMNS.filter((c) => columns.includes(c.key));
  return (
    <>
      <PageTitle
        actions={
          can('editor') && (
            <Button component={Link} to="/users/new">
              New user
            </Button>
          )
        }
      >
        Users
      </PageTitle>
      <Paper withBorder p="sm" mb="md">
        <Group align="end" gap="sm" wrap="wrap">
          <TextInput
            label="Search users"
            placeholder="Name, username or email"
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            w={260}
            type="search"
          />
          <Select label="Active" data={yesNo} value={active} onChange={(v) => setActive(v ?? '')} w={100} />
          <Select label="Verified" data={yesNo} value={verified} onChange={(v) => setVerified(v ?? '')} w={100} />
          <TextInput label="Company" value={company} onChange={(e) => setCompany(e.currentTarget.value)} w={160} />
          <TextInput
            label="Attribute"
            placeholder="name"
            value={attrName}
            onChange={(e) => setAttrName(e.currentTarget.value)}
            w={120}
          />
          <TextInput
            label="Attribute value"
            value={attrValue}
            onChange={(e) => setAttrValue(e.currentTarget.value)}
            w={140}
          />
          <MultiSelect
            label="Columns"
            data={COLUMNS.map((c) => ({ value: c.key, label: c.label }))}
            value={columns}
            onChange={(v) => v.length && setColumns(v)}
            w={260}
            maxDropdownHeight={300}
          />
        </Group>
      </Paper>
      <ErrorNote error={page.error ?? bulkError} />
      {selected.size > 0 && (
        <Group mb="sm" gap="xs">
          <Text size="sm">{selected.size} selected</Text>
          {can('editor') && (
            <>
              <Button size="xs" variant="light" loading={bulkBusy} onClick={() => bulk('disable')}>
                Disable
              </Button>
              <Button size="xs" variant="light" loading={bulkBusy} onClick={() => bulk('enable')}>
                Enable
              </Button>
            </>
          )}
          {can('admin') && (
            <Button size="xs" color="red" variant="light" onClick={() => setConfirmDelete(true)}>
              Delete
            </Button>
          )}
        </Group>
      )}
      <Paper withBorder>
        <ScrollArea>
          <Table striped highlightOnHover miw={700} aria-label="Users">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={40}>
                  <Checkbox
                    aria-label="Select all on this page"
                    checked={allSelected}
                    indeterminate={!allSelected && items.some((u) => selected.has(u.id))}
                    onChange={() => setSelected(allSelected ? new Set() : new Set(items.map((u) => u.id)))}
                  />
                </Table.Th>
                {shown.map((c) => (
                  <Table.Th
                    key={c.key}
                    aria-sort={sort === c.key ? 'ascending' : sort === `-${c.key}` ? 'descending' : undefined}
                  >
                    <UnstyledButton onClick={() => sortBy(c.key)} fw={600} fz="sm">
                      {c.label}
                      {sort === c.key ? ' ▲' : sort === `-${c.key}` ? ' ▼' : ''}
                    </UnstyledButton>
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((u) => (
                <Table.Tr key={u.id}>
                  <Table.Td>
                    <Checkbox
                      aria-label={`Select ${u.username ?? u.email ?? u.id}`}
                      checked={selected.has(u.id)}
                      onChange={() => toggle(u.id)}
                    />
                  </Table.Td>
                  {shown.map((c, i) => (
                    <Table.Td key={c.key}>
                      {i === 0 ? (
                        <Anchor component={Link} to={`/users/${u.id}`}>
                          {cell(u, c.key)}
                        </Anchor>
                      ) : (
                        cell(u, c.key)
                      )}
                    </Table.Td>
                  ))}
                </Table.Tr>
              ))}
              {!page.loading && items.length === 0 && (
                <Table.Tr>
                  <Table.Td colSpan={shown.length + 1}>
                    <Text c="dimmed" ta="center" py="md">
                      No users match.
                    </Text>
                  </Table.Td>
                </Table.Tr>
              )}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      </Paper>
      <Group justify="space-between" mt="sm" wrap="wrap">
        <Group gap="xs">
          <Text size="sm" aria-live="polite">
            Page {cursors.length}
            {page.data?.total !== undefined ? ` · ${page.data.total.toLocaleString()} users in all` : ''}
          </Text>
          {page.data?.total === undefined && (
            <Button size="xs" variant="subtle" onClick={() => setWithTotal(true)}>
              Count all
            </Button>
          )}
        </Group>
        <Group gap="xs">
          <Select
            aria-label="Page size"
            size="xs"
            w={90}
            data={['10', '25', '50', '100']}
            value={limit}
            onChange={(v) => v && setLimit(v)}
            allowDeselect={false}
          />
          <Button
            size="xs"
            variant="default"
            disabled={cursors.length === 1}
            onClick={() => setCursors((c) => c.slice(0, -1))}
          >
            Previous page
          </Button>
          <Button
            size="xs"
            variant="default"
            disabled={!page.data?.nextCursor}
            onClick={() => page.data?.nextCursor && setCursors((c) => [...c, page.data!.nextCursor!])}
          >
            Next page
          </Button>
        </Group>
      </Group>
      <Modal opened={confirmDelete} onClose={() => setConfirmDelete(false)} title="Delete users?">
        <Text mb="md">
          Delete {selected.size} {selected.size === 1 ? 'user' : 'users'}? This cannot be undone.
        </Text>
        <Group justify="end">
          <Button variant="default" onClick={() => setConfirmDelete(false)}>
            Cancel
          </Button>
          <Button color="red" loading={bulkBusy} onClick={() => bulk('delete')}>
            Delete {selected.size === 1 ? 'user' : 'users'}
          </Button>
        </Group>
      </Modal>
    </>
  );
}

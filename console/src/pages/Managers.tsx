import { useState, type FormEvent } from 'react';
import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  Paper,
  PasswordInput,
  ScrollArea,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { ApiError, call, describe, get } from '../api.ts';
import { useLoad } from '../load.ts';
import { useCan, useSession, useTenantId } from '../session.tsx';
import { ROLES, type Manager, type Page, type Role } from '../types.ts';
import { ErrorNote, PageTitle, when } from '../ui.tsx';

/** A new key, shown once: the person copies it now or rotates it later. */
function KeyModal({ issued, onClose }: { issued: { name: string; key: string } | null; onClose(): void }) {
  return (
    <Modal opened={!!issued} onClose={onClose} title={`API key of ${issued?.name ?? ''}`} size="lg">
      <Alert color="yellow" mb="md" title="Copy this key now">
        It is shown only this once. Roster keeps only a digest of it; if it is lost, rotate the key.
      </Alert>
      <Code block mb="md" aria-label="New API key" style={{ wordBreak: 'break-all' }}>
        {issued?.key}
      </Code>
      <Group justify="end">
        <CopyButton value={issued?.key ?? ''}>
          {({ copied, copy }) => (
            <Button color={copied ? 'teal' : undefined} onClick={copy}>
              {copied ? 'Copied' : 'Copy key'}
            </Button>
          )}
        </CopyButton>
        <Button variant="default" onClick={onClose}>
          Done
        </Button>
      </Group>
    </Modal>
  );
}

export default function Managers() {
  const tenantId = useTenantId();
  const { me } = useSession();
  const can = useCan();
  const owner = can('owner');
  const list = useLoad(() => get<Page<Manager>>(`/tenants/${tenantId}/managers`, { limit: 1000 }), [tenantId]);
  const [error, setError] = useState<unknown>(null);
  const [issued, setIssued] = useState<{ name: string; key: string } | null>(null);
  const [creating, setCreating] = useState(false);
  const [draft, setDraft] = useState({ name: '', email: '', role: 'viewer' as Role });
  const [draftErrors, setDraftErrors] = useState<Record<string, string>>({});
  const [deleting, setDeleting] = useState<Manager | null>(null);
  const [passwordFor, setPasswordFor] = useState<Manager | null>(null);
  const [newPassword, setNewPassword] = useState('');
  const [passwordError, setPasswordError] = useState<string | null>(null);

  async function act(fn: () => Promise<unknown>) {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e);
    }
    list.reload();
  }

  async function create(e: FormEvent) {
    e.preventDefault();
    setDraftErrors({});
    try {
      const r = await call<Manager & { apiKey: string }>('POST', `/tenants/${tenantId}/managers`, { body: draft });
      setCreating(false);
      setDraft({ name: '', email: '', role: 'viewer' });
      setIssued({ name: r.body.name, key: r.body.apiKey });
      list.reload();
    } catch (err) {
      setDraftErrors({ [err instanceof ApiError && err.field ? err.field : 'form']: describe(err) });
    }
  }

  async function savePassword(e: FormEvent) {
    e.preventDefault();
    setPasswordError(null);
    try {
      await call('PUT', `/managers/${passwordFor!.id}/password`, { body: { password: newPassword } });
      setPasswordFor(null);
      setNewPassword('');
      list.reload();
    } catch (err) {
      setPasswordError(describe(err));
    }
  }

  const self = me.kind === 'manager' ? me.manager!.id : null;
  return (
    <>
      <PageTitle actions={owner && <Button onClick={() => setCreating(true)}>New manager</Button>}>Managers</PageTitle>
      <ErrorNote error={list.error ?? error} />
      <Paper withBorder>
        <ScrollArea>
          <Table aria-label="Managers" miw={720} verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Email</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Console password</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data?.items.map((m) => (
                <Table.Tr key={m.id}>
                  <Table.Td>
                    {m.name}
                    {m.id === self && (
                      <Badge ml="xs" size="xs" variant="filled">
                        you
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{m.email}</Table.Td>
                  <Table.Td>
                    {owner ? (
                      <Select
                        aria-label={`Role of ${m.name}`}
                        size="xs"
                        w={110}
                        data={ROLES}
                        value={m.role}
                        allowDeselect={false}
                        onChange={(v) =>
                          v && v !== m.role && act(() => call('PATCH', `/managers/${m.id}`, { body: { role: v } }))
                        }
                      />
                    ) : (
                      m.role
                    )}
                  </Table.Td>
                  <Table.Td>{m.hasPassword ? 'set' : 'not set'}</Table.Td>
                  <Table.Td>{when(m.createdAt)}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      {(owner || m.id === self) && (
                        <Button size="xs" variant="default" onClick={() => setPasswordFor(m)}>
                          Set password
                        </Button>
                      )}
                      {owner && (
                        <Button
                          size="xs"
                          variant="default"
                          onClick={() =>
                            act(async () => {
                              const r = await call<Manager & { apiKey: string }>('POST', `/managers/${m.id}/key`);
                              setIssued({ name: m.name, key: r.body.apiKey });
                            })
                          }
                        >
                          Rotate key
                        </Button>
                      )}
                      {owner && (
                        <Button size="xs" variant="light" color="red" onClick={() => setDeleting(m)}>
                          Delete
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      </Paper>
      <KeyModal issued={issued} onClose={() => setIssued(null)} />
      <Modal opened={creating} onClose={() => setCreating(false)} title="New manager">
        <form onSubmit={create}>
          <Stack>
            <TextInput
              label="Name"
              required
              value={draft.name}
              error={draftErrors.name}
              onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })}
            />
            <TextInput
              label="Email"
              type="email"
              required
              value={draft.email}
              error={draftErrors.email}
              onChange={(e) => setDraft({ ...draft, email: e.currentTarget.value })}
            />
            <Select
              label="Role"
              data={ROLES}
              value={draft.role}
              allowDeselect={false}
              error={draftErrors.role}
              onChange={(v) => v && setDraft({ ...draft, role: v as Role })}
            />
            {draftErrors.form && (
              <Alert color="red" role="alert">
                {draftErrors.form}
              </Alert>
            )}
            <Group justify="end">
              <Button type="submit">Save</Button>
            </Group>
          </Stack>
        </form>
      </Modal>
      <Modal
        opened={!!passwordFor}
        onClose={() => setPasswordFor(null)}
        title={`Console password of ${passwordFor?.name}`}
      >
        <form onSubmit={savePassword}>
          <Stack>
            <PasswordInput
              label="New password"
              description="At least 10 characters"
              required
              value={newPassword}
              error={passwordError}
              onChange={(e) => setNewPassword(e.currentTarget.value)}
            />
            <Group justify="end">
              <Button type="submit">Save</Button>
            </Group>
          </Stack>
        </form>
      </Modal>
      <Modal opened={!!deleting} onClose={() => setDeleting(null)} title={`Delete ${deleting?.name}?`}>
        <Text mb="md">Their API key stops working at once and their console sessions end.</Text>
        <Group justify="end">
          <Button variant="default" onClick={() => setDeleting(null)}>
            Cancel
          </Button>
          <Button
            color="red"
            onClick={() => {
              const m = deleting!;
              setDeleting(null);
              act(() => call('DELETE', `/managers/${m.id}`));
            }}
          >
            Delete manager
          </Button>
        </Group>
      </Modal>
    </>
  );
}

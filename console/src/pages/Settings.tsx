import { useEffect, useState, type FormEvent } from 'react';
import {
  Alert,
  Button,
  Group,
  Modal,
  NumberInput,
  Paper,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { ApiError, call, describe, get } from '../api.ts';
import { useLoad } from '../load.ts';
import { useCan, useSession } from '../session.tsx';
import type { Page, Tenant } from '../types.ts';
import { ErrorNote, PageTitle, when } from '../ui.tsx';

function TenantSettings({ tenantId }: { tenantId: number }) {
  const can = useCan();
  const t = useLoad(() => get<Tenant>(`/tenants/${tenantId}`), [tenantId]);
  const [name, setName] = useState('');
  const [publicSignup, setPublicSignup] = useState(false);
  const [minLength, setMinLength] = useState<number>(8);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!t.data) return;
    setName(t.data.name);
    setPublicSignup(t.data.settings.publicSignup);
    setMinLength(t.data.settings.passwordMinLength);
  }, [t.data]);

  async function save(e: FormEvent) {
    e.preventDefault();
    setNote(null);
    setError(null);
    try {
      await call('PATCH', `/tenants/${tenantId}`, {
        body: { name, settings: { publicSignup, passwordMinLength: minLength } },
      });
      setNote('Saved.');
      t.reload();
    } catch (err) {
      setError(err);
    }
  }
  const readOnly = !can('owner');
  return (
    <Paper withBorder p="md" mb="md" maw={560}>
      <Title order={3} size="h4" mb="sm">
        Tenant
      </Title>
      <ErrorNote error={t.error ?? error} />
      {t.data && (
        <form onSubmit={save}>
          <Stack>
            <TextInput
              label="Tenant name"
              value={name}
              readOnly={readOnly}
              onChange={(e) => setName(e.currentTarget.value)}
            />
            <Text size="sm">
              License code: <b>{t.data.licenseCode}</b>
            </Text>
            <Switch
              label="Public sign-up"
              description="People may create their own accounts through the sign-up APIs"
              checked={publicSignup}
              disabled={readOnly}
              onChange={(e) => setPublicSignup(e.currentTarget.checked)}
            />
            <NumberInput
              label="Password minimum length"
              min={1}
              max={128}
              value={minLength}
              readOnly={readOnly}
              onChange={(v) => setMinLength(Number(v) || 1)}
            />
            {note && (
              <Alert color="green" role="status">
                {note}
              </Alert>
            )}
            {!readOnly && (
              <Group justify="end">
                <Button type="submit">Save</Button>
              </Group>
            )}
          </Stack>
        </form>
      )}
    </Paper>
  );
}

/** Root only: every tenant, creating and deleting them. */
function Tenants() {
  const { setTenantId } = useSession();
  const list = useLoad(() => get<Page<Tenant>>('/tenants', { limit: 1000 }), []);
  const [name, setName] = useState('');
  const [code, setCode] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState<Tenant | null>(null);

  async function create(e: FormEvent) {
    e.preventDefault();
    setFieldError(null);
    try {
      const r = await call<Tenant>('POST', '/tenants', { body: { name, ...(code ? { licenseCode: code } : {}) } });
      setName('');
      setCode('');
      setTenantId(r.body.id);
      list.reload();
    } catch (err) {
      setFieldError(err instanceof ApiError ? describe(err) : String(err));
    }
  }
  async function remove(t: Tenant) {
    setDeleting(null);
    try {
      await call('DELETE', `/tenants/${t.id}`);
    } catch (err) {
      setError(err);
    }
    list.reload();
  }
  return (
    <Paper withBorder p="md">
      <Title order={3} size="h4" mb="sm">
        Tenants
      </Title>
      <ErrorNote error={list.error ?? error} />
      <Table aria-label="Tenants" mb="md">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>License code</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Actions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.data?.items.map((t) => (
            <Table.Tr key={t.id}>
              <Table.Td>{t.name}</Table.Td>
              <Table.Td>{t.licenseCode}</Table.Td>
              <Table.Td>{when(t.createdAt)}</Table.Td>
              <Table.Td>
                <Button size="xs" variant="light" color="red" onClick={() => setDeleting(t)}>
                  Delete
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <form onSubmit={create}>
        <Group align="end">
          <TextInput label="New tenant name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput
            label="License code"
            description="Optional; generated when blank"
            value={code}
            onChange={(e) => setCode(e.currentTarget.value)}
          />
          <Button type="submit">Create tenant</Button>
        </Group>
        {fieldError && (
          <Text c="red" size="sm" mt="xs" role="alert">
            {fieldError}
          </Text>
        )}
      </form>
      <Modal opened={!!deleting} onClose={() => setDeleting(null)} title={`Delete ${deleting?.name}?`}>
        <Text mb="md">The tenant and all its users, managers and keys go for good.</Text>
        <Group justify="end">
          <Button variant="default" onClick={() => setDeleting(null)}>
            Cancel
          </Button>
          <Button color="red" onClick={() => remove(deleting!)}>
            Delete tenant
          </Button>
        </Group>
      </Modal>
    </Paper>
  );
}

export default function Settings() {
  const { me, tenantId } = useSession();
  return (
    <>
      <PageTitle>Settings</PageTitle>
      {tenantId !== null && <TenantSettings tenantId={tenantId} />}
      {me.kind === 'root' && <Tenants />}
    </>
  );
}

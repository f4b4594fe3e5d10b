import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import {
  Alert,
  Anchor,
  Button,
  Group,
  Modal,
  Paper,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { ApiError, call, describe, get } from '../api.ts';
import { useCan, useTenantId } from '../session.tsx';
import type { AuditEvent, Page, User } from '../types.ts';
import { ErrorNote, PageTitle, when } from '../ui.tsx';
import { UserAccess } from './UserAccess.tsx';

const TEXT_FIELDS: { key: keyof User; label: string }[] = [
  { key: 'username', label: 'Username' },
  { key: 'email', label: 'Email' },
  { key: 'firstName', label: 'First name' },
  { key: 'middleName', label: 'Middle name' },
  { key: 'lastName', label: 'Last name' },
  { key: 'displayName', label: 'Display name' },
  { key: 'company', label: 'Company' },
  { key: 'title', label: 'Title' },
  { key: 'department', label: 'Department' },
  { key: 'website', label: 'Website' },
  { key: 'phoneOffice', label: 'Office phone' },
  { key: 'phoneMobile', label: 'Mobile phone' },
  { key: 'phoneHome', label: 'Home phone' },
  { key: 'phoneTollFree', label: 'Toll-free phone' },
  { key: 'phoneOther', label: 'Other phone' },
  { key: 'pager', label: 'Pager' },
  { key: 'fax', label: 'Fax' },
  { key: 'externalId', label: 'External id' },
  { key: 'plan', label: 'Plan' },
  { key: 'billingType', label: 'Billing type' },
];
const GENDERS = ['male', 'female', 'other', 'unknown'];

type Form = Record<string, string> & { active: string; verified: string; gender: string; attributes: string };

function toForm(u: User | null): Form {
  const f: Record<string, string> = {};
  for (const { key } of TEXT_FIELDS) f[key] = u ? String(u[key] ?? '') : '';
  f.gender = u?.gender ?? '';
  f.active = String(u?.active ?? true);
  f.verified = String(u?.verified ?? false);
  f.attributes = u && Object.keys(u.attributes).length ? JSON.stringify(u.attributes, null, 2) : '';
  return f as Form;
}

/** The fields that differ from what was loaded, as the API takes them (blank text clears a field). */
function changes(form: Form, base: Form): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(form)) {
    if (form[k] === base[k]) continue;
    if (k === 'active' || k === 'verified') out[k] = form[k] === 'true';
    else if (k === 'attributes') out[k] = form[k].trim() ? JSON.parse(form[k]) : {};
    else out[k] = form[k].trim() === '' ? null : form[k];
  }
  return out;
}

export default function UserEdit() {
  const { userId } = useParams();
  const creating = userId === undefined;
  const tenantId = useTenantId();
  const can = useCan();
  const navigate = useNavigate();
  const [user, setUser] = useState<User | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [form, setForm] = useState<Form>(toForm(null));
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [conflict, setConflict] = useState(false);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const [password, setPassword] = useState('');
  const [passwordNote, setPasswordNote] = useState<string | null>(null);
  const [history, setHistory] = useState<AuditEvent[]>([]);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const readOnly = !can('editor');

  async function load() {
    if (creating) return;
    try {
      const r = await call<User>('GET', `/tenants/${tenantId}/users/${userId}`);
      setUser(r.body);
      setEtag(r.etag);
      setForm(toForm(r.body));
      setConflict(false);
      setFieldErrors({});
      if (can('admin'))
        setHistory(
          (await get<Page<AuditEvent>>(`/tenants/${tenantId}/audit`, { target: `user:${userId}`, limit: 20 })).items,
        );
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    load();
  }, [tenantId, userId]);

  const set = (k: string) => (v: string) => {
    setForm((f) => ({ ...f, [k]: v }));
    setSaved(false);
  };

  async function save(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setFieldErrors({});
    setSaved(false);
    let body: Record<string, unknown>;
    try {
      body = changes(form, toForm(user));
    } catch {
      setFieldErrors({ attributes: 'Custom attributes must be a JSON object, e.g. {"plan": "gold"}.' });
      return;
    }
    setBusy(true);
    try {
      if (creating) {
        const r = await call<User>('POST', `/tenants/${tenantId}/users`, { body });
        navigate(`/users/${r.body.id}`, { replace: true });
        return;
      }
      const r = await call<User>('PATCH', `/tenants/${tenantId}/users/${userId}`, { body, ifMatch: etag ?? undefined });
      setUser(r.body);
      setEtag(r.etag);
      setForm(toForm(r.body));
      setSaved(true);
      if (can('admin'))
        setHistory(
          (await get<Page<AuditEvent>>(`/tenants/${tenantId}/audit`, { target: `user:${userId}`, limit: 20 })).items,
        );
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) setConflict(true);
      else if (err instanceof ApiError && err.field) {
        const field = err.field.split('.')[0]!;
        setFieldErrors({ [field in form ? field : 'attributes']: describe(err) });
      } else setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function setNewPassword() {
    setPasswordNote(null);
    try {
      const r = await call<User>('PATCH', `/tenants/${tenantId}/users/${userId}`, {
        body: { password },
        ifMatch: etag ?? undefined,
      });
      setUser(r.body);
      setEtag(r.etag);
      setPassword('');
      setPasswordNote('Password set.');
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) setConflict(true);
      else setPasswordNote(describe(err));
    }
  }

  async function remove() {
    try {
      await call('DELETE', `/tenants/${tenantId}/users/${userId}`, { ifMatch: etag ?? undefined });
      navigate('/users', { replace: true });
    } catch (err) {
      setConfirmDelete(false);
      if (err instanceof ApiError && err.status === 412) setConflict(true);
      else setError(err);
    }
  }

  const title = creating
    ? 'New user'
    : user
      ? user.displayName || user.username || user.email || `User ${user.id}`
      : '';
  return (
    <>
      <Anchor component={Link} to="/users" size="sm">
        ← Users
      </Anchor>
      <PageTitle
        actions={
          !creating &&
          can('admin') && (
            <Button color="red" variant="light" onClick={() => setConfirmDelete(true)}>
              Delete user
            </Button>
          )
        }
      >
        {title}
      </PageTitle>
      <ErrorNote error={error} />
      {conflict && (
        <Alert color="orange" role="alert" title="This user was changed by someone else" mb="md">
          <Text size="sm" mb="xs">
            Your changes were not saved, so theirs are not overwritten. Reload to see the current version, then make
            your change again.
          </Text>
          <Button size="xs" variant="white" onClick={load}>
            Reload
          </Button>
        </Alert>
      )}
      {saved && (
        <Alert color="green" mb="md" role="status">
          Saved.
        </Alert>
      )}
      {(creating || user) && (
        <form onSubmit={save}>
          <Paper withBorder p="md" mb="md">
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
              {TEXT_FIELDS.map(({ key, label }) => (
                <TextInput
                  key={key}
                  label={label}
                  value={form[key]}
                  readOnly={readOnly}
                  error={fieldErrors[key]}
                  onChange={(e) => set(key)(e.currentTarget.value)}
                />
              ))}
              <Select
                label="Gender"
                data={[{ value: '', label: 'Not set' }, ...GENDERS.map((g) => ({ value: g, label: g }))]}
                value={form.gender}
                readOnly={readOnly}
                error={fieldErrors.gender}
                onChange={(v) => set('gender')(v ?? '')}
              />
            </SimpleGrid>
            <Group mt="md">
              <Switch
                label="Active"
                checked={form.active === 'true'}
                disabled={readOnly}
                onChange={(e) => set('active')(String(e.currentTarget.checked))}
              />
              <Switch
                label="Verified"
                checked={form.verified === 'true'}
                disabled={readOnly}
                onChange={(e) => set('verified')(String(e.currentTarget.checked))}
              />
            </Group>
            <Textarea
              mt="md"
              label="Custom attributes"
              description='A JSON object, e.g. {"plan": "gold"}'
              autosize
              minRows={2}
              value={form.attributes}
              readOnly={readOnly}
              error={fieldErrors.attributes}
              onChange={(e) => set('attributes')(e.currentTarget.value)}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            />
            {!readOnly && (
              <Group justify="end" mt="md">
                <Button type="submit" loading={busy}>
                  Save
                </Button>
              </Group>
            )}
          </Paper>
        </form>
      )}
      {user && (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Paper withBorder p="md">
            <Title order={3} size="h4" mb="sm">
              Account
            </Title>
            <Stack gap={4}>
              <Text size="sm">Created: {when(user.createdAt)}</Text>
              <Text size="sm">Updated: {when(user.updatedAt)}</Text>
              <Text size="sm">Last login: {when(user.lastLoginAt)}</Text>
              <Text size="sm">Password: {user.hasPassword ? 'set' : 'not set'}</Text>
            </Stack>
            {!readOnly && (
              <Group align="end" mt="md">
                <PasswordInput
                  label="New password"
                  value={password}
                  onChange={(e) => setPassword(e.currentTarget.value)}
                  w={240}
                />
                <Button variant="default" disabled={!password} onClick={setNewPassword}>
                  Set password
                </Button>
              </Group>
            )}
            {passwordNote && (
              <Text size="sm" mt="xs" role="status">
                {passwordNote}
              </Text>
            )}
          </Paper>
          {can('admin') && (
            <Paper withBorder p="md">
              <Title order={3} size="h4" mb="sm">
                History
              </Title>
              <Table aria-label="History of this user">
                <Table.Tbody>
                  {history.map((e) => (
                    <Table.Tr key={e.id}>
                      <Table.Td>{when(e.at)}</Table.Td>
                      <Table.Td>{e.action}</Table.Td>
                      <Table.Td>{e.actor}</Table.Td>
                      <Table.Td>{Object.keys(e.changes).join(', ')}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Paper>
          )}
        </SimpleGrid>
      )}
      {!creating && user && <UserAccess tenantId={tenantId} userId={user.id} />}
      <Modal opened={confirmDelete} onClose={() => setConfirmDelete(false)} title="Delete this user?">
        <Text mb="md">The user and their keys go for good. This cannot be undone.</Text>
        <Group justify="end">
          <Button variant="default" onClick={() => setConfirmDelete(false)}>
            Cancel
          </Button>
          <Button color="red" onClick={remove}>
            Delete user
          </Button>
        </Group>
      </Modal>
    </>
  );
}

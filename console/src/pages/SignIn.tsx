import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import {
  Alert,
  Button,
  Center,
  Paper,
  PasswordInput,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { ApiError, call, describe } from '../api.ts';
import type { Whoami } from '../types.ts';

const CODE_KEY = 'roster.console.licenseCode';

export function SignIn({ onSignedIn }: { onSignedIn(w: Whoami): void }) {
  const [params] = useSearchParams();
  const [mode, setMode] = useState<'manager' | 'root'>('manager');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [licenseCode, setLicenseCode] = useState(() => localStorage.getItem(CODE_KEY) ?? '');
  const [needsCode, setNeedsCode] = useState(() => !!localStorage.getItem(CODE_KEY));
  const [rootKey, setRootKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body =
        mode === 'root'
          ? { rootKey }
          : { email, password, ...(needsCode && licenseCode.trim() ? { licenseCode: licenseCode.trim() } : {}) };
      const r = await call<Whoami>('POST', '/session', { body });
      if (mode === 'manager' && needsCode) localStorage.setItem(CODE_KEY, licenseCode.trim());
      onSignedIn(r.body);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'session.license_code_required') {
        setNeedsCode(true);
        setError('This Roster has several tenants: enter your tenant’s license code too.');
      } else if (err instanceof ApiError && err.status === 429) {
        setError('Too many failed sign-ins. Wait a few minutes, then try again.');
      } else if (err instanceof ApiError && err.status === 401) {
        setError(mode === 'root' ? 'That root key is not valid.' : 'Wrong email or password.');
      } else setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper component="main" withBorder shadow="sm" p="xl" w={400} maw="100%">
        <form onSubmit={submit}>
          <Stack>
            <div>
              <Title order={1} size="h2">
                Roster
              </Title>
              <Text c="dimmed" size="sm">
                Sign in to the admin console
              </Text>
            </div>
            {params.get('ended') && !error && (
              <Alert color="yellow" title="Your session has ended">
                Sign in again to continue where you were.
              </Alert>
            )}
            <SegmentedControl
              aria-label="Sign in as"
              value={mode}
              onChange={(v) => {
                setMode(v as 'manager' | 'root');
                setError(null);
              }}
              data={[
                { value: 'manager', label: 'Manager' },
                { value: 'root', label: 'Root operator' },
              ]}
            />
            {mode === 'manager' ? (
              <>
                <TextInput
                  label="Email"
                  type="email"
                  autoComplete="username"
                  required
                  value={email}
                  onChange={(e) => setEmail(e.currentTarget.value)}
                />
                <PasswordInput
                  label="Password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.currentTarget.value)}
                />
                {needsCode && (
                  <TextInput
                    label="License code"
                    description="Your tenant’s license code"
                    value={licenseCode}
                    onChange={(e) => setLicenseCode(e.currentTarget.value)}
                  />
                )}
              </>
            ) : (
              <PasswordInput
                label="Root key"
                description="Printed by Roster when it first started, or ROSTER_ROOT_KEY"
                required
                value={rootKey}
                onChange={(e) => setRootKey(e.currentTarget.value)}
              />
            )}
            {error && (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            )}
            <Button type="submit" loading={busy} fullWidth>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
